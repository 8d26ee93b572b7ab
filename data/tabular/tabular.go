// Package tabular reads and writes lists of records as CSV and Excel
// (.xlsx) files with Chinese column headers, the way an office keeps them.
//
// A list is declared once, as a Schema: its columns in order, each with the
// header shown in the file and a typed accessor of the record's field
// (Text, Int, Float, Bool, Date, Enum, List, Func). Export writes exactly
// those headers; import accepts the columns in any order, finds them by
// header, parses every cell of every row and only then decides: a file with
// any problem is refused whole, with each problem's row and column (row 1
// is the header row, column 1 is A), and no record is returned. So a caller
// that writes what Read returns never half-writes a bad file.
//
// Export then import gives back the same records (the round trip is
// lossless): text cells stay text in Excel (codes and phone numbers are
// not turned into numbers), dates are real Excel dates, and CSV cells that
// a spreadsheet would run as formulas are written with a leading
// apostrophe that Read takes off again.
package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Format is a file format of a list.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads a format from a name a user or client gives: "csv",
// "xlsx", "excel", a file name ending in .csv or .xlsx, or a media type.
func ParseFormat(s string) (Format, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if mt, _, err := mime.ParseMediaType(v); err == nil && strings.Contains(mt, "/") {
		v = mt
	}
	switch v {
	case "csv", ".csv", "text/csv", "application/csv", "text/plain":
		return CSV, nil
	case "xlsx", ".xlsx", "excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return XLSX, nil
	}
	if ext := filepath.Ext(v); ext == ".csv" || ext == ".xlsx" {
		return ParseFormat(ext)
	}
	return "", fmt.Errorf("format %q unknown (want csv or xlsx)", s)
}

// ContentType is the media type of files of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Detect tells the format of a file from its first bytes: an .xlsx file
// is a ZIP archive; anything else is taken as CSV.
func Detect(head []byte) Format {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return XLSX
	}
	return CSV
}

// MaxRows bounds the data rows of one file.
const MaxRows = 200_000

type kind int

const (
	kindText kind = iota
	kindInt
	kindFloat
	kindBool
	kindDate
)

// Column is one column of a list: its header and how a record's field
// becomes a cell and back. Build columns with Text, Int, Float, Bool, Date,
// Enum, List or Func.
type Column[T any] struct {
	Header   string
	required bool
	unique   bool
	kind     kind
	choices  []Choice
	get      func(*T) any // string, int64, float64, bool or time.Time
	set      func(*T, string) error
}

// Required marks the column as one every row must fill (and every file
// must have).
func (c Column[T]) Required() Column[T] { c.required = true; return c }

// Unique marks the column as one whose filled values may not repeat in a
// file (a key).
func (c Column[T]) Unique() Column[T] { c.unique = true; return c }

// Text is a column of free text.
func Text[T any](header string, field func(*T) *string) Column[T] {
	return Column[T]{Header: header, kind: kindText,
		get: func(r *T) any { return *field(r) },
		set: func(r *T, v string) error { *field(r) = v; return nil }}
}

// Int is a column of whole numbers.
func Int[T any](header string, field func(*T) *int) Column[T] {
	return Column[T]{Header: header, kind: kindInt,
		get: func(r *T) any { return int64(*field(r)) },
		set: func(r *T, v string) error {
			if v == "" {
				*field(r) = 0
				return nil
			}
			n, err := parseInt(v)
			*field(r) = n
			return err
		}}
}

// Float is a column of decimal numbers.
func Float[T any](header string, field func(*T) *float64) Column[T] {
	return Column[T]{Header: header, kind: kindFloat,
		get: func(r *T) any { return *field(r) },
		set: func(r *T, v string) error {
			if v == "" {
				*field(r) = 0
				return nil
			}
			x, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%q is not a number", v)
			}
			*field(r) = x
			return nil
		}}
}

// Bool is a yes/no column: 是 or 否 in the file (true/false, 1/0, Y/N are
// read too).
func Bool[T any](header string, field func(*T) *bool) Column[T] {
	return Column[T]{Header: header, kind: kindBool,
		get: func(r *T) any { return *field(r) },
		set: func(r *T, v string) error {
			switch strings.ToLower(v) {
			case "是", "true", "1", "y", "yes", "√":
				*field(r) = true
			case "否", "false", "0", "n", "no", "", "×":
				*field(r) = false
			default:
				return fmt.Errorf("%q is not 是 or 否", v)
			}
			return nil
		}}
}

