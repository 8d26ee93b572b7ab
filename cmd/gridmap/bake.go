package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/frontend"
	"github.com/gridmap/gridmap/geo/coverage"
	"github.com/gridmap/gridmap/server"
	"github.com/gridmap/gridmap/tiles"
)

// siteArchive is the archive's name inside a static site; the site's style
// points at it (pmtiles://city.pmtiles, resolved beside the page).
const siteArchive = "city.pmtiles"

// cmdBake writes the vector tiles of the urban area to a PMTiles archive
// that any static host or CDN can serve; with --site, a whole static site
// around it: the wall map page, its style, the key figures and the
// vendored MapLibre with the pmtiles protocol.
func cmdBake(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("bake", "bake --data city.gpkg (--out city.pmtiles | --site DIR) [--minzoom 8] [--maxzoom 16]", stderr)
	path := fs.String("data", "city.gpkg", "GeoPackage store")
	out := fs.String("out", "city.pmtiles", "PMTiles archive to write")
	site := fs.String("site", "", "write a static site to this folder (index.html, style.json, city.json, "+siteArchive+", vendor/) instead of --out")
	minZ := fs.Int("minzoom", 8, "lowest zoom to bake")
	maxZ := fs.Int("maxzoom", tiles.MaxZoom, "highest zoom to bake")
	workers := fs.Int("workers", 0, "tiles rendered at once (0: one per CPU)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *minZ < tiles.MinZoom || *maxZ > tiles.MaxZoom || *minZ > *maxZ {
		return failf(2, "zooms %d..%d: want %d <= minzoom <= maxzoom <= %d", *minZ, *maxZ, tiles.MinZoom, tiles.MaxZoom)
	}
	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if *site != "" {
		if outSet {
			return failf(2, "--out and --site: give one (the site's archive is %s inside it)", siteArchive)
		}
		if err := os.MkdirAll(*site, 0o755); err != nil {
			return failf(1, "--site: %v", err)
		}
		*out = filepath.Join(*site, siteArchive)
	}
	start := time.Now()
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	st.Close()
	loaded := time.Now()
	t, err := tiles.New(c)
	if err != nil {
		return err
	}
	var bs tiles.BakeStats
	err = writeAtomic(*out, func(f *os.File) error {
		var err error
		bs, err = t.BakePMTiles(ctx, f, tiles.BakeOptions{MinZoom: *minZ, MaxZoom: *maxZ, Workers: *workers})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: z%d–z%d, %d tiles (%d entries, %d unique), %d bytes, largest tile %d bytes uncompressed, in %s (load %s, tiles %s)\n",
		*out, *minZ, *maxZ, bs.PMTiles.Addressed, bs.PMTiles.Entries, bs.PMTiles.Contents, bs.PMTiles.Bytes, bs.MaxRaw,
		time.Since(start).Round(time.Millisecond), loaded.Sub(start).Round(time.Millisecond), time.Since(loaded).Round(time.Millisecond))
	if *site == "" {
		return nil
	}
	if err := writeSite(*site, c, t); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the static site %s: serve the folder with any static file server that answers Range requests, and open index.html\n", *site)
	return nil
}

// writeSite writes the site's pages and vendored libraries, its style
// (over pmtiles://city.pmtiles) and city.json, the key figures as the
// server's /api/v1/stats gives them.
func writeSite(dir string, c *data.City, t *tiles.Tiler) error {
	if err := frontend.WriteSite(dir); err != nil {
		return err
	}
	m := coverage.NewModel(c, coverage.Options{})
	stats, _ := server.ComputeStats(c, m.Report(coverage.Built(m), true), m.Report(coverage.BuiltAndPlanned(m), true))
	stats.GeneratedAt = time.Now().UTC().Truncate(time.Second)
	for name, v := range map[string]any{"style.json": t.Style("pmtiles://" + siteArchive), "city.json": stats} {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("site %s: %w", name, err)
		}
		if err := writeAtomic(filepath.Join(dir, name), func(f *os.File) error { _, err := f.Write(b); return err }); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes a file beside the target and renames it, so a failed
// write never leaves a half-written file under the name.
func writeAtomic(target string, write func(*os.File) error) error {
	tmp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
