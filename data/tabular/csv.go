package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// utf8BOM starts the CSV files Write makes, so that Excel opens them as
// UTF-8.
const utf8BOM = "\ufeff"

// readCSV reads a CSV file in UTF-8 (with or without a byte-order mark)
// or, when it is not valid UTF-8, in GB18030 (what Excel saves as "CSV"
// on a Chinese Windows).
func readCSV(raw []byte) ([]line, error) {
	raw = bytes.TrimPrefix(raw, []byte(utf8BOM))
	if !utf8.Valid(raw) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
		if err != nil || !utf8.Valid(dec) {
			return nil, Errors{{Row: 1, Reason: "the file is neither UTF-8 nor GB18030 text"}}
		}
		raw = dec
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var out []line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, Errors{{Row: pe.StartLine, Column: fieldAt(raw, pe), Reason: "malformed CSV: " + pe.Err.Error()}}
			}
			return nil, fmt.Errorf("tabular: csv: %w", err)
		}
		n, _ := cr.FieldPos(0)
		cells := make([]cell, len(rec))
		for i, v := range rec {
			cells[i] = cell{text: v}
		}
		out = append(out, line{n: n, cells: cells})
		if len(out) > MaxRows+1 {
			return nil, Errors{{Row: len(out), Reason: fmt.Sprintf("more than %d rows", MaxRows)}}
		}
	}
	return out, nil
}

// fieldAt turns a CSV parse error's byte position into the 1-based field
// it falls in, when the record is on one line; 0 otherwise.
func fieldAt(raw []byte, pe *csv.ParseError) int {
	if pe.Line != pe.StartLine {
		return 0
	}
	lines := bytes.Split(raw, []byte("\n"))
	if pe.Line < 1 || pe.Line > len(lines) {
		return 0
	}
	ln := lines[pe.Line-1]
	field, quoted := 1, false
	for i := 0; i < len(ln) && i < pe.Column-1; i++ {
		switch ln[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				field++
			}
		}
	}
	return field
}

func (s *Schema[T]) writeCSV(w io.Writer, rows []T) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(utf8BOM)
	cw := csv.NewWriter(bw)
	rec := s.Headers()
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := range rows {
		for k, c := range s.Columns {
			rec[k] = formatCell(c.get(&rows[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
