package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fc struct {
	Type     string            `json:"type"`
	CRS      any               `json:"crs,omitempty"`
	Features []json.RawMessage `json:"features"`
}

type feat struct {
	Type       string         `json:"type"`
	ID         any            `json:"id,omitempty"`
	Properties map[string]any `json:"properties"`
	Geometry   struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	} `json:"geometry"`
}

// TestImportRefusesBadFiles feeds import one kind of defect at a time and
// checks that each is refused with exit 1 and leaves the store unchanged.
func TestImportRefusesBadFiles(t *testing.T) {
	p := demoCity(t)
	_, before, _ := gridmap(t, "export", "--data", p, "--layer", "grids", "--personal")
	var base fc
	if err := json.Unmarshal([]byte(before), &base); err != nil {
		t.Fatal(err)
	}
	decode := func(i int) feat {
		var f feat
		if err := json.Unmarshal(base.Features[i], &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// Two grids of one community that share an edge: features 0 and 1 are
	// the first two grids of the first community.
	g0, g1 := decode(0), decode(1)
	if g0.Properties["community_code"] != g1.Properties["community_code"] {
		t.Fatal("fixture: first two grids are not in one community")
	}
	encode := func(fs ...feat) []json.RawMessage {
		var out []json.RawMessage
		for _, f := range fs {
			b, _ := json.Marshal(f)
			out = append(out, b)
		}
		return out
	}
	with := func(i int, f feat) fc {
		c := fc{Type: "FeatureCollection", Features: append([]json.RawMessage{}, base.Features...)}
		c.Features[i] = encode(f)[0]
		return c
	}
	cases := []struct {
		name string
		file func() []byte
		want string // a word the report or error must contain
	}{
		{"bowtie", func() []byte {
			f := decode(0)
			r := f.Geometry.Coordinates[0]
			a, b := r[0], r[len(r)/2]
			f.Geometry.Coordinates[0] = [][2]float64{a, {b[0], a[1]}, {a[0], b[1]}, b, a}
			return mustJSON(t, with(0, f))
		}, ""},
		{"unclosed ring", func() []byte {
			f := decode(0)
			r := f.Geometry.Coordinates[0]
			f.Geometry.Coordinates[0] = r[:len(r)-1]
			return mustJSON(t, with(0, f))
		}, ""},
		{"NaN coordinate", func() []byte {
			b := mustJSON(t, base)
			s := string(b)
			i := strings.Index(s, `"coordinates":[[[`) + len(`"coordinates":[[[`)
			j := i + strings.Index(s[i:], ",")
			return []byte(s[:i] + "NaN" + s[j:])
		}, ""},
		{"grid crossing its community boundary", func() []byte {
			f := decode(0)
			r := f.Geometry.Coordinates[0]
			// push every vertex 300 m away from the grid's centre
			var cx, cy float64
			for _, p := range r[:len(r)-1] {
				cx += p[0]
				cy += p[1]
			}
			n := float64(len(r) - 1)
			cx, cy = cx/n, cy/n
			for k := range r {
				r[k] = [2]float64{cx + (r[k][0]-cx)*1.8, cy + (r[k][1]-cy)*1.8}
			}
			return mustJSON(t, with(0, f))
		}, ""},
		{"overlap", func() []byte {
			c := fc{Type: "FeatureCollection", Features: append([]json.RawMessage{}, base.Features...)}
			f := decode(1)
			f.Properties["code"] = f.Properties["community_code"].(string) + "999"
			f.ID = f.Properties["code"]
			c.Features = append(c.Features, encode(f)...)
			return mustJSON(t, c)
		}, "overlap"},
		{"gap", func() []byte {
			c := fc{Type: "FeatureCollection", Features: append([]json.RawMessage{}, base.Features[1:]...)}
			return mustJSON(t, c)
		}, ""},
		{"duplicate code", func() []byte {
			f := decode(1)
			f.Properties["code"] = g0.Properties["code"]
			return mustJSON(t, with(1, f))
		}, "duplicate"},
		{"wrong CRS member", func() []byte {
			c := base
			c.CRS = map[string]any{"type": "name", "properties": map[string]any{"name": "urn:ogc:def:crs:EPSG::3857"}}
			return mustJSON(t, c)
		}, "CRS"},
		{"projected coordinates", func() []byte {
			f := decode(0)
			r := f.Geometry.Coordinates[0]
			for k := range r {
				r[k] = [2]float64{r[k][0] * 111320, r[k][1] * 110540}
			}
			return mustJSON(t, with(0, f))
		}, ""},
		{"not a polygon", func() []byte {
			b := mustJSON(t, with(0, decode(0)))
			return []byte(strings.Replace(string(b), `"type":"Polygon"`, `"type":"LineString"`, 1))
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.geojson")
			if err := os.WriteFile(file, tc.file(), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := gridmap(t, "import", "--data", p, "--layer", "grids", file)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errs)
			}
			if tc.want != "" && !strings.Contains(strings.ToLower(out+errs), strings.ToLower(tc.want)) {
				t.Errorf("report does not mention %q:\n%.2000s\n%s", tc.want, out, errs)
			}
			if !strings.Contains(errs, "unchanged") {
				t.Errorf("error does not say the store is unchanged: %s", errs)
			}
			_, after, _ := gridmap(t, "export", "--data", p, "--layer", "grids", "--personal")
			if after != before {
				t.Fatal("store changed after a refused import")
			}
		})
	}
	// The unchanged export imports cleanly and is recorded.
	file := filepath.Join(t.TempDir(), "same.geojson")
	os.WriteFile(file, []byte(before), 0o644)
	if code, out, errs := gridmap(t, "import", "--data", p, "--layer", "grids", "--actor", "tester", file); code != 0 {
		t.Fatalf("clean import refused: %s %s", out, errs)
	}
	_, after, _ := gridmap(t, "export", "--data", p, "--layer", "grids", "--personal")
	if after != before {
		t.Error("re-importing the export changed the grids")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
