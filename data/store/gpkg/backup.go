package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the GeoPackage at src to dst while
// other processes (a running server) go on writing to it. It uses SQLite's
// VACUUM INTO inside one read transaction, so the copy holds exactly what
// was committed when the backup began — every acknowledged write — and
// nothing half-written; writers are not blocked meanwhile (WAL). The copy
// is written beside dst, checked with integrity_check, synced and only
// then renamed into place, so dst is never a partial file. An existing dst
// is refused unless force.
func Backup(ctx context.Context, src, dst string, force bool) error {
	if err := checkPaths(src, dst); err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(dst); err == nil && !force {
		return fmt.Errorf("backup: %s exists (use --force to replace it)", dst)
	}
	tmp := dst + ".partial"
	os.Remove(tmp)
	db, err := sql.Open("sqlite", "file:"+uriPath(src)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if err := isGeoPackage(ctx, db); err != nil {
		return fmt.Errorf("backup: %s: %w", src, err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: copy %s: %w", src, err)
	}
	if err := finishCopy(ctx, tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Restore brings a backup back: it checks that src is a sound gridmap
// GeoPackage (integrity_check, the layer tables), copies it beside dst,
// syncs it and renames it over dst, removing dst's stale -wal and -shm.
// The server must be stopped: a process holding dst open would go on
// writing to the file it had. An existing dst is refused unless force.
func Restore(ctx context.Context, src, dst string, force bool) error {
	if err := checkPaths(src, dst); err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil && !force {
		return fmt.Errorf("restore: %s exists (stop the server, then use --force to replace it)", dst)
	}
	db, err := sql.Open("sqlite", "file:"+uriPath(src)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("restore: open %s: %w", src, err)
	}
	err = isGeoPackage(ctx, db)
	if err == nil {
		err = integrity(ctx, db)
	}
	db.Close()
	if err != nil {
		return fmt.Errorf("restore: %s is no sound gridmap backup: %w", src, err)
	}
	tmp := dst + ".partial"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + side); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := finishCopy(ctx, tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

func checkPaths(src, dst string) error {
	if src == "" || dst == "" || strings.ContainsAny(src+dst, "?#") {
		return fmt.Errorf("invalid paths %q, %q", src, dst)
	}
	a, _ := filepath.Abs(src)
	b, _ := filepath.Abs(dst)
	if a == b {
		return errors.New("the backup and the store are the same file")
	}
	return nil
}

// isGeoPackage checks that db is a GeoPackage with gridmap's layers.
func isGeoPackage(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('gpkg_contents', 'grids', 'incidents')`).Scan(&n)
	if err != nil {
		return err
	}
	if n != 3 {
		return errors.New("not a gridmap GeoPackage (no gpkg_contents, grids and incidents tables)")
	}
	return nil
}

func integrity(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			bad = append(bad, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("integrity_check: %s", strings.Join(bad, "; "))
	}
	return nil
}

// finishCopy checks the copy at tmp, syncs it and renames it to dst.
func finishCopy(ctx context.Context, tmp, dst string) error {
	db, err := sql.Open("sqlite", "file:"+uriPath(tmp)+"?mode=ro")
	if err != nil {
		return err
	}
	err = integrity(ctx, db)
	db.Close()
	if err != nil {
		return fmt.Errorf("the copy fails: %w", err)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// uriPath escapes a file path for an SQLite file: URI.
func uriPath(p string) string { return strings.ReplaceAll(p, "%", "%25") }
