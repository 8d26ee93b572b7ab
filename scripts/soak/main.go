// Command soak runs a gridmap server under mixed load for a while — locate,
// tiles, incident reports and reads, live-event (SSE) streams — and prints
// the server's resident memory and goroutines once a minute. After the
// warm-up both must stay flat: growth of at most -max-growth (5%) over the
// value at the end of the warm-up, else it exits 1. Memory is read under
// load; goroutines with the request loops held for a moment (the event
// streams stay open), so that requests in flight, which grow when requests
// slow down, are not taken for a leak; the goroutine stacks that changed
// after the warm-up are listed (the server runs with --debug-addr).
//
//	go run ./scripts/soak -bin bin/gridmap -duration 10m
//
// Traffic goes to a server it starts on a loopback port and stops itself.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func main() {
	bin := flag.String("bin", "bin/gridmap", "the gridmap binary")
	dur := flag.Duration("duration", 10*time.Minute, "how long to run")
	every := flag.Duration("every", time.Minute, "how often to sample")
	warm := flag.Duration("warmup", 2*time.Minute, "warm-up not judged")
	maxGrowth := flag.Float64("max-growth", 0.05, "growth allowed after the warm-up")
	workers := flag.Int("workers", 6, "concurrent request loops")
	streams := flag.Int("sse", 20, "live-event clients, each reconnecting every 30 s")
	flag.Parse()
	if err := run(*bin, *dur, *every, *warm, *maxGrowth, *workers, *streams); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type sample struct {
	at         time.Duration
	rss        int64 // bytes
	goroutines int64
	heap       int64
	requests   int64
	errors     int64
}

func run(bin string, dur, every, warm time.Duration, maxGrowth float64, workers, streams int) error {
	dir, err := os.MkdirTemp("", "gridmap-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "city.gpkg")
	if out, err := exec.Command(bin, "generate", "--out", data, "--seed", "1").CombinedOutput(); err != nil {
		return fmt.Errorf("generate: %v: %s", err, out)
	}
	out, err := exec.Command(bin, "token", "create", "--data", data, "--role", "dispatcher", "--name", "soak").Output()
	if err != nil {
		return fmt.Errorf("token: %v", err)
	}
	token := findToken(string(out))
	if token == "" {
		return fmt.Errorf("no token in %q", out)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	debug, err := freeAddr()
	if err != nil {
		return err
	}
	srv := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--heavy-anon-rate", "-1", "--debug-addr", debug)
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return err
	}
	var bbox [4]float64
	if err := cityBBox(base, &bbox); err != nil {
		return err
	}

	// the load runs a little past the last sample, so that every sample
	// is taken under load
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var reqs, errs atomic.Int64
	// measure holds the gate to count goroutines between requests: the
	// requests in flight grow when requests slow down, which is not a leak
	var gate sync.RWMutex
	var wg sync.WaitGroup
	// a fixed working set of tiles, as a wall map and consoles keep asking for
	tiles := make([]string, 0, 400)
	for len(tiles) < cap(tiles) {
		z := 13 + rand.IntN(4)
		x, y := tileOf(bbox[0]+rand.Float64()*(bbox[2]-bbox[0]), bbox[1]+rand.Float64()*(bbox[3]-bbox[1]), z)
		tiles = append(tiles, fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, x, y))
	}
	point := func(r *rand.Rand) (float64, float64) {
		return bbox[0] + r.Float64()*(bbox[2]-bbox[0]), bbox[1] + r.Float64()*(bbox[3]-bbox[1])
	}
	do := func(req *http.Request) {
		resp, err := client.Do(req)
		reqs.Add(1)
		if err != nil {
			if ctx.Err() == nil {
				errs.Add(1)
			}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			errs.Add(1)
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ctx.Err() == nil; i++ {
				var req *http.Request
				switch k := i % 20; {
				case k < 10:
					lon, lat := point(r)
					req, _ = http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/locate?lon=%.6f&lat=%.6f", base, lon, lat), nil)
				case k < 17:
					req, _ = http.NewRequestWithContext(ctx, "GET", base+tiles[r.IntN(len(tiles))], nil)
					req.Header.Set("Accept-Encoding", "gzip")
				case k == 17:
					lon, lat := point(r)
					body := fmt.Sprintf(`{"category":"property.parking","description":"soak %d-%d 楼道堆物","lon":%.6f,"lat":%.6f}`, w, i, lon, lat)
					req, _ = http.NewRequestWithContext(ctx, "POST", base+"/api/v1/incidents", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+token)
				case k == 18:
					req, _ = http.NewRequestWithContext(ctx, "GET", base+"/api/v1/incidents?limit=50&status=reported", nil)
					req.Header.Set("Authorization", "Bearer "+token)
				default:
					req, _ = http.NewRequestWithContext(ctx, "GET", base+"/api/v1/stats", nil)
				}
				gate.RLock()
				do(req)
				gate.RUnlock()
			}
		}(w)
	}
	for c := 0; c < streams; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
				req, _ := http.NewRequestWithContext(sctx, "GET", base+"/api/v1/events?access_token="+token, nil)
				resp, err := http.DefaultClient.Do(req)
				reqs.Add(1)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				} else if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
					errs.Add(1)
				}
				scancel()
			}
		}()
	}

	start := time.Now()
	var samples []sample
	fmt.Printf("soak: %s of mixed load (%d request loops, %d SSE clients) on %s, pid %d; %s\n", dur, workers, streams, addr, srv.Process.Pid, uptime())
	fmt.Printf("%8s %10s %10s %10s %12s %8s\n", "minute", "rss_mb", "goroutines", "heap_mb", "requests", "errors")
	tick := time.NewTicker(every)
	defer tick.Stop()
	var warmStacks map[string]int
	for i := 0; i < int(dur/every); i++ {
		<-tick.C
		s, err := measure(base, srv.Process.Pid, &gate)
		if err != nil {
			return err
		}
		s.at, s.requests, s.errors = time.Since(start).Round(time.Second), reqs.Load(), errs.Load()
		if s.at <= warm+time.Second { // the samples judge takes as the warm-up's
			warmStacks = heldStacks(&gate, "http://"+debug)
		}
		samples = append(samples, s)
		fmt.Printf("%8.1f %10.1f %10d %10.1f %12d %8d\n", s.at.Minutes(), mb(s.rss), s.goroutines, mb(s.heap), s.requests, s.errors)
	}
	endStacks := heldStacks(&gate, "http://"+debug)
	cancel()
	wg.Wait()
	printGrown(warmStacks, endStacks)
	return judge(samples, warm, maxGrowth)
}

