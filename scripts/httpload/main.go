// Command httpload is gridmap's HTTP load generator, in the manner of wrk
// but cheaper per request, so that on a small machine more of the CPU goes
// to the server: each connection is a raw keep-alive HTTP/1.1 stream that
// writes prepared request bytes and reads each response's status, headers
// and body without building objects. It prints one RESULT line: requests,
// requests per second, latency percentiles, errors (I/O errors and any
// status other than 200, 204 and 304).
//
// Requests come from a file of paths, one a line (-paths), or are made
// here: locate points at building entrances (-locate city.gpkg) or the
// tiles of the urban area at some zooms (-tiles city.gpkg -zooms 10-16).
//
//	go run ./scripts/httpload -url http://127.0.0.1:18080 -locate city.gpkg -query '&fields=grid' -c 16 -d 15s
//	go run ./scripts/httpload -url http://127.0.0.1:18080 -tiles city.gpkg -zooms 10-16 -c 4 -once
//
// With -once every request is sent exactly once (spread over the
// connections): a cold list. Otherwise each connection cycles through the
// list from its own offset for -d, after -warmup. -pipeline N keeps N
// requests in flight on each connection (HTTP/1.1 pipelining).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/tiles"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	name := flag.String("name", "load", "name on the RESULT line")
	pathsFile := flag.String("paths", "", "file of request paths, one a line")
	locate := flag.String("locate", "", "make locate requests at the building entrances of this store")
	query := flag.String("query", "", "appended to each locate request, e.g. &fields=grid")
	points := flag.Int("points", 20000, "locate points to make")
	tileStore := flag.String("tiles", "", "make tile requests over the urban area of this store")
	zooms := flag.String("zooms", "12", "tile zooms: Z or Z1-Z2")
	conns := flag.Int("c", 16, "connections")
	dur := flag.Duration("d", 10*time.Second, "duration (not with -once)")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up before measuring (not with -once)")
	once := flag.Bool("once", false, "send every request once: a cold list")
	pipeline := flag.Int("pipeline", 1, "requests in flight per connection")
	gzip := flag.Bool("gzip", true, "send Accept-Encoding: gzip")
	latFile := flag.String("latfile", "", "append every latency (µs) to this file, one a line")
	flag.Parse()

	u, err := url.Parse(*base)
	if err != nil || u.Host == "" {
		fail("bad -url %q", *base)
	}
	var paths []string
	switch {
	case *pathsFile != "":
		b, err := os.ReadFile(*pathsFile)
		if err != nil {
			fail("%v", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				paths = append(paths, l)
			}
		}
	case *locate != "":
		paths = locatePaths(*locate, *points, *query)
	case *tileStore != "":
		paths = tilePaths(*tileStore, *zooms)
	}
	if len(paths) == 0 {
		fail("no requests: give -paths, -locate or -tiles")
	}
	reqs := make([][]byte, len(paths))
	for i, p := range paths {
		var b bytes.Buffer
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gridmap-httpload\r\n", p, u.Host)
		if *gzip {
			b.WriteString("Accept-Encoding: gzip\r\n")
		}
		b.WriteString("\r\n")
		reqs[i] = b.Bytes()
	}
	r := run(u.Host, reqs, *conns, *pipeline, *once, *warmup, *dur)
	r.print(*name)
	if *latFile != "" {
		f, err := os.OpenFile(*latFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fail("%v", err)
		}
		w := bufio.NewWriter(f)
		for _, d := range r.lat {
			fmt.Fprintln(w, d.Microseconds())
		}
		if err := w.Flush(); err != nil {
			fail("%v", err)
		}
		f.Close()
	}
	if r.errors > 0 || r.n == 0 {
		os.Exit(1)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "httpload: "+format+"\n", a...)
	os.Exit(2)
}

