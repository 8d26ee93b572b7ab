package geocode

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used so far: on a shared machine
// it measures the work, where wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGeocode geocodes the evaluation addresses one after another on
// one goroutine; geocodes/s is b.N / elapsed.
func BenchmarkGeocode(b *testing.B) {
	g := demoGazetteer(b)
	var qs []string
	for _, e := range evalSet(g, 4096, 11) {
		qs = append(qs, e.Query)
	}
	benchGeocode(b, g, qs)
}

// BenchmarkGeocodeForms geocodes the forms set (intersections, offsets,
// landmarks, short station names, bus stops, other cities).
func BenchmarkGeocodeForms(b *testing.B) {
	g := demoGazetteer(b)
	var qs []string
	for _, e := range evalForms(g, 512, 11) {
		qs = append(qs, e.Query)
	}
	benchGeocode(b, g, qs)
}

func benchGeocode(b *testing.B, g *Gazetteer, qs []string) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := g.Geocode(qs[i%len(qs)], 5); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "geocodes/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "geocodes/cpu-s")
	}
}

// BenchmarkSuggest is the type-ahead on prefixes of growing length.
func BenchmarkSuggest(b *testing.B) {
	g := demoGazetteer(b)
	qs := []string{"幸", "幸福", "幸福小", "青檀社", "光明路", "市中区光", "荆河街道", "幸福小区3"}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		g.Suggest(qs[i%len(qs)], 10)
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkBuild builds the gazetteer of the demo city from its index.
func BenchmarkBuild(b *testing.B) {
	g := demoGazetteer(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := New(g.city, g.ix); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/build")
	}
}
