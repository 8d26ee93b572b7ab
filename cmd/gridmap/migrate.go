package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gridmap/gridmap/data/store/backends"
)

func init() {
	commands["migrate"] = command{"bring a store's schema up to this build's (safe to run again)", cmdMigrate}
}

func cmdMigrate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate --data postgres://user@host:port/db|city.gpkg", stderr)
	path := dataFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return failf(2, "migrate takes no arguments")
	}
	v, n, err := backends.Migrate(ctx, *path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema at version %d (%d migration(s) applied now)\n", backends.Describe(*path), v, n)
	return nil
}
