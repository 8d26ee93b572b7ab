package tabular_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/tabular"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

type rec struct {
	ID     string
	Name   string
	Kind   string
	Grids  []string
	Count  int
	Share  float64
	Active bool
	Since  time.Time
	Note   string
}

var schema = tabular.Schema[rec]{Sheet: "人员", Columns: []tabular.Column[rec]{
	tabular.Text("编号", func(r *rec) *string { return &r.ID }).Required().Unique(),
	tabular.Text("姓名", func(r *rec) *string { return &r.Name }).Required(),
	tabular.Enum("类别", func(r *rec) *string { return &r.Kind }, tabular.Choice{Value: "cadre", Label: "下沉干部"}, tabular.Choice{Value: "head", Label: "网格长"}),
	tabular.List("网格", func(r *rec) *[]string { return &r.Grids }),
	tabular.Int("户数", func(r *rec) *int { return &r.Count }),
	tabular.Float("占比", func(r *rec) *float64 { return &r.Share }),
	tabular.Bool("在岗", func(r *rec) *bool { return &r.Active }),
	tabular.Date("起始日期", func(r *rec) *time.Time { return &r.Since }),
	tabular.Text("备注", func(r *rec) *string { return &r.Note }),
}}

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// sample holds the values that trip spreadsheets up: codes of 15 digits
// and phone numbers (must stay text), leading zeros, formula starts,
// quotes, commas, newlines, empty cells, zero dates and big numbers.
var sample = []rec{
	{"C000000001", "张伟", "cadre", []string{"370402001013007", "370402001013008"}, 1234, 0.875, true, day(2024, 1, 1), "13812345678"},
	{"C000000002", "欧阳明月", "head", nil, 0, 0, false, time.Time{}, ""},
	{"007", "=SUM(A1)", "", []string{"001"}, -5, -1.5, true, day(1999, 12, 31), "+86 138 1234 5678"},
	{"C3", "李\"四\", 五", "cadre", []string{"a"}, 2147483647, 1e-9, false, day(2026, 2, 28), "第一行\n第二行"},
	{"C4", "@home", "head", nil, 7, 3, true, day(2026, 12, 6), "'=already quoted"},
	{"C5", "-1", "cadre", nil, 0, 0, false, day(2030, 6, 30), "'plain apostrophe"},
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []tabular.Format{tabular.CSV, tabular.XLSX} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := schema.Write(&buf, f, sample); err != nil {
				t.Fatal(err)
			}
			if got := tabular.Detect(buf.Bytes()); got != f {
				t.Errorf("Detect = %s, want %s", got, f)
			}
			got, err := schema.Read(bytes.NewReader(buf.Bytes()), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sample) {
				for i := range sample {
					if !reflect.DeepEqual(got[i], sample[i]) {
						t.Errorf("row %d:\n got %#v\nwant %#v", i, got[i], sample[i])
					}
				}
			}
			// And again: export of the import is byte-identical for CSV.
			var again bytes.Buffer
			schema.Write(&again, f, got)
			if f == tabular.CSV && !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Error("second CSV export differs from the first")
			}
		})
	}
}

func TestXLSXCellsAreTyped(t *testing.T) {
	var buf bytes.Buffer
	if err := schema.Write(&buf, tabular.XLSX, sample); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !reflect.DeepEqual(got, []string{"人员"}) {
		t.Errorf("sheets %v", got)
	}
	for _, tc := range []struct {
		cell string
		want excelize.CellType
		val  string
	}{
		{"A2", excelize.CellTypeSharedString, "C000000001"},
		{"I2", excelize.CellTypeSharedString, "13812345678"}, // a phone stays text
		{"E2", excelize.CellTypeUnset, "1234"},               // numbers are numbers
		{"C2", excelize.CellTypeSharedString, "下沉干部"},
	} {
		typ, _ := x.GetCellType("人员", tc.cell)
		v, _ := x.GetCellValue("人员", tc.cell)
		if typ != tc.want || v != tc.val {
			t.Errorf("%s: type %v value %q, want %v %q", tc.cell, typ, v, tc.want, tc.val)
		}
	}
	if v, _ := x.GetCellValue("人员", "H2"); v != "2024-01-01" {
		t.Errorf("date shown as %q, want 2024-01-01", v)
	}
	if h, _ := x.GetCellValue("人员", "B1"); h != "姓名" {
		t.Errorf("header %q", h)
	}
}

