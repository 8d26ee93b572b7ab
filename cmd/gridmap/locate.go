package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/server"
)

func cmdLocate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("locate", "locate --data city.gpkg --lon X --lat Y [--crs gcj02] [--personal]\n       gridmap locate --data city.gpkg [--crs gcj02] [--geojson] < points.csv > out.csv", stderr)
	path := dataFlag(fs)
	lon := fs.String("lon", "", "longitude of one point")
	lat := fs.String("lat", "", "latitude of one point")
	crs := fs.String("crs", "wgs84", "CRS of the input: wgs84 or gcj02")
	maxDist := fs.Float64("max-distance", geo.DefaultMaxDistance, "reach in metres of a \"nearest\" answer for points outside every grid (negative: off)")
	personal := fs.Bool("personal", false, "show names and phones unmasked")
	asGeoJSON := fs.Bool("geojson", false, "batch input is a GeoJSON FeatureCollection of points (default CSV id,lon,lat)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, _, err := server.ParsePoint("0", "0", *crs); err != nil {
		return &exitError{2, err}
	}
	var single bool
	if *lon != "" || *lat != "" {
		single = true
		if _, _, err := server.ParsePoint(*lon, *lat, *crs); err != nil {
			return &exitError{2, err}
		}
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	st.Close()
	ix, err := geo.NewIndexWith(c, geo.IndexOptions{MaxDistance: *maxDist})
	if err != nil {
		return err
	}
	if single {
		p, crsName, _ := server.ParsePoint(*lon, *lat, *crs)
		ans := server.Locate(ix, p, *personal)
		fmt.Sscan(*lon, &ans.Query.Lon)
		fmt.Sscan(*lat, &ans.Query.Lat)
		ans.Query.CRS = crsName
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ans)
	}
	start := time.Now()
	opt := geo.BatchOptions{CRS: *crs, MaxDistance: *maxDist, Errors: stderr}
	bw := bufio.NewWriterSize(stdout, 1<<20)
	var stats geo.BatchStats
	if *asGeoJSON {
		stats, err = geo.LocateGeoJSON(ctx, stdin, bw, ix, opt)
	} else {
		stats, err = geo.LocateCSV(ctx, stdin, bw, ix, opt)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	el := time.Since(start)
	fmt.Fprintf(stderr, "locate: %d rows (%d inside, %d nearest, %d none, %d errors) in %s, %.0f rows/s\n",
		stats.Rows, stats.Inside, stats.Nearest, stats.None, stats.Errors, el.Round(time.Millisecond), float64(stats.Rows)/el.Seconds())
	if err != nil {
		return err
	}
	if stats.Errors > 0 {
		return failf(1, "%d malformed rows (reported above with their line numbers)", stats.Errors)
	}
	return nil
}
