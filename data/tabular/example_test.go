package tabular_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data/tabular"
)

// A list is declared once; the same schema exports and imports it.
func Example() {
	type worker struct {
		Name  string
		Grid  string
		Since time.Time
	}
	s := tabular.Schema[worker]{Sheet: "网格员", Columns: []tabular.Column[worker]{
		tabular.Text("姓名", func(w *worker) *string { return &w.Name }).Required(),
		tabular.Text("网格编码", func(w *worker) *string { return &w.Grid }).Required(),
		tabular.Date("起始日期", func(w *worker) *time.Time { return &w.Since }),
	}}
	var out bytes.Buffer
	s.Write(&out, tabular.CSV, []worker{{"张伟", "370402001013007", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}})
	fmt.Print(strings.TrimPrefix(out.String(), "\ufeff"))

	// A file with a problem is refused whole, with the row and column.
	_, err := s.Read(strings.NewReader("网格编码,姓名,起始日期\n370402001013007,李娜,2025-02-30\n"), tabular.CSV, nil)
	fmt.Println(err)
	// Output:
	// 姓名,网格编码,起始日期
	// 张伟,370402001013007,2025-03-01
	// file refused, 1 problem(s): row 2, column 3 (C 起始日期): "2025-02-30" is not a date (want 2026-01-02)
}
