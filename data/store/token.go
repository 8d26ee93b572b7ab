package store

import (
	"context"
	"time"
)

// TokenStore keeps API tokens; only hashes of their secrets.
type TokenStore interface {
	// CreateToken stores a token and audits its creation (without the hash).
	CreateToken(ctx context.Context, t Token) error
	// RevokeToken revokes the token with the id or name (every valid token
	// of that name) and audits it; ErrNotFound when no valid token matches.
	RevokeToken(ctx context.Context, idOrName, actor string) (int, error)
	// TokenByHash returns the token whose secret hashes to hash, revoked or
	// not; ErrNotFound when none does.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// Tokens lists every token, oldest first.
	Tokens(ctx context.Context) ([]Token, error)
}

// Token is an API token as stored: its public id, name and role, and the
// hash of its secret (never the secret itself).
type Token struct {
	ID        string
	Name      string
	Role      string
	Hash      string // hex SHA-256 of the whole bearer token
	CreatedAt time.Time
	CreatedBy string
	RevokedAt time.Time // zero while valid
}
