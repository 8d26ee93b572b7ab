package synth

import (
	"testing"

	"github.com/gridmap/gridmap/data"
)

func TestCityFigures(t *testing.T) {
	c, err := City(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		data.LayerDistricts: 6, data.LayerStreets: 21, data.LayerCommunities: Communities,
		data.LayerGrids: Grids, data.LayerCadres: Cadres,
		data.LayerStations: CommunityCentres + BuiltGridStations + PlannedGridStations,
		data.LayerReportingUnits: MunicipalUnits + DistrictUnits, data.LayerIncidents: DefaultIncidents,
	}
	got := c.Counts()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %d, want %d", k, got[k], v)
		}
	}
	t.Logf("counts %v", got)
}
