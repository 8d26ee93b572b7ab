package tables

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// Dump reads the tables of one consistent state of a store, for `gridmap
// copy`: a backend's Dump hands one to the target's Restore.
type Dump interface {
	// Rows returns how many rows t holds and an iterator over them in key
	// order. Each call of next gives one row: its values (the key, then
	// t.Columns in order, as Canonical values) and its geometry (nil for
	// attribute tables and NULL geometries). done releases the rows.
	Rows(ctx context.Context, t Table) (n int, next func() ([]any, orb.Geometry, error), done func(), err error)
}

// Canonical turns a value read from either backend into the one Go form
// of its column type: string (Text, JSON), int64 (Integer and keys),
// float64 (Real), bool (Boolean), time.Time in UTC (DateTime), or nil for
// NULL. Values that a GIS may have written in a looser form (an integer
// as a float, a boolean as 0/1, a time as text) are read as their type.
func Canonical(t Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch t {
	case Text, JSON:
		switch v := v.(type) {
		case string:
			return v, nil
		case int64:
			return strconv.FormatInt(v, 10), nil
		case float64:
			return strconv.FormatFloat(v, 'g', -1, 64), nil
		}
	case Integer:
		var n Int
		if err := n.Scan(v); err == nil {
			return n.I, nil
		}
		if i, ok := v.(int32); ok {
			return int64(i), nil
		}
	case Real:
		switch v := v.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(v), nil
		case float32:
			return float64(v), nil
		}
	case Boolean:
		switch v := v.(type) {
		case bool:
			return v, nil
		case int64:
			return v != 0, nil
		case float64:
			return v != 0 && !math.IsNaN(v), nil
		}
	case DateTime:
		var tm Time
		if err := tm.Scan(v); err == nil {
			if tm.T.IsZero() {
				return nil, nil
			}
			return tm.T.UTC(), nil
		}
	}
	return nil, fmt.Errorf("store: cannot read %T %v as %s", v, v, typeName(t))
}

func typeName(t Type) string {
	return [...]string{"text", "integer", "real", "boolean", "datetime", "json"}[t]
}

// KeyAndColumns returns the names of t's key and columns, in Dump order.
func (t Table) KeyAndColumns() []string {
	out := []string{t.Key}
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}

// ColumnType returns the type of the i-th value of a Dump row of t (0 is
// the key).
func (t Table) ColumnType(i int) Type {
	if i == 0 {
		return Integer
	}
	return t.Columns[i-1].Type
}
