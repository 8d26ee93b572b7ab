package geo

import (
	"fmt"
	"slices"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb/planar"
)

// CheckPOI: a POI of no known kind, without a name, or with a gate far
// from it.
const CheckPOI = "poi"

// maxGateDistanceM is how far a POI's gate may lie from its point.
const maxGateDistanceM = 1000.0

// pois checks the POI layer: unique codes, known kinds, names, valid
// points inside the city (in some grid), gates near the POI.
func (v *validator) pois() {
	c := v.c
	v.codes(data.LayerPOIs, len(c.POIs), func(i int) string { return c.POIs[i].Code })
	for _, p := range c.POIs {
		if !slices.Contains(data.POIKinds, p.Kind) {
			v.add(Problem{Check: CheckPOI, Layer: data.LayerPOIs, Code: p.Code, Detail: fmt.Sprintf("unknown kind %q", p.Kind)})
		}
		if p.Name == "" {
			v.add(Problem{Check: CheckPOI, Layer: data.LayerPOIs, Code: p.Code, Detail: "no name"})
		}
		if err := checkPoint(p.Point); err != nil {
			v.add(Problem{Check: CheckGeometry, Layer: data.LayerPOIs, Code: p.Code, Detail: err.Error()})
			continue
		}
		for _, gt := range p.Gates {
			if err := checkPoint(gt.Point); err != nil {
				v.add(Problem{Check: CheckGeometry, Layer: data.LayerPOIs, Code: p.Code, Detail: "gate " + gt.Name + ": " + err.Error()})
			} else if d := Distance(p.Point, gt.Point); d > maxGateDistanceM {
				v.add(Problem{Check: CheckPOI, Layer: data.LayerPOIs, Code: p.Code, Detail: fmt.Sprintf("gate %s is %.0f m from the POI", gt.Name, d)})
			}
		}
		// Inside the city: in some grid. The recorded grid_code is where
		// the POI stood when it was placed; plans move grids under POIs, and
		// the geocoder takes the grid from the point.
		inside := false
		for gi := range c.Grids {
			g := &c.Grids[gi]
			if len(g.Geom) > 0 && g.Geom.Bound().Contains(p.Point) && planar.PolygonContains(g.Geom, p.Point) {
				inside = true
				break
			}
		}
		if !inside {
			v.add(Problem{Check: CheckNesting, Layer: data.LayerPOIs, Code: p.Code,
				Detail: fmt.Sprintf("point %.6f,%.6f lies outside every grid", p.Point[0], p.Point[1])})
		}
	}
}
