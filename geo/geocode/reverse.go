package geocode

import (
	"errors"
	"fmt"
	"math"

	"github.com/gridmap/gridmap/geo"

	"github.com/gridmap/gridmap/data/features"
	"github.com/paulmach/orb"
)

// Reverse is the answer of a reverse geocode: the grid the point is in and
// the nearest building with its standard address.
type Reverse struct {
	Point     [2]float64 `json:"point"`
	Match     string     `json:"match"` // the point's grid: inside, nearest or none (geo.Match*)
	GridCode  string     `json:"grid_code,omitempty"`
	GridName  string     `json:"grid_name,omitempty"`
	Community string     `json:"community,omitempty"`
	Street    string     `json:"street,omitempty"`
	District  string     `json:"district,omitempty"`
	// The nearest building: its address (road, house number, compound,
	// building), where its entrance is and how far.
	Address      string      `json:"address,omitempty"`
	BuildingCode string      `json:"building_code,omitempty"`
	Road         string      `json:"road,omitempty"`
	HouseNumber  int         `json:"house_number,omitempty"`
	Compound     string      `json:"compound,omitempty"`
	Entrance     *[2]float64 `json:"entrance,omitempty"`
	DistanceM    float64     `json:"distance_m"`
	// BuildingGrid is the nearest building's grid when it differs from
	// the point's own.
	BuildingGrid string `json:"building_grid,omitempty"`
	// The nearest crossing of two named roads and the nearest landmark
	// (POI or station), within MaxReverseDistance, each with where the
	// point lies from it (青檀公园北门 西侧约100米).
	Intersection *NearPlace `json:"intersection,omitempty"`
	Landmark     *NearPlace `json:"landmark,omitempty"`
}

// NearPlace is a named place near a reverse-geocoded point.
type NearPlace struct {
	Name      string     `json:"name"`
	Kind      Kind       `json:"kind"`
	Code      string     `json:"code,omitempty"`
	Point     [2]float64 `json:"point"`
	DistanceM float64    `json:"distance_m"`
	// Said is the point said from the place, the way a caller would:
	// 光明路与青檀路交叉口东北约120米.
	Said string `json:"said"`
}

// ErrBadPoint is returned for non-finite or out-of-range coordinates.
var ErrBadPoint = errors.New("geocode: point must be finite WGS84 lon in [-180,180], lat in [-90,90]")

// MaxReverseDistance is how far (metres) the nearest building may be for a
// reverse geocode to name it.
const MaxReverseDistance = 500.0

// Reverse finds the grid of p and the nearest building within
// MaxReverseDistance, with its address.
func (g *Gazetteer) Reverse(p orb.Point) (*Reverse, error) {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) ||
		p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return nil, ErrBadPoint
	}
	c := g.city
	r := g.ix.Locate(p)
	out := &Reverse{Point: [2]float64{p[0], p[1]}, Match: r.Match}
	if gi := r.Grid; gi >= 0 || r.Nearest >= 0 {
		if gi < 0 {
			gi = r.Nearest
		}
		gr := &c.Grids[gi]
		out.GridCode, out.GridName = gr.Code, gr.Name
		comm, street, dist := g.hierarchyOfGrid(int32(gi))
		if comm >= 0 {
			out.Community = g.commNames[comm]
		}
		if street >= 0 {
			out.Street = c.Streets[street].Name
		}
		if dist >= 0 {
			out.District = c.Districts[dist].Name
		}
	}
	hits := g.ix.NearestBuildings(p, 1)
	if len(hits) == 1 && hits[0].DistanceM <= MaxReverseDistance {
		b := &c.Buildings[hits[0].Index]
		out.Address = features.Address(c, b)
		out.BuildingCode, out.Road, out.HouseNumber = b.Code, b.Road, b.HouseNumber
		if cp := c.Compound(b.CompoundCode); cp != nil {
			out.Compound = cp.Name
		}
		e := [2]float64{b.Entrance[0], b.Entrance[1]}
		out.Entrance = &e
		out.DistanceM = math.Round(hits[0].DistanceM*10) / 10
		if b.GridCode != out.GridCode {
			out.BuildingGrid = b.GridCode
		}
	}
	out.Intersection, out.Landmark = g.nearestCrossing(p), g.nearestLandmark(p)
	return out, nil
}

// nearestCrossing is the crossing of two named roads nearest to p.
func (g *Gazetteer) nearestCrossing(p orb.Point) *NearPlace {
	best, bd := -1, MaxReverseDistance
	for i, x := range g.crossList {
		if d := distM(p, x.pt); d < bd {
			best, bd = i, d
		}
	}
	if best < 0 {
		return nil
	}
	x := g.crossList[best]
	name := g.roads[x.a].name + "与" + g.roads[x.b].name + "交叉口"
	return nearPlace(name, KindIntersection, "", x.pt, p, bd)
}

// nearestLandmark is the POI (a gate when it has them) or station nearest
// to p.
func (g *Gazetteer) nearestLandmark(p orb.Point) *NearPlace {
	var best *NearPlace
	bd := MaxReverseDistance
	c := g.city
	for i := range c.POIs {
		x := &c.POIs[i]
		if d := distM(p, x.Point); d < bd {
			bd, best = d, nearPlace(x.Name, KindPOI, x.Code, x.Point, p, d)
		}
		for _, gt := range x.Gates {
			if d := distM(p, gt.Point); d < bd {
				bd, best = d, nearPlace(x.Name+gt.Name, KindPOI, x.Code, gt.Point, p, d)
			}
		}
	}
	for i := range c.Stations {
		x := &c.Stations[i]
		if d := distM(p, x.Point); d < bd {
			bd, best = d, nearPlace(x.Name, KindStation, x.Code, x.Point, p, d)
		}
	}
	return best
}

func nearPlace(name string, k Kind, code string, at, p orb.Point, d float64) *NearPlace {
	np := &NearPlace{Name: name, Kind: k, Code: code, Point: [2]float64{at[0], at[1]}, DistanceM: math.Round(d*10) / 10}
	if d < 15 {
		np.Said = name
		return np
	}
	mx, my := geo.MetresPerDegree(at[1])
	b := math.Atan2((p[0]-at[0])*mx, (p[1]-at[1])*my) * 180 / math.Pi
	dirs := []string{"北", "东北", "东", "东南", "南", "西南", "西", "西北"}
	w := dirs[int(math.Round(math.Mod(b+360, 360)/45))%8]
	np.Said = fmt.Sprintf("%s%s约%d米", name, w, int(math.Round(d/10))*10)
	return np
}
