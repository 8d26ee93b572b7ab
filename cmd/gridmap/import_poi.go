package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/store/tables"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// POI import: a city loads its own landmarks from a GeoJSON
// FeatureCollection of points (the shape `gridmap export --layer pois`
// writes), a CSV with lon and lat columns (or the export's wkt column), or
// another gridmap GeoPackage. Properties: code and name (required), kind
// (one of data.POIKinds), aliases (;-separated), road and house_number of
// the main gate, gates (NAME LON LAT;… as the export writes them) and
// footprint (WKT POLYGON). The grid and community are where the point
// lies: a POI outside every grid is refused, like any other problem, and
// nothing is written.

func poisFrom(ctx context.Context, c *data.City, file string) (*data.City, error) {
	var pois []data.POI
	var err error
	switch strings.ToLower(filepath.Ext(file)) {
	case ".gpkg":
		src, other, err := openCity(ctx, file)
		if err != nil {
			return nil, err
		}
		src.Close()
		pois = other.POIs
	case ".csv":
		pois, err = poisFromCSV(file)
	default:
		pois, err = poisFromGeoJSON(file)
	}
	if err != nil {
		return nil, err
	}
	ix, err := geo.NewIndex(c)
	if err != nil {
		return nil, err
	}
	for i := range pois {
		p := &pois[i]
		r := ix.LocateWithin(p.Point, 0)
		if r.Grid < 0 {
			return nil, fmt.Errorf("poi %s (%s): point %.6f,%.6f lies outside every grid", p.Code, p.Name, p.Point[0], p.Point[1])
		}
		p.GridCode, p.CommunityCode = c.Grids[r.Grid].Code, c.Grids[r.Grid].CommunityCode
	}
	next := *c
	next.POIs = pois
	return finish(&next)
}

// poiFields builds a POI from its properties.
func poiFields(i int, pt orb.Point, get func(string) string) (data.POI, error) {
	p := data.POI{Code: strings.TrimSpace(get("code")), Name: strings.TrimSpace(get("name")), Kind: strings.TrimSpace(get("kind")),
		Road: strings.TrimSpace(get("road")), Point: pt, Aliases: []string{}, Gates: []data.Gate{}}
	if p.Code == "" || p.Name == "" {
		return p, fmt.Errorf("feature %d: code and name are required", i)
	}
	if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
		return p, fmt.Errorf("feature %d (%s): bad coordinates", i, p.Code)
	}
	known := false
	for _, k := range data.POIKinds {
		known = known || k == p.Kind
	}
	if !known {
		return p, fmt.Errorf("feature %d (%s): kind %q is not one of %s", i, p.Code, p.Kind, strings.Join(data.POIKinds, ", "))
	}
	for _, a := range strings.Split(get("aliases"), ";") {
		if a = strings.TrimSpace(a); a != "" {
			p.Aliases = append(p.Aliases, a)
		}
	}
	if h := strings.TrimSpace(get("house_number")); h != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(h, ".0"))
		if err != nil || n < 0 {
			return p, fmt.Errorf("feature %d (%s): house_number %q", i, p.Code, h)
		}
		p.HouseNumber = n
	}
	gs, err := features.ParseGates(get("gates"))
	if err != nil {
		return p, fmt.Errorf("feature %d (%s): %w", i, p.Code, err)
	}
	p.Gates = gs
	if fp := strings.TrimSpace(get("footprint")); fp != "" {
		if p.Geom, err = tables.ParseFootprint(fp); err != nil {
			return p, fmt.Errorf("feature %d (%s): footprint: %w", i, p.Code, err)
		}
	}
	return p, nil
}

func poisFromGeoJSON(file string) ([]data.POI, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("not a GeoJSON FeatureCollection: %w", err)
	}
	out := make([]data.POI, 0, len(fc.Features))
	for i, f := range fc.Features {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			return nil, fmt.Errorf("feature %d: geometry must be a Point", i)
		}
		p, err := poiFields(i, pt, func(k string) string { return propText(f.Properties[k]) })
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func propText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

func poisFromCSV(file string) ([]data.POI, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("not valid CSV: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("empty CSV")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	out := make([]data.POI, 0, len(rows)-1)
	for n, r := range rows[1:] {
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(r) {
				return r[i]
			}
			return ""
		}
		var pt orb.Point
		if w := get("wkt"); w != "" {
			var x, y float64
			if _, err := fmt.Sscanf(strings.TrimSpace(w), "POINT(%g %g)", &x, &y); err != nil {
				return nil, fmt.Errorf("row %d: wkt %q is not a POINT", n+2, w)
			}
			pt = orb.Point{x, y}
		} else {
			x, err1 := strconv.ParseFloat(get("lon"), 64)
			y, err2 := strconv.ParseFloat(get("lat"), 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("row %d: want lon and lat (or wkt)", n+2)
			}
			pt = orb.Point{x, y}
		}
		p, err := poiFields(n+2, pt, get)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
