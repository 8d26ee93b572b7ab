package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/privacy"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/geo/plan"
)

func cmdGenerate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("generate", "generate --out city.gpkg [--seed N] [--scale K] [--force]", stderr)
	out := fs.String("out", "city.gpkg", "the store to write: a GeoPackage file or a postgres:// URL")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same city")
	scale := fs.Int("scale", 1, "copies of the city (1,230 grids each)")
	incidents := fs.Int("incidents", 0, "historical incidents per copy (0: 3,000)")
	force := fs.Bool("force", false, "overwrite an existing file")
	placesAsOf := fs.String("places-as-of", synth.PlacesAsOf, "the day (yyyy-mm-dd) the generated places records — service visits, station activities, ratings — run up to")
	imbalance := fs.Float64("imbalance", 0, "unbalance the grids: move this share of the households (0..0.5) to neighbouring grids, whole compounds at a time, as a planner's test start")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := places.ParseDate(*placesAsOf); err != nil || *placesAsOf < synth.PlacesAsOf {
		return failf(2, "--places-as-of %q: want a day yyyy-mm-dd from %s on", *placesAsOf, synth.PlacesAsOf)
	}
	if !(*imbalance >= 0 && *imbalance <= 0.5) {
		return failf(2, "--imbalance %v: want a share between 0 and 0.5", *imbalance)
	}
	st, err := backends.Fresh(ctx, *out, *force)
	if errors.Is(err, backends.ErrExists) {
		return failf(2, "%s exists (use --force to overwrite)", backends.Describe(*out))
	}
	if err != nil {
		return err
	}
	start := time.Now()
	var grids, copies int
	// Generate the next copy while the store writes this one: the two
	// halves take about the same time, so the pipeline keeps both cores busy.
	parts := make(chan *data.City, 2)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	genErr := make(chan error, 1)
	go func() {
		defer close(parts)
		genErr <- synth.Generate(synth.Options{Seed: *seed, Scale: *scale, Incidents: *incidents, PlacesAsOf: *placesAsOf}, func(part *data.City) error {
			select {
			case parts <- part:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	}()
	for part := range parts {
		if err = ctx.Err(); err != nil {
			break
		}
		if *imbalance > 0 {
			if part, err = unbalance(part, *imbalance, *seed+uint64(copies)); err != nil {
				break
			}
		}
		if err = st.Append(ctx, part); err != nil {
			break
		}
		copies++
		grids += len(part.Grids)
		if *scale > 1 && (copies%10 == 0 || copies == *scale) {
			el := time.Since(start)
			fmt.Fprintf(stderr, "generate: %d/%d copies, %d grids, %s elapsed, %.0f grids/s\n",
				copies, *scale, grids, el.Round(time.Second), float64(grids)/el.Seconds())
		}
	}
	cancel()
	for range parts {
	}
	if gerr := <-genErr; err == nil && gerr != nil {
		err = gerr
	}
	if err == nil {
		err = st.AppendAudit(ctx, data.AuditEntry{At: time.Now().UTC(), Actor: "gridmap generate", Action: "generate",
			Target: "city", Detail: fmt.Sprintf(`{"seed":%d,"scale":%d}`, *seed, *scale)})
	}
	if err == nil {
		err = st.Commit()
	} else {
		st.Abort()
	}
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d grids in %s (seed %d, scale %d)\n", *out, grids, time.Since(start).Round(time.Millisecond), *seed, *scale)
	return nil
}

// dataFlag defines --data: the store, a GeoPackage path or a PostgreSQL
// URL, by default $GRIDMAP_DATA or city.gpkg.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", backends.Target(""), "the store: a GeoPackage file or a postgres://user@host:port/db URL (default $"+backends.EnvData+", else "+backends.DefaultTarget+")")
}

// openStore opens the existing store at target; a missing one is a usage
// error (exit 2).
func openStore(ctx context.Context, target string) (store.Store, error) {
	st, err := backends.Open(ctx, target)
	switch {
	case errors.Is(err, backends.ErrNoStore):
		return nil, failf(2, "no store at %s (run `gridmap generate --out %s` first)", backends.Describe(target), target)
	case errors.Is(err, backends.ErrSchema):
		return nil, failf(2, "%v (or fill an empty database with `gridmap generate --out URL` or `gridmap copy --to URL`)", err)
	}
	return st, err
}

// openCity opens a store and loads its city.
func openCity(ctx context.Context, target string) (store.Store, *data.City, error) {
	st, err := openStore(ctx, target)
	if err != nil {
		return nil, nil, err
	}
	c, err := st.Load(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, c, nil
}

// expectedCounts are the published figures times the generated scale.
func expectedCounts(c *data.City) map[string]int {
	scale := 1
	if c.Meta != nil {
		if v, err := strconv.Atoi(c.Meta["scale"]); err == nil && v > 0 {
			scale = v
		}
		if c.Meta["generator"] == "" {
			return nil // not a generated city: no published figures to hold it to
		}
	}
	return map[string]int{
		data.LayerDistricts:      6 * scale,
		data.LayerStreets:        21 * scale,
		data.LayerCommunities:    synth.Communities * scale,
		data.LayerGrids:          synth.Grids * scale,
		data.LayerCadres:         synth.Cadres * scale,
		data.LayerStations:       (synth.CommunityCentres + synth.BuiltGridStations + synth.PlannedGridStations) * scale,
		data.LayerReportingUnits: (synth.MunicipalUnits + synth.DistrictUnits) * scale,
	}
}

func cmdValidate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "validate --data city.gpkg [--no-counts] [--no-people] [--day D] [--max-cadre-grids N]", stderr)
	path := dataFlag(fs)
	noCounts := fs.Bool("no-counts", false, "do not hold the city to the published counts")
	noPeople := fs.Bool("no-people", false, "leave out the people rules (heads, workers, cadres' grids, 双报到 pairings …)")
	dayS := dayFlag(fs)
	maxGrids := fs.Int("max-cadre-grids", 0, "the most grids a cadre may help (default: the store's setting, else 3)")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := parseDayFlag(*dayS)
	if err != nil {
		return err
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	rules, err := peopleRules(c.Meta, *maxGrids)
	if err != nil {
		return err
	}
	c.DeriveStaffing(d)
	opt := geo.ValidateOptions{}
	if !*noCounts {
		opt.Expect = expectedCounts(c)
	}
	rep := geo.ValidateCity(c, opt)
	// The report: the hierarchy's, with the people rules' section.
	out := struct {
		*geo.Report
		OK     bool           `json:"ok"`
		People *people.Report `json:"people,omitempty"`
	}{Report: &rep, OK: rep.OK}
	if !*noPeople {
		pr := people.Check(c, d, rules)
		out.People = &pr
		out.OK = out.OK && pr.OK
	}
	if err := encodeJSON(stdout, out); err != nil {
		return err
	}
	switch {
	case !rep.OK:
		return failf(1, "%d problems found", len(rep.Problems))
	case out.People != nil && !out.People.OK:
		return failf(1, "%d people rule violation(s)", len(out.People.Violations))
	}
	return nil
}

func cmdExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("export", "export --data city.gpkg --layer grids [--format geojson|geojsonseq|csv] [--out file] [--personal]", stderr)
	path := dataFlag(fs)
	layer := fs.String("layer", data.LayerGrids, "layer to export")
	format := fs.String("format", features.FormatGeoJSON, "geojson, geojsonseq or csv")
	out := fs.String("out", "-", "output file (- for stdout)")
	personal := fs.Bool("personal", false, "include names and phone numbers unmasked")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := features.Count(&data.City{}, *layer); err != nil {
		return &exitError{2, err}
	}
	switch *format {
	case features.FormatGeoJSON, features.FormatGeoJSONSeq, features.FormatCSV:
	default:
		return failf(2, "unknown format %q (want geojson, geojsonseq or csv)", *format)
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return features.Write(w, c, *layer, *format, features.Options{ShowPersonal: *personal, Audience: privacy.Viewer})
}

// unbalance moves share of c's households between neighbouring grids with
// the planner's engine (whole compounds, every grid kept valid) and returns
// the city that results.
func unbalance(c *data.City, share float64, seed uint64) (*data.City, error) {
	if err := c.Index(); err != nil {
		return nil, err
	}
	m, err := plan.NewModel(c)
	if err != nil {
		return nil, fmt.Errorf("imbalance: %w", err)
	}
	p := plan.NewPlan(m, nil)
	if _, err := p.Unbalance(share, seed); err != nil {
		return nil, fmt.Errorf("imbalance: %w", err)
	}
	out, _, err := p.City()
	if err != nil {
		return nil, fmt.Errorf("imbalance: %w", err)
	}
	return out, nil
}
