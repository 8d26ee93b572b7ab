package frontend

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestAssetsOffline checks the pages' own files are embedded and name
// nothing outside the binary: no CDN, web font, glyph or sprite URL.
func TestAssetsOffline(t *testing.T) {
	a := Assets()
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}(/|["'\s)])`)
	for _, name := range []string{"index.html", "wall.js", "wall.css", "dispatch.html", "dispatch.js", "dispatch.css", "coverage.js", "coverage.css"} {
		if _, err := fs.Stat(a, name); err != nil {
			t.Errorf("%s not embedded: %v", name, err)
		}
	}
	var own []string
	for _, pat := range []string{"*.html", "*.js", "*.css"} {
		m, _ := fs.Glob(a, pat)
		own = append(own, m...)
	}
	for _, name := range own {
		b, err := fs.ReadFile(a, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to %q outside the binary", name, m)
		}
		if strings.HasSuffix(name, ".js") {
			if m := regexp.MustCompile(`['"]?\b(glyphs|sprite|text-field)['"]?\s*:\s*['"\[{]`).Find(b); m != nil {
				t.Errorf("%s sets %q; the pages must draw without glyphs or sprites", name, m)
			}
		}
	}
	page, _ := fs.ReadFile(a, "index.html")
	for _, want := range []string{`src="wall.js"`, `href="wall.css"`, `href="vendor/maplibre-gl/maplibre-gl.css"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	js, _ := fs.ReadFile(a, "wall.js")
	if !strings.Contains(string(js), `from './vendor/maplibre-gl/maplibre-gl.mjs'`) {
		t.Error("wall.js does not import the vendored MapLibre")
	}
}

// TestVendor checks MapLibre's module and its worker sit side by side once
// `make frontend` has run (a fresh clone before npm has none, and says so).
func TestVendor(t *testing.T) {
	a := Assets()
	if _, err := fs.Stat(a, "vendor/maplibre-gl/maplibre-gl.mjs"); err != nil {
		t.Skip("frontend/dist/vendor is not built (make frontend); the page says so when served")
	}
	for _, name := range []string{"maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css"} {
		if _, err := fs.Stat(a, "vendor/maplibre-gl/"+name); err != nil {
			t.Errorf("vendor/maplibre-gl/%s: %v", name, err)
		}
	}
}
