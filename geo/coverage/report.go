package coverage

import (
	"sort"

	"github.com/gridmap/gridmap/data"

	"github.com/paulmach/orb"
)

// Figures are coverage totals over some set of grids.
type Figures struct {
	Code               string  `json:"code,omitempty"`
	Name               string  `json:"name,omitempty"`
	Buildings          int     `json:"buildings"`
	BuildingsCovered   int     `json:"buildings_covered"`
	Households         int     `json:"households"`
	HouseholdsCovered  int     `json:"households_covered"`
	HouseholdShare     float64 `json:"household_share"`
	Grids              int     `json:"grids"`
	GridsCovered       int     `json:"grids_covered"`
	GridShare          float64 `json:"grid_share"`
	Target             float64 `json:"target,omitempty"`
	MeetsTarget        bool    `json:"meets_target"`
	UncoveredHousehold int     `json:"households_uncovered"`
}

// StationFigures describe one station's catchment.
type StationFigures struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Kind       string  `json:"kind"`
	RadiusM    float64 `json:"radius_m"`
	Buildings  int     `json:"buildings"`
	Households int     `json:"households"`
	// Exclusive households are reached by no other built station; a
	// station whose catchment is mostly shared is redundant.
	Exclusive  int     `json:"exclusive_households"`
	Redundancy float64 `json:"redundancy"`
}

// Report is the coverage of the city by a set of stations.
type Report struct {
	Options     Options          `json:"options"`
	Stations    int              `json:"stations"`
	City        Figures          `json:"city"`
	Streets     []Figures        `json:"streets,omitempty"`
	Communities []Figures        `json:"communities,omitempty"`
	Grids       []Figures        `json:"grids,omitempty"`
	Catchments  []StationFigures `json:"station_catchments,omitempty"`
	Redundant   []string         `json:"redundant_stations,omitempty"`

	covered []bool    // per building
	reachG  [][]int32 // per grid, the stations (City.Stations indexes) reaching one of its buildings; detail only
}

// Covered reports whether building i is in reach of a station.
func (r *Report) Covered(i int) bool { return r.covered[i] }

// StationsReaching returns the counted stations (indexes into
// City.Stations, ascending) whose catchment reaches at least one building
// of grid g. It is known only for a report with detail; nil otherwise.
func (r *Report) StationsReaching(g int) []int32 {
	if g < 0 || g >= len(r.reachG) {
		return nil
	}
	return r.reachG[g]
}

// Sites selects which stations count: built ones by default.
type Sites func(i int) bool

// Built counts the built grid red stations: the "N" of the city's 1+N
// matrix, which the 70% target is about.
func Built(m *Model) Sites {
	return func(i int) bool {
		s := &m.City.Stations[i]
		return s.Status == data.StationBuilt && s.Kind == data.StationGrid
	}
}

// BuiltAndPlanned counts built grid stations and the planned sites.
func BuiltAndPlanned(m *Model) Sites {
	return func(i int) bool { return m.City.Stations[i].Kind == data.StationGrid }
}

// AllBuilt counts every built station, community centres (with their
// 1,000 m reach) included.
func AllBuilt(m *Model) Sites {
	return func(i int) bool { return m.City.Stations[i].Status == data.StationBuilt }
}

