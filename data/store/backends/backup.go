package backends

import (
	"context"
	"errors"

	"github.com/gridmap/gridmap/data/store/gpkg"
)

// ErrBackupPostgres is returned by Backup and Restore for a PostgreSQL
// store: its own tools do that (pg_dump, pg_restore, or a base backup
// with WAL archiving; see the README).
var ErrBackupPostgres = errors.New("a PostgreSQL store is backed up with pg_dump (or pg_basebackup) and restored with pg_restore; see the README")

// Backup writes a consistent online copy of the store at target to the
// GeoPackage file out, while the store goes on taking writes.
func Backup(ctx context.Context, target, out string, force bool) error {
	if IsURL(target) {
		return ErrBackupPostgres
	}
	return gpkg.Backup(ctx, target, out, force)
}

// Restore puts the backup file from back as the store at target; the
// store must not be in use.
func Restore(ctx context.Context, from, target string, force bool) error {
	if IsURL(target) || IsURL(from) {
		return ErrBackupPostgres
	}
	return gpkg.Restore(ctx, from, target, force)
}
