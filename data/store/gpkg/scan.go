package gpkg

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The scanners below let Load read columns without database/sql's
// reflection path and treat NULL as the zero value, so that a file edited
// in a GIS (which may write NULLs) still loads.

// timeFormat is the GeoPackage DATETIME form (ISO 8601, UTC, milliseconds).
const timeFormat = "2006-01-02T15:04:05.000Z"

// formatTime renders t for a DATETIME column; the zero time is NULL.
// Precision below a millisecond is dropped.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeFormat)
}

type nullString struct{ s string }

func (n *nullString) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.s = ""
	case string:
		n.s = v
	case []byte:
		n.s = string(v)
	case int64:
		n.s = strconv.FormatInt(v, 10)
	case float64:
		n.s = strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Errorf("store: cannot read %T as text", v)
	}
	return nil
}

type nullInt struct{ i int64 }

func (n *nullInt) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.i = 0
	case int64:
		n.i = v
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return fmt.Errorf("store: %v is not an integer", v)
		}
		n.i = int64(v)
	case bool:
		n.i = 0
		if v {
			n.i = 1
		}
	case string:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("store: %q is not an integer", v)
		}
		n.i = i
	default:
		return fmt.Errorf("store: cannot read %T as an integer", v)
	}
	return nil
}

type nullFloat struct{ f float64 }

func (n *nullFloat) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.f = 0
	case float64:
		n.f = v
	case int64:
		n.f = float64(v)
	default:
		return fmt.Errorf("store: cannot read %T as a number", v)
	}
	return nil
}

type nullTime struct{ t time.Time }

func (n *nullTime) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case nil:
		n.t = time.Time{}
		return nil
	case time.Time:
		n.t = v.UTC()
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("store: cannot read %T as a time", v)
	}
	if s == "" {
		n.t = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad time %q: %w", s, err)
	}
	n.t = t.UTC()
	return nil
}

// blob holds a BLOB column; the bytes are only valid until the next Scan.
type blob struct{ b []byte }

func (n *blob) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.b = nil
	case []byte:
		n.b = v
	default:
		return fmt.Errorf("store: cannot read %T as a geometry blob", v)
	}
	return nil
}

// jsonList encodes a list as JSON text; a nil list is NULL.
func jsonList[T any](l []T) (any, error) {
	if l == nil {
		return nil, nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// parseJSONList decodes JSON text written by jsonList; NULL or "" is nil.
func parseJSONList[T any](s nullString, what string) ([]T, error) {
	if s.s == "" || s.s == "null" {
		return nil, nil
	}
	var l []T
	if err := json.Unmarshal([]byte(s.s), &l); err != nil {
		return nil, fmt.Errorf("store: bad %s JSON: %w", what, err)
	}
	if l == nil {
		l = []T{}
	}
	return l, nil
}
