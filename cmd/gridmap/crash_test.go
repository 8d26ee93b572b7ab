package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
)

// TestCrash builds the gridmap binary, serves a city from it and kills it
// with SIGKILL at random moments while clients post incidents. After each
// kill the store must hold every incident that got a 201, exactly as
// acknowledged, and nothing half-written, and pass PRAGMA integrity_check.
// Requests that got no answer are retried with the same Idempotency-Key in
// the next round: each key ends up as at most one incident. The last
// round stops the server with SIGTERM instead and expects a clean exit.
//
// It runs for about 20 s; GRIDMAP_CRASH_SECONDS runs it longer (make crash).
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	budget := 20 * time.Second
	if v := os.Getenv("GRIDMAP_CRASH_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("GRIDMAP_CRASH_SECONDS=%q", v)
		}
		budget = time.Duration(n) * time.Second
	}
	bin := filepath.Join(t.TempDir(), "gridmap")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := demoCity(t)
	code, out, errOut := gridmap(t, "token", "create", "--data", path, "--role", "dispatcher", "--name", "crash-test")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	token := strings.TrimSpace(out)
	st, c, err := openCity(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// points at building entrances' neighbourhood: the centres of buildings
	var points [][2]float64
	for i := 0; i < len(c.Buildings); i += 97 {
		g := c.Buildings[i].Geom[0]
		points = append(points, [2]float64{(g[0][0] + g[2][0]) / 2, (g[0][1] + g[2][1]) / 2})
	}

	type acked struct {
		key, id, category, description, grid string
		point                                [2]float64
	}
	var (
		mu      sync.Mutex
		acks    = map[string]acked{}  // by key
		retry   = map[string]string{} // key → body, unanswered in an earlier round
		pending = map[string]string{} // key → body, in flight this round
		seq     int
		// requests unanswered when the server died, retried after the
		// restart, and of those how many had been committed (replayed)
		retried, replayed int
	)
	deadline := time.Now().Add(budget)
	rounds := 0
	for last := false; !last; rounds++ {
		last = time.Now().After(deadline)
		port, proc, stderr := startServer(t, bin, path)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		stop := make(chan struct{})
		firstAck := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 20 * time.Second}
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					var key, body string
					isRetry := false
					for k, b := range retry { // retry what got no answer first
						key, body, isRetry = k, b, true
						delete(retry, k)
						retried++
						break
					}
					if key == "" {
						seq++
						key = fmt.Sprintf("crash-%d-%d", w, seq)
						p := points[seq%len(points)]
						body = fmt.Sprintf(`{"category":"property.parking","description":"%s","lon":%v,"lat":%v,"caller":{"name":"测试","phone":"13800000000"}}`, key, p[0], p[1])
					}
					pending[key] = body
					mu.Unlock()
					req, _ := http.NewRequest("POST", base+"/api/v1/incidents", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", key)
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone: leave the key pending
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						t.Errorf("POST: %d %s", resp.StatusCode, b)
						return
					}
					var v struct {
						ID          string     `json:"id"`
						Category    string     `json:"category"`
						Description string     `json:"description"`
						GridCode    string     `json:"grid_code"`
						Point       [2]float64 `json:"point"`
					}
					if err := json.Unmarshal(b, &v); err != nil || v.ID == "" || v.Description != key {
						t.Errorf("201 body: %v %s", err, b)
						return
					}
					mu.Lock()
					if prev, ok := acks[key]; ok && prev.id != v.ID {
						t.Errorf("key %s acknowledged as %s and as %s", key, prev.id, v.ID)
					}
					acks[key] = acked{key, v.ID, v.Category, v.Description, v.GridCode, v.Point}
					if isRetry && resp.Header.Get("Idempotent-Replayed") == "true" {
						replayed++
					}
					delete(pending, key)
					mu.Unlock()
					once.Do(func() { close(firstAck) })
				}
			}()
		}
		select {
		case <-firstAck:
		case <-time.After(30 * time.Second):
			proc.Process.Kill()
			t.Fatalf("no incident acknowledged in 30 s; server log:\n%s", stderr.String())
		}
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		if last {
			proc.Process.Signal(syscall.SIGTERM)
		} else {
			proc.Process.Signal(syscall.SIGKILL)
		}
		close(stop)
		wg.Wait()
		err := proc.Wait()
		mu.Lock()
		for k, b := range pending {
			retry[k] = b
			delete(pending, k)
		}
		mu.Unlock()
		if last && err != nil {
			t.Errorf("SIGTERM: server exited with %v\n%s", err, stderr.String())
		}
		if t.Failed() {
			t.Fatalf("round %d failed; server log:\n%s", rounds, stderr.String())
		}
		checkStore(t, path, func(check func(key, id, category, description, grid string, p [2]float64)) {
			mu.Lock()
			defer mu.Unlock()
			for _, a := range acks {
				check(a.key, a.id, a.category, a.description, a.grid, a.point)
			}
		})
	}
	t.Logf("%d rounds, %d incidents acknowledged; %d requests cut off by a kill were retried, %d of them had been committed (replayed, no duplicate); %d unanswered at the end",
		rounds, len(acks), retried, replayed, len(retry))
}

