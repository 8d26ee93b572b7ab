// Command incidentload is the load harness of the dispatch flow: it opens
// many live-event (SSE) clients on a running gridmap server, posts
// incidents at a fixed rate for a while, and checks that every client
// received the creation event of every incident that got a 201. It prints
// the figures: POST rate achieved, status counts, POST latency and event
// delivery lag percentiles, events delivered, and missing events.
//
//	gridmap generate --out /tmp/load.gpkg
//	gridmap token create --data /tmp/load.gpkg --role dispatcher --name load > /tmp/disp.tok
//	gridmap token create --data /tmp/load.gpkg --role viewer --name wall > /tmp/view.tok
//	gridmap serve --data /tmp/load.gpkg --addr 127.0.0.1:18080 --rate-limit 0 &
//	go run ./scripts/incidentload --url http://127.0.0.1:18080 \
//	    --token $(cat /tmp/disp.tok) --viewer $(cat /tmp/view.tok) --clients 200 --rate 500 --duration 60s
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18080", "server")
	eventsURL := flag.String("events-url", "", "server the event clients stream from (default --url): another replica measures the fan-out across replicas")
	token := flag.String("token", "", "dispatcher token (POSTs)")
	viewer := flag.String("viewer", "", "viewer token (event streams)")
	clients := flag.Int("clients", 200, "SSE clients")
	rate := flag.Int("rate", 500, "incident POSTs per second")
	dur := flag.Duration("duration", 60*time.Second, "how long to post")
	workers := flag.Int("workers", 128, "concurrent POSTers")
	flag.Parse()
	if *token == "" || *viewer == "" {
		fmt.Fprintln(os.Stderr, "incidentload: --token and --viewer are required")
		os.Exit(2)
	}
	points, err := buildingPoints(*base, *viewer)
	if err != nil {
		fmt.Fprintln(os.Stderr, "incidentload:", err)
		os.Exit(1)
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	if *eventsURL == "" {
		*eventsURL = *base
	}

	// event clients
	type client struct {
		mu   sync.Mutex
		seen map[string]bool
		lag  []time.Duration
		n    int
		last int64
		errs int
	}
	ctx, cancel := context.WithCancel(context.Background())
	cls := make([]*client, *clients)
	var ready sync.WaitGroup
	var streamErrs atomic.Int64
	sseTr := &http.Transport{MaxIdleConnsPerHost: *clients, DisableCompression: true}
	for i := range cls {
		c := &client{seen: map[string]bool{}}
		cls[i] = c
		ready.Add(1)
		go func() {
			var once sync.Once
			defer once.Do(ready.Done)
			lastID := int64(-1)
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", *eventsURL+"/api/v1/events", nil)
				req.Header.Set("Authorization", "Bearer "+*viewer)
				if lastID >= 0 {
					req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
				}
				resp, err := (&http.Client{Transport: sseTr}).Do(req)
				if err != nil || resp.StatusCode != 200 {
					if ctx.Err() == nil {
						streamErrs.Add(1)
						time.Sleep(200 * time.Millisecond)
					}
					continue
				}
				once.Do(ready.Done)
				sc := bufio.NewScanner(resp.Body)
				sc.Buffer(make([]byte, 64<<10), 1<<20)
				var id int64
				for sc.Scan() {
					line := sc.Bytes()
					switch {
					case len(line) > 4 && string(line[:4]) == "id: ":
						id, _ = strconv.ParseInt(string(line[4:]), 10, 64)
					case len(line) > 6 && string(line[:6]) == "data: ":
						// cheap field extraction: 200 clients × 500 events/s
						// of full JSON decoding would load the machine more
						// than the server does
						d := line[6:]
						typ := field(d, `"type":"`)
						incID := field(d, `"incident":{"id":"`)
						now := time.Now()
						c.mu.Lock()
						if id <= c.last {
							c.errs++ // out of order or repeated
						}
						c.last, lastID = id, id
						c.n++
						if typ == "created" { // this run's ids are checked at the end
							c.seen[incID] = true
							if c.n%20 == 0 { // sample the lag
								if at, err := time.Parse(time.RFC3339Nano, field(d, `"at":"`)); err == nil {
									c.lag = append(c.lag, now.Sub(at))
								}
							}
						}
						c.mu.Unlock()
					}
				}
				resp.Body.Close()
				if ctx.Err() == nil {
					streamErrs.Add(1) // cut off: resume from lastID
				}
			}
		}()
	}
	ready.Wait()
	fmt.Printf("%d event clients connected\n", *clients)

	// posters
	tr := &http.Transport{MaxIdleConnsPerHost: *workers, MaxConnsPerHost: *workers}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	jobs := make(chan int, *rate*2)
	var (
		mu      sync.Mutex
		created []string
		lat     []time.Duration
		codes   = map[int]int{}
		netErrs int
	)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				p := points[n%len(points)]
				body := fmt.Sprintf(`{"category":"property.sanitation","description":"%s-%d","lon":%v,"lat":%v,"caller":{"name":"压测","phone":"13900000000"}}`, run, n, p[0], p[1])
				req, _ := http.NewRequest("POST", *base+"/api/v1/incidents", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+*token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d", run, n))
				t0 := time.Now()
				resp, err := hc.Do(req)
				d := time.Since(t0)
				if err != nil {
					mu.Lock()
					netErrs++
					mu.Unlock()
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var v struct {
					ID string `json:"id"`
				}
				json.Unmarshal(b, &v)
				mu.Lock()
				codes[resp.StatusCode]++
				lat = append(lat, d)
				if resp.StatusCode == http.StatusCreated {
					created = append(created, v.ID)
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	sent, late := 0, 0
	for now := range tick.C {
		el := now.Sub(start)
		if el >= *dur {
			break
		}
		// pace by the clock, not by ticks: a starved process loses ticks
		for target := int(el.Seconds() * float64(*rate)); sent < target; sent++ {
			select {
			case jobs <- sent:
			default:
				late++ // the workers are saturated: the job waits
				jobs <- sent
			}
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("posted %d in %v (%.0f/s); statuses %v; network errors %d; enqueue stalls %d\n",
		sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), codes, netErrs, late)
	fmt.Printf("POST latency: %s\n", pct(lat))

	// wait for the streams to catch up
	want := map[string]bool{}
	for _, id := range created {
		want[id] = true
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		done := true
		for _, c := range cls {
			c.mu.Lock()
			n := len(c.seen)
			c.mu.Unlock()
			if n < len(want) {
				done = false
				break
			}
		}
		if done {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	var allLag []time.Duration
	missingClients, missingEvents, order, total := 0, 0, 0, 0
	for _, c := range cls {
		c.mu.Lock()
		miss := 0
		for id := range want {
			if !c.seen[id] {
				miss++
			}
		}
		if miss > 0 {
			missingClients++
			missingEvents += miss
		}
		order += c.errs
		total += c.n
		allLag = append(allLag, c.lag...)
		c.mu.Unlock()
	}
	fmt.Printf("events delivered: %d to %d clients; clients missing events: %d (%d events); out-of-order: %d; stream reconnects/errors: %d\n",
		total, len(cls), missingClients, missingEvents, order, streamErrs.Load())
	fmt.Printf("event lag (report → client): %s\n", pct(allLag))
	if resp, err := http.Get(*base + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "gridmap_incident_commit_batches_total") || strings.HasPrefix(l, "gridmap_incidents_created_total") ||
				strings.HasPrefix(l, "gridmap_sse_clients_dropped_total") {
				fmt.Println(l)
			}
		}
	}
	if missingEvents > 0 || netErrs > 0 || len(codes) != 1 || codes[201] == 0 || order > 0 {
		os.Exit(1)
	}
}

// field returns the JSON string value following key in b ("" if absent);
// the values it reads carry no escapes.
func field(b []byte, key string) string {
	i := strings.Index(string(b), key)
	if i < 0 {
		return ""
	}
	rest := b[i+len(key):]
	j := strings.IndexByte(string(rest), '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func pct(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n/a"
	}
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v, p95 %v, p99 %v, max %v (n=%d)", q(0.5), q(0.95), q(0.99), ds[len(ds)-1].Round(100*time.Microsecond), len(ds))
}

// buildingPoints takes the centres of some buildings from the layer API:
// points that lie inside grids.
func buildingPoints(base, token string) ([][2]float64, error) {
	req, _ := http.NewRequest("GET", base+"/api/v1/layers/buildings?limit=2000", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var fc struct {
		Features []struct {
			Geometry struct {
				Coordinates [][][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		return nil, fmt.Errorf("buildings: %w", err)
	}
	var pts [][2]float64
	for _, f := range fc.Features {
		r := f.Geometry.Coordinates
		if len(r) == 0 || len(r[0]) < 3 {
			continue
		}
		pts = append(pts, [2]float64{(r[0][0][0] + r[0][2][0]) / 2, (r[0][0][1] + r[0][2][1]) / 2})
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no buildings")
	}
	return pts, nil
}
