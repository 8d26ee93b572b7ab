package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// GCJ-02 is the obfuscated datum that Chinese web maps use. Its forward
// transform from WGS84 is public; its inverse has no closed form and is
// solved here by fixed-point iteration, which converges to well under a
// millimetre in a handful of steps.

const (
	gcjA  = 6378245.0              // Krasovsky 1940 semi-major axis
	gcjEE = 0.00669342162296594323 // its first eccentricity squared
)

// InChina reports whether GCJ-02 applies at p: outside this box the two
// datums are identical.
func InChina(p orb.Point) bool {
	return p[0] >= 72.004 && p[0] <= 137.8347 && p[1] >= 0.8293 && p[1] <= 55.8271
}

// WGS84ToGCJ02 converts a WGS84 point to GCJ-02.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	d := gcjDelta(p)
	return orb.Point{p[0] + d[0], p[1] + d[1]}
}

// GCJ02ToWGS84 converts a GCJ-02 point to WGS84, iterating the forward
// transform until the round trip agrees to 1e-9 degrees (about 0.1 mm).
func GCJ02ToWGS84(g orb.Point) orb.Point {
	if !InChina(g) {
		return g
	}
	w := orb.Point{g[0], g[1]}
	for i := 0; i < 30; i++ {
		f := WGS84ToGCJ02(w)
		dx, dy := g[0]-f[0], g[1]-f[1]
		w[0] += dx
		w[1] += dy
		if math.Abs(dx) < 1e-10 && math.Abs(dy) < 1e-10 {
			break
		}
	}
	return w
}

func gcjDelta(p orb.Point) orb.Point {
	x, y := p[0]-105.0, p[1]-35.0
	dLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	radLat := p[1] / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return orb.Point{dLon, dLat}
}
