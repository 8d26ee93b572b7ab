// Package frontend embeds gridmap's map pages so the one Go binary serves
// them. web/ holds the hand-written page sources (the wall map, the
// dispatcher console, the planner); vendor/ holds the browser builds of
// the npm libraries they use (MapLibre GL JS), copied from node_modules
// by scripts/vendor.mjs and committed, pinned to package-lock.json's
// versions (vendor/manifest.json; the tests check both). So `go build` or
// `go install` on a fresh clone, before any npm step, gives a binary whose
// pages work.
//
// Assets serves web/ at the root and vendor/ under vendor/, the paths the
// pages load from.
package frontend

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

//go:embed web
var web embed.FS

// site/ is the page of the static site `gridmap bake --site` writes.
//
//go:embed site
var site embed.FS

// The vendored files are named one by one, so a checkout that lost one
// fails to compile instead of serving a page without its map library.
//
//go:embed vendor/manifest.json
//go:embed vendor/maplibre-gl/maplibre-gl.mjs vendor/maplibre-gl/maplibre-gl-worker.mjs
//go:embed vendor/maplibre-gl/maplibre-gl.css vendor/maplibre-gl/LICENSE.txt
//go:embed vendor/pmtiles/pmtiles.js
var vendor embed.FS

// VendorDir is where the vendored libraries appear among the Assets.
const VendorDir = "vendor"

// Assets returns the pages: web/ at the root, the vendored libraries under
// vendor/. It implements fs.ReadDirFS, so fs.WalkDir sees both.
func Assets() fs.FS { return overlay{web: sub(web, "web"), vendor: sub(vendor, "vendor")} }

// Pages returns the page sources alone (web/), without the vendored libraries.
func Pages() fs.FS { return sub(web, "web") }

// Vendor returns the vendored libraries alone (vendor/).
func Vendor() fs.FS { return sub(vendor, "vendor") }

// SiteShared names the files of web/ the static site uses as they are.
var SiteShared = []string{"wall.css", "fatal.js"}

// SiteGenerated names the files of the static site that the bake writes
// from the city: the MapLibre style, the tiles and the key figures.
var SiteGenerated = []string{"style.json", "city.pmtiles", "city.json"}

// Site returns the static site's own page files (site/), without
// SiteShared, the vendored libraries or SiteGenerated.
func Site() fs.FS { return sub(site, "site") }

// WriteSite copies the static site's page files into dir: site/, the
// SiteShared files of web/ and the vendored libraries under vendor/
// (dir must exist). The caller writes SiteGenerated beside them.
func WriteSite(dir string) error {
	copyTree := func(from fs.FS, to string, keep func(string) bool) error {
		return fs.WalkDir(from, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || (keep != nil && !keep(p)) {
				return err
			}
			dst := filepath.Join(to, filepath.FromSlash(p))
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			b, err := fs.ReadFile(from, p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		})
	}
	if err := copyTree(Site(), dir, nil); err != nil {
		return fmt.Errorf("frontend: site: %w", err)
	}
	if err := copyTree(Pages(), dir, func(p string) bool { return p == "." || slices.Contains(SiteShared, p) }); err != nil {
		return fmt.Errorf("frontend: site: %w", err)
	}
	if err := copyTree(Vendor(), filepath.Join(dir, VendorDir), nil); err != nil {
		return fmt.Errorf("frontend: site: %w", err)
	}
	return nil
}

func sub(f embed.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a literal embedded at build time
	}
	return s
}

// overlay is web with vendor mounted at VendorDir.
type overlay struct{ web, vendor fs.FS }

func (o overlay) route(name string) (fs.FS, string) {
	if name == VendorDir {
		return o.vendor, "."
	}
	if rest, ok := strings.CutPrefix(name, VendorDir+"/"); ok {
		return o.vendor, rest
	}
	return o.web, name
}

func (o overlay) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		es, err := o.ReadDir(".")
		if err != nil {
			return nil, err
		}
		f, err := o.web.Open(".")
		if err != nil {
			return nil, err
		}
		return &rootDir{File: f, entries: es}, nil
	}
	f, n := o.route(name)
	return f.Open(n)
}

// rootDir is the root directory of the overlay, listing vendor/ beside
// the pages.
type rootDir struct {
	fs.File
	entries []fs.DirEntry
	off     int
}

func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(rest))
	d.off += k
	return rest[:k], nil
}

func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	f, n := o.route(name)
	es, err := fs.ReadDir(f, n)
	if err != nil || name != "." {
		return es, err
	}
	es = slices.DeleteFunc(es, func(e fs.DirEntry) bool { return e.Name() == VendorDir })
	es = append(es, fs.FileInfoToDirEntry(mountInfo{}))
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return es, nil
}

// mountInfo describes the vendor/ directory in the root listing.
type mountInfo struct{}

func (mountInfo) Name() string       { return path.Base(VendorDir) }
func (mountInfo) Size() int64        { return 0 }
func (mountInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (mountInfo) ModTime() time.Time { return time.Time{} }
func (mountInfo) IsDir() bool        { return true }
func (mountInfo) Sys() any           { return nil }
