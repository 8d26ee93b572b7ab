package frontend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

// ownFiles lists the page sources: every html, js and css file under web/.
func ownFiles(t *testing.T) []string {
	t.Helper()
	var own []string
	err := fs.WalkDir(Pages(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch path.Ext(p) {
		case ".html", ".js", ".mjs", ".css":
			own = append(own, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(own) == 0 {
		t.Fatal("no page sources embedded")
	}
	return own
}

// TestAssetsOffline checks the pages' own files are embedded and name
// nothing outside the binary: no CDN, web font, glyph or sprite URL.
func TestAssetsOffline(t *testing.T) {
	a := Assets()
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}(/|["'\s)])`)
	for _, name := range []string{"index.html", "wall.js", "wall.css", "dispatch.html", "dispatch.js", "dispatch.css", "coverage.js", "coverage.css", "planner.html", "planner.js"} {
		if _, err := fs.Stat(a, name); err != nil {
			t.Errorf("%s not embedded: %v", name, err)
		}
	}
	glyphs := regexp.MustCompile(`['"]?\b(glyphs|sprite|text-field)['"]?\s*:\s*['"\[{]`)
	type page struct {
		fsys fs.FS
		name string
	}
	var pages []page
	for _, name := range ownFiles(t) {
		pages = append(pages, page{a, name})
	}
	siteFiles, _ := fs.Glob(Site(), "*")
	for _, name := range siteFiles {
		pages = append(pages, page{Site(), name})
	}
	for _, p := range pages {
		name := p.name
		b, err := fs.ReadFile(p.fsys, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to %q outside the binary", name, m)
		}
		if strings.HasSuffix(name, ".js") {
			if m := glyphs.Find(b); m != nil {
				t.Errorf("%s sets %q; the pages must draw without glyphs or sprites", name, m)
			}
		}
	}
	js, _ := fs.ReadFile(a, "wall.js")
	if !strings.Contains(string(js), `from './vendor/maplibre-gl/maplibre-gl.mjs'`) {
		t.Error("wall.js does not import the vendored MapLibre")
	}
}

// References a page makes to files: HTML src/href, JS static and dynamic
// imports and import.meta.url-relative URLs, CSS url() and @import.
var refPatterns = map[string][]*regexp.Regexp{
	".html": {regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']+)["']`)},
	".js": {
		regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]`),
		regexp.MustCompile(`\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)`),
		regexp.MustCompile(`(?m)^\s*import\s+['"]([^'"]+)['"]`),
		regexp.MustCompile(`new\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url`),
	},
	".css": {
		regexp.MustCompile(`url\(\s*['"]?([^'")]+?)['"]?\s*\)`),
		regexp.MustCompile(`@import\s+['"]([^'"]+)['"]`),
	},
}

// assetExt names the file types a reference to an absolute path must find
// among the assets (other absolute paths are the server's routes).
var assetExt = map[string]bool{".html": true, ".js": true, ".mjs": true, ".css": true, ".png": true, ".svg": true, ".ico": true, ".woff2": true, ".webp": true}

// references returns the files a page refers to, as paths among the
// assets, with the reference as written.
func references(name string, b []byte) (refs [][2]string) {
	ext := path.Ext(name)
	if ext == ".mjs" {
		ext = ".js"
	}
	for _, re := range refPatterns[ext] {
		for _, m := range re.FindAllSubmatch(b, -1) {
			ref := string(m[1])
			u := ref
			if i := strings.IndexAny(u, "?#"); i >= 0 {
				u = u[:i]
			}
			switch {
			case u == "", strings.Contains(u, "${"), regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`).MatchString(u), strings.HasPrefix(u, "//"):
				continue // fragment, template, data:/blob:/mailto: (external URLs are TestAssetsOffline's)
			case strings.HasPrefix(u, "/"):
				if !assetExt[path.Ext(u)] {
					continue // a server route such as /api/v1/stats
				}
				u = strings.TrimPrefix(u, "/")
			default:
				u = path.Join(path.Dir(name), u)
			}
			refs = append(refs, [2]string{u, ref})
		}
	}
	return refs
}

// TestReferencedAssetsExist fails when a page refers to a file the binary
// does not embed, such as a vendored library that is not there.
func TestReferencedAssetsExist(t *testing.T) {
	a := Assets()
	n := 0
	for _, name := range ownFiles(t) {
		b, _ := fs.ReadFile(a, name)
		for _, r := range references(name, b) {
			n++
			if fi, err := fs.Stat(a, r[0]); err != nil || fi.IsDir() {
				t.Errorf("%s refers to %q, which the binary does not embed (%s)", name, r[1], r[0])
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d references found in the pages: the patterns are broken", n)
	}
}

// TestSiteReferencesExist does the same for the static site's page: what
// it refers to is written by WriteSite or is one of SiteGenerated.
func TestSiteReferencesExist(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSite(dir); err != nil {
		t.Fatal(err)
	}
	for _, g := range SiteGenerated {
		os.WriteFile(filepath.Join(dir, g), nil, 0o644)
	}
	out := os.DirFS(dir)
	n := 0
	fs.WalkDir(Site(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(Site(), name)
		for _, r := range references(name, b) {
			n++
			if _, err := fs.Stat(out, r[0]); err != nil {
				t.Errorf("site/%s refers to %q, which the static site lacks", name, r[1])
			}
		}
		return nil
	})
	if n < 5 {
		t.Errorf("only %d references in the site's page", n)
	}
	for _, f := range append([]string{"index.html", "site.js", "vendor/pmtiles/pmtiles.js", "vendor/maplibre-gl/maplibre-gl-worker.mjs"}, SiteShared...) {
		if _, err := fs.Stat(out, f); err != nil {
			t.Errorf("the static site lacks %s", f)
		}
	}
}

// TestReferencesFound checks the reference extraction itself on each kind
// of reference, so TestReferencedAssetsExist cannot pass by finding nothing.
func TestReferencesFound(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"index.html", `<link rel="stylesheet" href="vendor/x/x.css"><script src="a.js?v=1"></script><a href="#top">t</a><link href="data:,">`, []string{"vendor/x/x.css", "a.js"}},
		{"sub/p.html", `<img src="../img/a.png"><a href="/api/v1/stats">s</a><script src="/b.js"></script>`, []string{"img/a.png", "b.js"}},
		{"a.js", "import * as m from './vendor/m.mjs';\nimport './side.js';\nconst w = new URL('./w.mjs', import.meta.url);\nawait import('./lazy.js');\nfetch(`/api/${x}`);", []string{"vendor/m.mjs", "lazy.js", "side.js", "w.mjs"}},
		{"a.css", `@import "b.css"; .x { background: url('img/x.svg'); } .y { background: url(data:image/png;base64,AAA); }`, []string{"img/x.svg", "b.css"}},
		{"a.js", `const u = 'https://example.com/x.js'; import x from "https://cdn.example/y.mjs";`, nil},
	} {
		var got []string
		for _, r := range references(tc.name, []byte(tc.src)) {
			got = append(got, r[0])
		}
		sort.Strings(got)
		want := append([]string(nil), tc.want...)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s %q: got %v, want %v", tc.name, tc.src, got, want)
		}
	}
}

type manifest map[string]struct {
	Version   string            `json:"version"`
	Integrity string            `json:"integrity"`
	Files     map[string]string `json:"files"`
}

// TestVendorMatchesLock checks that the committed vendor/ holds, for each
// vendored package, the version package.json pins and package-lock.json
// locks (same integrity), and that every file has the bytes the manifest
// recorded when scripts/vendor.mjs copied it from that version's tarball.
// (`make frontend` also compares them with node_modules after npm ci.)
func TestVendorMatchesLock(t *testing.T) {
	v := Vendor()
	mb, err := fs.ReadFile(v, "manifest.json")
	if err != nil {
		t.Fatalf("vendor/manifest.json: %v", err)
	}
	var man manifest
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatalf("vendor/manifest.json: %v", err)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
		Dependencies    map[string]string `json:"dependencies"`
	}
	for file, into := range map[string]any{"package-lock.json": &lock, "package.json": &pkg} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if _, ok := man["maplibre-gl"]; !ok {
		t.Error("maplibre-gl is not vendored")
	}
	seen := map[string]bool{"manifest.json": true}
	for name, m := range man {
		l, ok := lock.Packages["node_modules/"+name]
		if !ok {
			t.Errorf("%s is vendored but not in package-lock.json", name)
			continue
		}
		if m.Version != l.Version || m.Integrity != l.Integrity {
			t.Errorf("%s: vendored %s (%s), package-lock.json locks %s (%s): run make vendor", name, m.Version, m.Integrity, l.Version, l.Integrity)
		}
		pin := pkg.DevDependencies[name]
		if pin == "" {
			pin = pkg.Dependencies[name]
		}
		if pin != m.Version {
			t.Errorf("%s: package.json asks for %q, want the exact version %s", name, pin, m.Version)
		}
		if len(m.Files) == 0 {
			t.Errorf("%s: no files in the manifest", name)
		}
		for f, sum := range m.Files {
			p := name + "/" + f
			seen[p] = true
			b, err := fs.ReadFile(v, p)
			if err != nil {
				t.Errorf("vendor/%s is not embedded: %v", p, err)
				continue
			}
			if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
				t.Errorf("vendor/%s differs from %s@%s's file (sha256 %x, manifest %s)", p, name, m.Version, got, sum)
			}
		}
	}
	// Every embedded vendored file is in the manifest, and every file on
	// disk is embedded (the go:embed lines name them one by one).
	fs.WalkDir(v, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !seen[p] {
			t.Errorf("vendor/%s is embedded but not in the manifest", p)
		}
		return err
	})
	fs.WalkDir(os.DirFS("vendor"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !seen[p] {
			t.Errorf("vendor/%s is on disk but not embedded: add it to the go:embed lines of frontend.go", p)
		}
		return err
	})
}

// TestAssetsFS checks the overlay behaves as a file system: every file of
// web/ and vendor/ is found under its path, with directory listings.
func TestAssetsFS(t *testing.T) {
	var want []string
	for _, root := range []struct {
		f      fs.FS
		prefix string
	}{{Pages(), ""}, {Vendor(), VendorDir + "/"}} {
		fs.WalkDir(root.f, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				want = append(want, root.prefix+p)
			}
			return err
		})
	}
	if err := fstest.TestFS(Assets(), want...); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(Assets(), "vendor/maplibre-gl/maplibre-gl-worker.mjs"); err != nil {
		t.Error(err) // MapLibre loads its worker from beside its module
	}
}

// TestReferencesPatterns keeps the reference patterns to real imports:
// a word "from" inside code (an object key, an element id) is not one.
func TestReferencesPatterns(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"import { a } from './lib.js';\n", []string{"lib.js"}},
		{"import {\n  a,\n  b,\n} from \"./vendor/x.mjs\";\n", []string{"vendor/x.mjs"}},
		{"export { c } from './c.js';\n", []string{"c.js"}},
		{"import './side.js';\n", []string{"side.js"}},
		{"const m = await import('./lazy.js');\n", []string{"lazy.js"}},
		{"post({ from: $('assign-from').value, replaces: $('x').value });\n", nil},
		{"const s = 'taken from' + \"here\";\n", nil},
	}
	for _, c := range cases {
		var got []string
		for _, r := range references("page.js", []byte(c.src)) {
			got = append(got, r[0])
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("references(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}
