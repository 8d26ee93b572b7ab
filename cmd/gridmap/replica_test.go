package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/store/pgtest"
)

// replica is one `gridmap serve` process.
type replica struct {
	name string
	base string
	cmd  *exec.Cmd
}

func (r *replica) kill() { r.cmd.Process.Signal(syscall.SIGKILL); r.cmd.Wait() }

func (r *replica) stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		r.kill()
	}
}

func call(t *testing.T, method, url, token, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// eventually polls cond every 20 ms for up to 10 s and returns how long
// it took to hold.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	return within(t, 10*time.Second, what, cond)
}

// within is eventually with another deadline: a reload of the whole city
// is CPU-bound work that a loaded machine stretches (the time it took is
// logged, not asserted).
func within(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, limit)
	return 0
}

type sseEvent struct {
	id   int64
	data string
}

// subscribe opens an SSE stream and sends its events to the channel.
func subscribe(t *testing.T, ctx context.Context, url, token, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	ch := make(chan sseEvent, 1000)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "id: "):
				ev.id, _ = strconv.ParseInt(l[4:], 10, 64)
			case strings.HasPrefix(l, "data: "):
				ev.data = l[6:]
			case l == "" && ev.id != 0:
				ch <- ev
				ev = sseEvent{}
			}
		}
	}()
	return ch
}

