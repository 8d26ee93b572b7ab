package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data/store"
)

// Roles of API tokens. A viewer (the wall map) reads, without personal
// data; a dispatcher handles incidents; a planner works on boundaries; an
// organiser (组织部) manages the people who serve the grids and the
// reporting units; an admin manages tokens and rules and may do everything.
const (
	RoleViewer     = "viewer"
	RoleDispatcher = "dispatcher"
	RolePlanner    = "planner"
	RoleOrganiser  = "organiser"
	RoleAdmin      = "admin"
)

// Roles lists every role.
var Roles = []string{RoleViewer, RoleDispatcher, RolePlanner, RoleOrganiser, RoleAdmin}

// Role groups used by the routes.
var (
	anyRole        = Roles
	incidentWriter = []string{RoleDispatcher, RoleAdmin}
	adminOnly      = []string{RoleAdmin}
	personalRoles  = []string{RoleDispatcher, RolePlanner, RoleOrganiser, RoleAdmin}
)

// TokenStore keeps API tokens; only hashes of their secrets.
type TokenStore interface {
	TokenByHash(ctx context.Context, hash string) (store.Token, error)
	CreateToken(ctx context.Context, t store.Token) error
	RevokeToken(ctx context.Context, idOrName, actor string) (int, error)
	Tokens(ctx context.Context) ([]store.Token, error)
}

// Principal is an authenticated caller.
type Principal struct {
	TokenID string
	Name    string
	Role    string
}

// Actor names the principal in the audit trail and incident history.
func (p *Principal) Actor() string { return p.Name + " (" + p.TokenID + ")" }

type principalKey struct{}

// PrincipalFrom returns the caller authenticated for the request, or nil
// for an anonymous one.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// NewToken makes a new bearer token for role and name: the secret to hand
// out once, and the record to store (holding only its SHA-256).
func NewToken(role, name string) (string, store.Token, error) {
	if !slices.Contains(Roles, role) {
		return "", store.Token{}, fmt.Errorf("role %q unknown (want one of %s)", role, strings.Join(Roles, ", "))
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", store.Token{}, errors.New("a token needs a name of 1 to 100 bytes")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", store.Token{}, err
	}
	id := "tk_" + hex.EncodeToString(b[:5])
	secret := "gm_" + id[3:] + "_" + base64.RawURLEncoding.EncodeToString(b[5:])
	return secret, store.Token{ID: id, Name: name, Role: role, Hash: HashToken(secret)}, nil
}

// HashToken is what the store keeps of a token: hex SHA-256. Tokens carry
// 216 random bits, so a fast hash is enough.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

var errBadToken = errors.New("invalid or revoked token")

// tokenCache remembers token lookups for a short while, so that a busy
// client does not cost a store read per request; a revocation takes
// effect within the cache's TTL.
type tokenCache struct {
	mu  sync.Mutex
	m   map[string]tokenEntry
	ttl time.Duration
}

type tokenEntry struct {
	p   *Principal
	err error
	exp time.Time
}

func (s *Server) lookupToken(ctx context.Context, secret string) (*Principal, error) {
	for _, t := range s.cfg.PersonalTokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(secret)) == 1 {
			return &Principal{TokenID: "static", Name: "personal-token", Role: RolePlanner}, nil
		}
	}
	o := s.ops
	if o.tokens == nil {
		return nil, errBadToken
	}
	hash := HashToken(secret)
	now := time.Now()
	c := &o.tokenCache
	c.mu.Lock()
	e, ok := c.m[hash]
	c.mu.Unlock()
	if ok && now.Before(e.exp) {
		return e.p, e.err
	}
	t, err := o.tokens.TokenByHash(ctx, hash)
	if errors.Is(err, store.ErrUnavailable) && ok {
		return e.p, e.err // the store is down: the last verdict stands until it is back
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		e = tokenEntry{err: errBadToken}
	case err != nil:
		return nil, err // not cached: a store hiccup is not a verdict
	case !t.RevokedAt.IsZero():
		e = tokenEntry{err: errBadToken}
	default:
		e = tokenEntry{p: &Principal{TokenID: t.ID, Name: t.Name, Role: t.Role}}
	}
	e.exp = now.Add(c.ttl)
	c.mu.Lock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[hash] = e
	c.mu.Unlock()
	return e.p, e.err
}

// authenticate reads the bearer token of a request: the Authorization
// header, or the access_token query parameter on the event stream (an
// EventSource cannot set headers). No token is an anonymous caller (nil,
// nil); a token that is wrong or revoked is an error.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	secret := ""
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(tok) == "" {
			return nil, errors.New("Authorization header: want Bearer <token>")
		}
		secret = strings.TrimSpace(tok)
	} else if r.URL.Path == "/api/v1/events" {
		secret = r.URL.Query().Get("access_token")
	}
	if secret == "" {
		return nil, nil
	}
	return s.lookupToken(r.Context(), secret)
}

// require checks that the caller holds one of roles, writing 401 for an
// anonymous caller and 403 for a wrong role.
func require(w http.ResponseWriter, r *http.Request, roles []string) (*Principal, bool) {
	p := PrincipalFrom(r.Context())
	if p == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridmap"`)
		writeError(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
		return nil, false
	}
	if !slices.Contains(roles, p.Role) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("role %s may not do this (needs %s)", p.Role, strings.Join(roles, " or ")))
		return nil, false
	}
	return p, true
}

// personal reports whether the caller may see names and phones unmasked:
// dispatchers, planners and admins may; viewers and anonymous callers not.
func (s *Server) personal(r *http.Request) bool { return personalRole(PrincipalFrom(r.Context())) }

// personalRole reports whether p's role sees names and phones unmasked.
func personalRole(p *Principal) bool { return p != nil && slices.Contains(personalRoles, p.Role) }

// rateLimiter is a token bucket per caller (token id, or the address of an
// anonymous caller).
type rateLimiter struct {
	rate  float64 // requests per second
	burst float64
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes one request from key's bucket; when it is empty it says how
// long to wait.
func (l *rateLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) > 100000 {
			clear(l.m)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.m[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// Token administration (admin): list, create (the secret is shown once),
// revoke.
func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, adminOnly); !ok {
		return
	}
	ts, err := s.ops.tokens.Tokens(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(ts))
	for _, t := range ts {
		m := map[string]any{"id": t.ID, "name": t.Name, "role": t.Role, "created_at": t.CreatedAt, "created_by": t.CreatedBy}
		if !t.RevokedAt.IsZero() {
			m["revoked_at"] = t.RevokedAt
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, adminOnly)
	if !ok {
		return
	}
	var in struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	secret, t, err := NewToken(in.Role, in.Name)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	t.CreatedBy = p.Actor()
	if err := s.ops.tokens.CreateToken(r.Context(), t); err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "name": t.Name, "role": t.Role, "token": secret,
		"note": "the token is shown once; only its hash is stored"})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, adminOnly)
	if !ok {
		return
	}
	id := mux.Vars(r)["id"]
	n, err := s.ops.tokens.RevokeToken(r.Context(), id, p.Actor())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no valid token "+id)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.ops.tokenCache.mu.Lock()
	clear(s.ops.tokenCache.m)
	s.ops.tokenCache.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
}
