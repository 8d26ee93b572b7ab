package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store/tables"
	"github.com/gridmap/gridmap/data/tabular"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/geo/coverage"
	"github.com/gridmap/gridmap/geo/geocode"
	"github.com/gridmap/gridmap/server"
)

func init() {
	commands["places"] = command{"property, volunteers and stations: the three rates, complaints, service coverage, stars, import and export (places rates|complaints|services|stations|check|reassess|export|import)", cmdPlaces}
}

const placesUsage = `Usage: gridmap places <subcommand> --data city.gpkg [flags]

  rates       the three rates (三率) by area on a day, and their change against a base day
  complaints  property complaints by compound, company, area or property status, year on year
  services    volunteer teams, service targets and late visits (--overdue lists them; names with --personal)
  stations    stations by lifecycle and stars, lapsed criteria, coverage against the 70% goal
  check       hold every places record to the rules; exit 1 on any problem
  reassess    record the downgrades lapsed criteria call for (audit actor: --actor)
  export      write one list as CSV or .xlsx (--list, --format, --out)
  import      read one list from a CSV or .xlsx file, all or nothing (exit 1 with row and column)

Lists: ` + "companies, company_records, property, evaluations, teams, targets, logs, stations, ratings"

// cmdPlaces runs `gridmap places …`.
func cmdPlaces(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	subs := []string{"rates", "complaints", "services", "stations", "check", "reassess", "export", "import"}
	if len(args) == 0 || !slices.Contains(subs, args[0]) {
		fmt.Fprintln(stderr, placesUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return failf(2, "want a subcommand: %s", strings.Join(subs, ", "))
	}
	sub := args[0]
	fs := newFlags("places "+sub, "places "+sub+" --data city.gpkg [flags]", stderr)
	path := dataFlag(fs)
	level := fs.String("level", "", "area level: community, street, district, city (complaints also compound, company, property_status)")
	day := fs.String("day", "", "the day (yyyy-mm-dd; default today): reports are made at its end")
	base := fs.String("base", "2020-01-01", "rates: the base day of the change")
	months := fs.Int("months", 12, "complaints: months of trend")
	limit := fs.Int("limit", 20, "rows to print (0: all)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	overdue := fs.Bool("overdue", false, "services: list the targets whose visit is late or who have no team")
	personal := fs.Bool("personal", false, "services: show the targets' names and phones")
	list := fs.String("list", "", "export/import: the list ("+strings.Join(places.SheetNames, ", ")+")")
	format := fs.String("format", "", "export: csv or xlsx (default: from --out, else csv); import: from the file")
	out := fs.String("out", "-", "export: the file to write (- for stdout)")
	actor := fs.String("actor", "cli", "reassess/import: who the audit trail names")
	dry := fs.Bool("dry-run", false, "import: check only")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	if *day != "" {
		if _, err := places.ParseDate(*day); err != nil {
			return failf(2, "--day: %v", err)
		}
		now = places.EndOfDay(*day).Add(-time.Second)
	}
	d := places.Day(now)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	cut := func(n int) int {
		if *limit <= 0 || *limit > n {
			return n
		}
		return *limit
	}
	prop := places.NewProperty(&c.Places)
	switch sub {
	case "rates":
		lv := *level
		if lv == "" {
			lv = places.LevelCity
		}
		if !slices.Contains(places.Levels, lv) {
			return failf(2, "--level must be community, street, district or city")
		}
		if _, err := places.ParseDate(*base); err != nil {
			return failf(2, "--base: %v", err)
		}
		ch, err := places.NewRater(c, prop).Changes(lv, *base, d)
		if err != nil {
			return failf(2, "%v", err)
		}
		if *asJSON {
			return enc.Encode(ch)
		}
		fmt.Fprintf(tw, "%s\t小区\t业委会组建率\t专业化物业服务覆盖率\t物业企业党组织覆盖率\t业委会党员占比达标\n", "area")
		row := func(r places.Rate) string { return fmt.Sprintf("%.1f%% (%d/%d)", 100*r.Value, r.Num, r.Den) }
		for _, x := range ch[:cut(len(ch))] {
			fmt.Fprintf(tw, "%s %s\t%d\t%s\t%s\t%s\t%s\n", x.Code, x.Name, x.At.Compounds, row(x.At.Committee), row(x.At.Professional), row(x.At.PartyOrg), row(x.At.CommitteeParty))
			fmt.Fprintf(tw, "  vs %s\t%d\t%+.1f pp\t%+.1f pp\t%+.1f pp\t\n", *base, x.Base.Compounds, x.CommitteePP, x.ProfessionalPP, x.PartyOrgPP)
		}
		fmt.Fprintf(tw, "(day %s; a rate counts the compounds on record that day; see GET /api/v1/property/rates for the definitions)\n", d)
	case "complaints":
		lv := *level
		if lv == "" {
			lv = places.LevelCommunity
		}
		ix, err := geo.NewIndex(c)
		if err != nil {
			return err
		}
		gz, err := geocode.New(c, ix)
		if err != nil {
			return err
		}
		cs := places.NewLinker(c, server.ComplaintResolver(gz)).Complaints(c.Incidents, prop)
		fsg, err := places.ComplaintReport(c, prop, cs, places.ComplaintQuery{Level: lv, End: now, Months: *months})
		if err != nil {
			return failf(2, "%v", err)
		}
		if *asJSON {
			return enc.Encode(map[string]any{"links": places.LinkSummary(cs), "figures": fsg})
		}
		fmt.Fprintf(tw, "%s\tname\t12 months\tprior 12\tyoy\tper 1000 households\n", lv)
		for _, f := range fsg[:cut(len(fsg))] {
			yoy := "—"
			if f.YoY != nil {
				yoy = fmt.Sprintf("%+.1f%%", 100**f.YoY)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.2f\n", f.Code, f.Name, f.Count, f.Prior, yoy, f.Per1000)
		}
		fmt.Fprintf(tw, "(year to %s; the stored incidents of property categories, linked by point in compound, else by address: %v)\n", d, places.LinkSummary(cs))
	case "services":
		tc, sum := places.Coverage(places.IndexBuildings(c), &c.Places, intervalsOf(c), now)
		if *overdue {
			od := places.Overdue(tc)
			byID := map[string]*data.ServiceTarget{}
			for i := range c.Places.Targets {
				byID[c.Places.Targets[i].ID] = &c.Places.Targets[i]
			}
			if *asJSON {
				return enc.Encode(od)
			}
			fmt.Fprintf(tw, "target\tkind\tname\tgrid\tteam\tlast visit\tdays late\n")
			for _, x := range od[:cut(len(od))] {
				name := data.MaskName(byID[x.TargetID].Name)
				if *personal {
					name = byID[x.TargetID].Name + " " + byID[x.TargetID].Phone
				}
				last := "never"
				if x.LastVisit != nil {
					last = x.LastVisit.In(places.CST).Format("2006-01-02")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%d\n", x.TargetID, places.TargetKindNames[x.Kind], name, x.GridCode, x.Team, last, x.DaysOverdue)
			}
			return nil
		}
		if *asJSON {
			return enc.Encode(sum)
		}
		teams := 0
		for _, t := range c.Places.Teams {
			if len(t.Members) > 0 {
				teams++
			}
		}
		fmt.Fprintf(tw, "grids with a team\t%d of %d\n", teams, len(c.Grids))
		fmt.Fprintf(tw, "targets served\t%d\t%v\n", sum.Targets, sum.ByKind)
		fmt.Fprintf(tw, "visited in time, with a team\t%d (%.1f%%)\n", sum.Covered.Num, 100*sum.Covered.Value)
		fmt.Fprintf(tw, "overdue\t%d\n", sum.Overdue)
		fmt.Fprintf(tw, "without a team\t%d\n", sum.NoTeam)
		fmt.Fprintf(tw, "(as of %s; intervals %v)\n", now.In(places.CST).Format("2006-01-02 15:04"), intervalsOf(c))
	case "stations":
		sts := places.NewStations(&c.Places)
		acts := places.ActivityCounts(c.Places.Logs, now)
		byStatus, byStars := map[string]int{}, map[int]int{}
		var lapsed []places.Assessment
		for _, s := range c.Stations {
			f := places.FactsAt(sts, c.Places.Logs, s.Code, now)
			f.Activities = acts[s.Code]
			a := places.Assess(s.Code, f, now)
			status := s.Status
			if f.Record != nil {
				status = f.Record.Status
			}
			byStatus[s.Kind+" "+status]++
			if status == data.StationBuilt {
				byStars[a.Stars]++
			}
			if len(a.Lapsed) > 0 {
				lapsed = append(lapsed, a)
			}
		}
		m := coverage.NewModel(c, coverage.Options{})
		rep := m.Report(coverage.Built(m), false)
		if *asJSON {
			return enc.Encode(map[string]any{"by_status": byStatus, "by_stars": byStars, "lapsed": lapsed, "coverage": rep.City})
		}
		for _, k := range sortedKeys(byStatus) {
			fmt.Fprintf(tw, "%s\t%d\n", k, byStatus[k])
		}
		for s := 0; s <= 5; s++ {
			fmt.Fprintf(tw, "built, %d stars\t%d\n", s, byStars[s])
		}
		fmt.Fprintf(tw, "grids covered by built grid stations\t%d of %d (%.1f%%; goal 70%%: %v)\n", rep.City.GridsCovered, rep.City.Grids, 100*rep.City.GridShare, rep.City.MeetsTarget)
		fmt.Fprintf(tw, "stations with lapsed criteria\t%d\n", len(lapsed))
		for _, a := range lapsed[:cut(len(lapsed))] {
			fmt.Fprintf(tw, "  %s\trated %d, criteria support %d\t%s\n", a.StationCode, a.Rated, a.Ceiling, strings.Join(a.Lapsed, " "))
		}
	case "check":
		ch := &places.Change{Companies: c.Places.Companies, CompanyRecords: c.Places.CompanyRecords, Property: c.Places.Property,
			Evaluations: c.Places.Evaluations, Teams: c.Places.Teams, Targets: c.Places.Targets, Logs: c.Places.Logs, Stations: c.Places.Stations}
		probs := places.Check(places.Context{City: c, Buildings: places.IndexBuildings(c), Now: time.Now()}, &c.Places, ch)
		// Station lifecycles are checked once per station by Check; the
		// rating history is checked award by award against its day.
		if *asJSON {
			if err := enc.Encode(probs); err != nil {
				return err
			}
		} else {
			for _, p := range probs[:cut(len(probs))] {
				fmt.Fprintln(stdout, p.Error())
			}
		}
		if len(probs) > 0 {
			return failf(1, "%d problems in the places records", len(probs))
		}
		fmt.Fprintf(stderr, "places: %d records hold to the rules\n", ch.Size())
	case "reassess":
		ps, ok := st.(interface {
			ApplyPlaces(context.Context, *places.Change, places.Projection, data.AuditEntry) error
		})
		if !ok {
			return errors.New("this store keeps no places records")
		}
		down := places.Reassess(c, &c.Places, now)
		if len(down) == 0 {
			fmt.Fprintln(stderr, "places: no criteria lapsed; nothing to downgrade")
			return nil
		}
		ch := &places.Change{Ratings: down}
		merged, _ := places.Merge(&c.Places, ch)
		pr := places.Project(c, merged, now)
		detail, _ := json.Marshal(map[string]any{"change": ch, "projection": pr})
		if err := ps.ApplyPlaces(ctx, ch, pr, data.AuditEntry{At: time.Now(), Actor: *actor, Action: "stations.reassess", Target: "stations", Detail: string(detail)}); err != nil {
			return err
		}
		for _, r := range down {
			fmt.Fprintf(tw, "%s\t→ %d stars\t%s\n", r.StationCode, r.Stars, r.Note)
		}
		fmt.Fprintf(tw, "(%d downgrades recorded)\n", len(down))
	case "export":
		if *list == "" {
			return failf(2, "--list is required (%s)", strings.Join(places.SheetNames, ", "))
		}
		f := tabular.CSV
		switch {
		case *format != "":
			if f, err = tabular.ParseFormat(*format); err != nil {
				return failf(2, "--format: %v", err)
			}
		case *out != "-":
			if ff, err := tabular.ParseFormat(*out); err == nil {
				f = ff
			}
		}
		w := stdout
		if *out != "-" {
			file, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer file.Close()
			w = file
		}
		if err := places.Export(*list, w, f, &c.Places, cliNames(c, prop)); err != nil {
			return failf(2, "%v", err)
		}
	case "import":
		if *list == "" || fs.NArg() != 1 {
			return failf(2, "want --list and one file: places import --data city.gpkg --list property file.xlsx")
		}
		ps, ok := st.(interface {
			ApplyPlaces(context.Context, *places.Change, places.Projection, data.AuditEntry) error
		})
		if !ok {
			return errors.New("this store keeps no places records")
		}
		raw, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		cx := places.Context{City: c, Buildings: places.IndexBuildings(c), Now: time.Now()}
		ch, err := places.Import(*list, strings.NewReader(string(raw)), tabular.Detect(raw), cx, &c.Places, *actor)
		if err != nil {
			var es tabular.Errors
			if errors.As(err, &es) {
				for _, e := range es {
					fmt.Fprintln(stdout, e.Error())
				}
				return failf(1, "%s refused whole: %d problem(s); nothing written", fs.Arg(0), len(es))
			}
			return failf(2, "%v", err)
		}
		if *dry {
			fmt.Fprintf(stderr, "places: %s holds %d good rows (dry run: nothing written)\n", fs.Arg(0), ch.Size())
			return nil
		}
		merged, _ := places.Merge(&c.Places, ch)
		down := places.Reassess(c, merged, time.Now())
		ch.Ratings = append(ch.Ratings, down...)
		merged.Ratings = append(merged.Ratings, down...)
		pr := places.Project(c, merged, time.Now())
		detail, _ := json.Marshal(map[string]any{"change": ch, "projection": pr, "before": places.Before(&c.Places, ch)})
		if err := ps.ApplyPlaces(ctx, ch, pr, data.AuditEntry{At: time.Now(), Actor: *actor, Action: "places.import." + *list, Target: fs.Arg(0), Detail: string(detail)}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "places: %d rows of %s written (%d downgrades)\n", ch.Size()-len(down), *list, len(down))
	}
	return nil
}

func intervalsOf(c *data.City) places.Intervals {
	if v := c.Meta[tables.MetaIntervals]; v != "" {
		var iv places.Intervals
		if json.Unmarshal([]byte(v), &iv) == nil && iv.Validate() == nil {
			return iv
		}
	}
	return places.DefaultIntervals
}

func cliNames(c *data.City, prop *places.Property) places.Names {
	stations := map[string]string{}
	for _, s := range c.Stations {
		stations[s.Code] = s.Name
	}
	return places.Names{
		Compound: func(code string) string {
			if x := c.Compound(code); x != nil {
				return x.Name
			}
			return ""
		},
		Company: func(code string) string {
			if x := prop.Company(code); x != nil {
				return x.Name
			}
			return ""
		},
		Grid: func(code string) string {
			if x := c.Grid(code); x != nil {
				return x.Name
			}
			return ""
		},
		Station: func(code string) string { return stations[code] },
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
