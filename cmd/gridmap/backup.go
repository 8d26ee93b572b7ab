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
	commands["backup"] = command{"take a consistent online copy of a GeoPackage store while it serves", cmdBackup}
	commands["restore"] = command{"bring a backup back as the store (the server stopped)", cmdRestore}
}

func cmdBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "backup --data city.gpkg --out backup.gpkg [--force]", stderr)
	path := fs.String("data", "", "the store (default $GRIDMAP_DATA or city.gpkg)")
	out := fs.String("out", "", "the backup file to write")
	force := fs.Bool("force", false, "replace an existing backup file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return failf(2, "want --out")
	}
	target := backends.Target(*path)
	start := time.Now()
	if err := backends.Backup(ctx, target, *out, *force); err != nil {
		if errors.Is(err, backends.ErrBackupPostgres) {
			return failf(2, "%v", err)
		}
		return failf(1, "%v", err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s in %s (integrity_check ok)\n", backends.Describe(target), *out, time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdRestore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("restore", "restore --from backup.gpkg --data city.gpkg [--force]", stderr)
	from := fs.String("from", "", "the backup file")
	path := fs.String("data", "", "the store to restore into (default $GRIDMAP_DATA or city.gpkg); stop the server first")
	force := fs.Bool("force", false, "replace the existing store")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() != 0 {
		fs.Usage()
		return failf(2, "want --from")
	}
	target := backends.Target(*path)
	if err := backends.Restore(ctx, *from, target, *force); err != nil {
		if errors.Is(err, backends.ErrBackupPostgres) {
			return failf(2, "%v", err)
		}
		return failf(1, "%v (the store is left as it was)", err)
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", backends.Describe(target), *from)
	return nil
}
