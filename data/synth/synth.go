// Package synth generates gridmap's demo city: a deterministic,
// Zaozhuang-shaped city with the real district outlines, the 21 real urban
// sub-districts and 206 of the real community names, 1,230 grids, their
// compounds, buildings, roads, stations, cadres, reporting units and a
// history of incidents, matching the published figures of shared/CITY.md.
//
// Layout. Each district's urban core is a jittered, slightly rotated
// lattice of blocks about 200 m across, placed on the district seat (moved
// inwards until it lies wholly inside the real outline). The core is cut by
// recursive proportional cuts into streets, each street into its
// communities and each community into its grids, so every area is a
// rectangle of blocks in lattice space. A ring runs through every lattice
// point on its perimeter, which makes the hierarchy an exact nested
// partition whose neighbours share border vertices bit for bit. The lattice
// lines are the road network: named, classed (main, secondary, branch),
// connected at shared nodes, with odd house numbers on the left and even on
// the right. Every block is one compound (小区) of one or more buildings.
//
// Scale. Options.Scale = K yields K copies of the city, copy 0 being the
// reference city and copy k > 0 a fresh draw shifted k columns/rows of 1°
// away, with district codes 9xxxx(k)(d) so every code stays unique. Copies
// are handed to the emit callback one at a time, so a caller can stream a
// city of millions of grids to disk without holding it in memory.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// Published figures of the reference city (shared/CITY.md).
const (
	Communities           = 206
	Grids                 = 1230
	Cadres                = 2580
	CommunityCentres      = 206
	BuiltGridStations     = 491
	PlannedGridStations   = 300
	MunicipalUnits        = 104
	DistrictUnits         = 515
	FullTimeWorkers       = 849
	PartTimeMembers       = 631
	MunicipalUnitMembers  = 15000
	DistrictUnitMembers   = 30000
	DefaultIncidents      = 3000
	maxScale              = 9999
	generatorName         = "gridmap-synth/1"
	blockWidthM, blockHtM = 210.0, 185.0
	// minPlots is the fewest plots (quarter blocks, one compound each) a
	// grid is laid out with.
	minPlots = 2
)

// Options control the generator. The zero value (with Seed 0) is valid.
type Options struct {
	Seed  uint64
	Scale int // copies of the city; 0 means 1

	// The three rates (三率) of compound governance now, as package
	// data/places counts them: the share of compounds professionally
	// managed (0.88), the share with an owners' committee (0.72), and the
	// share of the property companies serving compounds that have a party
	// organisation (0.93). The history behind them starts from assumed
	// early-2020 shares (places.go).
	PropertyRate, OwnersCommitteeRate, PartyOrgRate float64

	Incidents int // historical incidents per copy; 0 means DefaultIncidents

	// PlacesAsOf is the day (yyyy-mm-dd, from PlacesAsOf on) the places
	// records run up to; "" means PlacesAsOf.
	PlacesAsOf string
}

func (o *Options) defaults() error {
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.Scale < 0 || o.Scale > maxScale {
		return fmt.Errorf("synth: scale %d out of range 1..%d", o.Scale, maxScale)
	}
	if o.PropertyRate == 0 {
		o.PropertyRate = 0.88
	}
	if o.OwnersCommitteeRate == 0 {
		o.OwnersCommitteeRate = 0.72
	}
	if o.PartyOrgRate == 0 {
		o.PartyOrgRate = 0.93
	}
	for _, r := range []float64{o.PropertyRate, o.OwnersCommitteeRate, o.PartyOrgRate} {
		if !(r >= 0 && r <= 1) {
			return fmt.Errorf("synth: rate %v out of range 0..1", r)
		}
	}
	if o.Incidents == 0 {
		o.Incidents = DefaultIncidents
	}
	if o.Incidents < 0 {
		return fmt.Errorf("synth: negative incident count %d", o.Incidents)
	}
	if o.PlacesAsOf == "" {
		o.PlacesAsOf = PlacesAsOf
	}
	if _, err := places.ParseDate(o.PlacesAsOf); err != nil || o.PlacesAsOf < PlacesAsOf {
		return fmt.Errorf("synth: places as-of day %q: want a yyyy-mm-dd day from %s on", o.PlacesAsOf, PlacesAsOf)
	}
	return nil
}

