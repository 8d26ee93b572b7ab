package coverage

import (
	"context"
	"testing"

	"github.com/gridmap/gridmap/data/synth"
)

// BenchmarkNewModel builds the demo city's network and snaps every
// building to it: the fixed cost before any figure.
func BenchmarkNewModel(b *testing.B) {
	c, err := synth.City(synth.Options{Seed: 1, Incidents: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		NewModel(c, Options{})
	}
}

// BenchmarkReport is the demo city's coverage by the built grid stations
// with every level's figures (issue 8: under 1 s).
func BenchmarkReport(b *testing.B) {
	m := demo(b)
	b.ResetTimer()
	for b.Loop() {
		m.Report(Built(m), true)
	}
}

// BenchmarkSite300 chooses 300 sites among every building of the demo city
// (issue 8: under 10 s), swap step included.
func BenchmarkSite300(b *testing.B) {
	m := demo(b)
	b.ResetTimer()
	for b.Loop() {
		s, err := m.Site(context.Background(), SitingOptions{K: 300})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(s.After.HouseholdsCovered), "households")
		b.ReportMetric(float64(s.Candidates), "candidates")
	}
}

// BenchmarkCatchments draws the polygon of every built station's reach.
func BenchmarkCatchments(b *testing.B) {
	m := demo(b)
	b.ResetTimer()
	for b.Loop() {
		m.Catchments(AllBuilt(m))
	}
}
