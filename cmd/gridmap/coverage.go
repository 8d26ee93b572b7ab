package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/gridmap/gridmap/geo/coverage"
)

// cmdCoverage runs `gridmap coverage report|site|cover|eval`.
func cmdCoverage(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "report" && args[0] != "site" && args[0] != "cover" && args[0] != "eval") {
		fmt.Fprintln(stderr, "Usage: gridmap coverage report|site|cover|eval --data city.gpkg [flags]\n\n"+
			"  report  coverage by built grid stations: city, street, community and grid figures (JSON)\n"+
			"  site    choose --k new sites maximising newly covered households (GeoJSON)\n"+
			"  cover   the fewest new sites that bring the covered share of grids to the target (GeoJSON)\n"+
			"  eval    current coverage, with the planned sites, and with --k sites chosen by the algorithm")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return failf(2, "want a subcommand: report, site, cover or eval")
	}
	sub := args[0]
	fs := newFlags("coverage "+sub, "coverage "+sub+" --data city.gpkg [flags]", stderr)
	path := dataFlag(fs)
	radius := fs.Float64("radius", 500, "reach of a grid station in metres (walking, along roads)")
	centre := fs.Float64("centre-radius", 1000, "reach of a community centre in metres")
	share := fs.Float64("grid-share", 0.5, "share of a grid's households in reach for the grid to count as covered")
	target := fs.Float64("target", 0.7, "share of grids the city aims to cover")
	k := fs.Int("k", 300, "new sites to choose (site, eval)")
	cands := fs.String("candidates", coverage.CandidatesBuildings, "candidate sites: planned, buildings or all")
	all := fs.Bool("all-stations", false, "report: count community centres too (with their own reach)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	st.Close()
	start := time.Now()
	m := coverage.NewModel(c, coverage.Options{GridRadius: *radius, CentreRadius: *centre, GridShare: *share, Target: *target})
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	switch sub {
	case "report":
		sel := coverage.Built(m)
		if *all {
			sel = coverage.AllBuilt(m)
		}
		rep := m.Report(sel, true)
		fmt.Fprintf(stderr, "coverage: %d of %d grids covered (%.1f%%, target %.0f%%), %d of %d households, in %s\n",
			rep.City.GridsCovered, rep.City.Grids, 100*rep.City.GridShare, 100**target,
			rep.City.HouseholdsCovered, rep.City.Households, time.Since(start).Round(time.Millisecond))
		return enc.Encode(rep)
	case "site", "cover":
		var res *coverage.Siting
		opt := coverage.SitingOptions{K: *k, Candidates: *cands}
		if sub == "site" {
			res, err = m.Site(ctx, opt)
		} else {
			res, err = m.Cover(ctx, opt)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "coverage %s: %d sites; grids covered %d → %d of %d; households %d → %d (upper bound %d); %s\n",
			sub, len(res.Sites), res.Before.GridsCovered, res.After.GridsCovered, res.After.Grids,
			res.Before.HouseholdsCovered, res.After.HouseholdsCovered, res.UpperBound, time.Since(start).Round(time.Millisecond))
		return enc.Encode(res.GeoJSON())
	default: // eval
		built := m.Report(coverage.Built(m), false).City
		planned := m.Report(coverage.BuiltAndPlanned(m), false).City
		res, err := m.Site(ctx, coverage.SitingOptions{K: *k, Candidates: *cands})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-34s %8s %8s %10s %12s\n", "scenario", "grids", "share", "households", "hh share")
		row := func(name string, f coverage.Figures) {
			fmt.Fprintf(stdout, "%-34s %8d %7.1f%% %10d %11.1f%%\n", name, f.GridsCovered, 100*f.GridShare, f.HouseholdsCovered, 100*f.HouseholdShare)
		}
		row("built grid stations", built)
		row("+ the 300 planned sites", planned)
		row(fmt.Sprintf("+ %d sites chosen (%s)", len(res.Sites), *cands), res.After)
		fmt.Fprintf(stdout, "upper bound on households with %d new sites: %d (solution within %.2f%% of it); %d swaps; siting took %s\n",
			*k, res.UpperBound, 100*float64(res.UpperBound-res.After.HouseholdsCovered)/float64(max(1, res.UpperBound)), res.Swaps, res.Elapsed.Round(time.Millisecond))
		if res.After.HouseholdsCovered <= planned.HouseholdsCovered {
			return failf(1, "the chosen sites do not beat the planned ones")
		}
		return nil
	}
}
