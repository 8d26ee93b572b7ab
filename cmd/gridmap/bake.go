package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gridmap/gridmap/tiles"
)

// cmdBake writes the vector tiles of the urban area to a PMTiles archive
// that any static host or CDN can serve.
func cmdBake(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("bake", "bake --data city.gpkg --out city.pmtiles [--minzoom 8] [--maxzoom 16]", stderr)
	path := dataFlag(fs)
	out := fs.String("out", "city.pmtiles", "PMTiles archive to write")
	minZ := fs.Int("minzoom", 8, "lowest zoom to bake")
	maxZ := fs.Int("maxzoom", tiles.MaxZoom, "highest zoom to bake")
	workers := fs.Int("workers", 0, "tiles rendered at once (0: one per CPU)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *minZ < tiles.MinZoom || *maxZ > tiles.MaxZoom || *minZ > *maxZ {
		return failf(2, "zooms %d..%d: want %d <= minzoom <= maxzoom <= %d", *minZ, *maxZ, tiles.MinZoom, tiles.MaxZoom)
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
	// Write beside the target and rename, so a failed bake never leaves a
	// half-written archive under the name.
	tmp := filepath.Join(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bs, err := t.BakePMTiles(ctx, f, tiles.BakeOptions{MinZoom: *minZ, MaxZoom: *maxZ, Workers: *workers})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: z%d–z%d, %d tiles (%d entries, %d unique), %d bytes, largest tile %d bytes uncompressed, in %s (load %s, tiles %s)\n",
		*out, *minZ, *maxZ, bs.PMTiles.Addressed, bs.PMTiles.Entries, bs.PMTiles.Contents, bs.PMTiles.Bytes, bs.MaxRaw,
		time.Since(start).Round(time.Millisecond), loaded.Sub(start).Round(time.Millisecond), time.Since(loaded).Round(time.Millisecond))
	return nil
}
