package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// importable layers: the area layers a planner edits in QGIS, and the
// city's own POIs (landmarks).
var importable = map[string]bool{data.LayerGrids: true, data.LayerCommunities: true, data.LayerStreets: true, data.LayerPOIs: true}

func cmdImport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("import", "import --data city.gpkg --layer grids [--actor NAME] FILE.geojson|FILE.gpkg\n       gridmap import --data city.gpkg --layer pois FILE.geojson|FILE.csv|FILE.gpkg", stderr)
	path := dataFlag(fs)
	layer := fs.String("layer", data.LayerGrids, "layer to replace: grids, communities, streets or pois")
	actor := fs.String("actor", "", "who makes the change, for the audit log (default: $USER)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return failf(2, "want exactly one input file")
	}
	if !importable[*layer] {
		return failf(2, "layer %q cannot be imported (grids, communities, streets or pois)", *layer)
	}
	if *actor == "" {
		*actor = os.Getenv("USER")
		if *actor == "" {
			*actor = "cli"
		}
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	file := fs.Arg(0)
	var next *data.City
	switch ext := strings.ToLower(filepath.Ext(file)); {
	case *layer == data.LayerPOIs:
		next, err = poisFrom(ctx, c, file)
	case ext == ".gpkg":
		next, err = fromGeoPackage(ctx, c, file, *layer)
	default:
		next, err = fromGeoJSON(c, file, *layer)
	}
	if err != nil {
		return failf(1, "%s: %v (store unchanged)", file, err)
	}
	rep := geo.ValidateCity(next, geo.ValidateOptions{})
	if !rep.OK {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return failf(1, "%s: %d problems; nothing imported, store unchanged", file, len(rep.Problems))
	}
	detail, _ := json.Marshal(map[string]any{"file": file, "layer": *layer, "before": c.Counts()[*layer], "after": next.Counts()[*layer]})
	entry := data.AuditEntry{At: time.Now().UTC(), Actor: *actor, Action: "import", Target: *layer, Detail: string(detail)}
	if err := st.Replace(ctx, *layer, next, entry); err != nil {
		return fmt.Errorf("write %s: %w (store unchanged)", *layer, err)
	}
	fmt.Fprintf(stdout, "imported %d %s from %s\n", next.Counts()[*layer], *layer, file)
	return nil
}

// fromGeoPackage takes the layer from another gridmap GeoPackage (for
// example one exported, edited in QGIS and saved).
func fromGeoPackage(ctx context.Context, c *data.City, file, layer string) (*data.City, error) {
	src, other, err := openCity(ctx, file)
	if err != nil {
		return nil, err
	}
	src.Close()
	next := *c
	switch layer {
	case data.LayerGrids:
		next.Grids = other.Grids
	case data.LayerCommunities:
		next.Communities = other.Communities
	case data.LayerStreets:
		next.Streets = other.Streets
	}
	return finish(&next)
}

// fromGeoJSON reads an RFC 7946 FeatureCollection of the layer.
func fromGeoJSON(c *data.City, file, layer string) (*data.City, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var head struct {
		Type string `json:"type"`
		CRS  *struct {
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"crs"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if head.Type != "FeatureCollection" {
		return nil, fmt.Errorf("want a GeoJSON FeatureCollection, got type %q", head.Type)
	}
	if head.CRS != nil {
		n := strings.ToUpper(head.CRS.Properties.Name)
		if !strings.HasSuffix(n, "CRS84") && !strings.HasSuffix(n, "EPSG::4326") && !strings.HasSuffix(n, "EPSG:4326") {
			return nil, fmt.Errorf("wrong CRS %q: gridmap imports WGS84 longitude/latitude (EPSG:4326 / CRS84) only", head.CRS.Properties.Name)
		}
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("not valid GeoJSON: %w", err)
	}
	next := *c
	polys := make([]orb.Polygon, len(fc.Features))
	codes := make([]string, len(fc.Features))
	for i, f := range fc.Features {
		code, _ := f.Properties["code"].(string)
		if code == "" {
			return nil, fmt.Errorf("feature %d: no code property", i)
		}
		codes[i] = code
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			polys[i] = g
		case orb.MultiPolygon:
			if len(g) != 1 {
				return nil, fmt.Errorf("feature %d (%s): a multipolygon of %d parts: areas must be contiguous", i, code, len(g))
			}
			polys[i] = g[0]
		default:
			return nil, fmt.Errorf("feature %d (%s): geometry must be a Polygon", i, code)
		}
	}
	str := func(f *geojson.Feature, k, def string) string {
		if v, ok := f.Properties[k].(string); ok && v != "" {
			return v
		}
		return def
	}
	switch layer {
	case data.LayerGrids:
		next.Grids = make([]data.Grid, len(fc.Features))
		for i, f := range fc.Features {
			g := data.Grid{Code: codes[i]}
			if old := c.Grid(codes[i]); old != nil {
				g = *old
			}
			g.Geom = polys[i]
			g.Name = str(f, "name", g.Name)
			g.CommunityCode = str(f, "community_code", g.CommunityCode)
			if cm := c.Community(g.CommunityCode); cm != nil {
				g.StreetCode, g.DistrictCode = cm.StreetCode, cm.DistrictCode
			}
			next.Grids[i] = g
		}
	case data.LayerCommunities:
		next.Communities = make([]data.Community, len(fc.Features))
		for i, f := range fc.Features {
			m := data.Community{Code: codes[i]}
			if old := c.Community(codes[i]); old != nil {
				m = *old
			}
			m.Geom = polys[i]
			m.Name = str(f, "name", m.Name)
			m.StreetCode = str(f, "street_code", m.StreetCode)
			if s := c.Street(m.StreetCode); s != nil {
				m.DistrictCode = s.DistrictCode
			}
			next.Communities[i] = m
		}
	case data.LayerStreets:
		next.Streets = make([]data.Street, len(fc.Features))
		for i, f := range fc.Features {
			s := data.Street{Code: codes[i]}
			if old := c.Street(codes[i]); old != nil {
				s = *old
			}
			s.Geom = polys[i]
			s.Name = str(f, "name", s.Name)
			s.DistrictCode = str(f, "district_code", s.DistrictCode)
			next.Streets[i] = s
		}
	}
	return finish(&next)
}

// finish re-derives grid totals from the buildings and rebuilds lookups.
func finish(c *data.City) (*data.City, error) {
	if err := c.Index(); err != nil {
		return nil, err
	}
	grids := append([]data.Grid(nil), c.Grids...)
	for i := range grids {
		grids[i].Buildings, grids[i].Households, grids[i].Population = 0, 0, 0
	}
	c.Grids = grids
	if err := c.Index(); err != nil {
		return nil, err
	}
	for _, b := range c.Buildings {
		if g := c.Grid(b.GridCode); g != nil {
			g.Buildings++
			g.Households += b.Households
			g.Population += b.Population
		}
	}
	return c, nil
}
