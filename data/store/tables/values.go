package tables

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The scanners below let the backends read columns without database/sql's
// reflection path and treat NULL as the zero value, so that a file edited
// in a GIS (which may write NULLs) still loads.

// TimeFormat is the GeoPackage DATETIME form (ISO 8601, UTC, milliseconds).
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t for a DATETIME column; the zero time is NULL.
// Precision below a millisecond is dropped.
func FormatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(TimeFormat)
}

// String reads a text column; NULL is "".
type String struct{ S string }

func (n *String) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.S = ""
	case string:
		n.S = v
	case []byte:
		n.S = string(v)
	case int64:
		n.S = strconv.FormatInt(v, 10)
	case float64:
		n.S = strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Errorf("store: cannot read %T as text", v)
	}
	return nil
}

// Int reads an integer column; NULL is 0.
type Int struct{ I int64 }

func (n *Int) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.I = 0
	case int64:
		n.I = v
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return fmt.Errorf("store: %v is not an integer", v)
		}
		n.I = int64(v)
	case bool:
		n.I = 0
		if v {
			n.I = 1
		}
	case string:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("store: %q is not an integer", v)
		}
		n.I = i
	default:
		return fmt.Errorf("store: cannot read %T as an integer", v)
	}
	return nil
}

// Float reads a number column; NULL is 0.
type Float struct{ F float64 }

func (n *Float) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.F = 0
	case float64:
		n.F = v
	case int64:
		n.F = float64(v)
	default:
		return fmt.Errorf("store: cannot read %T as a number", v)
	}
	return nil
}

// Time reads a time column (a time, or DATETIME text); NULL is the zero time.
type Time struct{ T time.Time }

func (n *Time) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case nil:
		n.T = time.Time{}
		return nil
	case time.Time:
		n.T = v.UTC()
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("store: cannot read %T as a time", v)
	}
	if s == "" {
		n.T = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad time %q: %w", s, err)
	}
	n.T = t.UTC()
	return nil
}

// Blob holds a BLOB column; the bytes are only valid until the next Scan.
type Blob struct{ B []byte }

func (n *Blob) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.B = nil
	case []byte:
		n.B = v
	default:
		return fmt.Errorf("store: cannot read %T as a geometry blob", v)
	}
	return nil
}

// JSONList encodes a list as JSON text; a nil list is NULL.
func JSONList[T any](l []T) (any, error) {
	if l == nil {
		return nil, nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// ParseJSONList decodes JSON text written by JSONList; NULL or "" is nil.
func ParseJSONList[T any](s String, what string) ([]T, error) {
	if s.S == "" || s.S == "null" {
		return nil, nil
	}
	var l []T
	if err := json.Unmarshal([]byte(s.S), &l); err != nil {
		return nil, fmt.Errorf("store: bad %s JSON: %w", what, err)
	}
	if l == nil {
		l = []T{}
	}
	return l, nil
}
