package tabular

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Limits on an uploaded workbook, so that a small ZIP cannot unpack into
// gigabytes.
const (
	maxUnzip    = 256 << 20
	maxUnzipXML = 64 << 20
)

// readXLSX reads the named sheet of a workbook (or its first sheet when
// there is none of that name) with the cells' raw values: text as typed,
// numbers as numbers (and dates as their serial numbers, which Date
// columns read back as days).
func readXLSX(raw []byte, sheet string) ([]line, error) {
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxUnzip, UnzipXMLSizeLimit: maxUnzipXML})
	if err != nil {
		return nil, Errors{{Row: 1, Reason: "not a readable .xlsx workbook: " + err.Error()}}
	}
	defer f.Close()
	names := f.GetSheetList()
	if len(names) == 0 {
		return nil, Errors{{Row: 1, Reason: "the workbook has no sheet"}}
	}
	name := names[0]
	for _, n := range names {
		if n == sheet {
			name = n
		}
	}
	rows, err := f.Rows(name)
	if err != nil {
		return nil, Errors{{Row: 1, Reason: fmt.Sprintf("sheet %q: %v", name, err)}}
	}
	defer rows.Close()
	var out []line
	for n := 1; rows.Next(); n++ {
		if n > MaxRows+1 {
			return nil, Errors{{Row: n, Reason: fmt.Sprintf("more than %d rows", MaxRows)}}
		}
		vals, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, Errors{{Row: n, Reason: err.Error()}}
		}
		cells := make([]cell, len(vals))
		for j, v := range vals {
			_, err := strconv.ParseFloat(v, 64)
			cells[j] = cell{text: v, numeric: err == nil}
		}
		out = append(out, line{n: n, cells: cells})
	}
	if err := rows.Error(); err != nil {
		return nil, Errors{{Row: len(out) + 1, Reason: err.Error()}}
	}
	return out, nil
}

func (s *Schema[T]) writeXLSX(w io.Writer, rows []T) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := s.sheet()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center"}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": what is typed stays text
	if err != nil {
		return err
	}
	datefmt := "yyyy-mm-dd"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &datefmt})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(s.Columns))
	for k, c := range s.Columns {
		col, _ := excelize.ColumnNumberToName(k + 1)
		width := 10.0
		for _, r := range c.Header {
			if utf8.RuneLen(r) > 1 {
				width += 2.2
			} else {
				width += 1.1
			}
		}
		switch c.kind {
		case kindText:
			f.SetColStyle(sheet, col, text)
			width = max(width, 16)
		case kindDate:
			f.SetColStyle(sheet, col, date)
			width = max(width, 12)
		}
		f.SetColWidth(sheet, col, col, min(width, 40))
		if len(c.choices) > 0 {
			labels := make([]string, len(c.choices))
			for i, ch := range c.choices {
				labels[i] = ch.Label
			}
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, max(len(rows)+1, 1000)))
			if err := dv.SetDropList(labels); err == nil {
				f.AddDataValidation(sheet, dv)
			}
		}
	}
	hdr := make([]any, len(s.Columns))
	for k, c := range s.Columns {
		hdr[k] = c.Header
	}
	if err := f.SetSheetRow(sheet, "A1", &hdr); err != nil {
		return err
	}
	f.SetCellStyle(sheet, "A1", last+"1", head)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	vals := make([]any, len(s.Columns))
	for i := range rows {
		for k, c := range s.Columns {
			v := c.get(&rows[i])
			switch x := v.(type) {
			case time.Time:
				if x.IsZero() {
					v = nil
				}
			case string:
				if x == "" {
					v = nil
				}
			}
			vals[k] = v
		}
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, ref, &vals); err != nil {
			return fmt.Errorf("tabular: row %d: %w", i+2, err)
		}
	}
	if len(rows) > 0 {
		for k, c := range s.Columns {
			if c.kind == kindDate {
				col, _ := excelize.ColumnNumberToName(k + 1)
				f.SetCellStyle(sheet, col+"2", fmt.Sprintf("%s%d", col, len(rows)+1), date)
			}
		}
	}
	_, err = f.WriteTo(w)
	return err
}
