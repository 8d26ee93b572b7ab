package places_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/synth"
)

// Benchmarks on the demo city (11,564 compounds, ~28,000 property records,
// ~61,000 service logs, 997 stations): the hot paths of the places routes.

var (
	demoOnce sync.Once
	demo     *data.City
)

func demoCity(b *testing.B) *data.City {
	demoOnce.Do(func() {
		c, err := synth.City(synth.Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		demo = c
	})
	return demo
}

var demoNow = time.Date(2026, 11, 30, 12, 0, 0, 0, places.CST)

func BenchmarkDemoRatesCommunity(b *testing.B) {
	c := demoCity(b)
	r := places.NewRater(c, places.NewProperty(&c.Places))
	b.ResetTimer()
	for b.Loop() {
		r.Rates(places.LevelCommunity, "2026-11-30")
	}
}

func BenchmarkDemoChangesCity(b *testing.B) {
	c := demoCity(b)
	r := places.NewRater(c, places.NewProperty(&c.Places))
	b.ResetTimer()
	for b.Loop() {
		r.Changes(places.LevelCity, "2020-01-01", "2026-11-30")
	}
}

func BenchmarkDemoNewProperty(b *testing.B) {
	c := demoCity(b)
	b.ResetTimer()
	for b.Loop() {
		places.NewProperty(&c.Places)
	}
}

func BenchmarkDemoComplaints(b *testing.B) {
	c := demoCity(b)
	prop := places.NewProperty(&c.Places)
	l := places.NewLinker(c, nil)
	b.ResetTimer()
	for b.Loop() {
		cs := l.Complaints(c.Incidents, prop)
		places.ComplaintReport(c, prop, cs, places.ComplaintQuery{Level: places.LevelCommunity, End: demoNow})
	}
}

func BenchmarkDemoCoverage(b *testing.B) {
	c := demoCity(b)
	bs := places.IndexBuildings(c)
	b.ResetTimer()
	for b.Loop() {
		places.Coverage(bs, &c.Places, places.DefaultIntervals, demoNow)
	}
}

func BenchmarkDemoReassess(b *testing.B) {
	c := demoCity(b)
	b.ResetTimer()
	for b.Loop() {
		places.Reassess(c, &c.Places, demoNow)
	}
}

func BenchmarkDemoCheckAll(b *testing.B) {
	c := demoCity(b)
	cx := places.Context{City: c, Buildings: places.IndexBuildings(c), Now: demoNow.AddDate(0, 0, 2)}
	ch := &places.Change{Property: c.Places.Property, Logs: c.Places.Logs}
	b.ResetTimer()
	for b.Loop() {
		places.Check(cx, &c.Places, ch)
	}
}
