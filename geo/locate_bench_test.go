package geo_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

var demo struct {
	once sync.Once
	c    *data.City
	ix   *geo.Index
	err  error
}

// demoIndex is the demo city (data/synth, seed 1, scale 1: 1,230 grids).
func demoIndex(tb testing.TB) (*data.City, *geo.Index) {
	demo.once.Do(func() {
		demo.c, demo.err = synth.City(synth.Options{Seed: 1, Scale: 1})
		if demo.err == nil {
			demo.ix, demo.err = geo.NewIndex(demo.c)
		}
	})
	if demo.err != nil {
		tb.Fatal(demo.err)
	}
	return demo.c, demo.ix
}

var lat struct {
	once sync.Once
	c    *data.City
	ix   *geo.Index
}

// latticeIndex is a hand-made 40×31 lattice city (1,240 grids).
func latticeIndex(tb testing.TB) (*data.City, *geo.Index) {
	lat.once.Do(func() {
		lat.c = geo.LatticeCity(geo.LatticeOptions{Seed: 2, GridsX: 40, GridsY: 31, CellsPerSide: 2, CellM: 150})
		var err error
		if lat.ix, err = geo.NewIndex(lat.c); err != nil {
			panic(err)
		}
	})
	return lat.c, lat.ix
}

func TestDemoCityAgreesWithOracle(t *testing.T) {
	c, ix := demoIndex(t)
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	geo.AgreeWithOracle(t, c, ix, n)
}

func TestDemoCityBoundaries(t *testing.T) {
	c, ix := demoIndex(t)
	geo.CheckBoundaries(t, c, ix)
}

func TestDemoCityZeroAllocs(t *testing.T) {
	c, ix := demoIndex(t)
	pts := geo.UrbanPoints(c, ix, 1000, 3)
	i := 0
	if n := testing.AllocsPerRun(10000, func() { ix.Locate(pts[i%len(pts)]); i++ }); n != 0 {
		t.Errorf("Locate allocates %v times per call", n)
	}
	t.Logf("index stats: %+v", ix.Stats())
}

var sink geo.Result

// threadCPU returns the CPU time consumed by the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLocate locates pts round robin. Besides wall time per op it reports
// cpu-ns/op, the thread's own CPU time per op, which stays meaningful when
// other work shares the machine.
func benchLocate(b *testing.B, pts []orb.Point, ix *geo.Index) {
	mask := len(pts) - 1 // len is a power of two
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := threadCPU()
	n := 0
	for i := 0; b.Loop(); i++ {
		sink = ix.Locate(pts[i&mask])
		n++
	}
	if c1 := threadCPU(); c1 > c0 && n > 0 {
		b.ReportMetric(float64(c1-c0)/float64(n), "cpu-ns/op")
	}
}

// BenchmarkLocate locates random urban points (each inside some grid), one
// at a time on one core.
func BenchmarkLocate(b *testing.B) {
	b.Run("demo", func(b *testing.B) {
		c, ix := demoIndex(b)
		benchLocate(b, geo.UrbanPoints(c, ix, 1<<16, 1), ix)
	})
	b.Run("lattice", func(b *testing.B) {
		c, ix := latticeIndex(b)
		benchLocate(b, geo.UrbanPoints(c, ix, 1<<16, 1), ix)
	})
	b.Run("demo-parallel", func(b *testing.B) {
		c, ix := demoIndex(b)
		pts := geo.UrbanPoints(c, ix, 1<<16, 1)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			var r geo.Result
			for pb.Next() {
				r = ix.Locate(pts[i&(1<<16-1)])
				i++
			}
			_ = r
		})
	})
}

// BenchmarkNewIndex builds the index of the demo city.
func BenchmarkNewIndex(b *testing.B) {
	c, _ := demoIndex(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := geo.NewIndex(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocateScale builds a city of about 1.23M grids, a hand-made
// lattice (GRIDMAP_BENCH_SCALE=1; about a minute and 2 GB) or the demo city
// at scale 1000 (GRIDMAP_BENCH_SCALE=synth; several minutes), and locates
// random urban points in it. Build time and index memory are reported as
// metrics.
func BenchmarkLocateScale(b *testing.B) {
	var c *data.City
	env := os.Getenv("GRIDMAP_BENCH_SCALE")
	switch {
	case env == "":
		b.Skip("set GRIDMAP_BENCH_SCALE=1 (hand-made lattice) or =synth[:copies] (demo city at scale 1000 or copies) to build a 1.23M-grid city")
	case strings.HasPrefix(env, "synth"):
		scale := 1000
		if _, n, ok := strings.Cut(env, ":"); ok {
			scale, _ = strconv.Atoi(n)
		}
		// Keep only the layers the index needs, so the copies fit in memory.
		t0 := time.Now()
		c = &data.City{}
		err := synth.Generate(synth.Options{Seed: 1, Scale: scale}, func(part *data.City) error {
			c.Append(&data.City{Districts: part.Districts, Streets: part.Streets, Communities: part.Communities,
				Grids: part.Grids, Stations: part.Stations})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("synth scale %d generated in %v", scale, time.Since(t0))
	default:
		c = geo.LatticeCity(geo.LatticeOptions{Seed: 3, GridsX: 1110, GridsY: 1110, CellsPerSide: 2, CellM: 50, NoBuildings: true})
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	var opt geo.IndexOptions
	opt.MaxCells, _ = strconv.Atoi(os.Getenv("GRIDMAP_BENCH_MAXCELLS"))
	if os.Getenv("GRIDMAP_BENCH_NOHUGE") != "" {
		geo.SetHugePages(false)
		defer geo.SetHugePages(true)
	}
	ix, err := geo.NewIndexWith(c, opt)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	st := ix.Stats()
	mem := float64(m1.HeapAlloc-m0.HeapAlloc+uint64(st.HugePageBytes)) / (1 << 20)
	b.Logf("%d grids: build %v, index memory %.0f MiB (Go heap %.0f MiB + huge pages %.0f MiB; MemoryBytes %.0f MiB); cells %d, full %d, mixed %d, candidates %d",
		len(c.Grids), build, mem, float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), float64(st.HugePageBytes)/(1<<20),
		float64(st.MemoryBytes)/(1<<20), st.Cells, st.FullCells, st.MixedCells, st.Candidates)
	pts := geo.UrbanPoints(c, ix, 1<<20, 1)
	b.Run(fmt.Sprintf("grids=%d", len(c.Grids)), func(b *testing.B) {
		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric(mem, "index-MiB")
		benchLocate(b, pts, ix)
	})
	runtime.KeepAlive(ix)
}
