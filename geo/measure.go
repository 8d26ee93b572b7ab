package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the mean Earth radius in metres used for distances.
const EarthRadius = 6371008.8

// Distance returns the great-circle distance in metres between two WGS84
// points (haversine).
func Distance(a, b orb.Point) float64 {
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dla := la2 - la1
	dlo := (b[0] - a[0]) * math.Pi / 180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// MetresPerDegree returns the metres per degree of longitude and latitude
// at latitude lat, for local planar approximations.
func MetresPerDegree(lat float64) (lon, latm float64) {
	latm = EarthRadius * math.Pi / 180
	return latm * math.Cos(lat*math.Pi/180), latm
}

// RingArea returns the area in square metres of a ring of WGS84 points, by
// the spherical excess formula used by RFC 7946 tools (positive when the
// ring is counter-clockwise).
func RingArea(r orb.Ring) float64 {
	n := len(r)
	if n < 3 {
		return 0
	}
	var s float64
	for i := 0; i < n; i++ {
		p1, p2, p3 := r[i], r[(i+1)%n], r[(i+2)%n]
		s += (p3[0] - p1[0]) * math.Pi / 180 * math.Sin(p2[1]*math.Pi/180)
	}
	return -s * EarthRadius * EarthRadius / 2
}

// PolygonArea returns the area of a polygon in square metres (exterior
// minus holes), whatever the ring orientation.
func PolygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(RingArea(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(RingArea(h))
	}
	return a
}