func buildGridmap(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gridmap")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startReplica(t *testing.T, bin, url, name string) *replica {
	t.Helper()
	port, cmd, _ := startServer(t, bin, url)
	r := &replica{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	t.Cleanup(r.kill)
	eventually(t, name+" ready", func() bool { c, _, _ := call(t, "GET", r.base+"/readyz", "", "", nil); return c == 200 })
	return r
}

func incidentBody(desc string) string {
	return fmt.Sprintf(`{"category":"property.parking","description":%q,"lon":117.5569,"lat":34.8612,"caller":{"name":"测试","phone":"13800000000"}}`, desc)
}

// TestReplicas runs two `gridmap serve` processes on one PostgreSQL
// database: they are interchangeable (an incident posted to one streams
// from the other, Last-Event-ID resumes on either, idempotency keys hold
// across them), and a rules change, a token revocation and a grid import
// made through one (or the CLI) reach the other. Then the faults: the
// database stopped with pg_ctl stop -m immediate under load and started
// again, and one replica killed with SIGKILL; nothing acknowledged is
// lost, and locate answers from memory throughout.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("replica test skipped in -short mode")
	}
	pg := pgtest.Shared(t)
	url := pgtest.EmptyDB(t)
	if code, _, e := gridmap(t, "copy", "--from", demoCity(t), "--to", url); code != 0 {
		t.Fatalf("copy: %s", e)
	}
	token := func(role string) string {
		code, out, e := gridmap(t, "token", "create", "--data", url, "--role", role, "--name", role+"-replicas")
		if code != 0 {
			t.Fatalf("token create: %s", e)
		}
		return strings.TrimSpace(out)
	}
	disp, admin := token("dispatcher"), token("admin")
	bin := buildGridmap(t)
	a, b := startReplica(t, bin, url, "A"), startReplica(t, bin, url, "B")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	t.Run("SSE across replicas", func(t *testing.T) {
		evs := subscribe(t, ctx, b.base, disp, "")
		start := time.Now()
		code, _, body := call(t, "POST", a.base+"/api/v1/incidents", disp, incidentBody("sse-across"), map[string]string{"Idempotency-Key": "sse-1"})
		if code != 201 {
			t.Fatalf("POST to A: %d %s", code, body)
		}
		var created struct{ ID string }
		json.Unmarshal([]byte(body), &created)
		select {
		case ev := <-evs:
			if !strings.Contains(ev.data, created.ID) {
				t.Fatalf("B streamed %s, want %s", ev.data, created.ID)
			}
			t.Logf("incident posted to A reached an SSE client of B in %s", time.Since(start))
			// resume on A from before that event: it comes again, from the database
			resumed := subscribe(t, ctx, a.base, disp, strconv.FormatInt(ev.id-1, 10))
			select {
			case r := <-resumed:
				if r.id != ev.id || r.data != ev.data {
					t.Errorf("Last-Event-ID %d on A gave %d %s, want %d", ev.id-1, r.id, r.data, ev.id)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("resume on A gave nothing")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("B's stream got nothing within 10 s")
		}
	})

	t.Run("idempotency across replicas", func(t *testing.T) {
		body := incidentBody("idem-across")
		hdr := map[string]string{"Idempotency-Key": "idem-1"}
		c1, _, b1 := call(t, "POST", a.base+"/api/v1/incidents", disp, body, hdr)
		c2, h2, b2 := call(t, "POST", b.base+"/api/v1/incidents", disp, body, hdr)
		var r1, r2 struct{ ID string }
		json.Unmarshal([]byte(b1), &r1)
		json.Unmarshal([]byte(b2), &r2)
		if c1 != 201 || c2 != 201 || r1.ID == "" || r1.ID != r2.ID || h2.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("A: %d %s; B: %d %s %v", c1, r1.ID, c2, r2.ID, h2)
		}
		if c, _, _ := call(t, "POST", b.base+"/api/v1/incidents", disp, incidentBody("other"), hdr); c != 422 {
			t.Errorf("key reused for another body on B: %d", c)
		}
	})

	t.Run("rules changed on B reach A", func(t *testing.T) {
		_, _, rules := call(t, "GET", a.base+"/api/v1/rules", "", "", nil)
		c, _, body := call(t, "PUT", b.base+"/api/v1/rules", admin, rules, nil)
		if c != 200 {
			t.Fatalf("PUT rules on B: %d %s", c, body)
		}
		var v struct{ Version int64 }
		json.Unmarshal([]byte(body), &v)
		took := eventually(t, "A's rules version", func() bool {
			_, h, _ := call(t, "GET", a.base+"/api/v1/rules", "", "", nil)
			return h.Get("X-Rules-Version") == strconv.FormatInt(v.Version, 10)
		})
		t.Logf("rules version %d on A after %s", v.Version, took)
	})

	t.Run("token revoked on A refused by B", func(t *testing.T) {
		c, _, body := call(t, "POST", a.base+"/api/v1/tokens", admin, `{"name":"temp","role":"viewer"}`, nil)
		if c != 201 {
			t.Fatalf("create token: %d %s", c, body)
		}
		var tok struct{ ID, Token string }
		json.Unmarshal([]byte(body), &tok)
		if c, _, _ := call(t, "GET", b.base+"/api/v1/whoami", tok.Token, "", nil); c != 200 {
			t.Fatalf("new token on B: %d", c)
		}
		if c, _, body := call(t, "DELETE", a.base+"/api/v1/tokens/"+tok.ID, admin, "", nil); c != 200 {
			t.Fatalf("revoke on A: %d %s", c, body)
		}
		took := eventually(t, "B refuses the revoked token", func() bool {
			c, _, _ := call(t, "GET", b.base+"/api/v1/whoami", tok.Token, "", nil)
			return c == 401
		})
		t.Logf("revocation on A refused by B after %s", took)
	})

	t.Run("grid import through the CLI reaches both", func(t *testing.T) {
		code, out, e := gridmap(t, "export", "--data", url, "--layer", "grids")
		if code != 0 {
			t.Fatal(e)
		}
		i := strings.Index(out, `"features"`)
		edited := out[:i] + strings.Replace(out[i:], `"name":"`, `"name":"改名`, 1)
		file := filepath.Join(t.TempDir(), "grids.geojson")
		os.WriteFile(file, []byte(edited), 0o644)
		vA, vB := readyVersion(t, a), readyVersion(t, b)
		start := time.Now()
		if code, _, e := gridmap(t, "import", "--data", url, "--layer", "grids", file); code != 0 {
			t.Fatalf("import: %s", e)
		}
		for _, r := range []*replica{a, b} {
			within(t, 2*time.Minute, r.name+" reloads", func() bool {
				_, _, body := call(t, "GET", r.base+"/api/v1/layers/grids?limit=1", "", "", nil)
				return strings.Contains(body, `"name":"改名`)
			})
		}
		t.Logf("grid import visible on both replicas after %s", time.Since(start))
		if readyVersion(t, a) <= vA || readyVersion(t, b) <= vB {
			t.Error("a replica did not swap its snapshot")
		}
	})

	t.Run("faults", func(t *testing.T) { replicaFaults(t, pg, url, bin, disp, a, b) })
}