// heldStacks reads the goroutine profile with the request loops held.
func heldStacks(gate *sync.RWMutex, base string) map[string]int {
	gate.Lock()
	defer gate.Unlock()
	time.Sleep(300 * time.Millisecond)
	return goroutineStacks(base)
}

// goroutineStacks reads the server's goroutine profile (debug=1: one
// group per distinct stack with its count) as count by stack, the
// stack's function names alone (no addresses, which differ per group).
func goroutineStacks(base string) map[string]int {
	resp, err := http.Get(base + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak: goroutine profile:", err)
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]int{}
	for _, group := range strings.Split(string(b), "\n\n") {
		lines := strings.Split(strings.TrimSpace(group), "\n")
		n, _, ok := strings.Cut(lines[0], " @ ")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			continue
		}
		var fns []string
		for _, l := range lines[1:] {
			f := strings.Fields(strings.TrimPrefix(l, "#"))
			if len(f) >= 2 {
				fn, _, _ := strings.Cut(f[1], "+")
				fns = append(fns, fn)
			}
		}
		out[strings.Join(fns, " < ")] += count
	}
	return out
}

// printGrown lists the stacks with more goroutines at the end than at the
// end of the warm-up, so that growth has a name.
func printGrown(before, after map[string]int) {
	if before == nil || after == nil {
		return
	}
	type grown struct {
		stack    string
		from, to int
	}
	var gs []grown
	for k, v := range after {
		if v > before[k] {
			gs = append(gs, grown{k, before[k], v})
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			gs = append(gs, grown{k, v, 0})
		}
	}
	if len(gs) == 0 {
		fmt.Println("goroutines by stack: none grew after the warm-up")
		return
	}
	fmt.Println("goroutines by stack, end of warm-up → end (changed ones):")
	for _, g := range gs {
		st := g.stack
		if len(st) > 300 {
			st = st[:300] + "…"
		}
		fmt.Printf("  %3d → %3d  %s\n", g.from, g.to, st)
	}
}

