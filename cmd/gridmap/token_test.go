package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/server"
)

func TestTokenCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.gpkg")
	st, err := backends.Create(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := gridmap(t, "token", "create", "--data", path, "--role", "dispatcher", "--name", "desk-1")
	secret := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(secret, "gm_") || !strings.Contains(errOut, "shown once") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	st, _ = backends.Create(context.Background(), path)
	tok, err := st.TokenByHash(context.Background(), server.HashToken(secret))
	st.Close()
	if err != nil || tok.Role != "dispatcher" || tok.Name != "desk-1" || strings.Contains(tok.Hash, secret) {
		t.Fatalf("stored %+v %v", tok, err)
	}
	if code, out, _ := gridmap(t, "token", "list", "--data", path); code != 0 || !strings.Contains(out, tok.ID) || strings.Contains(out, secret) {
		t.Errorf("list: %d %s", code, out)
	}
	if code, _, _ := gridmap(t, "token", "create", "--data", path, "--role", "god", "--name", "x"); code != 2 {
		t.Errorf("bad role: exit %d", code)
	}
	if code, _, _ := gridmap(t, "token", "create", "--data", filepath.Join(t.TempDir(), "none.gpkg"), "--role", "viewer", "--name", "x"); code != 2 {
		t.Errorf("missing store: exit %d", code)
	}
	if code, out, _ := gridmap(t, "token", "revoke", "--data", path, "desk-1"); code != 0 || !strings.Contains(out, "revoked 1") {
		t.Errorf("revoke: %d %s", code, out)
	}
	if code, _, _ := gridmap(t, "token", "revoke", "--data", path, "desk-1"); code != 1 {
		t.Errorf("second revoke: exit %d", code)
	}
	if code, _, _ := gridmap(t, "token", "frob"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}