var servingRE = regexp.MustCompile(`http://localhost:(\d+)/`)

// startServer starts `gridmap serve` on a free port and waits until it
// listens.
func startServer(t *testing.T, bin, path string) (int, *exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", path, "--addr", "127.0.0.1:0", "--rate-limit", "0", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case line <- sc.Text():
			default:
			}
		}
	}()
	select {
	case l := <-line:
		m := servingRE.FindStringSubmatch(l)
		if m == nil {
			cmd.Process.Kill()
			t.Fatalf("unexpected first line %q", l)
		}
		port, _ := strconv.Atoi(m[1])
		return port, cmd, &stderr
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	return 0, nil, nil
}

// checkStore opens the store after a crash: every acknowledged incident is
// there as acknowledged; every incident has its details and its creation
// event; no key made two incidents; integrity_check passes.
func checkStore(t *testing.T, path string, each func(func(key, id, category, description, grid string, p [2]float64))) {
	t.Helper()
	ctx := context.Background()
	st, err := backends.Create(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer st.Close()
	if ic, ok := st.(interface {
		IntegrityCheck(context.Context) ([]string, error)
	}); ok {
		if bad, err := ic.IntegrityCheck(ctx); err != nil || len(bad) > 0 {
			t.Fatalf("integrity_check: %v %v", bad, err)
		}
	}
	each(func(key, id, category, description, grid string, p [2]float64) {
		rec, hist, err := st.Incident(ctx, id)
		if err != nil {
			t.Errorf("acknowledged incident %s (%s) lost: %v", id, key, err)
			return
		}
		if rec.Category != category || rec.Description != description || rec.GridCode != grid || [2]float64(rec.Point) != p ||
			rec.Caller.Phone != "13800000000" || len(hist) == 0 || hist[0].Type != "created" || rec.Version < 1 {
			t.Errorf("incident %s not as acknowledged: %+v (%d events)", id, rec, len(hist))
		}
	})
	recs, total, err := st.Incidents(ctx, store.IncidentFilter{Limit: 1000000, Categories: []string{"property.parking"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, r := range recs {
		if !strings.HasPrefix(r.Description, "crash-") {
			continue
		}
		if other, dup := seen[r.Description]; dup {
			t.Errorf("key %s made two incidents: %s and %s", r.Description, other, r.ID)
		}
		seen[r.Description] = r.ID
		if r.Version == 0 || r.AcceptDue.IsZero() {
			t.Errorf("incident %s without its details: half-written", r.ID)
		}
	}
	evs, err := st.IncidentEvents(ctx, 0, 10000000)
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for i, ev := range evs {
		if i > 0 && ev.Seq <= evs[i-1].Seq {
			t.Fatalf("event sequence not increasing at %d", ev.Seq)
		}
		if ev.Type == "created" && strings.HasPrefix(ev.Incident.Description, "crash-") {
			created++
		}
	}
	if created != len(seen) {
		t.Errorf("%d creation events for %d incidents (of %d)", created, len(seen), total)
	}
}