// judge compares the end of the run with the end of the warm-up: the mean
// of the last three samples against the mean of the warm-up's last two
// (single samples move with the garbage collector and the requests in
// flight), and reports the worst single sample beside it.
func judge(samples []sample, warm time.Duration, maxGrowth float64) error {
	var ref []sample
	k := 0
	for i, s := range samples {
		if s.at <= warm+time.Second {
			k = i + 1
		}
	}
	ref = samples[max(0, k-2):k]
	tail := samples[k:]
	if len(ref) == 0 || len(tail) < 3 {
		return errors.New("too short to judge: run at least three samples past the warm-up")
	}
	tail3 := tail[len(tail)-3:]
	mean := func(ss []sample, f func(sample) int64) float64 {
		t := 0.0
		for _, s := range ss {
			t += float64(f(s))
		}
		return t / float64(len(ss))
	}
	rss := func(s sample) int64 { return s.rss }
	gor := func(s sample) int64 { return s.goroutines }
	growRSS := mean(tail3, rss)/mean(ref, rss) - 1
	growG := mean(tail3, gor)/mean(ref, gor) - 1
	worstRSS, worstG := 0.0, 0.0
	for _, s := range tail {
		worstRSS = max(worstRSS, float64(s.rss)/mean(ref, rss)-1)
		worstG = max(worstG, float64(s.goroutines)/mean(ref, gor)-1)
	}
	last := samples[len(samples)-1]
	fmt.Printf("after the warm-up (%s): rss %+.1f%% (worst sample %+.1f%%), goroutines %+.1f%% (worst %+.1f%%), limit %.0f%%; %d requests, %d errors; %s\n",
		warm, 100*growRSS, 100*worstRSS, 100*growG, 100*worstG, 100*maxGrowth, last.requests, last.errors, uptime())
	switch {
	case growRSS > maxGrowth:
		return fmt.Errorf("resident memory grew %.1f%% after the warm-up", 100*growRSS)
	case growG > maxGrowth:
		return fmt.Errorf("goroutines grew %.1f%% after the warm-up", 100*growG)
	case last.errors > 0:
		return fmt.Errorf("%d requests failed", last.errors)
	}
	fmt.Println("soak: PASS")
	return nil
}

func measure(base string, pid int, gate *sync.RWMutex) (sample, error) {
	var s sample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			s.rss = kb << 10
		}
	}
	// goroutines: with the request loops held (the live-event streams
	// stay open), the least of a few reads
	gate.Lock()
	defer gate.Unlock()
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 5; i++ {
		g, heap, err := readMetrics(base)
		if err != nil {
			return s, err
		}
		if i == 0 || g < s.goroutines {
			s.goroutines = g
		}
		s.heap = heap
		time.Sleep(200 * time.Millisecond)
	}
	return s, nil
}

func readMetrics(base string) (goroutines, heap int64, err error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "go_goroutines":
			goroutines = int64(v)
		case "go_memstats_heap_inuse_bytes":
			heap = int64(v)
		}
	}
	return goroutines, heap, sc.Err()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func uptime() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return "load " + strings.Join(strings.Fields(string(b))[:3], " ")
}

func findToken(out string) string {
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "gm_") {
			return f
		}
	}
	return ""
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(base string) error {
	for i := 0; i < 600; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("server not ready in 60 s")
}

// cityBBox reads the city's extent from the OGC grids collection.
func cityBBox(base string, b *[4]float64) error {
	req, _ := http.NewRequest("GET", base+"/collections/grids", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var col struct {
		Extent struct {
			Spatial struct {
				BBox [][4]float64 `json:"bbox"`
			} `json:"spatial"`
		} `json:"extent"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&col); err != nil || len(col.Extent.Spatial.BBox) == 0 {
		return fmt.Errorf("grids extent: %v %.200s", err, raw)
	}
	*b = col.Extent.Spatial.BBox[0]
	// the inner half, where the grids are
	w, h := b[2]-b[0], b[3]-b[1]
	*b = [4]float64{b[0] + w/4, b[1] + h/4, b[2] - w/4, b[3] - h/4}
	return nil
}

func tileOf(lon, lat float64, z int) (int, int) {
	t := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
	return int(t.X), int(t.Y)
}
