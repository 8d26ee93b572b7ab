package geocode

import (
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
)

var demo struct {
	once sync.Once
	city *data.City
	ix   *geo.Index
	gz   *Gazetteer
	err  error
}

// demoGazetteer is the gazetteer of the demo city (seed 1), built once per
// test binary.
func demoGazetteer(tb testing.TB) *Gazetteer {
	tb.Helper()
	demo.once.Do(func() {
		demo.city, demo.err = synth.City(synth.Options{Seed: 1})
		if demo.err != nil {
			return
		}
		demo.ix, demo.err = geo.NewIndex(demo.city)
		if demo.err != nil {
			return
		}
		demo.gz, demo.err = New(demo.city, demo.ix)
	})
	if demo.err != nil {
		tb.Fatal(demo.err)
	}
	return demo.gz
}
