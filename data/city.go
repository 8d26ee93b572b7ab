package data

import "fmt"

// Layer names, as used by the store, the CLI and the API.
const (
	LayerDistricts      = "districts"
	LayerStreets        = "streets"
	LayerCommunities    = "communities"
	LayerGrids          = "grids"
	LayerCompounds      = "compounds"
	LayerBuildings      = "buildings"
	LayerRoads          = "roads"
	LayerStations       = "stations"
	LayerPOIs           = "pois"
	LayerIncidents      = "incidents"
	LayerCadres         = "cadres"
	LayerReportingUnits = "reporting_units"
	LayerStaff          = "staff"
	LayerAssignments    = "assignments"
	LayerPairings       = "pairings"
	LayerCommitments    = "commitments"
	LayerEvaluations    = "evaluations"
	LayerContactPoints  = "contact_points"
)

// SpatialLayers lists the layers that carry geometry, in nesting order.
var SpatialLayers = []string{
	LayerDistricts, LayerStreets, LayerCommunities, LayerGrids,
	LayerCompounds, LayerBuildings, LayerRoads, LayerStations, LayerPOIs, LayerIncidents,
}

// City is a whole city, or one part of it while it is streamed to a store.
// The zero value is an empty city. Lookups by code need Index to have run
// after the slices last changed.
type City struct {
	Meta           map[string]string // generator, seed, scale, version …
	Districts      []District
	Streets        []Street
	Communities    []Community
	Grids          []Grid
	Compounds      []Compound
	Buildings      []Building
	Roads          []Road
	Stations       []Station
	POIs           []POI
	Cadres         []Cadre
	ReportingUnits []ReportingUnit
	Incidents      []Incident
	Places         Places // property, volunteers and stations records (places.go)

	// The managed people records (staff.go).
	Staff         []Staff
	Assignments   []Assignment
	Pairings      []Pairing
	Commitments   []Commitment
	Evaluations   []Evaluation
	ContactPoints []ContactPoint

	staffIdx map[string]int

	districtIdx, streetIdx, communityIdx, gridIdx, compoundIdx map[string]int
	cadresByGrid                                               map[string][]int
}

// Counts returns the number of features of every layer.
func (c *City) Counts() map[string]int {
	return map[string]int{
		LayerDistricts:      len(c.Districts),
		LayerStreets:        len(c.Streets),
		LayerCommunities:    len(c.Communities),
		LayerGrids:          len(c.Grids),
		LayerCompounds:      len(c.Compounds),
		LayerBuildings:      len(c.Buildings),
		LayerRoads:          len(c.Roads),
		LayerStations:       len(c.Stations),
		LayerPOIs:           len(c.POIs),
		LayerCadres:         len(c.Cadres),
		LayerReportingUnits: len(c.ReportingUnits),
		LayerIncidents:      len(c.Incidents),
		LayerStaff:          len(c.Staff),
		LayerAssignments:    len(c.Assignments),
		LayerPairings:       len(c.Pairings),
		LayerCommitments:    len(c.Commitments),
		LayerEvaluations:    len(c.Evaluations),
		LayerContactPoints:  len(c.ContactPoints),
	}
}

// Index builds the code lookups. It reports the first duplicate code found.
func (c *City) Index() error {
	var err error
	idx := func(n int, code func(int) string, what string) map[string]int {
		m := make(map[string]int, n)
		for i := 0; i < n; i++ {
			k := code(i)
			if _, dup := m[k]; dup && err == nil {
				err = fmt.Errorf("duplicate %s code %q", what, k)
			}
			m[k] = i
		}
		return m
	}
	c.districtIdx = idx(len(c.Districts), func(i int) string { return c.Districts[i].Code }, "district")
	c.streetIdx = idx(len(c.Streets), func(i int) string { return c.Streets[i].Code }, "street")
	c.communityIdx = idx(len(c.Communities), func(i int) string { return c.Communities[i].Code }, "community")
	c.gridIdx = idx(len(c.Grids), func(i int) string { return c.Grids[i].Code }, "grid")
	c.compoundIdx = idx(len(c.Compounds), func(i int) string { return c.Compounds[i].Code }, "compound")
	c.indexStaff()
	c.cadresByGrid = make(map[string][]int, len(c.Grids))
	for i, cd := range c.Cadres {
		for _, g := range cd.GridCodes {
			c.cadresByGrid[g] = append(c.cadresByGrid[g], i)
		}
	}
	return err
}

func lookup[T any](s []T, m map[string]int, code string) *T {
	if i, ok := m[code]; ok {
		return &s[i]
	}
	return nil
}

// District returns the district with the code, or nil.
func (c *City) District(code string) *District { return lookup(c.Districts, c.districtIdx, code) }

// Street returns the street with the code, or nil.
func (c *City) Street(code string) *Street { return lookup(c.Streets, c.streetIdx, code) }

// Community returns the community with the code, or nil.
func (c *City) Community(code string) *Community {
	return lookup(c.Communities, c.communityIdx, code)
}

// Grid returns the grid with the code, or nil.
func (c *City) Grid(code string) *Grid { return lookup(c.Grids, c.gridIdx, code) }

// GridIndex returns the position of the grid with the code in c.Grids.
func (c *City) GridIndex(code string) (int, bool) { i, ok := c.gridIdx[code]; return i, ok }

// Compound returns the compound with the code, or nil.
func (c *City) Compound(code string) *Compound { return lookup(c.Compounds, c.compoundIdx, code) }

// CadresOf returns the cadres who help the grid.
func (c *City) CadresOf(gridCode string) []*Cadre {
	ix := c.cadresByGrid[gridCode]
	out := make([]*Cadre, len(ix))
	for i, j := range ix {
		out[i] = &c.Cadres[j]
	}
	return out
}

// Append adds every feature of part to c. Indexes must be rebuilt after.
func (c *City) Append(part *City) {
	if c.Meta == nil && part.Meta != nil {
		c.Meta = map[string]string{}
	}
	for k, v := range part.Meta {
		c.Meta[k] = v
	}
	c.Districts = append(c.Districts, part.Districts...)
	c.Streets = append(c.Streets, part.Streets...)
	c.Communities = append(c.Communities, part.Communities...)
	c.Grids = append(c.Grids, part.Grids...)
	c.Compounds = append(c.Compounds, part.Compounds...)
	c.Buildings = append(c.Buildings, part.Buildings...)
	c.Roads = append(c.Roads, part.Roads...)
	c.Stations = append(c.Stations, part.Stations...)
	c.POIs = append(c.POIs, part.POIs...)
	c.Cadres = append(c.Cadres, part.Cadres...)
	c.ReportingUnits = append(c.ReportingUnits, part.ReportingUnits...)
	c.Incidents = append(c.Incidents, part.Incidents...)
	c.Places.Append(&part.Places)
	c.Staff = append(c.Staff, part.Staff...)
	c.Assignments = append(c.Assignments, part.Assignments...)
	c.Pairings = append(c.Pairings, part.Pairings...)
	c.Commitments = append(c.Commitments, part.Commitments...)
	c.Evaluations = append(c.Evaluations, part.Evaluations...)
	c.ContactPoints = append(c.ContactPoints, part.ContactPoints...)
	c.staffIdx = nil
}