func readyVersion(t *testing.T, r *replica) int64 {
	_, _, body := call(t, "GET", r.base+"/readyz", "", "", nil)
	var v struct{ Version int64 }
	json.Unmarshal([]byte(body), &v)
	return v.Version
}

// replicaFaults: clients post incidents to both replicas and locate on
// both while the database is stopped the hard way and started again, and
// then while replica A is killed. A client that gets no 201 retries with
// the same Idempotency-Key, on the other replica when its own is gone.
func replicaFaults(t *testing.T, pg *pgtest.Server, url, bin, disp string, a, b *replica) {
	var (
		mu       sync.Mutex
		acked    = map[string]string{} // key → incident id
		got503   atomic.Int64
		noRetry  atomic.Int64 // 503 without Retry-After
		other    atomic.Int64 // answers neither 201 nor 503 (nor a dead replica)
		locErr   atomic.Int64
		locOK    atomic.Int64
		aDead    atomic.Bool
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		client   = &http.Client{Timeout: 15 * time.Second}
		seq      atomic.Int64
		firstErr atomic.Value
	)
	post := func(base, key string) (int, http.Header, string, error) {
		req, _ := http.NewRequest("POST", base+"/api/v1/incidents", strings.NewReader(incidentBody(key)))
		req.Header.Set("Authorization", "Bearer "+disp)
		req.Header.Set("Idempotency-Key", key)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body), nil
	}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("fault-%d-%d", w, seq.Add(1))
				for try := 0; ; try++ {
					r := []*replica{a, b}[(w+try)%2]
					if r == a && aDead.Load() {
						r = b
					}
					code, h, body, err := post(r.base, key)
					if code == 201 {
						var v struct{ ID string }
						json.Unmarshal([]byte(body), &v)
						mu.Lock()
						acked[key] = v.ID
						mu.Unlock()
						break
					}
					switch {
					case code == 503:
						got503.Add(1)
						if h.Get("Retry-After") == "" {
							noRetry.Add(1)
						}
					case err != nil && r == a && aDead.Load():
					case err != nil:
						// a replica's connection to a dead database may reset
					default:
						other.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", code, body))
					}
					select {
					case <-stop:
						if try > 200 {
							return
						}
					default:
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	// locate from memory on both replicas, throughout
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := []*replica{a, b}[i%2]
			if r == a && aDead.Load() {
				r = b
			}
			resp, err := client.Get(r.base + "/api/v1/locate?lon=117.5569&lat=34.8612")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != 200 {
				if !(r == a && aDead.Load()) {
					locErr.Add(1)
				}
			} else {
				locOK.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	time.Sleep(1500 * time.Millisecond)
	before := count()
	if err := pg.StopImmediate(); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL stopped (-m immediate) after %d acknowledged incidents", before)
	time.Sleep(3 * time.Second)
	duringDown := count() - before
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	eventually(t, "writes after the restart", func() bool { return count() > before+duringDown })
	t.Logf("PostgreSQL back; first acknowledged write %s after the restart", time.Since(restarted).Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond)
	beforeKill := count()
	aDead.Store(true)
	a.kill()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("%d incidents acknowledged (%d before the stop, %d while down, %d before the kill); %d answers 503; locate %d ok, %d failed",
		count(), before, duringDown, beforeKill, got503.Load(), locOK.Load(), locErr.Load())
	if got503.Load() == 0 {
		t.Error("no 503 while the database was down")
	}
	if noRetry.Load() > 0 {
		t.Errorf("%d answers 503 without Retry-After", noRetry.Load())
	}
	if other.Load() > 0 {
		t.Errorf("%d unexpected answers, first: %v", other.Load(), firstErr.Load())
	}
	if locErr.Load() > 0 {
		t.Errorf("%d locate requests failed: locate must answer from memory", locErr.Load())
	}
	if count() <= beforeKill {
		t.Error("no incident acknowledged after replica A was killed")
	}
	// every acknowledged incident is in the database, once
	st, err := backends.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _, err := st.Incidents(context.Background(), store.IncidentFilter{Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	byDesc := map[string][]string{}
	for _, r := range recs {
		byDesc[r.Description] = append(byDesc[r.Description], r.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	for key, id := range acked {
		ids := byDesc[key]
		if len(ids) != 1 || ids[0] != id {
			t.Errorf("acknowledged %s (%s): in the database as %v", key, id, ids)
		}
	}
	_ = b
}
