package geo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	sfgeom "github.com/peterstace/simplefeatures/geom"
)

// lattice is a jittered lattice near Zaozhuang. Cells are cellDeg wide and
// cut into k×k fine steps; rings run through every fine point on their
// perimeter, so neighbours share their border vertices bit for bit.
type lattice struct {
	lon0, lat0, cellDeg float64
	k                   int
}

// pt is fine lattice point (i, j), jittered by up to 15% of a fine step.
func (l lattice) pt(i, j int) orb.Point {
	h := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(j)*0xC2B2AE3D27D4EB4F
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	jx := float64(h&0xffff)/0xffff*2 - 1
	jy := float64(h>>16&0xffff)/0xffff*2 - 1
	step := l.cellDeg / float64(l.k)
	return orb.Point{l.lon0 + (float64(i)+0.15*jx)*step, l.lat0 + (float64(j)+0.15*jy)*step}
}

// rect is the counter-clockwise ring around cells [i0, i1) × [j0, j1).
func (l lattice) rect(i0, j0, i1, j1 int) orb.Ring {
	k := l.k
	var r orb.Ring
	for i := i0 * k; i < i1*k; i++ {
		r = append(r, l.pt(i, j0*k))
	}
	for j := j0 * k; j < j1*k; j++ {
		r = append(r, l.pt(i1*k, j))
	}
	for i := i1 * k; i > i0*k; i-- {
		r = append(r, l.pt(i, j1*k))
	}
	for j := j1 * k; j > j0*k; j-- {
		r = append(r, l.pt(i0*k, j))
	}
	return append(r, r[0])
}

// square is an axis-aligned counter-clockwise square around c.
func square(c orb.Point, half float64) orb.Polygon {
	return orb.Polygon{{{c[0] - half, c[1] - half}, {c[0] + half, c[1] - half}, {c[0] + half, c[1] + half}, {c[0] - half, c[1] + half}, {c[0] - half, c[1] - half}}}
}

// buildCity makes a valid city on a lattice: nd districts side by side,
// each holding ns streets stacked south to north, each holding nc
// communities west to east, each cut into gw×gh grids of one cell. Every
// grid has one compound, nb buildings and one station.
func buildCity(nd, ns, nc, gw, gh, nb int) *data.City {
	l := lattice{lon0: 117.30, lat0: 34.80, cellDeg: 0.002, k: 2}
	c := &data.City{}
	dw := nc*gw + 2 // a district is its streets plus a margin of one cell
	for d := 0; d < nd; d++ {
		dcode := fmt.Sprintf("3704%02d", d+1)
		x0 := d * dw
		c.Districts = append(c.Districts, data.District{Code: dcode, Name: "区" + dcode,
			Geom: orb.MultiPolygon{{l.rect(x0, 0, x0+dw, ns*gh+2)}}})
		for s := 0; s < ns; s++ {
			scode := fmt.Sprintf("%s%03d", dcode, s+1)
			sx, sy := x0+1, 1+s*gh
			c.Streets = append(c.Streets, data.Street{Code: scode, Name: "街道" + scode, DistrictCode: dcode,
				Geom: orb.Polygon{l.rect(sx, sy, sx+nc*gw, sy+gh)}})
			for m := 0; m < nc; m++ {
				ccode := fmt.Sprintf("%s%03d", scode, m+1)
				cx := sx + m*gw
				c.Communities = append(c.Communities, data.Community{Code: ccode, Name: "社区" + ccode, StreetCode: scode, DistrictCode: dcode,
					Geom: orb.Polygon{l.rect(cx, sy, cx+gw, sy+gh)}})
				seq := 0
				for row := gh - 1; row >= 0; row-- { // north to south
					for col := 0; col < gw; col++ { // west to east
						seq++
						gcode := fmt.Sprintf("%s%03d", ccode, seq)
						gi, gj := cx+col, sy+row
						g := data.Grid{Code: gcode, Name: "网格" + gcode, CommunityCode: ccode, StreetCode: scode, DistrictCode: dcode,
							Seq: seq, Geom: orb.Polygon{l.rect(gi, gj, gi+1, gj+1)}, Head: data.Person{Name: "张伟"}}
						// The cell's centre, from its corners.
						var ctr orb.Point
						for _, p := range []orb.Point{l.pt(gi*l.k, gj*l.k), l.pt((gi+1)*l.k, gj*l.k), l.pt(gi*l.k, (gj+1)*l.k), l.pt((gi+1)*l.k, (gj+1)*l.k)} {
							ctr[0] += p[0] / 4
							ctr[1] += p[1] / 4
						}
						kcode := gcode + "01"
						c.Compounds = append(c.Compounds, data.Compound{Code: kcode, GridCode: gcode, CommunityCode: ccode, Geom: square(ctr, 0.3*l.cellDeg)})
						for b := 0; b < nb; b++ {
							bc := orb.Point{ctr[0] - 0.2*l.cellDeg + 0.4*l.cellDeg*float64(b%4)/3, ctr[1] - 0.2*l.cellDeg + 0.4*l.cellDeg*float64(b/4%4)/3}
							c.Buildings = append(c.Buildings, data.Building{Code: fmt.Sprintf("%s%03d", kcode, b+1), CompoundCode: kcode,
								GridCode: gcode, CommunityCode: ccode, StreetCode: scode, DistrictCode: dcode,
								Number: b + 1, Households: 24, Population: 60, Entrance: bc, Geom: square(bc, 0.03*l.cellDeg)})
							g.Buildings++
							g.Households += 24
							g.Population += 60
						}
						c.Stations = append(c.Stations, data.Station{Code: gcode + "S01", Kind: data.StationGrid, Status: data.StationBuilt,
							GridCode: gcode, CommunityCode: ccode, Point: ctr})
						c.Grids = append(c.Grids, g)
					}
				}
			}
		}
	}
	return c
}

