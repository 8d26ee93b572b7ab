package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
)

// CreateToken stores a token and audits its creation (without the hash).
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || t.Name == "" || t.Role == "" || len(t.Hash) < 32 {
		return errors.New("store: token needs an id, a name, a role and a hash")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	if t.CreatedBy == "" {
		t.CreatedBy = "cli"
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, name, role, hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.Name, t.Role, t.Hash, ms(t.CreatedAt), t.CreatedBy); err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		if err := notify(ctx, tx, store.ChangeTokens, 0); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"id": t.ID, "name": t.Name, "role": t.Role})
		return s.appendAudit(ctx, tx, data.AuditEntry{At: t.CreatedAt, Actor: t.CreatedBy, Action: "token.create", Target: t.ID, Detail: string(detail)})
	})
}

// RevokeToken revokes the token with the id or name (every valid token of
// that name) and audits it; ErrNotFound when no valid token matches.
func (s *Store) RevokeToken(ctx context.Context, idOrName, actor string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		at := s.now()
		tag, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND (id = $2 OR name = $2)`, ms(at), idOrName)
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if n = tag.RowsAffected(); n == 0 {
			return fmt.Errorf("token %q: %w", idOrName, store.ErrNotFound)
		}
		if err := notify(ctx, tx, store.ChangeTokens, 0); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"revoked": n})
		return s.appendAudit(ctx, tx, data.AuditEntry{At: at, Actor: actor, Action: "token.revoke", Target: idOrName, Detail: string(detail)})
	})
	return int(n), err
}

const tokenCols = store.TokenColumns

var scanToken = store.ScanToken

// TokenByHash returns the token whose secret hashes to hash, revoked or
// not; ErrNotFound when none does.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, wrapErr(fmt.Errorf("store: token: %w", err))
	}
	return t, nil
}

// Tokens lists every token, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY fid`)
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: tokens: %w", err))
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
	return out, wrapErr(rows.Err())
}