// Date is a column of calendar days (the field holds midnight UTC; the zero
// time is an empty cell). Files hold 2026-01-02; 2026/1/2, 2026.1.2,
// 2026年1月2日 and Excel date cells are read too.
func Date[T any](header string, field func(*T) *time.Time) Column[T] {
	return Column[T]{Header: header, kind: kindDate,
		get: func(r *T) any { return *field(r) },
		set: func(r *T, v string) error {
			d, err := ParseDate(v)
			*field(r) = d
			return err
		}}
}

// Choice is one allowed value of an Enum column: the value the record
// holds and the label the file shows.
type Choice struct{ Value, Label string }

// Enum is a column whose values come from a fixed list: the file shows
// each choice's label (Excel offers them in a drop-down); either the label
// or the value is read back.
func Enum[T any](header string, field func(*T) *string, choices ...Choice) Column[T] {
	return Column[T]{Header: header, kind: kindText, choices: choices,
		get: func(r *T) any {
			v := *field(r)
			for _, c := range choices {
				if c.Value == v {
					return c.Label
				}
			}
			return v
		},
		set: func(r *T, v string) error {
			if v == "" {
				*field(r) = ""
				return nil
			}
			for _, c := range choices {
				if v == c.Label || v == c.Value {
					*field(r) = c.Value
					return nil
				}
			}
			labels := make([]string, len(choices))
			for i, c := range choices {
				labels[i] = c.Label
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(labels, "、"))
		}}
}

// ListSeparator joins the items of a List cell.
const ListSeparator = "；"

// List is a column of several short values in one cell, joined by "；"
// (";", "，", "," and "、" also separate when read). Items may not contain
// a separator.
func List[T any](header string, field func(*T) *[]string) Column[T] {
	return Column[T]{Header: header, kind: kindText,
		get: func(r *T) any { return strings.Join(*field(r), ListSeparator) },
		set: func(r *T, v string) error {
			var out []string
			for _, it := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune("；;，,、", r) }) {
				if it = strings.TrimSpace(it); it != "" {
					out = append(out, it)
				}
			}
			*field(r) = out
			return nil
		}}
}

// Func is a text column with its own formatting and parsing, for fields
// that are not plain strings (an id type, a pair of values).
func Func[T any](header string, format func(*T) string, parse func(*T, string) error) Column[T] {
	return Column[T]{Header: header, kind: kindText,
		get: func(r *T) any { return format(r) },
		set: parse}
}

// Schema is a list's columns, declared once and used for both export and
// import.
type Schema[T any] struct {
	Sheet   string // the .xlsx sheet name (default "Sheet1")
	Columns []Column[T]
}

// Headers returns the column headers in order.
func (s *Schema[T]) Headers() []string {
	h := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		h[i] = c.Header
	}
	return h
}

func (s *Schema[T]) sheet() string {
	if s.Sheet == "" {
		return "Sheet1"
	}
	return s.Sheet
}

