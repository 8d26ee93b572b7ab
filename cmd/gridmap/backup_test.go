package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/server"
)

// TestBackupUnderWrites backs a GeoPackage up while a server takes a
// stream of incident POSTs: the backup passes integrity_check and holds
// every incident acknowledged before the backup began; restore brings it
// back as a working store.
func TestBackupUnderWrites(t *testing.T) {
	ctx := context.Background()
	path := demoCity(t)
	st, err := backends.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, tok, err := server.NewToken(server.RoleDispatcher, "backup-test")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	s, err := server.New(ctx, server.Config{Store: st, EscalationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s)
	defer ts.Close()
	b := s.Current().City.Buildings[500]
	p := [2]float64{(b.Geom[0][0][0] + b.Geom[0][2][0]) / 2, (b.Geom[0][0][1] + b.Geom[0][2][1]) / 2}

	type ack struct {
		id string
		at time.Time
	}
	var mu sync.Mutex
	var acks []ack
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"category":"property.parking","description":"backup %d-%d","lon":%v,"lat":%v}`, w, i, p[0], p[1])
				req, _ := http.NewRequest("POST", ts.URL+"/api/v1/incidents", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var v struct{ ID string }
				json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("POST: %d", resp.StatusCode)
					return
				}
				now := time.Now()
				mu.Lock()
				acks = append(acks, ack{v.ID, now})
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	began := time.Now()
	out := filepath.Join(t.TempDir(), "backup.gpkg")
	code, stdout, stderr := gridmap(t, "backup", "--data", path, "--out", out)
	finished := time.Now()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	t.Logf("%s", strings.TrimSpace(stdout))
	var before, during int
	mu.Lock()
	for _, a := range acks {
		switch {
		case a.at.Before(began):
			before++
		case a.at.Before(finished):
			during++
		}
	}
	mu.Unlock()
	if before == 0 || during == 0 {
		t.Fatalf("%d incidents acknowledged before the backup, %d during it: no stream of writes", before, during)
	}
	t.Logf("%d incidents acknowledged before the backup began, %d while it ran, %d in all", before, during, len(acks))

	check := func(file string) {
		t.Helper()
		bk, err := backends.Open(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		defer bk.Close()
		ic := bk.(interface {
			IntegrityCheck(context.Context) ([]string, error)
		})
		if bad, err := ic.IntegrityCheck(ctx); err != nil || len(bad) > 0 {
			t.Fatalf("%s: integrity_check: %v %v", file, bad, err)
		}
		lost := 0
		for _, a := range acks {
			if !a.at.Before(began) {
				continue
			}
			if _, _, err := bk.Incident(ctx, a.id); err != nil {
				lost++
			}
		}
		if lost > 0 {
			t.Fatalf("%s: %d of %d incidents acknowledged before the backup are missing", file, lost, before)
		}
		if _, n, err := bk.Incidents(ctx, store.IncidentFilter{Limit: 1}); err != nil || n < before {
			t.Fatalf("%s: %d incidents, %v", file, n, err)
		}
	}
	check(out)

	// restore into a new place, and over an existing store only with --force
	dst := filepath.Join(t.TempDir(), "restored.gpkg")
	if code, _, e := gridmap(t, "restore", "--from", out, "--data", dst); code != 0 {
		t.Fatalf("restore: %d %s", code, e)
	}
	check(dst)
	if code, _, _ := gridmap(t, "restore", "--from", out, "--data", dst); code != 1 {
		t.Errorf("restore over a store without --force: exit %d", code)
	}
	if code, _, e := gridmap(t, "restore", "--from", out, "--data", dst, "--force"); code != 0 {
		t.Errorf("restore --force: %d %s", code, e)
	}
	check(dst)
	// The demo city's people records carry five deliberate rule
	// violations (issue 15); the store itself must validate clean.
	if code, _, e := gridmap(t, "validate", "--data", dst, "--no-people"); code != 0 {
		t.Errorf("validate the restored store: %d %s", code, e)
	}
}

// TestBackupBadInput: bad arguments and files are refused with exit 1 or
// 2 and change nothing.
func TestBackupBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.gpkg")
	os.WriteFile(junk, []byte("not a database"), 0o644)
	path := demoCity(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"backup", "--data", path}, 2},
		{[]string{"backup", "--data", filepath.Join(dir, "missing.gpkg"), "--out", filepath.Join(dir, "b.gpkg")}, 1},
		{[]string{"backup", "--data", path, "--out", path}, 1},
		{[]string{"backup", "--data", junk, "--out", filepath.Join(dir, "c.gpkg")}, 1},
		{[]string{"backup", "--data", "postgres://u@127.0.0.1:1/db", "--out", filepath.Join(dir, "d.gpkg")}, 2},
		{[]string{"restore", "--data", filepath.Join(dir, "e.gpkg")}, 2},
		{[]string{"restore", "--from", junk, "--data", filepath.Join(dir, "f.gpkg")}, 1},
		{[]string{"restore", "--from", path, "--data", path, "--force"}, 1},
	} {
		if code, _, e := gridmap(t, tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, e)
		}
	}
	for _, f := range []string{"b.gpkg", "c.gpkg", "d.gpkg", "e.gpkg", "f.gpkg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written", f)
		}
	}
	// a second backup to the same file needs --force
	out := filepath.Join(dir, "ok.gpkg")
	if code, _, e := gridmap(t, "backup", "--data", path, "--out", out); code != 0 {
		t.Fatalf("backup: %s", e)
	}
	if code, _, _ := gridmap(t, "backup", "--data", path, "--out", out); code != 1 {
		t.Errorf("backup over a file without --force: %d", code)
	}
	if code, _, e := gridmap(t, "backup", "--data", path, "--out", out, "--force"); code != 0 {
		t.Errorf("backup --force: %s", e)
	}
}
