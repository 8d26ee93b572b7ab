package gpkg

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// The GeoPackage R-tree triggers call ST_IsEmpty and ST_MinX … ST_MaxY.
// modernc.org/sqlite registers functions on the driver, so they exist on
// every connection opened after registration.
var (
	registerOnce sync.Once
	registerErr  error
)

func registerFuncs() error {
	registerOnce.Do(func() {
		env := func(pick func(envelope) float64) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
			return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
				b, ok, err := blobArg(args)
				if !ok || err != nil {
					return nil, err
				}
				e, empty, err := geomEnvelope(b)
				if err != nil {
					return nil, err
				}
				if empty {
					return nil, nil
				}
				return pick(e), nil
			}
		}
		funcs := []struct {
			name string
			fn   func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error)
		}{
			{"ST_MinX", env(func(e envelope) float64 { return e.minX })},
			{"ST_MaxX", env(func(e envelope) float64 { return e.maxX })},
			{"ST_MinY", env(func(e envelope) float64 { return e.minY })},
			{"ST_MaxY", env(func(e envelope) float64 { return e.maxY })},
			{"ST_IsEmpty", func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
				b, ok, err := blobArg(args)
				if !ok || err != nil {
					return nil, err
				}
				_, empty, err := geomEnvelope(b)
				if err != nil {
					return nil, err
				}
				if empty {
					return int64(1), nil
				}
				return int64(0), nil
			}},
		}
		for _, f := range funcs {
			err := sqlite.RegisterDeterministicScalarFunction(f.name, 1, f.fn)
			// Another package of the process may have registered the same
			// standard function already; that one serves the triggers too.
			if err != nil && !strings.Contains(err.Error(), "already registered") {
				registerErr = fmt.Errorf("store: register %s: %w", f.name, err)
				return
			}
		}
	})
	return registerErr
}

// blobArg returns the single geometry argument; ok is false for NULL.
func blobArg(args []driver.Value) ([]byte, bool, error) {
	if len(args) != 1 {
		return nil, false, fmt.Errorf("store: want 1 argument, got %d", len(args))
	}
	switch v := args[0].(type) {
	case nil:
		return nil, false, nil
	case []byte:
		return v, true, nil
	default:
		return nil, false, fmt.Errorf("store: geometry argument is %T, want a blob", v)
	}
}
