package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportPOIs exports the demo city's POIs, imports a city's own list
// (the export cut down and a landmark added), and refuses a list with a
// POI outside every grid, leaving the store as it was.
func TestImportPOIs(t *testing.T) {
	p := demoCity(t)
	code, out, e := gridmap(t, "export", "--data", p, "--layer", "pois")
	if code != 0 {
		t.Fatalf("export: %d %s", code, e)
	}
	var all struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Features) < 100 {
		t.Fatalf("demo city exports %d POIs", len(all.Features))
	}
	own := all
	own.Features = all.Features[:50]
	added := map[string]any{"type": "Feature", "geometry": all.Features[0]["geometry"], "properties": map[string]any{
		"code": "X0001", "name": "青檀文化馆", "kind": "government", "aliases": "文化馆", "gates": "正门 " + coord(all.Features[0]) + ""}}
	own.Features = append(own.Features, added)
	dir := t.TempDir()
	write := func(name string, v any) string {
		b, _ := json.Marshal(v)
		f := filepath.Join(dir, name)
		os.WriteFile(f, b, 0o644)
		return f
	}
	good := write("own.geojson", own)
	if code, out, e := gridmap(t, "import", "--data", p, "--layer", "pois", good); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, e)
	}
	if code, out, _ := gridmap(t, "geocode", "--data", p, "青檀文化馆正门"); code != 0 || !strings.Contains(out, `"match": "poi"`) {
		t.Errorf("the imported landmark does not resolve: %s", out)
	}
	// A POI far outside the city: refused, nothing written.
	bad := own
	bad.Features = append([]map[string]any{}, own.Features...)
	bad.Features[0] = map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{100, 20}},
		"properties": map[string]any{"code": "X0002", "name": "远方学校", "kind": "school"}}
	if code, _, e := gridmap(t, "import", "--data", p, "--layer", "pois", write("bad.geojson", bad)); code != 1 || !strings.Contains(e, "outside every grid") {
		t.Errorf("bad import: exit %d %s", code, e)
	}
	unknown := own
	unknown.Features = append([]map[string]any{}, own.Features...)
	unknown.Features[1] = map[string]any{"type": "Feature", "geometry": own.Features[1]["geometry"],
		"properties": map[string]any{"code": "X0003", "name": "某处", "kind": "castle"}}
	if code, _, e := gridmap(t, "import", "--data", p, "--layer", "pois", write("kind.geojson", unknown)); code != 1 || !strings.Contains(e, "kind") {
		t.Errorf("unknown kind: exit %d %s", code, e)
	}
	_, after, _ := gridmap(t, "export", "--data", p, "--layer", "pois")
	if n := strings.Count(after, `"type":"Feature"`); n != 51 {
		t.Errorf("after the refused imports the store holds %d POIs, want 51", n)
	}
}

func coord(f map[string]any) string {
	c := f["geometry"].(map[string]any)["coordinates"].([]any)
	b, _ := json.Marshal(c[0])
	d, _ := json.Marshal(c[1])
	return string(b) + " " + string(d)
}
