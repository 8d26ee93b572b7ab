package geo

// Test helpers shared with the external tests of the demo city
// (locate_demo_test.go), which cannot live in package geo because
// data/synth imports geo.
var (
	AgreeWithOracle = agreeWithOracle
	CheckBoundaries = checkBoundaries
	UrbanPoints     = urbanPoints
)

// LatticeOptions and LatticeCity expose the hand-made city to external tests.
type LatticeOptions = latticeOptions

var LatticeCity = latticeCity

// SetHugePages turns the huge-page copy of new indexes on or off.
func SetHugePages(on bool) { useHugePages = on }
