package server

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestWhoami checks GET /api/v1/whoami names the token's holder and role
// and what it may do, for every role, and refuses anonymous and bad tokens.
func TestWhoami(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	for _, tc := range []struct {
		role                string
		personal, incidents bool
	}{
		{RoleViewer, false, false},
		{RoleDispatcher, true, true},
		{RolePlanner, true, false},
		{RoleAdmin, true, true},
	} {
		w := do(t, env.s, "GET", "/api/v1/whoami", "", "", env.auth(tc.role)...)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", tc.role, w.Code, w.Body)
		}
		var got struct {
			TokenID   string `json:"token_id"`
			Name      string `json:"name"`
			Role      string `json:"role"`
			Personal  bool   `json:"personal"`
			Incidents bool   `json:"incidents"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Role != tc.role || got.Name != tc.role+"-test" || got.TokenID == "" || got.Personal != tc.personal || got.Incidents != tc.incidents {
			t.Errorf("%s: got %+v", tc.role, got)
		}
	}
	if w := do(t, env.s, "GET", "/api/v1/whoami", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous: HTTP %d, want 401", w.Code)
	}
	if w := do(t, env.s, "GET", "/api/v1/whoami", "", "", "Authorization", "Bearer gm_nope"); w.Code != http.StatusUnauthorized {
		t.Errorf("bad token: HTTP %d, want 401", w.Code)
	}
}
