package tiles

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// BakeOptions choose the zooms to bake and how many tiles render at once
// (0: one per CPU).
type BakeOptions struct {
	MinZoom, MaxZoom int
	Workers          int
}

// BakeStats report a bake.
type BakeStats struct {
	Rendered int // tiles rendered (the cover of the urban area)
	Written  int // non-empty tiles written
	PMTiles  PMTilesStats
	MaxRaw   int // largest uncompressed tile, bytes
}

// Bake renders every tile of the urban area from MinZoom to MaxZoom (see
// Cover), gzips the non-empty ones and returns them.
func (t *Tiler) Bake(ctx context.Context, opt BakeOptions) ([]ArchiveTile, BakeStats, error) {
	var st BakeStats
	if opt.MinZoom < MinZoom || opt.MaxZoom > MaxZoom || opt.MinZoom > opt.MaxZoom {
		return nil, st, fmt.Errorf("tiles: bake zooms %d..%d not within %d..%d", opt.MinZoom, opt.MaxZoom, MinZoom, MaxZoom)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var jobs []ArchiveTile
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		for _, k := range t.Cover(z) {
			jobs = append(jobs, ArchiveTile{Z: z, X: int(k.X), Y: int(k.Y)})
		}
	}
	st.Rendered = len(jobs)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= len(jobs) || stop {
					return
				}
				if err := ctx.Err(); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				j := &jobs[i]
				raw, err := t.Tile(j.Z, j.X, j.Y)
				if err == nil && len(raw) > 0 {
					j.Data, err = gzipBytes(raw)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("tiles: bake %d/%d/%d: %w", j.Z, j.X, j.Y, err)
				}
				st.MaxRaw = max(st.MaxRaw, len(raw))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, st, firstErr
	}
	out := jobs[:0]
	for _, j := range jobs {
		if len(j.Data) > 0 {
			out = append(out, j)
		}
	}
	st.Written = len(out)
	return out, st, nil
}

// BakePMTiles bakes the tiles (see Bake) and writes them to w as a PMTiles
// v3 archive whose metadata carries the TileJSON vector_layers.
func (t *Tiler) BakePMTiles(ctx context.Context, w io.Writer, opt BakeOptions) (BakeStats, error) {
	ts, st, err := t.Bake(ctx, opt)
	if err != nil {
		return st, err
	}
	tj := t.TileJSON("")
	meta := map[string]any{
		"name": tj.Name, "description": tj.Description, "version": tj.Version, "type": "overlay",
		"format": "pbf", "minzoom": opt.MinZoom, "maxzoom": opt.MaxZoom, "vector_layers": tj.VectorLayers,
	}
	u := t.urban
	if u.Min[0] > u.Max[0] {
		u = t.bound
	}
	c := u.Center()
	st.PMTiles, err = WritePMTiles(w, ts, PMTilesOptions{
		MinZoom: opt.MinZoom, MaxZoom: opt.MaxZoom,
		Bounds:  [4]float64{u.Min[0], u.Min[1], u.Max[0], u.Max[1]},
		Center:  [3]float64{c[0], c[1], float64(max(opt.MinZoom, min(opt.MaxZoom, CenterZoom)))},
		Gzipped: true, Metadata: meta,
	})
	return st, err
}
