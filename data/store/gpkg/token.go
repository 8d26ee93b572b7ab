package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// CreateToken stores a token and audits its creation (without the hash).
func (g *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || t.Name == "" || t.Role == "" || len(t.Hash) < 32 {
		return errors.New("store: token needs an id, a name, a role and a hash")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = g.now()
	}
	if t.CreatedBy == "" {
		t.CreatedBy = "cli"
	}
	return g.published(g.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, name, role, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.Role, t.Hash, tables.FormatTime(t.CreatedAt), t.CreatedBy); err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		detail, _ := json.Marshal(map[string]string{"id": t.ID, "name": t.Name, "role": t.Role})
		return g.appendAudit(ctx, tx, data.AuditEntry{At: t.CreatedAt, Actor: t.CreatedBy, Action: "token.create", Target: t.ID, Detail: string(detail)})
	}), store.ChangeTokens)
}

// RevokeToken revokes the token with the id or name (every valid token of
// that name) and audits it; ErrNotFound when no valid token matches.
func (g *Store) RevokeToken(ctx context.Context, idOrName, actor string) (int, error) {
	var n int64
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		at := g.now()
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ?1 WHERE revoked_at IS NULL AND (id = ?2 OR name = ?2)`,
			tables.FormatTime(at), idOrName)
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("token %q: %w", idOrName, store.ErrNotFound)
		}
		detail, _ := json.Marshal(map[string]any{"revoked": n})
		return g.appendAudit(ctx, tx, data.AuditEntry{At: at, Actor: actor, Action: "token.revoke", Target: idOrName, Detail: string(detail)})
	})
	return int(n), g.published(err, store.ChangeTokens)
}

const tokenCols = store.TokenColumns

var scanToken = store.ScanToken

// TokenByHash returns the token whose secret hashes to hash, revoked or
// not; ErrNotFound when none does.
func (g *Store) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := scanToken(g.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("store: token: %w", err)
	}
	return t, nil
}

// Tokens lists every token, oldest first.
func (g *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := g.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY fid`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
