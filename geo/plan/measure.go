package plan

import (
	"math"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// DefaultTolerance is the default household target: within ±10% of the
// community's mean households per grid.
const DefaultTolerance = 0.10

// IncidentWindow is the look-back of the incident rate.
const IncidentWindow = 90 * 24 * time.Hour

// Targets configure the household target. The zero value means ±10% of
// each community's mean households per grid.
type Targets struct {
	// Tolerance is the allowed relative deviation; 0 means DefaultTolerance.
	Tolerance float64 `json:"tolerance"`
	// Households overrides the target households per grid of a community
	// (by community code); otherwise the community's mean is the target.
	Households map[string]float64 `json:"households,omitempty"`
}

func (t Targets) tol() float64 {
	if t.Tolerance > 0 && !math.IsNaN(t.Tolerance) && !math.IsInf(t.Tolerance, 0) {
		return t.Tolerance
	}
	return DefaultTolerance
}

// GridMeasure are the figures of one grid.
type GridMeasure struct {
	Code               string  `json:"code"`
	Name               string  `json:"name"`
	Community          string  `json:"community"`
	Households         int     `json:"households"`
	Population         int     `json:"population"`
	Buildings          int     `json:"buildings"`
	Compounds          int     `json:"compounds"`
	AreaM2             float64 `json:"area_m2"`
	Incidents90d       int     `json:"incidents_90d"`
	IncidentsPer1000   float64 `json:"incidents_per_1000_households"`
	Cadres             int     `json:"cadres"`
	HouseholdsPerCadre float64 `json:"households_per_cadre"` // 0 when no cadre
	Stations           int     `json:"stations"`
	BuiltStations      int     `json:"built_stations"`
	HasStation         bool    `json:"has_station"` // a built station lies in the grid
	// StationReach is the share of the grid's households within walking
	// reach of a built grid station, and StationCovered whether that makes
	// the grid covered (geo/coverage); set by the server for the layout in
	// force, absent elsewhere.
	StationReach   *float64 `json:"station_reach_share,omitempty"`
	StationCovered *bool    `json:"station_covered,omitempty"`
	PolsbyPopper   float64  `json:"polsby_popper"`
	Reock          float64  `json:"reock"`
	Contiguous     bool     `json:"contiguous"`
	Target         float64  `json:"target_households"`
	Deviation      float64  `json:"deviation"` // (households − target) / target
	Within         bool     `json:"within_target"`
}

// CommunityMeasure are the figures of one community.
type CommunityMeasure struct {
	Code               string  `json:"code"`
	Name               string  `json:"name"`
	Street             string  `json:"street"`
	Grids              int     `json:"grids"`
	Households         int     `json:"households"`
	Population         int     `json:"population"`
	Buildings          int     `json:"buildings"`
	AreaM2             float64 `json:"area_m2"`
	Target             float64 `json:"target_households"`
	MaxAbsDeviation    float64 `json:"max_abs_deviation"`
	MeanAbsDeviation   float64 `json:"mean_abs_deviation"`
	Over               int     `json:"grids_over_tolerance"`
	NonContiguous      int     `json:"non_contiguous_grids"`
	MeanPolsbyPopper   float64 `json:"mean_polsby_popper"`
	MeanReock          float64 `json:"mean_reock"`
	Incidents90d       int     `json:"incidents_90d"`
	IncidentsPer1000   float64 `json:"incidents_per_1000_households"`
	Cadres             int     `json:"cadres"`
	HouseholdsPerCadre float64 `json:"households_per_cadre"`
	Stations           int     `json:"stations"`
	GridsWithStation   int     `json:"grids_with_station"`
	Fixed              string  `json:"fixed,omitempty"` // why the community cannot be edited
}

// Summary is the city-wide view.
type Summary struct {
	At               time.Time `json:"at"`
	Tolerance        float64   `json:"tolerance"`
	Grids            int       `json:"grids"`
	Communities      int       `json:"communities"`
	Households       int       `json:"households"`
	MaxAbsDeviation  float64   `json:"max_abs_deviation"`
	MeanAbsDeviation float64   `json:"mean_abs_deviation"`
	Over             int       `json:"grids_over_tolerance"`
	WithinShare      float64   `json:"within_share"`
	NonContiguous    int       `json:"non_contiguous_grids"`
	MeanPolsbyPopper float64   `json:"mean_polsby_popper"`
	MeanReock        float64   `json:"mean_reock"`
	FixedCommunities int       `json:"fixed_communities"`
}

// Report holds the measures of every grid and community and the summary.
type Report struct {
	Summary     Summary            `json:"summary"`
	Grids       []GridMeasure      `json:"grids"`
	Communities []CommunityMeasure `json:"communities"`
}

// Measure computes the measures of a city as it stands. at is the end of
// the incident window (zero means now).
func Measure(c *data.City, t Targets, at time.Time) (*Report, error) {
	m, err := NewModel(c)
	if err != nil {
		return nil, err
	}
	return NewPlan(m, nil).Measures(t, at), nil
}

// Measures computes the measures of the plan's current layout.
func (p *Plan) Measures(t Targets, at time.Time) *Report {
	if at.IsZero() {
		at = time.Now()
	}
	m := p.Model
	c := m.City
	tol := t.tol()
	from := at.Add(-IncidentWindow)
	recent := func(i int32) bool {
		r := c.Incidents[i].ReportedAt
		return r.After(from) && !r.After(at)
	}
	live := p.liveGrids()
	gm := make([]GridMeasure, len(p.Grids))
	blocks := p.blocksByGrid()
	for _, g := range live {
		gs := &p.Grids[g]
		x := &gm[g]
		x.Code, x.Name, x.Community = gs.Code, gs.Name, gs.CommunityCode
		for _, b := range blocks[g] {
			bl := &m.Blocks[b]
			x.Households += bl.Households
			x.Population += bl.Population
			x.Buildings += bl.Buildings
			x.Compounds++
			for _, i := range bl.Incidents {
				if recent(i) {
					x.Incidents90d++
				}
			}
			for _, s := range bl.Stations {
				x.Stations++
				if c.Stations[s].Status == data.StationBuilt {
					x.BuiltStations++
				}
			}
		}
		lat := gs.Geom.Bound().Center()[1]
		x.AreaM2, x.PolsbyPopper, x.Reock = compactness(gs.Geom, lat)
		x.Contiguous = p.contiguous(g, blocks[g])
	}
	// Stations and incidents outside every block count by their grid code.
	codeIdx := map[string]int{}
	for _, g := range live {
		codeIdx[p.Grids[g].Code] = g
	}
	for _, i := range m.looseIncidents {
		if g, ok := codeIdx[c.Incidents[i].GridCode]; ok && recent(i) {
			gm[g].Incidents90d++
		}
	}
	for _, s := range m.looseStations {
		if g, ok := codeIdx[c.Stations[s].GridCode]; ok {
			gm[g].Stations++
			if c.Stations[s].Status == data.StationBuilt {
				gm[g].BuiltStations++
			}
		}
	}
	for _, codes := range p.Cadres {
		for _, code := range codes {
			if g, ok := codeIdx[code]; ok {
				gm[g].Cadres++
			}
		}
	}
	// Communities.
	byComm := map[string][]int{}
	for _, g := range live {
		byComm[p.Grids[g].CommunityCode] = append(byComm[p.Grids[g].CommunityCode], g)
	}
	rep := &Report{}
	var sumAbs, sumPP, sumReock float64
	for ci, cm := range c.Communities {
		gs := byComm[cm.Code]
		if len(gs) == 0 {
			continue
		}
		cmx := CommunityMeasure{Code: cm.Code, Name: cm.Name, Street: cm.StreetCode, Grids: len(gs), Fixed: m.Communities[ci].Fixed}
		for _, g := range gs {
			x := &gm[g]
			cmx.Households += x.Households
			cmx.Population += x.Population
			cmx.Buildings += x.Buildings
			cmx.AreaM2 += x.AreaM2
			cmx.Incidents90d += x.Incidents90d
			cmx.Cadres += x.Cadres
			cmx.Stations += x.Stations
			if x.HasStation = x.BuiltStations > 0; x.HasStation {
				cmx.GridsWithStation++
			}
		}
		target := float64(cmx.Households) / float64(len(gs))
		if v, ok := t.Households[cm.Code]; ok && v > 0 {
			target = v
		}
		cmx.Target = target
		for _, g := range gs {
			x := &gm[g]
			x.Target = target
			if target > 0 {
				x.Deviation = (float64(x.Households) - target) / target
			}
			x.Within = math.Abs(x.Deviation) <= tol+1e-12
			if x.Households > 0 {
				x.IncidentsPer1000 = 1000 * float64(x.Incidents90d) / float64(x.Households)
			}
			if x.Cadres > 0 {
				x.HouseholdsPerCadre = float64(x.Households) / float64(x.Cadres)
			}
			ad := math.Abs(x.Deviation)
			cmx.MaxAbsDeviation = math.Max(cmx.MaxAbsDeviation, ad)
			cmx.MeanAbsDeviation += ad / float64(len(gs))
			if !x.Within {
				cmx.Over++
			}
			if !x.Contiguous {
				cmx.NonContiguous++
			}
			cmx.MeanPolsbyPopper += x.PolsbyPopper / float64(len(gs))
			cmx.MeanReock += x.Reock / float64(len(gs))
			sumAbs += ad
			sumPP += x.PolsbyPopper
			sumReock += x.Reock
			rep.Summary.MaxAbsDeviation = math.Max(rep.Summary.MaxAbsDeviation, ad)
		}
		if cmx.Households > 0 {
			cmx.IncidentsPer1000 = 1000 * float64(cmx.Incidents90d) / float64(cmx.Households)
		}
		if cmx.Cadres > 0 {
			cmx.HouseholdsPerCadre = float64(cmx.Households) / float64(cmx.Cadres)
		}
		s := &rep.Summary
		s.Communities++
		s.Grids += len(gs)
		s.Households += cmx.Households
		s.Over += cmx.Over
		s.NonContiguous += cmx.NonContiguous
		if cmx.Fixed != "" {
			s.FixedCommunities++
		}
		rep.Communities = append(rep.Communities, cmx)
	}
	for _, g := range live {
		rep.Grids = append(rep.Grids, gm[g])
	}
	sort.Slice(rep.Grids, func(a, b int) bool { return rep.Grids[a].Code < rep.Grids[b].Code })
	s := &rep.Summary
	s.At, s.Tolerance = at, tol
	if s.Grids > 0 {
		n := float64(s.Grids)
		s.MeanAbsDeviation, s.MeanPolsbyPopper, s.MeanReock = sumAbs/n, sumPP/n, sumReock/n
		s.WithinShare = float64(s.Grids-s.Over) / n
	}
	return rep
}

// compactness returns the area in m² and the Polsby-Popper (4πA/P²) and
// Reock (A over the area of the smallest enclosing circle) scores of a
// polygon, in a local equirectangular projection at latitude lat.
func compactness(p orb.Polygon, lat float64) (area, pp, reock float64) {
	if len(p) == 0 || len(p[0]) < 4 {
		return 0, 0, 0
	}
	mx, my := geo.MetresPerDegree(lat)
	o := p[0][0]
	proj := func(q orb.Point) [2]float64 { return [2]float64{(q[0] - o[0]) * mx, (q[1] - o[1]) * my} }
	var perim float64
	for k, r := range p {
		var a float64
		for i := 0; i+1 < len(r); i++ {
			u, v := proj(r[i]), proj(r[i+1])
			a += u[0]*v[1] - v[0]*u[1]
			perim += math.Hypot(v[0]-u[0], v[1]-u[1])
		}
		if k == 0 {
			area += math.Abs(a) / 2
		} else {
			area -= math.Abs(a) / 2
		}
	}
	if perim > 0 {
		pp = 4 * math.Pi * area / (perim * perim)
	}
	pts := make([][2]float64, 0, len(p[0]))
	for _, q := range p[0] {
		pts = append(pts, proj(q))
	}
	if r := enclosingRadius(pts); r > 0 {
		reock = area / (math.Pi * r * r)
	}
	return area, pp, reock
}

// enclosingRadius is the radius of the smallest circle around pts
// (incremental Welzl-style construction; rings are small).
func enclosingRadius(pts [][2]float64) float64 {
	type circle struct{ x, y, r float64 }
	in := func(c circle, p [2]float64) bool { return math.Hypot(p[0]-c.x, p[1]-c.y) <= c.r*(1+1e-12)+1e-9 }
	two := func(a, b [2]float64) circle {
		return circle{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, math.Hypot(a[0]-b[0], a[1]-b[1]) / 2}
	}
	three := func(a, b, c [2]float64) circle {
		bx, by := b[0]-a[0], b[1]-a[1]
		cx, cy := c[0]-a[0], c[1]-a[1]
		d := 2 * (bx*cy - by*cx)
		if d == 0 {
			// collinear: the widest pair
			c1, c2, c3 := two(a, b), two(a, c), two(b, c)
			if c2.r > c1.r {
				c1 = c2
			}
			if c3.r > c1.r {
				c1 = c3
			}
			return c1
		}
		ux := (cy*(bx*bx+by*by) - by*(cx*cx+cy*cy)) / d
		uy := (bx*(cx*cx+cy*cy) - cx*(bx*bx+by*by)) / d
		return circle{a[0] + ux, a[1] + uy, math.Hypot(ux, uy)}
	}
	if len(pts) == 0 {
		return 0
	}
	c := circle{pts[0][0], pts[0][1], 0}
	for i := 1; i < len(pts); i++ {
		if in(c, pts[i]) {
			continue
		}
		c = circle{pts[i][0], pts[i][1], 0}
		for j := 0; j < i; j++ {
			if in(c, pts[j]) {
				continue
			}
			c = two(pts[i], pts[j])
			for k := 0; k < j; k++ {
				if !in(c, pts[k]) {
					c = three(pts[i], pts[j], pts[k])
				}
			}
		}
	}
	return c.r
}
