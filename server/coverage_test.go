package server

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCoverageEndpoints(t *testing.T) {
	s := testServer(t, Config{})
	for _, tc := range []struct {
		method, url, body string
		code              int
	}{
		{"GET", "/api/v1/coverage", "", 200},
		{"GET", "/api/v1/coverage?level=street&radius=800", "", 200},
		{"GET", "/api/v1/coverage?level=grid&stations=all", "", 200},
		{"GET", "/api/v1/coverage?level=county", "", 400},
		{"GET", "/api/v1/coverage?radius=abc", "", 400},
		{"GET", "/api/v1/coverage?radius=NaN", "", 400},
		{"POST", "/api/v1/coverage/siting", `{"k":20,"candidates":"planned"}`, 200},
		{"POST", "/api/v1/coverage/siting", `{"k":-1}`, 400},
		{"POST", "/api/v1/coverage/siting", `{"k":5,"candidates":"everything"}`, 400},
		{"POST", "/api/v1/coverage/siting", `{"k":5,"bogus":1}`, 400},
		{"POST", "/api/v1/coverage/siting", `nope`, 400},
	} {
		w := do(t, s, tc.method, tc.url, "application/json", tc.body)
		if w.Code != tc.code {
			t.Errorf("%s %s %s: %d, want %d: %.300s", tc.method, tc.url, tc.body, w.Code, tc.code, w.Body)
		}
	}
	w := do(t, s, "GET", "/api/v1/coverage?level=street", "", "")
	var rep struct {
		City struct {
			Grids int `json:"grids"`
		} `json:"city"`
		Items []json.RawMessage `json:"items"`
	}
	json.Unmarshal(w.Body.Bytes(), &rep)
	if rep.City.Grids != 1230 || len(rep.Items) != 21 {
		t.Errorf("street level: %d grids, %d items", rep.City.Grids, len(rep.Items))
	}
	w = do(t, s, "POST", "/api/v1/coverage/siting", "application/json", `{"k":10}`)
	if !strings.Contains(w.Body.String(), `"gain_households"`) {
		t.Errorf("siting answer lacks gains: %.300s", w.Body)
	}
}
