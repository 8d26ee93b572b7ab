// Package coverage measures who is within reach of a service station and
// chooses sites for new ones.
//
// Reach is a walking distance: by default 500 m for a grid red station and
// 1,000 m for a community party-mass service centre (the 10- and 15-minute
// life circles of GB 50180-2018). It is measured along the road network
// from the station to each building's entrance: each point walks straight
// to the nearest road segment (within Options.MaxSnap), then along the
// roads. Where a building or station lies farther than MaxSnap from any
// road, or no road exists, the documented fallback is the straight-line
// distance times Options.Detour (1.3 by default).
//
// A building is covered when some built station reaches it; a grid is
// covered when at least Options.GridShare (50%) of its households are.
// Siting is greedy maximal covering (MCLP) with lazy evaluation, followed
// by a swap improvement, with the data-dependent upper bound of submodular
// maximisation (the best solution can cover at most f(S) plus the sum of
// the k largest marginal gains given S).
package coverage

import (
	"math"
	"runtime"
	"sync"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Options tune the coverage model. The zero value gives the defaults.
type Options struct {
	GridRadius   float64 // reach of a grid station in metres (500)
	CentreRadius float64 // reach of a community centre in metres (1,000)
	GridShare    float64 // share of a grid's households in reach for the grid to count as covered (0.5)
	Target       float64 // share of grids the city aims to cover (0.7)
	Detour       float64 // straight-line fallback factor (1.3)
	MaxSnap      float64 // farthest walk from a point to a road in metres (250)
}

func (o *Options) defaults() {
	if o.GridRadius <= 0 {
		o.GridRadius = 500
	}
	if o.CentreRadius <= 0 {
		o.CentreRadius = 1000
	}
	if o.GridShare <= 0 || o.GridShare > 1 {
		o.GridShare = 0.5
	}
	if o.Target <= 0 || o.Target > 1 {
		o.Target = 0.7
	}
	if o.Detour < 1 {
		o.Detour = 1.3
	}
	if o.MaxSnap <= 0 {
		o.MaxSnap = 250
	}
}

// Model holds a city with its road network and every building's access to
// it. It is immutable and safe for concurrent use.
type Model struct {
	City *data.City
	Net  *Network
	Opt  Options

	access    []Access // per building
	segBldgs  [][]int32
	bTree     rtree.RTreeG[int32] // building entrances, for the fallback
	gridOf    []int32             // building → grid index
	hh        []float64           // building → households
	gridHH    []float64
	pool      *sync.Pool
	unsnapped []int32 // buildings with no road within MaxSnap
}

// NewModel builds the model of c.
func NewModel(c *data.City, opt Options) *Model {
	opt.defaults()
	m := &Model{City: c, Net: NewNetwork(c.Roads), Opt: opt}
	m.access = make([]Access, len(c.Buildings))
	m.segBldgs = make([][]int32, m.Net.Segments())
	m.gridOf = make([]int32, len(c.Buildings))
	m.hh = make([]float64, len(c.Buildings))
	m.gridHH = make([]float64, len(c.Grids))
	gridIdx := make(map[string]int32, len(c.Grids))
	for i, g := range c.Grids {
		gridIdx[g.Code] = int32(i)
	}
	parallel(len(c.Buildings), func(i int) {
		m.access[i] = m.Net.Snap(c.Buildings[i].Entrance, opt.MaxSnap)
	})
	for i, b := range c.Buildings {
		if a := m.access[i]; a.Seg >= 0 {
			m.segBldgs[a.Seg] = append(m.segBldgs[a.Seg], int32(i))
		} else {
			m.unsnapped = append(m.unsnapped, int32(i))
		}
		m.bTree.Insert(b.Entrance, b.Entrance, int32(i))
		g, ok := gridIdx[b.GridCode]
		if !ok {
			g = -1
		}
		m.gridOf[i] = g
		m.hh[i] = float64(b.Households)
		if g >= 0 {
			m.gridHH[g] += float64(b.Households)
		}
	}
	m.pool = &sync.Pool{New: func() any { return newDijkstra(m.Net.Nodes()) }}
	return m
}

// WithOptions returns a model sharing this one's network and access data
// with other reach and share options (MaxSnap and Detour stay).
func (m *Model) WithOptions(o Options) *Model {
	c := *m
	o.MaxSnap, o.Detour = m.Opt.MaxSnap, m.Opt.Detour
	o.defaults()
	c.Opt = o
	return &c
}

// Reached is a building within reach of a site, with its walking distance.
type Reached struct {
	Building  int32
	DistanceM float64
	Network   bool // measured along roads (false: straight line × detour)
}

// Reach returns the buildings within radius metres of a site at p.
func (m *Model) Reach(p orb.Point, radius float64) []Reached {
	from := m.Net.Snap(p, m.Opt.MaxSnap)
	var out []Reached
	if from.Seg >= 0 {
		d := m.pool.Get().(*dijkstra)
		d.run(m.Net, from, radius)
		// A building joins the network on one segment: visiting each
		// segment once finds it once.
		stamp := d.nextStamp(m.Net.Segments())
		visit := func(s int32) {
			if d.segMark[s] == stamp {
				return
			}
			d.segMark[s] = stamp
			for _, b := range m.segBldgs[s] {
				if dist := d.to(m.Net, from, m.access[b]); dist <= radius {
					out = append(out, Reached{b, dist, true})
				}
			}
		}
		visit(from.Seg)
		for _, n := range d.touched {
			for _, s := range m.Net.adj[n] {
				visit(s)
			}
		}
		d.reset()
		m.pool.Put(d)
	}
	// Fallback: buildings off the network, or every building when the site
	// itself is off it, by straight line × detour.
	straight := radius / m.Opt.Detour
	kx, ky := geo.MetresPerDegree(p[1])
	dLon, dLat := straight/kx, straight/ky
	m.bTree.Search([2]float64{p[0] - dLon, p[1] - dLat}, [2]float64{p[0] + dLon, p[1] + dLat}, func(_, _ [2]float64, b int32) bool {
		if from.Seg >= 0 && m.access[b].Seg >= 0 {
			return true // on the network: measured above
		}
		if d := geo.Distance(p, m.City.Buildings[b].Entrance) * m.Opt.Detour; d <= radius {
			out = append(out, Reached{b, d, false})
		}
		return true
	})
	return out
}

// RadiusOf returns the reach of a station by its kind.
func (m *Model) RadiusOf(s *data.Station) float64 {
	if s.Kind == data.StationCommunityCentre {
		return m.Opt.CentreRadius
	}
	return m.Opt.GridRadius
}

// catchments computes the buildings each site reaches, in parallel,
// leaving out the buildings marked in skip (nil skips none).
func (m *Model) catchments(points []orb.Point, radii []float64, skip []bool) [][]int32 {
	out := make([][]int32, len(points))
	parallel(len(points), func(i int) {
		r := m.Reach(points[i], radii[i])
		n := 0
		for _, x := range r {
			if skip == nil || !skip[x.Building] {
				n++
			}
		}
		if n == 0 {
			return
		}
		ids := make([]int32, 0, n)
		for _, x := range r {
			if skip == nil || !skip[x.Building] {
				ids = append(ids, x.Building)
			}
		}
		out[i] = ids
	})
	return out
}

// parallel calls f(i) for i in [0, n) on every core, each core taking every
// GOMAXPROCS-th index.
func parallel(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}(w)
	}
	wg.Wait()
}

// round1 rounds to one decimal for reports.
func round1(x float64) float64 { return math.Round(x*10) / 10 }