// CellError is one problem of an imported file. Row counts the file's
// rows from 1 (the header row); Column counts from 1 (A) and is 0 when
// the problem is the row as a whole.
type CellError struct {
	Row    int    `json:"row"`
	Column int    `json:"column"`
	Header string `json:"header,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// Cell names the cell in spreadsheet notation (B3), or the row (row 3).
func (e CellError) Cell() string {
	if e.Column <= 0 {
		return "row " + strconv.Itoa(e.Row)
	}
	return ColumnName(e.Column) + strconv.Itoa(e.Row)
}

func (e CellError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", e.Row)
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d (%s", e.Column, ColumnName(e.Column))
		if e.Header != "" {
			b.WriteString(" " + e.Header)
		}
		b.WriteString(")")
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// Errors are all the problems of a refused file, in row and column order.
type Errors []CellError

func (es Errors) Error() string {
	const show = 5
	parts := make([]string, 0, show+1)
	for i, e := range es {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(es)-show))
			break
		}
		parts = append(parts, e.Error())
	}
	return fmt.Sprintf("file refused, %d problem(s): %s", len(es), strings.Join(parts, "; "))
}

// ColumnName is the spreadsheet letter of a 1-based column: 1 → A, 27 → AA.
func ColumnName(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

// Problem is a rule a parsed row breaks, found by a Read check: Index is
// the row's position in the records Read parsed (0 is the first data row),
// Header the column at fault, or "" for the row as a whole.
type Problem struct {
	Index  int
	Header string
	Reason string
}

// Read parses a whole file of the schema's list, in format f (Detect's
// answer when f is empty). It parses every cell, then runs check (when
// not nil) on all the parsed records, for the rules that span rows or need
// the caller's data (the rows with a bad cell are left out of it). Any
// problem refuses the file: Read returns nil and an Errors naming every
// problem's row and column. Blank rows are skipped.
func (s *Schema[T]) Read(r io.Reader, f Format, check func(rows []T) []Problem) ([]T, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tabular: read: %w", err)
	}
	if f == "" {
		f = Detect(raw)
	}
	var grid []line
	switch f {
	case CSV:
		grid, err = readCSV(raw)
	case XLSX:
		grid, err = readXLSX(raw, s.sheet())
	default:
		return nil, fmt.Errorf("tabular: format %q unknown", f)
	}
	if err != nil {
		return nil, err
	}
	return s.parse(grid, f == CSV, check)
}

// line is one row of a file as read: its row number and its cells.
type line struct {
	n     int
	cells []cell
}

// cell is one read cell: its text, and, for Excel cells holding numbers,
// that it is one (a date column reads such a cell as an Excel date).
type cell struct {
	text    string
	numeric bool
}

func (s *Schema[T]) parse(grid []line, csv bool, check func([]T) []Problem) ([]T, error) {
	var errs Errors
	if len(grid) == 0 {
		return nil, Errors{{Row: 1, Reason: "the file is empty: want a header row of " + strings.Join(s.Headers(), ", ")}}
	}
	// Map the header row to the schema's columns.
	hr := grid[0].n                          // the header row
	colOf := make([]int, len(grid[0].cells)) // file column → schema column, or -1
	seen := map[int]int{}                    // schema column → file column (1-based)
	for j, h := range grid[0].cells {
		colOf[j] = -1
		name := cleanHeader(h.text)
		if name == "" {
			continue
		}
		k := slices.IndexFunc(s.Columns, func(c Column[T]) bool { return c.Header == name })
		switch {
		case k < 0:
			errs = append(errs, CellError{Row: hr, Column: j + 1, Value: h.text,
				Reason: fmt.Sprintf("unknown column %q (the columns are %s)", name, strings.Join(s.Headers(), ", "))})
		case seen[k] > 0:
			errs = append(errs, CellError{Row: hr, Column: j + 1, Header: name, Reason: fmt.Sprintf("column %q appears twice (also column %d)", name, seen[k])})
		default:
			colOf[j] = k
			seen[k] = j + 1
		}
	}
	for k, c := range s.Columns {
		if c.required && seen[k] == 0 {
			errs = append(errs, CellError{Row: hr, Header: c.Header, Reason: fmt.Sprintf("required column %q is missing", c.Header)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []T
	var lines []int
	var bad []bool // rows with a cell problem: not handed to check
	uniq := make([]map[string]int, len(s.Columns))
	for _, ln := range grid[1:] {
		rowNo, line := ln.n, ln.cells
		if blankRow(line) {
			continue
		}
		if len(rows) == MaxRows {
			return nil, Errors{{Row: rowNo, Reason: fmt.Sprintf("more than %d rows", MaxRows)}}
		}
		var rec T
		before := len(errs)
		for j, cl := range line {
			v := cleanCell(cl.text)
			if j >= len(colOf) || colOf[j] < 0 {
				if v != "" {
					errs = append(errs, CellError{Row: rowNo, Column: j + 1, Value: v, Reason: "a value under no known header"})
				}
				continue
			}
		}
		for k, c := range s.Columns {
			j := seen[k] - 1
			if j < 0 {
				continue
			}
			var cl cell
			if j < len(line) {
				cl = line[j]
			}
			v := cleanCell(cl.text)
			if c.kind == kindText && csv {
				v = unescapeFormula(v)
			}
			if v == "" && c.required {
				errs = append(errs, CellError{Row: rowNo, Column: j + 1, Header: c.Header, Reason: "required, but empty"})
				continue
			}
			var err error
			if c.kind == kindDate && cl.numeric && v != "" {
				var d time.Time
				if d, err = excelSerial(v); err == nil {
					err = c.set(&rec, d.Format(time.DateOnly))
				}
			} else {
				err = c.set(&rec, v)
			}
			if err != nil {
				errs = append(errs, CellError{Row: rowNo, Column: j + 1, Header: c.Header, Value: v, Reason: err.Error()})
				continue
			}
			if c.unique && v != "" {
				if uniq[k] == nil {
					uniq[k] = map[string]int{}
				}
				if prev, dup := uniq[k][v]; dup {
					errs = append(errs, CellError{Row: rowNo, Column: j + 1, Header: c.Header, Value: v, Reason: fmt.Sprintf("%q repeats row %d", v, prev)})
				} else {
					uniq[k][v] = rowNo
				}
			}
		}
		rows = append(rows, rec)
		lines = append(lines, rowNo)
		bad = append(bad, len(errs) > before)
	}
	if check != nil {
		// The rows that parsed are checked even when others did not, so
		// one pass reports every problem; the check sees only those.
		var good []T
		var goodLines []int
		for i := range rows {
			if !bad[i] {
				good = append(good, rows[i])
				goodLines = append(goodLines, lines[i])
			}
		}
		for _, p := range check(good) {
			e := CellError{Row: 0, Reason: p.Reason, Header: p.Header}
			if p.Index >= 0 && p.Index < len(goodLines) {
				e.Row = goodLines[p.Index]
			}
			if p.Header != "" {
				if k := slices.IndexFunc(s.Columns, func(c Column[T]) bool { return c.Header == p.Header }); k >= 0 {
					e.Column = seen[k]
				}
			}
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b CellError) int {
			if a.Row != b.Row {
				return a.Row - b.Row
			}
			return a.Column - b.Column
		})
		return nil, errs
	}
	return rows, nil
}

func blankRow(line []cell) bool {
	for _, c := range line {
		if cleanCell(c.text) != "" {
			return false
		}
	}
	return true
}

// cleanCell trims ASCII and ideographic spaces around a cell.
func cleanCell(v string) string { return strings.Trim(v, " \t\r\n\u3000\u00a0") }

// cleanHeader also drops a trailing "*" (how some templates mark required
// columns) and a byte-order mark.
func cleanHeader(v string) string {
	v = strings.TrimPrefix(v, "\ufeff")
	return strings.TrimSuffix(strings.TrimSuffix(cleanCell(v), "*"), "＊")
}

// formulaStart reports whether a spreadsheet would take a text cell
// starting so for a formula (CSV injection).
func formulaStart(v string) bool {
	return v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0]))
}

func escapeFormula(v string) string {
	if formulaStart(v) || (strings.HasPrefix(v, "'") && formulaStart(v[1:])) {
		return "'" + v
	}
	return v
}

func unescapeFormula(v string) string {
	if strings.HasPrefix(v, "'") && (formulaStart(v[1:]) || strings.HasPrefix(v[1:], "'")) {
		return v[1:]
	}
	return v
}

func parseInt(v string) (int, error) {
	s := strings.ReplaceAll(v, ",", "")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt32 || n < math.MinInt32 {
			return 0, fmt.Errorf("%s is out of range", v)
		}
		return int(n), nil
	}
	// Excel may hand back 12 as "12.0" or "1.2E+1".
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	return int(x), nil
}

// ParseDate reads a calendar day: 2026-01-02, 2026/1/2, 2026.1.2 or
// 2026年1月2日 (a time of day after it is ignored); "" is the zero time.
func ParseDate(v string) (time.Time, error) {
	v = cleanCell(v)
	if v == "" {
		return time.Time{}, nil
	}
	s := v
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	s = strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(s)
	parts := strings.Split(s, "-")
	if len(parts) == 3 {
		y, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		d, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil && y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31 {
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if t.Day() == d {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want 2026-01-02)", v)
}

// excelSerial reads an Excel date serial number (days since 1899-12-30).
func excelSerial(v string) (time.Time, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 1 || x > 2958465 {
		return time.Time{}, fmt.Errorf("%q is not a date", v)
	}
	d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(x)))
	return d, nil
}

// Write writes rows with the schema's headers in format f.
func (s *Schema[T]) Write(w io.Writer, f Format, rows []T) error {
	switch f {
	case CSV:
		return s.writeCSV(w, rows)
	case XLSX:
		return s.writeXLSX(w, rows)
	}
	return errors.New("tabular: format " + string(f) + " unknown")
}

// formatCell is the text of a value in a CSV file.
func formatCell(v any) string {
	switch x := v.(type) {
	case string:
		return escapeFormula(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Format(time.DateOnly)
	}
	return fmt.Sprint(v)
}
