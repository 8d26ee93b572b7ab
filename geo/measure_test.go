package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestDistance(t *testing.T) {
	// One degree of arc on the mean-radius sphere.
	deg := EarthRadius * math.Pi / 180
	// Spherical law of cosines: an independent formula, fine at km range.
	cosines := func(a, b orb.Point) float64 {
		r := math.Pi / 180
		c := math.Sin(a[1]*r)*math.Sin(b[1]*r) + math.Cos(a[1]*r)*math.Cos(b[1]*r)*math.Cos((b[0]-a[0])*r)
		return EarthRadius * math.Acos(c)
	}
	tests := []struct {
		name string
		a, b orb.Point
		want float64
		tol  float64 // relative
	}{
		{"same point", orb.Point{117.3, 34.8}, orb.Point{117.3, 34.8}, 0, 0},
		{"1° of latitude", orb.Point{117, 34}, orb.Point{117, 35}, deg, 1e-12},
		{"1° of longitude at the equator", orb.Point{0, 0}, orb.Point{1, 0}, deg, 1e-12},
		{"1° of longitude at 60°", orb.Point{0, 60}, orb.Point{1, 60}, 2 * EarthRadius * math.Asin(0.5*math.Sin(math.Pi/360)), 1e-12},
		{"antipodes", orb.Point{0, 0}, orb.Point{180, 0}, math.Pi * EarthRadius, 1e-12},
		{"pole to pole", orb.Point{0, 90}, orb.Point{0, -90}, math.Pi * EarthRadius, 1e-12},
		{"across the antimeridian", orb.Point{179.5, 0}, orb.Point{-179.5, 0}, deg, 1e-9},
		// Shizhong to Xuecheng district seats, Zaozhuang: ≈ 27.3 km.
		{"zaozhuang to xuecheng", orb.Point{117.5535, 34.8563}, orb.Point{117.2633, 34.7952},
			cosines(orb.Point{117.5535, 34.8563}, orb.Point{117.2633, 34.7952}), 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Distance(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.tol*tt.want {
				t.Errorf("Distance(%v, %v) = %.3f m, want %.3f", tt.a, tt.b, got, tt.want)
			}
			if back := Distance(tt.b, tt.a); back != got {
				t.Errorf("Distance not symmetric: %v vs %v", got, back)
			}
		})
	}
}

func TestRingArea(t *testing.T) {
	ccw := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	cw := orb.Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}
	// A 1°×1° cell at the equator: R²·(π/180)·sin(1°) ≈ 12,364 km².
	want := EarthRadius * EarthRadius * math.Pi / 180 * math.Sin(math.Pi/180)
	if got := RingArea(ccw); math.Abs(got-want) > 1e-9*want {
		t.Errorf("RingArea(ccw 1° cell) = %.0f m², want %.0f", got, want)
	}
	if got := RingArea(ccw) / 1e6; math.Abs(got-12364) > 1 {
		t.Errorf("RingArea(ccw 1° cell) = %.1f km², want ≈ 12,364", got)
	}
	if got := RingArea(cw); math.Abs(got+want) > 1e-9*want {
		t.Errorf("RingArea(cw 1° cell) = %.0f m², want %.0f", got, -want)
	}
	// Unclosed rings give the same area.
	if got := RingArea(ccw[:4]); math.Abs(got-want) > 1e-9*want {
		t.Errorf("RingArea(unclosed) = %.0f, want %.0f", got, want)
	}
	for _, r := range []orb.Ring{nil, {}, {{1, 1}}, {{1, 1}, {2, 2}}} {
		if got := RingArea(r); got != 0 {
			t.Errorf("RingArea(%v) = %v, want 0", r, got)
		}
	}

	// A city block near Zaozhuang: 0.002° × 0.002° ≈ 222.4 m × 182.6 m.
	lon, lat := 117.5, 34.85
	block := orb.Ring{{lon, lat}, {lon + 0.002, lat}, {lon + 0.002, lat + 0.002}, {lon, lat + 0.002}, {lon, lat}}
	mx, my := MetresPerDegree(lat + 0.001)
	planar := 0.002 * mx * 0.002 * my
	if got := RingArea(block); math.Abs(got-planar) > 1e-6*planar {
		t.Errorf("RingArea(block) = %.3f m², want ≈ %.3f", got, planar)
	}

	// Additivity: the block cut into 4×4 cells sharing vertices sums to the
	// block to 1e-9 relative (the partition checks rely on this).
	var sum float64
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			x, y := lon+0.0005*float64(i), lat+0.0005*float64(j)
			sum += RingArea(orb.Ring{{x, y}, {x + 0.0005, y}, {x + 0.0005, y + 0.0005}, {x, y + 0.0005}, {x, y}})
		}
	}
	if a := RingArea(block); math.Abs(sum-a) > 1e-9*a {
		t.Errorf("cells sum to %.9f m², block is %.9f (rel %.2g)", sum, a, math.Abs(sum-a)/a)
	}
}

func TestPolygonArea(t *testing.T) {
	outer := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	hole := orb.Ring{{0.25, 0.25}, {0.25, 0.75}, {0.75, 0.75}, {0.75, 0.25}, {0.25, 0.25}} // clockwise
	full := RingArea(outer)
	rev := func(r orb.Ring) orb.Ring { r = r.Clone(); r.Reverse(); return r }
	tests := []struct {
		name string
		p    orb.Polygon
		want float64
	}{
		{"nil", nil, 0},
		{"cell", orb.Polygon{outer}, full},
		{"clockwise cell", orb.Polygon{rev(outer)}, full},
		{"with hole", orb.Polygon{outer, hole}, full - math.Abs(RingArea(hole))},
		{"with ccw hole", orb.Polygon{outer, rev(hole)}, full - math.Abs(RingArea(hole))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PolygonArea(tt.p); math.Abs(got-tt.want) > 1e-9*math.Max(1, tt.want) {
				t.Errorf("PolygonArea = %.3f, want %.3f", got, tt.want)
			}
		})
	}
}

func TestMetresPerDegree(t *testing.T) {
	lon, lat := MetresPerDegree(0)
	if math.Abs(lon-lat) > 1e-6 || math.Abs(lat-111195.08) > 0.01 {
		t.Errorf("MetresPerDegree(0) = %v, %v", lon, lat)
	}
	lon, _ = MetresPerDegree(60)
	if math.Abs(lon-lat/2) > 1e-6 {
		t.Errorf("MetresPerDegree(60) lon = %v, want %v", lon, lat/2)
	}
}

var sinkFloat float64

func BenchmarkDistance(b *testing.B) {
	p, q := orb.Point{117.5535, 34.8563}, orb.Point{117.2633, 34.7952}
	for b.Loop() {
		sinkFloat = Distance(p, q)
	}
}
