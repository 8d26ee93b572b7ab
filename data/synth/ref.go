package synth

import (
	"bytes"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/paulmach/orb"
)

//go:embed ref/*.csv ref/*.geojson
var refFS embed.FS

// refDistrict is a district outline as shipped, still in GCJ-02.
type refDistrict struct {
	Code string
	Name string
	Seat orb.Point // GCJ-02
	Ring orb.Ring  // GCJ-02, as published
}

type refStreet struct{ Code, Name, District string }
type refCommunity struct{ Code, Name, Street string }

func loadRefDistricts() ([]refDistrict, error) {
	b, err := refFS.ReadFile("ref/zaozhuang-districts.gcj02.geojson")
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			ID         string `json:"id"`
			Properties struct {
				Name string     `json:"name"`
				CP   [2]float64 `json:"cp"`
			} `json:"properties"`
			Geometry struct {
				Type        string         `json:"type"`
				Coordinates [][][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("synth: district outlines: %w", err)
	}
	var out []refDistrict
	for _, f := range fc.Features {
		if f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates) == 0 {
			return nil, fmt.Errorf("synth: district %s: want a Polygon, got %s", f.ID, f.Geometry.Type)
		}
		r := make(orb.Ring, len(f.Geometry.Coordinates[0]))
		for i, c := range f.Geometry.Coordinates[0] {
			r[i] = orb.Point(c)
		}
		out = append(out, refDistrict{Code: f.ID, Name: f.Properties.Name, Seat: orb.Point(f.Properties.CP), Ring: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func readCSV(name string) ([][]string, error) {
	b, err := refFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	var rows [][]string
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", name, err)
		}
		if !first {
			rows = append(rows, rec)
		}
	}
}

func loadRefStreets() ([]refStreet, error) {
	rows, err := readCSV("ref/zaozhuang-streets.csv")
	if err != nil {
		return nil, err
	}
	out := make([]refStreet, len(rows))
	for i, r := range rows {
		out[i] = refStreet{Code: r[0], Name: r[1], District: r[2]}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func loadRefCommunities() ([]refCommunity, error) {
	rows, err := readCSV("ref/zaozhuang-communities.csv")
	if err != nil {
		return nil, err
	}
	out := make([]refCommunity, len(rows))
	for i, r := range rows {
		out[i] = refCommunity{Code: r[0], Name: r[1], Street: r[2]}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}