// Report measures coverage by the selected stations.
func (m *Model) Report(sel Sites, detail bool) *Report {
	c := m.City
	var idx []int
	var pts []orb.Point
	var radii []float64
	for i := range c.Stations {
		if sel(i) {
			idx = append(idx, i)
			pts = append(pts, c.Stations[i].Point)
			radii = append(radii, m.RadiusOf(&c.Stations[i]))
		}
	}
	catch := m.catchments(pts, radii, nil)
	count := make([]int32, len(c.Buildings))
	for _, cb := range catch {
		for _, b := range cb {
			count[b]++
		}
	}
	covered := make([]bool, len(c.Buildings))
	for i, n := range count {
		covered[i] = n > 0
	}
	rep := m.figures(covered, detail)
	rep.Stations = len(idx)
	if detail {
		rep.reachG = make([][]int32, len(c.Grids))
		for k, i := range idx {
			for _, b := range catch[k] {
				if g := m.gridOf[b]; g >= 0 {
					if l := rep.reachG[g]; len(l) == 0 || l[len(l)-1] != int32(i) {
						rep.reachG[g] = append(l, int32(i))
					}
				}
			}
		}
		for k, i := range idx {
			s := &c.Stations[i]
			f := StationFigures{Code: s.Code, Name: s.Name, Kind: s.Kind, RadiusM: radii[k], Buildings: len(catch[k])}
			for _, b := range catch[k] {
				f.Households += int(m.hh[b])
				if count[b] == 1 {
					f.Exclusive += int(m.hh[b])
				}
			}
			if f.Households > 0 {
				f.Redundancy = round3(1 - float64(f.Exclusive)/float64(f.Households))
			}
			rep.Catchments = append(rep.Catchments, f)
			if f.Households > 0 && f.Redundancy >= 0.95 {
				rep.Redundant = append(rep.Redundant, s.Code)
			}
		}
	}
	return rep
}

// figures aggregates building coverage up the hierarchy.
func (m *Model) figures(covered []bool, detail bool) *Report {
	c := m.City
	rep := &Report{Options: m.Opt, covered: covered}
	gridCovHH := make([]float64, len(c.Grids))
	gridB := make([]int, len(c.Grids))
	gridBC := make([]int, len(c.Grids))
	for i := range c.Buildings {
		g := m.gridOf[i]
		if g < 0 {
			continue
		}
		gridB[g]++
		if covered[i] {
			gridBC[g]++
			gridCovHH[g] += m.hh[i]
		}
	}
	type agg struct {
		f     Figures
		order int
	}
	streets := map[string]*agg{}
	comms := map[string]*agg{}
	add := func(f *Figures, g int, gc bool) {
		f.Grids++
		if gc {
			f.GridsCovered++
		}
		f.Buildings += gridB[g]
		f.BuildingsCovered += gridBC[g]
		f.Households += int(m.gridHH[g])
		f.HouseholdsCovered += int(gridCovHH[g])
	}
	for g := range c.Grids {
		gr := &c.Grids[g]
		gc := m.gridHH[g] > 0 && gridCovHH[g] >= m.Opt.GridShare*m.gridHH[g]
		add(&rep.City, g, gc)
		if !detail {
			continue
		}
		gf := Figures{Code: gr.Code, Name: gr.Name}
		add(&gf, g, gc)
		rep.Grids = append(rep.Grids, finish(gf, 0))
		for _, lv := range []struct {
			m    map[string]*agg
			code string
		}{{streets, gr.StreetCode}, {comms, gr.CommunityCode}} {
			a := lv.m[lv.code]
			if a == nil {
				a = &agg{f: Figures{Code: lv.code}, order: len(lv.m)}
				lv.m[lv.code] = a
			}
			add(&a.f, g, gc)
		}
	}
	rep.City = finish(rep.City, m.Opt.Target)
	collect := func(mm map[string]*agg, name func(string) string) []Figures {
		out := make([]Figures, 0, len(mm))
		for _, a := range mm {
			a.f.Name = name(a.f.Code)
			out = append(out, finish(a.f, m.Opt.Target))
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
		return out
	}
	if detail {
		rep.Streets = collect(streets, func(code string) string {
			if s := c.Street(code); s != nil {
				return s.Name
			}
			return ""
		})
		rep.Communities = collect(comms, func(code string) string {
			if s := c.Community(code); s != nil {
				return s.Name
			}
			return ""
		})
	}
	return rep
}

func finish(f Figures, target float64) Figures {
	if f.Households > 0 {
		f.HouseholdShare = round3(float64(f.HouseholdsCovered) / float64(f.Households))
	}
	if f.Grids > 0 {
		f.GridShare = round3(float64(f.GridsCovered) / float64(f.Grids))
	}
	f.UncoveredHousehold = f.Households - f.HouseholdsCovered
	if target > 0 {
		f.Target = target
		f.MeetsTarget = f.GridShare >= target
	} else {
		f.MeetsTarget = f.GridsCovered == f.Grids
	}
	return f
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