// smallCity: 1 district, 2 streets, 2 communities each, 3×2 grids each.
func smallCity() *data.City { return buildCity(1, 2, 2, 3, 2, 2) }

func hasProblem(r geo.Report, check, layer, code string) bool {
	for _, p := range r.Problems {
		if p.Check == check && p.Layer == layer && (code == "" || p.Code == code || p.Other == code) {
			return true
		}
	}
	return false
}

func TestValidateCityValid(t *testing.T) {
	c := smallCity()
	r := geo.ValidateCity(c, geo.ValidateOptions{Expect: map[string]int{
		data.LayerDistricts: 1, data.LayerStreets: 2, data.LayerCommunities: 4, data.LayerGrids: 24,
	}})
	if !r.OK || len(r.Problems) != 0 {
		t.Fatalf("valid city reported problems:\n%s", dump(r))
	}
	if r.Stats.Partitions != 2+4 {
		t.Errorf("partitions checked = %d, want 6", r.Stats.Partitions)
	}
	if r.Stats.MaxCoverResidual > 1e-12 {
		t.Errorf("max cover residual %g on an exact partition", r.Stats.MaxCoverResidual)
	}
	if r.Stats.PairsTested == 0 {
		t.Error("no sibling pairs tested")
	}
	if g, cm := r.Stats.AreaKm2[data.LayerGrids], r.Stats.AreaKm2[data.LayerCommunities]; math.Abs(g-cm) > 1e-9*cm || g <= 0 {
		t.Errorf("grid area %v km², community area %v km²", g, cm)
	}
	// The report is plain JSON.
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"problems":[]`) {
		t.Errorf("json: %s, %v", b, err)
	}
}

func dump(r geo.Report) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// gridIn returns the index of grid seq (1-based) of community m.
func gridIn(c *data.City, m, seq int) int {
	code := fmt.Sprintf("%s%03d", c.Communities[m].Code, seq)
	for i, g := range c.Grids {
		if g.Code == code {
			return i
		}
	}
	panic("no grid " + code)
}

// edgeMid returns the index in grid gi's exterior ring of the midpoint of
// its side (0 south, 1 east, 2 north, 3 west); with k = 2 each side has one.
func edgeMid(side int) int { return 2*side + 1 }

func cloneRing(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = r.Clone()
	}
	return out
}

// shift moves vertex v of grid gi's exterior by (dx, dy) cells.
func shift(c *data.City, gi, v int, dx, dy float64) {
	g := &c.Grids[gi]
	g.Geom = cloneRing(g.Geom)
	g.Geom[0][v][0] += dx * 0.002
	g.Geom[0][v][1] += dy * 0.002
}

func TestValidateCityDefects(t *testing.T) {
	tests := []struct {
		name  string
		mut   func(c *data.City) (layer, code string)
		check string
		err   error // the ValidPolygon reason, for geometry defects
	}{
		{"bowtie polygon", func(c *data.City) (string, string) {
			g := &c.Grids[0]
			r := g.Geom[0]
			g.Geom = orb.Polygon{{r[0], r[4], r[2], r[6], r[0]}}
			return data.LayerGrids, g.Code
		}, geo.CheckGeometry, geo.ErrSelfIntersection},
		{"unclosed ring", func(c *data.City) (string, string) {
			g := &c.Grids[0]
			g.Geom = orb.Polygon{g.Geom[0][:len(g.Geom[0])-1]}
			return data.LayerGrids, g.Code
		}, geo.CheckGeometry, geo.ErrOpenRing},
		{"NaN coordinate", func(c *data.City) (string, string) {
			shift(c, 0, 3, math.NaN(), 0)
			return data.LayerGrids, c.Grids[0].Code
		}, geo.CheckGeometry, geo.ErrNonFinite},
		{"infinite coordinate", func(c *data.City) (string, string) {
			shift(c, 0, 3, 0, math.Inf(1))
			return data.LayerGrids, c.Grids[0].Code
		}, geo.CheckGeometry, geo.ErrNonFinite},
		{"out-of-range coordinate", func(c *data.City) (string, string) {
			g := &c.Communities[1]
			g.Geom = cloneRing(g.Geom)
			g.Geom[0][2][1] = 91
			return data.LayerCommunities, g.Code
		}, geo.CheckGeometry, geo.ErrOutOfRange},
		{"clockwise exterior", func(c *data.City) (string, string) {
			g := &c.Grids[5]
			g.Geom = cloneRing(g.Geom)
			g.Geom[0].Reverse()
			return data.LayerGrids, g.Code
		}, geo.CheckGeometry, geo.ErrOrientation},
		{"empty polygon", func(c *data.City) (string, string) {
			c.Streets[1].Geom = nil
			return data.LayerStreets, c.Streets[1].Code
		}, geo.CheckGeometry, geo.ErrEmptyPolygon},
		{"grid crossing its community boundary", func(c *data.City) (string, string) {
			gi := gridIn(c, 1, 1) // north-west grid of community 2: west side borders community 1
			shift(c, gi, edgeMid(3), -0.3, 0)
			return data.LayerGrids, c.Grids[gi].Code
		}, geo.CheckNesting, nil},
		{"overlapping grids", func(c *data.City) (string, string) {
			gi := gridIn(c, 0, 1)
			shift(c, gi, edgeMid(1), 0.3, 0) // east side pushed into grid 2
			return data.LayerGrids, c.Grids[gi].Code
		}, geo.CheckOverlap, nil},
		{"gap between grids", func(c *data.City) (string, string) {
			gi := gridIn(c, 0, 1)
			shift(c, gi, edgeMid(1), -0.3, 0) // east side pulled back from grid 2
			return data.LayerGrids, c.Communities[0].Code
		}, geo.CheckGap, nil},
		{"overlap hiding a gap", func(c *data.City) (string, string) {
			// Grid 1 pulls back from grid 2 and pushes into grid 4 by the
			// same area: the area sum still matches.
			gi := gridIn(c, 0, 1)
			shift(c, gi, edgeMid(1), -0.3, 0)
			shift(c, gi, edgeMid(0), 0, -0.3)
			return data.LayerGrids, c.Communities[0].Code
		}, geo.CheckGap, nil},
		{"community without grids", func(c *data.City) (string, string) {
			code := c.Communities[3].Code
			var keep []data.Grid
			for _, g := range c.Grids {
				if g.CommunityCode != code {
					keep = append(keep, g)
				}
			}
			c.Grids = keep
			return data.LayerGrids, code
		}, geo.CheckGap, nil},
		{"community overlapping its neighbour", func(c *data.City) (string, string) {
			cm := &c.Communities[0]
			cm.Geom = cloneRing(cm.Geom)
			// The east side of community 1 runs through fine points 3*2 = 6
			// along i; push its middle vertex east.
			for v, p := range cm.Geom[0] {
				if p == (lattice{117.30, 34.80, 0.002, 2}).pt(2+6, 3) {
					cm.Geom[0][v][0] += 0.0006
				}
			}
			return data.LayerCommunities, cm.Code
		}, geo.CheckOverlap, nil},
		{"street outside its district", func(c *data.City) (string, string) {
			s := &c.Streets[0]
			s.Geom = cloneRing(s.Geom)
			s.Geom[0][1][1] -= 0.005 // a south-side vertex, into the margin and beyond
			return data.LayerStreets, s.Code
		}, geo.CheckNesting, nil},
		{"building outside its grid", func(c *data.City) (string, string) {
			b := &c.Buildings[3]
			b.Geom = square(orb.Point{b.Entrance[0] + 0.003, b.Entrance[1]}, 0.0001)
			return data.LayerBuildings, b.Code
		}, geo.CheckNesting, nil},
		{"building straddling its grid boundary", func(c *data.City) (string, string) {
			b := &c.Buildings[5]
			g := c.Grids[2]
			for _, gg := range c.Grids {
				if gg.Code == b.GridCode {
					g = gg
				}
			}
			b.Geom = square(g.Geom[0][1], 0.0001) // centred on the south-side midpoint
			return data.LayerBuildings, b.Code
		}, geo.CheckNesting, nil},
		{"compound outside its grid", func(c *data.City) (string, string) {
			k := &c.Compounds[4]
			k.Geom = cloneRing(k.Geom)
			for v := range k.Geom[0] {
				k.Geom[0][v][1] += 0.0015
			}
			return data.LayerCompounds, k.Code
		}, geo.CheckNesting, nil},
		{"station outside its grid", func(c *data.City) (string, string) {
			s := &c.Stations[2]
			s.Point[0] += 0.002
			return data.LayerStations, s.Code
		}, geo.CheckNesting, nil},
		{"duplicate code", func(c *data.City) (string, string) {
			c.Grids[1].Code = c.Grids[0].Code
			return data.LayerGrids, c.Grids[0].Code
		}, geo.CheckDuplicate, nil},
		{"code too short", func(c *data.City) (string, string) {
			c.Communities[2].Code = c.Communities[2].Code[:11]
			return data.LayerCommunities, c.Communities[2].Code
		}, geo.CheckCode, nil},
		{"wrong parent code", func(c *data.City) (string, string) {
			// The grid names community 2 but its code extends community 1's.
			c.Grids[0].CommunityCode = c.Communities[1].Code
			return data.LayerGrids, c.Grids[0].Code
		}, geo.CheckCode, nil},
		{"hierarchy fields disagree", func(c *data.City) (string, string) {
			c.Grids[7].StreetCode = c.Streets[1].Code
			return data.LayerGrids, c.Grids[7].Code
		}, geo.CheckHierarchy, nil},
		{"missing parent", func(c *data.City) (string, string) {
			c.Grids[3].CommunityCode = "370401001099"
			return data.LayerGrids, c.Grids[3].Code
		}, geo.CheckParent, nil},
		{"building of an unknown grid", func(c *data.City) (string, string) {
			c.Buildings[0].GridCode = ""
			return data.LayerBuildings, c.Buildings[0].Code
		}, geo.CheckParent, nil},
		{"grid without buildings", func(c *data.City) (string, string) {
			code := c.Grids[4].Code
			var keep []data.Building
			for _, b := range c.Buildings {
				if b.GridCode != code {
					keep = append(keep, b)
				}
			}
			c.Buildings = keep
			c.Grids[4].Buildings, c.Grids[4].Households, c.Grids[4].Population = 0, 0, 0
			return data.LayerGrids, code
		}, geo.CheckBuildings, nil},
		{"grid without head", func(c *data.City) (string, string) {
			c.Grids[6].Head = data.Person{}
			return data.LayerGrids, c.Grids[6].Code
		}, geo.CheckHead, nil},
		{"stored totals wrong", func(c *data.City) (string, string) {
			c.Grids[6].Population += 5
			return data.LayerGrids, c.Grids[6].Code
		}, geo.CheckTotals, nil},
		{"unexpected count", func(c *data.City) (string, string) {
			c.Grids = c.Grids[:len(c.Grids)-1]
			return data.LayerGrids, ""
		}, geo.CheckCount, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := smallCity()
			layer, code := tt.mut(c)
			r := geo.ValidateCity(c, geo.ValidateOptions{Expect: map[string]int{data.LayerGrids: 24}})
			if r.OK {
				t.Fatal("defect not caught: report OK")
			}
			if !hasProblem(r, tt.check, layer, code) {
				t.Fatalf("want a %q problem on %s %s, got:\n%s", tt.check, layer, code, dump(r))
			}
			if tt.err != nil {
				var poly orb.Polygon
				switch layer {
				case data.LayerGrids:
					poly = c.Grids[0].Geom
					for _, g := range c.Grids {
						if g.Code == code {
							poly = g.Geom
						}
					}
				case data.LayerCommunities:
					poly = c.Communities[1].Geom
				case data.LayerStreets:
					poly = c.Streets[1].Geom
				}
				if err := geo.ValidPolygon(poly); !errors.Is(err, tt.err) {
					t.Errorf("ValidPolygon = %v, want %v", err, tt.err)
				}
			}
			t.Logf("%d problems, first: %v", len(r.Problems), r.Problems[0])
		})
	}
}

func TestValidPolygon(t *testing.T) {
	sq := orb.Ring{{117, 34}, {117.01, 34}, {117.01, 34.01}, {117, 34.01}, {117, 34}}
	hole := orb.Ring{{117.002, 34.002}, {117.002, 34.004}, {117.004, 34.004}, {117.004, 34.002}, {117.002, 34.002}} // clockwise
	ccwHole := hole.Clone()
	ccwHole.Reverse()
	outside := orb.Ring{{118, 34}, {118, 34.001}, {118.001, 34.001}, {118.001, 34}, {118, 34}}
	tests := []struct {
		name string
		p    orb.Polygon
		want error
	}{
		{"square", orb.Polygon{sq}, nil},
		{"with hole", orb.Polygon{sq, hole}, nil},
		{"nil", nil, geo.ErrEmptyPolygon},
		{"empty ring", orb.Polygon{{}}, geo.ErrShortRing},
		{"one point", orb.Polygon{{{117, 34}}}, geo.ErrShortRing},
		{"triangle without closing point", orb.Polygon{{{117, 34}, {117.01, 34}, {117, 34.01}}}, geo.ErrShortRing},
		{"unclosed", orb.Polygon{sq[:4].Clone()}, geo.ErrOpenRing},
		{"NaN", orb.Polygon{{{117, 34}, {math.NaN(), 34}, {117.01, 34.01}, {117, 34}}}, geo.ErrNonFinite},
		{"NaN closing point", orb.Polygon{{{math.NaN(), 34}, {117.01, 34}, {117.01, 34.01}, {math.NaN(), 34}}}, geo.ErrNonFinite},
		{"Inf", orb.Polygon{{{117, 34}, {117.01, math.Inf(-1)}, {117.01, 34.01}, {117, 34}}}, geo.ErrNonFinite},
		{"longitude 181", orb.Polygon{{{180.5, 34}, {181, 34}, {181, 34.01}, {180.5, 34}}}, geo.ErrOutOfRange},
		{"latitude -91", orb.Polygon{{{117, -91}, {117.01, -91}, {117.01, -90.5}, {117, -91}}}, geo.ErrOutOfRange},
		{"bowtie", orb.Polygon{{{117, 34}, {117.01, 34.01}, {117.01, 34}, {117, 34.01}, {117, 34}}}, geo.ErrSelfIntersection},
		{"spike", orb.Polygon{{{117, 34}, {117.01, 34}, {117.02, 34.005}, {117.01, 34}, {117.01, 34.01}, {117, 34}}}, geo.ErrSelfIntersection},
		{"collinear", orb.Polygon{{{117, 34}, {117.01, 34}, {117.02, 34}, {117, 34}}}, geo.ErrSelfIntersection},
		{"hole outside", orb.Polygon{sq, outside}, geo.ErrRings},
		{"clockwise exterior", orb.Polygon{{{117, 34}, {117, 34.01}, {117.01, 34.01}, {117.01, 34}, {117, 34}}}, geo.ErrOrientation},
		{"counter-clockwise hole", orb.Polygon{sq, ccwHole}, geo.ErrOrientation},
		{"antimeridian edge", orb.Polygon{{{179.99, 0}, {180, 0}, {180, 0.01}, {179.99, 0}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := geo.ValidPolygon(tt.p)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("ValidPolygon = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestValidatePartition(t *testing.T) {
	l := lattice{lon0: 117.5, lat0: 34.85, cellDeg: 0.002, k: 3}
	parent := orb.Polygon{l.rect(0, 0, 3, 2)}
	var kids []orb.Polygon
	var codes []string
	for j := 0; j < 2; j++ {
		for i := 0; i < 3; i++ {
			kids = append(kids, orb.Polygon{l.rect(i, j, i+1, j+1)})
			codes = append(codes, fmt.Sprintf("g%d%d", i, j))
		}
	}
	if ps := geo.ValidatePartition(parent, "p", kids, codes, data.LayerGrids, 0); len(ps) != 0 {
		t.Fatalf("exact partition: %v", ps)
	}
	// Dropping a child leaves a gap of one sixth.
	ps := geo.ValidatePartition(parent, "p", kids[1:], codes[1:], data.LayerGrids, 0)
	if len(ps) != 1 || ps[0].Check != geo.CheckGap {
		t.Errorf("missing child: %v", ps)
	}
	// A duplicated child overlaps its twin.
	ps = geo.ValidatePartition(parent, "p", append(kids[:6:6], kids[2]), append(codes[:6:6], "twin"), data.LayerGrids, 0)
	if len(ps) == 0 || ps[0].Check != geo.CheckOverlap || ps[0].Code != "g20" || ps[0].Other != "twin" {
		t.Errorf("duplicated child: %v", ps)
	}
	// The tolerance is relative: a 1e-6 sliver passes at 1e-5, not at 1e-9.
	moved := cloneRing(kids[0])
	moved[0][1][1] += 1e-6 * 0.002 * 3 // a south-side vertex moves north
	for _, tc := range []struct {
		tol  float64
		want int
	}{{1e-5, 0}, {1e-9, 1}} {
		ps := geo.ValidatePartition(parent, "p", append([]orb.Polygon{moved}, kids[1:]...), codes, data.LayerGrids, tc.tol)
		if len(ps) != tc.want {
			t.Errorf("sliver at tolerance %g: %v", tc.tol, ps)
		}
	}
	// A concave (L-shaped) parent: a triangle on three of its vertices has
	// an edge across the notch, outside the parent.
	x, y, d := 117.5, 34.85, 0.001
	ell := orb.Polygon{{{x, y}, {x + 2*d, y}, {x + 2*d, y + d}, {x + d, y + d}, {x + d, y + 2*d}, {x, y + 2*d}, {x, y}}}
	tri := orb.Polygon{{{x + 2*d, y}, {x + 2*d, y + d}, {x, y + 2*d}, {x + 2*d, y}}}
	ps = geo.ValidatePartition(ell, "ell", []orb.Polygon{tri}, []string{"tri"}, data.LayerGrids, 0)
	if len(ps) == 0 || ps[0].Check != geo.CheckNesting || ps[0].Code != "tri" {
		t.Errorf("chord across the notch: %v", ps)
	}
	// The L cut into three squares, one with a T-junction vertex on the
	// parent's edge: a valid partition.
	sqs := []orb.Polygon{
		{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}},
		{{{x + d, y}, {x + 2*d, y}, {x + 2*d, y + d/2}, {x + 2*d, y + d}, {x + d, y + d}, {x + d, y}}},
		{{{x, y + d}, {x + d, y + d}, {x + d, y + 2*d}, {x, y + 2*d}, {x, y + d}}},
	}
	if ps := geo.ValidatePartition(ell, "ell", sqs, []string{"a", "b", "c"}, data.LayerGrids, 0); len(ps) != 0 {
		t.Errorf("L in three squares: %v", ps)
	}
	// Missing codes are replaced by indexes.
	ps = geo.ValidatePartition(parent, "p", append(kids[:6:6], nil), codes, data.LayerGrids, 0)
	if len(ps) == 0 || ps[0].Code != "#6" {
		t.Errorf("missing codes: %v", ps)
	}
	// Bad input yields problems, never a panic.
	for _, tc := range []struct {
		name   string
		parent orb.Polygon
		kids   []orb.Polygon
		codes  []string
	}{
		{"nil parent", nil, kids, codes},
		{"nil children", parent, nil, nil},
		{"nil child", parent, []orb.Polygon{nil, kids[1]}, nil},
		{"empty rings", orb.Polygon{{}}, []orb.Polygon{{{}}, {nil}}, []string{"a"}},
		{"NaN child", parent, []orb.Polygon{{{{math.NaN(), math.NaN()}, {1, 1}, {2, 1}, {math.NaN(), math.NaN()}}}}, codes},
	} {
		ps := geo.ValidatePartition(tc.parent, "p", tc.kids, tc.codes, data.LayerGrids, math.NaN())
		if len(ps) == 0 {
			t.Errorf("%s: no problem reported", tc.name)
		}
	}
}

// TestValidateCityBoundaryPoints: points on a grid's edge or vertex, and a
// building sharing its edge, are inside it.
func TestValidateCityBoundaryPoints(t *testing.T) {
	c := smallCity()
	g := c.Grids[0]
	r := g.Geom[0]
	n := len(c.Stations)
	c.Stations[0].Point = r[1] // a vertex
	c.Stations = append(c.Stations, c.Stations[0], c.Stations[0])
	// On an edge, to rounding: either answer is right.
	c.Stations[n].Code, c.Stations[n].Point = "s1", orb.Point{(r[2][0] + r[3][0]) / 2, (r[2][1] + r[3][1]) / 2}
	c.Stations[n+1].Code, c.Stations[n+1].Point = "s2", r[0] // the first vertex
	// A building whose footprint is the south-west quarter of its grid.
	b := &c.Buildings[0]
	b.GridCode = g.Code
	b.Geom = orb.Polygon{{r[0], r[1], {(r[1][0]+r[len(r)-2][0])/2 + 1e-7, (r[1][1]+r[len(r)-2][1])/2 + 1e-7}, r[len(r)-2], r[0]}}
	rep := geo.ValidateCity(c, geo.ValidateOptions{})
	for _, p := range rep.Problems {
		if p.Check == geo.CheckNesting && p.Code != "s1" {
			t.Errorf("%v", p)
		}
	}
}

// TestNestingDifferential compares the nesting verdict of ValidatePartition
// (fast path or not) with the area of child − parent computed directly by
// simplefeatures, on random children built from a concave parent's
// vertices, lattice points and random points.
func TestNestingDifferential(t *testing.T) {
	l := lattice{lon0: 117.5, lat0: 34.85, cellDeg: 0.002, k: 3}
	// An L of cells: [0,3)×[0,1) plus [0,1)×[1,3).
	var ring orb.Ring
	add := func(r orb.Ring) { ring = append(ring, r[:len(r)-1]...) }
	add(orb.Ring{l.pt(0, 0), l.pt(3, 0), l.pt(6, 0), l.pt(9, 0), l.pt(9, 3), l.pt(6, 3), l.pt(3, 3), l.pt(3, 6), l.pt(3, 9), l.pt(0, 9), l.pt(0, 6), l.pt(0, 3), l.pt(0, 0)})
	ring = append(ring, ring[0])
	parent := orb.Polygon{ring}
	pg := sfgeom.NewPolygon([]sfgeom.LineString{lineString(ring)}).AsGeometry()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() orb.Point {
		switch rng.IntN(3) {
		case 0:
			return ring[rng.IntN(len(ring)-1)]
		case 1:
			return l.pt(rng.IntN(10), rng.IntN(10))
		}
		return orb.Point{117.5 + rng.Float64()*0.0065 - 0.0002, 34.85 + rng.Float64()*0.0065 - 0.0002}
	}
	var in, out int
	for n := 0; n < 2000; n++ {
		tri := orb.Ring{pick(), pick(), pick()}
		if geo.RingArea(tri) < 0 {
			tri[1], tri[2] = tri[2], tri[1]
		}
		tri = append(tri, tri[0])
		child := orb.Polygon{tri}
		if geo.ValidPolygon(child) != nil {
			continue
		}
		cg := sfgeom.NewPolygon([]sfgeom.LineString{lineString(tri)}).AsGeometry()
		d, err := sfgeom.Difference(cg, pg)
		if err != nil {
			t.Fatal(err)
		}
		rel := d.Area() / cg.Area()
		if rel > 1e-12 && rel < 1e-6 {
			continue // too close to call with either method
		}
		nested := true
		for _, p := range geo.ValidatePartition(parent, "p", []orb.Polygon{child}, []string{"c"}, data.LayerGrids, 0) {
			if p.Check == geo.CheckNesting {
				nested = false
			}
		}
		if nested != (rel <= 1e-12) {
			t.Fatalf("triangle %v: nested %v, but %.3g of it lies outside", tri, nested, rel)
		}
		if nested {
			in++
		} else {
			out++
		}
	}
	t.Logf("%d inside, %d outside", in, out)
	if in < 100 || out < 100 {
		t.Errorf("too few cases: %d inside, %d outside", in, out)
	}
}

// TestOverlapDifferential compares the overlap verdict of ValidatePartition
// (fast path or not) with the intersection area computed directly by
// simplefeatures, on random triangle pairs that often share vertices.
func TestOverlapDifferential(t *testing.T) {
	l := lattice{lon0: 117.5, lat0: 34.85, cellDeg: 0.002, k: 1}
	big := orb.Polygon{{{117.49, 34.84}, {117.52, 34.84}, {117.52, 34.87}, {117.49, 34.87}, {117.49, 34.84}}}
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func() orb.Point {
		if rng.IntN(5) == 0 {
			return orb.Point{117.5 + rng.Float64()*0.006, 34.85 + rng.Float64()*0.006}
		}
		return l.pt(rng.IntN(4), rng.IntN(4))
	}
	tri := func() orb.Polygon {
		for {
			r := orb.Ring{pick(), pick(), pick()}
			if geo.RingArea(r) < 0 {
				r[1], r[2] = r[2], r[1]
			}
			p := orb.Polygon{append(r, r[0])}
			if geo.ValidPolygon(p) == nil {
				return p
			}
		}
	}
	var yes, no int
	for n := 0; n < 2000; n++ {
		a, b := tri(), tri()
		ag := sfgeom.NewPolygon([]sfgeom.LineString{lineString(a[0])}).AsGeometry()
		bg := sfgeom.NewPolygon([]sfgeom.LineString{lineString(b[0])}).AsGeometry()
		in, err := sfgeom.Intersection(ag, bg)
		if err != nil {
			t.Fatal(err)
		}
		rel := in.Area() / math.Min(ag.Area(), bg.Area())
		if rel > 1e-12 && rel < 1e-6 {
			continue
		}
		overlap := false
		for _, p := range geo.ValidatePartition(big, "big", []orb.Polygon{a, b}, []string{"a", "b"}, data.LayerGrids, 0) {
			if p.Check == geo.CheckOverlap && p.Code != "" {
				overlap = true
			}
		}
		if overlap != (rel >= 1e-6) {
			t.Fatalf("triangles %v and %v: overlap %v, but they share %.3g of the smaller", a, b, overlap, rel)
		}
		if overlap {
			yes++
		} else {
			no++
		}
	}
	t.Logf("%d overlapping, %d not", yes, no)
	if yes < 100 || no < 100 {
		t.Errorf("too few cases: %d overlapping, %d not", yes, no)
	}
}

func lineString(r orb.Ring) sfgeom.LineString {
	xy := make([]float64, 0, 2*len(r))
	for _, p := range r {
		xy = append(xy, p[0], p[1])
	}
	return sfgeom.NewLineString(sfgeom.NewSequence(xy, sfgeom.DimXY))
}

// TestValidateCityGarbage feeds malformed cities: every one must yield
// problems, not a panic.
func TestValidateCityGarbage(t *testing.T) {
	nan := math.NaN()
	if r := geo.ValidateCity(nil, geo.ValidateOptions{}); r.OK {
		t.Error("nil city OK")
	}
	cities := []*data.City{
		{Grids: []data.Grid{{}}},
		{Districts: []data.District{{Code: "370401", Geom: orb.MultiPolygon{nil, {}}}}},
		{Streets: []data.Street{{Code: "370401001", DistrictCode: "370401", Geom: orb.Polygon{{{nan, nan}}}}}},
		{Communities: []data.Community{{Code: "x", Geom: orb.Polygon{{{1, 1}, {1, 1}, {1, 1}, {1, 1}}}}}},
		{Grids: []data.Grid{{Code: "370401001001001", Geom: orb.Polygon{{{1e308, 1e308}, {-1e308, 1}, {0, -1e308}, {1e308, 1e308}}}}}},
		{Buildings: []data.Building{{Entrance: orb.Point{nan, 1}}}, Stations: []data.Station{{Point: orb.Point{nan, nan}}}},
	}
	for i, c := range cities {
		if r := geo.ValidateCity(c, geo.ValidateOptions{Expect: map[string]int{"nonsense": 1}}); r.OK {
			t.Errorf("city %d OK", i)
		}
	}
	// An empty city is valid unless counts are expected.
	if r := geo.ValidateCity(&data.City{}, geo.ValidateOptions{}); !r.OK {
		t.Errorf("empty city: %s", dump(r))
	}
}

// despike removes zero-width spikes (a, x, a) from a ring, the defect of two
// reference district outlines.
func despike(r orb.Ring) orb.Ring {
	out := r[:len(r)-1].Clone()
	for changed := true; changed; {
		changed = false
		for i := 0; i+2 < len(out); i++ {
			if out[i] == out[i+2] {
				out = append(out[:i+1], out[i+3:]...)
				changed = true
			}
		}
	}
	return append(out, out[0])
}

// TestValidateSynthCity validates the generated demo city (1,230 grids).
func TestValidateSynthCity(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the demo city")
	}
	c, err := synth.City(synth.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	expect := map[string]int{data.LayerDistricts: 6, data.LayerStreets: 21, data.LayerCommunities: 206, data.LayerGrids: 1230}
	r := geo.ValidateCity(c, geo.ValidateOptions{Expect: expect})
	t.Logf("%d problems, %.0f ms, stats %+v", len(r.Problems), r.Stats.ElapsedMS, r.Stats)
	for _, p := range r.Problems {
		// Known: two reference district outlines carry zero-width spikes.
		if p.Check != geo.CheckGeometry || p.Layer != data.LayerDistricts {
			t.Errorf("unexpected problem: %v", p)
		} else {
			t.Logf("known reference-data defect: %v", p)
		}
	}
	for i := range c.Districts {
		for j := range c.Districts[i].Geom {
			c.Districts[i].Geom[j][0] = despike(c.Districts[i].Geom[j][0])
		}
	}
	r = geo.ValidateCity(c, geo.ValidateOptions{Expect: expect})
	if !r.OK {
		t.Errorf("despiked demo city:\n%s", dump(r))
	}
	if r.Stats.Partitions != 21+206 {
		t.Errorf("partitions = %d, want 227", r.Stats.Partitions)
	}
}

func BenchmarkValidateCity(b *testing.B) {
	c, err := synth.City(synth.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(c.Grids)), "grids")
	b.ReportMetric(float64(len(c.Buildings)), "buildings")
	for _, w := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				geo.ValidateCity(c, geo.ValidateOptions{Workers: w})
			}
		})
	}
}

func BenchmarkValidPolygon(b *testing.B) {
	p := smallCity().Communities[0].Geom
	for b.Loop() {
		if err := geo.ValidPolygon(p); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzValidatePartition: any polygons, valid or not, give problems or none
// but never a panic.
func FuzzValidatePartition(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 10, 10, 0, 10, 0, 0}, uint8(5), false)
	f.Add([]byte{0, 0, 10, 10, 10, 0, 0, 10, 0, 0}, uint8(5), true)
	f.Add([]byte{5, 5, 5, 5, 5, 5, 5, 5}, uint8(4), false)
	f.Fuzz(func(t *testing.T, b []byte, split uint8, special bool) {
		pt := func(i int) orb.Point {
			x, y := 117+float64(b[i])/1000, 34+float64(b[i+1])/1000
			if special && b[i] == 255 {
				x = math.NaN()
			}
			if special && b[i+1] == 254 {
				y = 1e300
			}
			return orb.Point{x, y}
		}
		var rings []orb.Ring
		var r orb.Ring
		for i := 0; i+1 < len(b); i += 2 {
			r = append(r, pt(i))
			if split > 0 && len(r) == int(split) {
				rings = append(rings, r)
				r = nil
			}
		}
		rings = append(rings, r)
		parent := orb.Polygon{rings[0]}
		var kids []orb.Polygon
		for _, r := range rings[1:] {
			kids = append(kids, orb.Polygon{r}, orb.Polygon{rings[0], r})
		}
		_ = geo.ValidPolygon(parent)
		_ = geo.ValidatePartition(parent, "p", kids, nil, data.LayerGrids, 0)
	})
}
