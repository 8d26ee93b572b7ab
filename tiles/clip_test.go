package tiles

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestClipTouchingBorder: a ring that dips to the clip border at one vertex
// between two excursions outside used to come back as one ring touching
// itself (invalid); it must come back as two simple polygons (the shape of
// grid 370403006018004 in tile 12/3382/1625 of the demo city).
func TestClipTouchingBorder(t *testing.T) {
	tests := []struct {
		name  string
		ring  []orb.Point
		parts int
	}{
		{"touches at one vertex", []orb.Point{{1900, -100}, {1854, -53}, {1795, -64}, {1732, -55}, {1700, -100}}, 2},
		{"touches twice", []orb.Point{{1900, -100}, {1880, -50}, {1850, -64}, {1820, -50}, {1795, -64}, {1760, -50}, {1700, -100}}, 3},
		{"crosses once", []orb.Point{{1900, -100}, {1880, -50}, {1700, -40}, {1700, -100}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ring
			if ringArea(orb.Ring(r)) < 0 {
				r = append([]orb.Point(nil), r...)
				for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
					r[i], r[j] = r[j], r[i]
				}
			}
			polys := clipPolygon([][]orb.Point{r}, -64, 4160)
			if len(polys) != tt.parts {
				t.Fatalf("%d polygons, want %d: %v", len(polys), tt.parts, polys)
			}
			for _, p := range polys {
				for _, q := range p[0] {
					if q[1] < -64 {
						t.Errorf("vertex %v outside the box", q)
					}
				}
				if err := sfPolygon(orb.Polygon{append(orb.Ring(p[0]), p[0][0])}).Validate(); err != nil {
					t.Errorf("piece %v: %v", p[0], err)
				}
				if ringArea(orb.Ring(p[0])) <= 0 {
					t.Errorf("piece %v wound the wrong way", p[0])
				}
			}
		})
	}
}