func locatePaths(store string, n int, query string) []string {
	st, err := backends.Open(context.Background(), store)
	if err != nil {
		fail("%v", err)
	}
	c, err := st.Load(context.Background())
	st.Close()
	if err != nil {
		fail("%v", err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	out := make([]string, n)
	for i := range out {
		b := c.Buildings[rng.IntN(len(c.Buildings))]
		// jitter up to ~50 m so the points spread over grids, not just doors
		lon := b.Entrance[0] + (rng.Float64()-0.5)*0.001
		lat := b.Entrance[1] + (rng.Float64()-0.5)*0.001
		out[i] = fmt.Sprintf("/api/v1/locate?lon=%.7f&lat=%.7f%s", lon, lat, query)
	}
	return out
}

func tilePaths(store, zooms string) []string {
	lo, hi, _ := strings.Cut(zooms, "-")
	z0, err0 := strconv.Atoi(lo)
	z1 := z0
	var err1 error
	if hi != "" {
		z1, err1 = strconv.Atoi(hi)
	}
	if err0 != nil || err1 != nil || z0 > z1 {
		fail("bad -zooms %q", zooms)
	}
	st, err := backends.Open(context.Background(), store)
	if err != nil {
		fail("%v", err)
	}
	c, err := st.Load(context.Background())
	st.Close()
	if err != nil {
		fail("%v", err)
	}
	t, err := tiles.New(c)
	if err != nil {
		fail("%v", err)
	}
	var out []string
	for z := z0; z <= z1; z++ {
		for _, k := range t.Cover(z) {
			out = append(out, fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, k.X, k.Y))
		}
	}
	// A map client asks in no particular order across the list.
	rng := rand.New(rand.NewPCG(2, 2))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

type result struct {
	n, errors int64
	bytes     int64
	elapsed   time.Duration
	lat       []time.Duration
	statuses  map[int]int64
	firstErr  string
}

func (r *result) print(name string) {
	slices.Sort(r.lat)
	pct := func(p float64) float64 {
		if len(r.lat) == 0 {
			return 0
		}
		return float64(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))].Microseconds()) / 1000
	}
	rps := float64(r.n) / r.elapsed.Seconds()
	fmt.Printf("RESULT name=%s n=%d rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d bytes_per_resp=%.0f statuses=%v",
		name, r.n, rps, pct(0.50), pct(0.90), pct(0.99), pct(1), r.errors, float64(r.bytes)/float64(max(1, r.n)), r.statuses)
	if r.firstErr != "" {
		fmt.Printf(" first_error=%q", r.firstErr)
	}
	fmt.Println()
}

// run drives the connections and gathers their figures.
func run(host string, reqs [][]byte, conns, pipeline int, once bool, warmup, dur time.Duration) *result {
	var (
		next      atomic.Int64 // -once: the next request to send
		measuring atomic.Bool
		stop      atomic.Bool
		mu        sync.Mutex
		total     = &result{statuses: map[int]int64{}}
		wg        sync.WaitGroup
	)
	if once {
		measuring.Store(true)
	}
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			r := &result{statuses: map[int]int64{}}
			defer func() {
				mu.Lock()
				total.n += r.n
				total.errors += r.errors
				total.bytes += r.bytes
				total.lat = append(total.lat, r.lat...)
				for k, v := range r.statuses {
					total.statuses[k] += v
				}
				if total.firstErr == "" {
					total.firstErr = r.firstErr
				}
				mu.Unlock()
			}()
			conn, err := net.Dial("tcp", host)
			if err != nil {
				r.errors++
				r.firstErr = err.Error()
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 64<<10)
			i := c * len(reqs) / conns
			pick := func() ([]byte, bool) {
				if once {
					k := next.Add(1) - 1
					if k >= int64(len(reqs)) {
						return nil, false
					}
					return reqs[k], true
				}
				if stop.Load() {
					return nil, false
				}
				b := reqs[i%len(reqs)]
				i++
				return b, true
			}
			var sent []time.Time // in flight, oldest first
			var wbuf []byte
			for {
				wbuf = wbuf[:0]
				for len(sent) < pipeline {
					b, ok := pick()
					if !ok {
						break
					}
					wbuf = append(wbuf, b...)
					sent = append(sent, time.Now())
				}
				if len(wbuf) > 0 {
					if _, err := conn.Write(wbuf); err != nil {
						r.errors++
						r.firstErr = err.Error()
						return
					}
				}
				if len(sent) == 0 {
					return
				}
				status, n, err := readResponse(br)
				d := time.Since(sent[0])
				sent = sent[1:]
				if !measuring.Load() {
					continue
				}
				if err != nil {
					r.errors++
					r.firstErr = err.Error()
					return
				}
				r.n++
				r.bytes += n
				r.statuses[status]++
				if status != 200 && status != 204 && status != 304 {
					r.errors++
				}
				r.lat = append(r.lat, d)
			}
		}(c)
	}
	if !once {
		time.Sleep(warmup)
		measuring.Store(true)
		start = time.Now()
		time.Sleep(dur)
		stop.Store(true)
		total.elapsed = time.Since(start)
		wg.Wait()
		return total
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

// readResponse reads one response, discarding its body; it returns the
// status and the body's size.
func readResponse(br *bufio.Reader) (int, int64, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := int64(-1), false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, 0, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte{':'})
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		}
	}
	if status == 204 || status == 304 {
		return status, 0, nil
	}
	if chunked {
		var total int64
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				return 0, 0, err
			}
			sz, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(l, []byte{';'}, 2)[0])), 16, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("bad chunk size %q", l)
			}
			if sz == 0 {
				for { // trailers, then the blank line
					t, err := br.ReadSlice('\n')
					if err != nil {
						return 0, 0, err
					}
					if len(t) <= 2 {
						return status, total, nil
					}
				}
			}
			if _, err := br.Discard(int(sz) + 2); err != nil {
				return 0, 0, err
			}
			total += sz
		}
	}
	if length < 0 {
		return 0, 0, errors.New("response without a length on a keep-alive connection")
	}
	if _, err := io.CopyN(io.Discard, br, length); err != nil {
		return 0, 0, err
	}
	return status, length, nil
}
