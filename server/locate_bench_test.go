package server

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
)

// discardWriter is a reusable ResponseWriter that keeps nothing but the
// status and size, so a benchmark measures the handler, not a recorder.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header { return d.h }
func (d *discardWriter) WriteHeader(c int)   { d.status = c }
func (d *discardWriter) Write(b []byte) (int, error) {
	d.n += len(b)
	return len(b), nil
}
func (d *discardWriter) reset() {
	clear(d.h)
	d.status, d.n = 0, 0
}

// locateRequests builds n GET requests at building entrances jittered by
// up to ~50 m (most inside grids, a few between them), with query suffix.
func locateRequests(tb testing.TB, n int, suffix string) []*http.Request {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]*http.Request, n)
	for i := range out {
		bl := demo.Buildings[rng.IntN(len(demo.Buildings))]
		lon := bl.Entrance[0] + (rng.Float64()-0.5)*0.001
		lat := bl.Entrance[1] + (rng.Float64()-0.5)*0.001
		out[i] = httptest.NewRequest("GET", fmt.Sprintf("/api/v1/locate?lon=%.7f&lat=%.7f%s", lon, lat, suffix), nil)
	}
	return out
}

// BenchmarkLocateServe runs the whole server handler (front: auth, limits,
// metrics; routing; locate; encoding) on prepared requests, without
// net/http's connection handling: ns/op and allocs/op of gridmap's own
// share of a single-point locate.
func BenchmarkLocateServe(b *testing.B) {
	s := testServer(b, Config{})
	for _, tc := range []struct{ name, suffix string }{
		{"full", ""},
		{"compact", "&fields=grid"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			reqs := locateRequests(b, 4096, tc.suffix)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			bytes := 0
			for i := 0; i < b.N; i++ {
				w.reset()
				s.ServeHTTP(w, reqs[i%len(reqs)])
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
				bytes += w.n
			}
			b.ReportMetric(float64(bytes)/float64(b.N), "B/resp")
		})
	}
}

// BenchmarkTileServe serves cached tiles through the whole server handler
// (the direct tile route), gzip accepted, as a map client asks.
func BenchmarkTileServe(b *testing.B) {
	s := testServer(b, Config{})
	st := s.tileState()
	var reqs []*http.Request
	for z := 10; z <= 16; z++ {
		for _, k := range st.tiler.Cover(z) {
			r := httptest.NewRequest("GET", fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, k.X, k.Y), nil)
			r.Header.Set("Accept-Encoding", "gzip")
			reqs = append(reqs, r)
		}
	}
	w := &discardWriter{h: http.Header{}}
	for _, r := range reqs { // warm
		w.reset()
		s.ServeHTTP(w, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		s.ServeHTTP(w, reqs[i%len(reqs)])
		if w.status != http.StatusOK && w.status != http.StatusNoContent {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkTileColdServe serves the z10–z16 cover of the urban area
// through the handler from an empty cache (emptied each time the list
// wraps), two requests at a time: render, gzip, cache, write. Run with
// -mutexprofile to see whether the cache lock holds cold tiles up.
func BenchmarkTileColdServe(b *testing.B) {
	s := testServer(b, Config{})
	st := s.tileState()
	var paths []string
	for z := 10; z <= 16; z++ {
		for _, k := range st.tiler.Cover(z) {
			paths = append(paths, fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, k.X, k.Y))
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			i := next.Add(1) - 1
			if i > 0 && i%int64(len(paths)) == 0 {
				st.cache.Invalidate(orb.Bound{Min: orb.Point{-180, -85}, Max: orb.Point{180, 85}})
			}
			r := httptest.NewRequest("GET", paths[i%int64(len(paths))], nil)
			r.Header.Set("Accept-Encoding", "gzip")
			w.reset()
			s.ServeHTTP(w, r)
		}
	})
	b.ReportMetric(float64(len(paths)), "tiles/list")
}