// An office edits the exported workbook in Excel: moves columns, types a
// date as a date, a count as a number and a code as a number.
func TestXLSXEditedInExcel(t *testing.T) {
	x := excelize.NewFile()
	defer x.Close()
	rows := [][]any{
		{"起始日期", "姓名", "编号", "户数", "网格", "在岗"},
		{day(2025, 3, 4), "王芳", 12345, 42.0, "370402001013007，370402001013008", "是"},
		{"2025/3/5", "赵六", "X1", "7", "", "否"},
	}
	for i, r := range rows {
		ref, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", ref, &r)
	}
	var buf bytes.Buffer
	x.WriteTo(&buf)
	got, err := schema.Read(&buf, tabular.XLSX, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []rec{
		{ID: "12345", Name: "王芳", Count: 42, Grids: []string{"370402001013007", "370402001013008"}, Active: true, Since: day(2025, 3, 4)},
		{ID: "X1", Name: "赵六", Count: 7, Since: day(2025, 3, 5)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

// Blank rows are skipped but keep the numbering of the rows after them.
func TestXLSXGaps(t *testing.T) {
	x := excelize.NewFile()
	defer x.Close()
	x.SetSheetRow("Sheet1", "A1", &[]any{"编号", "姓名"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"A", "张三"})
	x.SetSheetRow("Sheet1", "A5", &[]any{"B", ""})
	var buf bytes.Buffer
	x.WriteTo(&buf)
	_, err := schema.Read(&buf, tabular.XLSX, nil)
	if err == nil || err.Error() != "file refused, 1 problem(s): row 5, column 2 (B 姓名): required, but empty" {
		t.Errorf("err %v", err)
	}
}

func TestCSVEncodings(t *testing.T) {
	text := "编号,姓名,起始日期\r\nA1,张三,2025年3月4日\r\n\r\n,,\r\nA2,李四,2025.3.5\r\n"
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []rec{{ID: "A1", Name: "张三", Since: day(2025, 3, 4)}, {ID: "A2", Name: "李四", Since: day(2025, 3, 5)}}
	for name, in := range map[string]string{"utf8": text, "bom": "\ufeff" + text, "gb18030": gbk} {
		got, err := schema.Read(strings.NewReader(in), tabular.CSV, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v", name, got)
		}
	}
}

// A bad file is refused whole: every problem with its row and column, no
// records.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		csv  string
		want []string // CellError.Error() of each problem, in order
	}{
		{"empty", "", []string{"row 1: the file is empty: want a header row of 编号, 姓名, 类别, 网格, 户数, 占比, 在岗, 起始日期, 备注"}},
		{"unknown and duplicate headers", "编号,姓名,姓名,电话\nA,B,C,D\n", []string{
			`row 1, column 3 (C 姓名): column "姓名" appears twice (also column 2)`,
			`row 1, column 4 (D): unknown column "电话" (the columns are 编号, 姓名, 类别, 网格, 户数, 占比, 在岗, 起始日期, 备注)`,
		}},
		{"missing required column", "编号,户数\nA,1\n", []string{`row 1: required column "姓名" is missing`}},
		{"cells", "编号,姓名,户数,在岗,起始日期,类别,占比\n" +
			"A,张三,十二,也许,2025-02-30,干部,abc\n" +
			",李四,3.5,是,2025-01-01,,NaN\n" +
			"A,王五,1,否,,网格长,1\n" +
			"B,,1,否,,,1,多余\n", []string{
			`row 2, column 3 (C 户数): "十二" is not a whole number`,
			`row 2, column 4 (D 在岗): "也许" is not 是 or 否`,
			`row 2, column 5 (E 起始日期): "2025-02-30" is not a date (want 2026-01-02)`,
			`row 2, column 6 (F 类别): "干部" is not one of 下沉干部、网格长`,
			`row 2, column 7 (G 占比): "abc" is not a number`,
			`row 3, column 1 (A 编号): required, but empty`,
			`row 3, column 3 (C 户数): "3.5" is not a whole number`,
			`row 3, column 7 (G 占比): "NaN" is not a number`,
			`row 4, column 1 (A 编号): "A" repeats row 2`,
			`row 5, column 2 (B 姓名): required, but empty`,
			`row 5, column 8 (H): a value under no known header`,
		}},
		{"malformed quotes", "编号,姓名\nA,\"unterminated\n", []string{`row 2, column 2 (B): malformed CSV: extraneous or missing " in quoted-field`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := schema.Read(strings.NewReader(tc.csv), tabular.CSV, nil)
			if got != nil {
				t.Errorf("records returned from a refused file: %v", got)
			}
			var es tabular.Errors
			if !errors.As(err, &es) {
				t.Fatalf("err %v, want tabular.Errors", err)
			}
			var msgs []string
			for _, e := range es {
				msgs = append(msgs, e.Error())
			}
			if !reflect.DeepEqual(msgs, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// The caller's check sees every parsed record and reports by index and
// header; Read turns that into the file's rows and columns.
func TestCheck(t *testing.T) {
	in := "姓名,编号\n\n张三,A\n李四,B\n"
	_, err := schema.Read(strings.NewReader(in), tabular.CSV, func(rs []rec) []tabular.Problem {
		if len(rs) != 2 {
			t.Errorf("check saw %d rows", len(rs))
		}
		return []tabular.Problem{{Index: 1, Header: "编号", Reason: "no such person"}, {Index: 0, Reason: "row-level"}}
	})
	var es tabular.Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("err %v", err)
	}
	if es[0].Error() != "row 3: row-level" || es[1].Error() != "row 4, column 2 (B 编号): no such person" {
		t.Errorf("got %q, %q", es[0].Error(), es[1].Error())
	}
	if es[1].Cell() != "B4" {
		t.Errorf("cell %s", es[1].Cell())
	}
}

func TestNotAWorkbook(t *testing.T) {
	_, err := schema.Read(strings.NewReader("PK\x03\x04garbage"), "", nil)
	var es tabular.Errors
	if !errors.As(err, &es) || es[0].Row != 1 {
		t.Fatalf("err %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]tabular.Format{
		"csv": tabular.CSV, "XLSX": tabular.XLSX, "excel": tabular.XLSX, "people.xlsx": tabular.XLSX,
		"text/csv; charset=utf-8": tabular.CSV, tabular.XLSX.ContentType(): tabular.XLSX,
	} {
		if got, err := tabular.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := tabular.ParseFormat("xls"); err == nil {
		t.Error("xls accepted")
	}
}

func TestColumnName(t *testing.T) {
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 703: "AAA"} {
		if got := tabular.ColumnName(n); got != want {
			t.Errorf("ColumnName(%d) = %s", n, got)
		}
	}
}

func BenchmarkReadXLSX(b *testing.B) {
	rows := make([]rec, 5000)
	for i := range rows {
		rows[i] = sample[i%len(sample)]
		rows[i].ID = "P" + strings.Repeat("0", 6) + string(rune('A'+i%26)) + time.Duration(i).String()
	}
	var buf bytes.Buffer
	schema.Write(&buf, tabular.XLSX, rows)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schema.Read(bytes.NewReader(buf.Bytes()), tabular.XLSX, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteXLSX(b *testing.B) {
	rows := make([]rec, 5000)
	for i := range rows {
		rows[i] = sample[i%len(sample)]
	}
	b.ReportAllocs()
	for b.Loop() {
		schema.Write(&bytes.Buffer{}, tabular.XLSX, rows)
	}
}
