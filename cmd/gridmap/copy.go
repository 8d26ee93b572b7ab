package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gridmap/gridmap/data/store/backends"
)

func init() {
	commands["copy"] = command{"copy a whole store to another (GeoPackage ⇄ PostGIS), history and audit trail included", cmdCopy}
}

func cmdCopy(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("copy", "copy --from city.gpkg|postgres://… --to postgres://…|copy.gpkg [--force]", stderr)
	from := fs.String("from", "", "the store to copy: a GeoPackage file or a postgres:// URL")
	to := fs.String("to", "", "the new store: a GeoPackage file or a postgres:// URL (migrated first)")
	force := fs.Bool("force", false, "replace what the target holds")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() != 0 {
		fs.Usage()
		return failf(2, "want --from and --to")
	}
	start := time.Now()
	n, err := backends.Copy(ctx, *from, *to, *force)
	switch {
	case errors.Is(err, backends.ErrExists):
		return failf(2, "%s holds a store already (use --force to replace it)", backends.Describe(*to))
	case errors.Is(err, backends.ErrNoStore):
		return failf(2, "no store at %s", backends.Describe(*from))
	case err != nil:
		return fmt.Errorf("copy: %w (the target is left as it was)", err)
	}
	fmt.Fprintf(stdout, "copied %s to %s: %d rows in %s\n", backends.Describe(*from), backends.Describe(*to), n, time.Since(start).Round(time.Millisecond))
	return nil
}
