// Package backends opens a store of record from where it lives: a path to
// a GeoPackage file (the embedded default) or a postgres:// URL. It is the
// one place that knows which backends exist, so that commands and servers
// take any store through the interfaces of data/store.
package backends

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/gpkg"
	"github.com/gridmap/gridmap/data/store/postgis"
	"github.com/gridmap/gridmap/data/store/tables"
	"github.com/paulmach/orb"
)

// EnvData is the environment variable that names the store when a command
// is given no --data.
const EnvData = "GRIDMAP_DATA"

// DefaultTarget is the store a command uses without --data or $GRIDMAP_DATA.
const DefaultTarget = "city.gpkg"

// Target returns the store a command should use when given flag (empty
// when the flag was not set): the flag, else $GRIDMAP_DATA, else
// city.gpkg.
func Target(flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv(EnvData); v != "" {
		return v
	}
	return DefaultTarget
}

// ErrNoStore is returned by Open when there is no store at the target.
var ErrNoStore = errors.New("no store")

// ErrSchema is returned by Open for a database whose schema is missing or
// not this build's: `gridmap migrate` brings it up to date.
var ErrSchema = postgis.ErrSchema

// ErrExists is returned by Fresh when the target already holds a store.
var ErrExists = errors.New("a store exists there")

// Option configures a store being opened.
type Option func(*options)

type options struct {
	log *slog.Logger
}

// WithLogger sets the store's logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

func collect(opts []Option) options {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// IsURL reports whether target names a database rather than a file.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Describe returns target fit for a log line or a message: a URL without
// its password.
func Describe(target string) string {
	if !IsURL(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// Open opens the existing store at target; ErrNoStore when there is none
// (no such file).
func Open(ctx context.Context, target string, opts ...Option) (store.Store, error) {
	o := collect(opts)
	if IsURL(target) {
		st, err := postgis.Open(ctx, target, postgis.WithLogger(o.log))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", Describe(target), err)
		}
		return st, nil
	}
	if _, err := os.Stat(target); err != nil {
		return nil, fmt.Errorf("%s: %w", target, ErrNoStore)
	}
	return gpkg.Open(target, gpkg.WithLogger(o.log))
}

// Create opens the store at target, creating an empty one (a new file)
// when there is none, or bringing the database's schema up to date.
func Create(ctx context.Context, target string, opts ...Option) (store.Store, error) {
	o := collect(opts)
	if IsURL(target) {
		if _, err := postgis.Migrate(ctx, target); err != nil {
			return nil, err
		}
		return postgis.Open(ctx, target, postgis.WithLogger(o.log))
	}
	return gpkg.Open(target, gpkg.WithLogger(o.log))
}

// Pending is a new store being filled by a command (generate, copy, plan
// export). Commit publishes it; Abort throws it away. A file is written
// under a temporary name beside its target and takes the name at Commit,
// so an interrupted run never leaves a half-written city under it.
type Pending struct {
	store.Store
	commit func() error
	abort  func()
}

// Commit closes the store and publishes it under its target.
func (p *Pending) Commit() error { return p.commit() }

// Abort closes the store and removes what was written.
func (p *Pending) Abort() { p.abort() }

// Fresh starts a new, empty store at target. A target that holds a store
// already fails with ErrExists unless overwrite is set, in which case the
// old store is replaced at Commit.
func Fresh(ctx context.Context, target string, overwrite bool, opts ...Option) (*Pending, error) {
	o := collect(opts)
	if IsURL(target) {
		return freshDatabase(ctx, target, overwrite, o)
	}
	if _, err := os.Stat(target); err == nil && !overwrite {
		return nil, fmt.Errorf("%s: %w", target, ErrExists)
	}
	tmp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".tmp")
	removeFile := func(p string) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(p + suffix)
		}
	}
	removeFile(tmp)
	st, err := gpkg.Open(tmp, gpkg.WithLogger(o.log))
	if err != nil {
		return nil, err
	}
	return &Pending{
		Store: st,
		commit: func() error {
			if err := st.Close(); err != nil {
				removeFile(tmp)
				return err
			}
			if err := os.Rename(tmp, target); err != nil {
				removeFile(tmp)
				return err
			}
			for _, suffix := range []string{"-wal", "-shm"} {
				os.Remove(target + suffix)
			}
			return nil
		},
		abort: func() { st.Close(); removeFile(tmp) },
	}, nil
}

// freshDatabase migrates the database and checks that it holds no city
// (or, with overwrite, empties it: every table of the schema, in one
// transaction). A database is filled in place: Commit closes it, Abort
// leaves what was written (run again with --force).
func freshDatabase(ctx context.Context, target string, overwrite bool, o options) (*Pending, error) {
	if _, err := postgis.Migrate(ctx, target); err != nil {
		return nil, err
	}
	st, err := postgis.Open(ctx, target, postgis.WithLogger(o.log))
	if err != nil {
		return nil, err
	}
	empty, err := st.Empty(ctx)
	if err == nil && !empty {
		if !overwrite {
			st.Close()
			return nil, fmt.Errorf("%s: %w", Describe(target), ErrExists)
		}
		err = st.Truncate(ctx)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Pending{Store: st, commit: st.Close, abort: func() { st.Close() }}, nil
}

// Migrate brings the schema of the store at target up to this build's
// and returns the version it is at and how many migrations it applied;
// running it again applies none. A GeoPackage migrates itself when it is
// opened, so for a file this opens (or creates) it.
func Migrate(ctx context.Context, target string) (version, applied int, err error) {
	if IsURL(target) {
		n, err := postgis.Migrate(ctx, target)
		if err != nil {
			return 0, n, err
		}
		return tables.Latest(), n, nil
	}
	g, err := gpkg.Open(target)
	if err != nil {
		return 0, 0, err
	}
	defer g.Close()
	v, err := g.SchemaVersion(ctx)
	return v, g.Migrated(), err
}

// Copy copies the store at from into a new store at to (which must hold
// none, unless overwrite): every table, keys, sequences, history and audit
// trail included, in one transaction on each side. It returns the rows
// copied.
func Copy(ctx context.Context, from, to string, overwrite bool, opts ...Option) (int, error) {
	if from == to {
		return 0, errors.New("copy: --from and --to are the same store")
	}
	src, err := Open(ctx, from, opts...)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := Fresh(ctx, to, overwrite, opts...)
	if err != nil {
		return 0, err
	}
	rows := 0
	err = src.Dump(ctx, func(d tables.Dump) error {
		return dst.Restore(ctx, counting{d, &rows})
	})
	if err != nil {
		dst.Abort()
		return 0, err
	}
	return rows, dst.Commit()
}

type counting struct {
	tables.Dump
	n *int
}

func (c counting) Rows(ctx context.Context, t tables.Table) (int, func() ([]any, orb.Geometry, error), func(), error) {
	n, next, done, err := c.Dump.Rows(ctx, t)
	*c.n += n
	return n, next, done, err
}
