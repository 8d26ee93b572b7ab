package tiles

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"
)

// urbanTiles returns the tiles of zoom z whose area holds grids, shuffled
// with a fixed seed.
func urbanTiles(tb testing.TB, tl *Tiler, z int) []maptile.Tile {
	tb.Helper()
	var out []maptile.Tile
	l := tl.layer(LayerGrids)
	for _, k := range tl.Cover(z) {
		n := float64(uint64(1) << z)
		lo := [2]float64{float64(k.X) / n, float64(k.Y) / n}
		hi := [2]float64{float64(k.X+1) / n, float64(k.Y+1) / n}
		has := false
		l.index.Search(lo, hi, func(_, _ [2]float64, _ int32) bool { has = true; return false })
		if has {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no urban tiles at z%d", z)
	}
	rng := rand.New(rand.NewPCG(42, uint64(z)))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// benchTiles renders random urban tiles of zoom z, uncached (the per-city
// topology and per-zoom simplified arcs are built once by New), and
// reports the median and 90th percentile render time and the mean size.
func benchTiles(b *testing.B, z int) {
	_, tl := demo(b)
	ks := urbanTiles(b, tl, z)
	times := make([]time.Duration, 0, b.N)
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := ks[i%len(ks)]
		t0 := time.Now()
		buf, err := tl.Tile(z, int(k.X), int(k.Y))
		times = append(times, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		size += len(buf)
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "median-ns")
	b.ReportMetric(float64(times[len(times)*9/10].Nanoseconds()), "p90-ns")
	b.ReportMetric(float64(size)/float64(b.N), "bytes/tile")
}

func BenchmarkTileZ12(b *testing.B) { benchTiles(b, 12) }
func BenchmarkTileZ14(b *testing.B) { benchTiles(b, 14) }
func BenchmarkTileZ16(b *testing.B) { benchTiles(b, 16) }

// BenchmarkNew builds the tiler of the demo city: topology, indexes,
// properties and the simplified arcs of every zoom.
func BenchmarkNew(b *testing.B) {
	c, _ := demo(b)
	for i := 0; i < b.N; i++ {
		if _, err := New(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := NewCache(1 << 20)
	k := maptile.New(1, 2, 3)
	c.Add(k, &Encoded{Raw: []byte{1}})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Get(k)
		}
	})
}

// BenchmarkEncodeZ12 is the other half of a cold tile: gzip and ETags of
// rendered z12 tiles (what the server caches), as Encode does them.
func BenchmarkEncodeZ12(b *testing.B) {
	_, tl := demo(b)
	ks := urbanTiles(b, tl, 12)
	raws := make([][]byte, len(ks))
	for i, k := range ks {
		raws[i], _ = tl.Tile(12, int(k.X), int(k.Y))
	}
	b.ReportAllocs()
	b.ResetTimer()
	in, out := 0, 0
	for i := 0; i < b.N; i++ {
		e, err := Encode(raws[i%len(raws)], "v1")
		if err != nil {
			b.Fatal(err)
		}
		in, out = in+len(e.Raw), out+len(e.Gzip)
	}
	b.ReportMetric(float64(in)/float64(b.N), "raw-bytes/tile")
	b.ReportMetric(float64(out)/float64(b.N), "gzip-bytes/tile")
}