// City generates the whole city in memory (for tests and small scales).
func City(opt Options) (*data.City, error) {
	c := &data.City{}
	err := Generate(opt, func(part *data.City) error {
		c.Append(part)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, c.Index()
}

// Generate produces the city copy by copy and hands each to emit, in order.
func Generate(opt Options, emit func(*data.City) error) error {
	if err := opt.defaults(); err != nil {
		return err
	}
	ref, err := loadReference()
	if err != nil {
		return err
	}
	for k := 0; k < opt.Scale; k++ {
		part, err := generateCopy(ref, opt, k)
		if err != nil {
			return fmt.Errorf("synth: copy %d: %w", k, err)
		}
		part.Meta = map[string]string{
			"generator": generatorName,
			"seed":      strconv.FormatUint(opt.Seed, 10),
			"scale":     strconv.Itoa(opt.Scale),
			// the day the generated places records run up to
			"places_as_of": opt.PlacesAsOf,
		}
		if err := emit(part); err != nil {
			return err
		}
	}
	return nil
}

type reference struct {
	districts   []refDistrict
	wgsRings    []orb.Ring // district outlines in WGS84, cleaned, CCW
	wgsSeats    []orb.Point
	streets     []refStreet
	communities []refCommunity
}

func loadReference() (*reference, error) {
	ds, err := loadRefDistricts()
	if err != nil {
		return nil, err
	}
	ss, err := loadRefStreets()
	if err != nil {
		return nil, err
	}
	cs, err := loadRefCommunities()
	if err != nil {
		return nil, err
	}
	r := &reference{districts: ds, streets: ss, communities: cs}
	for _, d := range ds {
		r.wgsRings = append(r.wgsRings, toWGS84Ring(d.Ring))
		s := geo.GCJ02ToWGS84(d.Seat)
		r.wgsSeats = append(r.wgsSeats, orb.Point{round7(s[0]), round7(s[1])})
	}
	return r, nil
}

// toWGS84Ring converts a published GCJ-02 ring to WGS84, drops repeated
// points and spikes, and returns it closed and counter-clockwise.
func toWGS84Ring(g orb.Ring) orb.Ring {
	out := make(orb.Ring, 0, len(g))
	for _, p := range g {
		w := geo.GCJ02ToWGS84(p)
		w = orb.Point{round7(w[0]), round7(w[1])}
		if len(out) > 0 && out[len(out)-1] == w {
			continue
		}
		out = append(out, w)
	}
	if out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	// Quantisation left spikes (A B A): drop them until none is left.
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(out) && len(out) > 3; i++ {
			n := len(out)
			prev, next := out[(i+n-1)%n], out[(i+1)%n]
			if prev == next {
				// remove out[i] and the repeated next point
				j := (i + 1) % n
				if j > i {
					out = append(out[:i], out[j+1:]...)
				} else {
					out = out[1:i]
				}
				changed = true
				break
			}
		}
	}
	out = append(out, out[0])
	if geo.RingArea(out) < 0 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// copyCode maps a reference code into copy k: copy 0 keeps the real codes.
func copyCode(code string, k, di int) string {
	if k == 0 {
		return code
	}
	return fmt.Sprintf("9%04d%d", k, di) + code[data.DistrictCodeLen:]
}

// largestRemainder shares total out in proportion to weights, each at
// least min.
func largestRemainder(weights []float64, total, min int) []int {
	n := len(weights)
	out := make([]int, n)
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	rest := total - min*n
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, n)
	used := 0
	for i, w := range weights {
		q := w / sum * float64(rest)
		out[i] = min + int(q)
		used += int(q)
		rems[i] = rem{i, q - math.Floor(q)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for j := 0; used < rest; j++ {
		out[rems[j%n].i]++
		used++
	}
	return out
}

func shuffled(rng *rand.Rand, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	rng.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// capped moves shares above their cap (the weight itself, as a count) to
// the shares with the most room left, keeping the total.
func capped(shares []int, caps []float64) []int {
	for {
		over := -1
		for i, s := range shares {
			if float64(s) > caps[i] {
				over = i
				break
			}
		}
		if over < 0 {
			return shares
		}
		best, room := -1, 0.0
		for i, s := range shares {
			if r := caps[i] - float64(s); r > room {
				best, room = i, r
			}
		}
		if best < 0 {
			return shares
		}
		shares[over]--
		shares[best]++
	}
}
