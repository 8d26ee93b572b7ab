package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/tabular"
)

// The people and units commands: the organisation department's records
// from the command line (the same checked edits as the API).
func init() {
	commands["people"] = command{"the people who serve the grids: check, list, import, served, workload, evaluate, migrate", cmdPeople}
	commands["units"] = command{"双报到 units: propose (and --apply) a rebalanced pairing, the annual disclosure", cmdUnits}
}

// peopleRules reads the rules: the store's (people.RulesFromMeta: the
// defaults where it keeps none), then the flag (0: not given).
func peopleRules(meta map[string]string, maxGrids int) (people.Rules, error) {
	r, err := people.RulesFromMeta(meta)
	if err != nil {
		return r, err
	}
	if maxGrids != 0 {
		r.MaxGridsPerCadre = maxGrids
	}
	if err := r.Validate(); err != nil {
		return r, &exitError{2, err}
	}
	return r, nil
}

func dayFlag(fs *flag.FlagSet) *string {
	return fs.String("day", "", "the day to read the records at (2026-03-01; default today)")
}

func parseDayFlag(v string) (time.Time, error) {
	if v == "" {
		return people.Today(), nil
	}
	d, err := tabular.ParseDate(v)
	if err != nil {
		return d, &exitError{2, fmt.Errorf("--day: %w", err)}
	}
	return d, nil
}

// incidentFacts reads the incident facts of the store: the city's
// incidents with the dispatch flow's deadlines and reopenings.
func incidentFacts(ctx context.Context, st store.Store, c *data.City) ([]people.IncidentFact, error) {
	trails, err := store.IncidentTrails(ctx, st)
	if err != nil {
		return nil, err
	}
	rules := data.DefaultRules()
	if body, _, err := st.Rules(ctx); err == nil && len(body) > 0 {
		if r, err := data.ParseRules(body); err == nil {
			rules = r
		}
	}
	return people.Facts(c, trails, rules), nil
}

func cmdPeople(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const synopsis = `people check    --data city.gpkg [--day D] [--max-cadre-grids N]
       gridmap people list     --data city.gpkg --list staff|assignments|reporting_units|pairings|commitments|evaluations|contact_points [--format csv|xlsx] [--out FILE] [--personal]
       gridmap people import   --data city.gpkg --list LIST --in FILE [--actor NAME]
       gridmap people served   --data city.gpkg --grid CODE [--day D]
       gridmap people workload --data city.gpkg [--by grid|person] [--sort households|open|overdue|on_time] [--format table|csv|xlsx] [--out FILE]
       gridmap people evaluate --data city.gpkg --year 2025 [--actor NAME]
       gridmap people migrate  --data city.gpkg [--day D]
       gridmap people rules    --data city.gpkg [--set '{"max_grids_per_cadre":4}'] [--actor NAME]`
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "Usage: gridmap %s\n", synopsis)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return &exitError{2, errors.New("people: want check, list, import, served, workload, evaluate, migrate or rules")}
	}
	sub, args := args[0], args[1:]
	fs := newFlags("people "+sub, synopsis, stderr)
	path := dataFlag(fs)
	dayS := dayFlag(fs)
	maxGrids := fs.Int("max-cadre-grids", 0, "the most grids a cadre may help (default: the store's setting, else 3)")
	list := fs.String("list", "", "the list")
	format := fs.String("format", "", "csv or xlsx (list: default from --out, else csv; workload: table)")
	out := fs.String("out", "-", "output file (- for stdout)")
	in := fs.String("in", "", "the file to import (.csv or .xlsx)")
	personal := fs.Bool("personal", false, "include names and phone numbers")
	actor := fs.String("actor", "cli", "who makes the change, for the audit trail")
	grid := fs.String("grid", "", "grid code")
	by := fs.String("by", "grid", "grid or person")
	sortBy := fs.String("sort", "households", "households, population, open, overdue or on_time")
	year := fs.Int("year", 0, "the year evaluated")
	set := fs.String("set", "", `rules: the fields to change, a JSON object (e.g. {"max_grids_per_cadre":4})`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return failf(2, "people %s takes no arguments", sub)
	}
	d, err := parseDayFlag(*dayS)
	if err != nil {
		return err
	}
	switch sub {
	case "check", "list", "import", "served", "workload", "evaluate", "migrate", "rules":
	default:
		return failf(2, "people: unknown subcommand %q", sub)
	}
	var l people.List
	if sub == "list" || sub == "import" {
		var ok bool
		if l, ok = people.ListByName(*list); !ok {
			names := []string{}
			for _, x := range people.Lists {
				names = append(names, x.Name)
			}
			return failf(2, "--list %q unknown (want one of %s)", *list, strings.Join(names, ", "))
		}
	}
	if sub == "import" && *in == "" {
		return failf(2, "people import needs --in FILE")
	}
	if sub == "served" && *grid == "" {
		return failf(2, "people served needs --grid CODE")
	}
	if *set != "" && sub != "rules" {
		return failf(2, "--set is for people rules")
	}
	if sub == "rules" && *maxGrids != 0 {
		return failf(2, `people rules: give the limit as --set '{"max_grids_per_cadre":N}'`)
	}
	if sub == "evaluate" && (*year < 2000 || *year > 2100) {
		return failf(2, "people evaluate needs --year (2000..2100)")
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	c.DeriveStaffing(d)
	rules, err := peopleRules(c.Meta, *maxGrids)
	if err != nil {
		return err
	}
	write := func(ch people.Change, action, target string) error {
		if ch.Empty() {
			fmt.Fprintln(stderr, "nothing to change")
			return nil
		}
		detail, _ := json.Marshal(map[string]any{"records": ch.Summary(), "change": ch.Audit(c)})
		return st.WritePeople(ctx, ch, data.AuditEntry{Actor: *actor, Action: action, Target: target, Detail: string(detail)})
	}
	switch sub {
	case "check":
		rep := people.Check(c, d, rules)
		if err := encodeJSON(stdout, rep); err != nil {
			return err
		}
		if !rep.OK {
			return failf(1, "%d people rule violation(s)", len(rep.Violations))
		}
		return nil
	case "list":
		f, w, done, err := outFile(stdout, *out, *format)
		if err != nil {
			return err
		}
		if err := l.Export(c, w, f, *personal); err != nil {
			done()
			return err
		}
		return done()
	case "import":
		f, err := tabular.ParseFormat(*in)
		if err != nil {
			return &exitError{2, err}
		}
		file, err := os.Open(*in)
		if err != nil {
			return &exitError{2, err}
		}
		defer file.Close()
		var facts []people.IncidentFact
		if l.Name == data.LayerEvaluations {
			if facts, err = incidentFacts(ctx, st, c); err != nil {
				return err
			}
		}
		ch, err := l.Import(c, file, f, people.Importer{Rules: rules, Now: time.Now(), By: *actor, Facts: facts})
		var es tabular.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				fmt.Fprintln(stderr, e.Error())
			}
			return failf(1, "%s refused: %d problem(s); nothing was written", *in, len(es))
		}
		if err != nil {
			return err
		}
		if err := write(ch, "people.import", l.Name); err != nil {
			return err
		}
		s, _ := json.Marshal(ch.Summary())
		fmt.Fprintf(stdout, "imported %s from %s: %s\n", l.Name, *in, s)
		return nil
	case "served":
		if c.Grid(*grid) == nil && len(people.History(c, *grid)) == 0 {
			return failf(1, "no grid %s", *grid)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "duty\tstaff\tname\tfrom\tto\n")
		for _, a := range people.ServedOn(c, *grid, d) {
			name := ""
			if s := c.StaffByID(a.StaffID); s != nil {
				name = s.Name
				if !*personal {
					name = data.MaskName(name)
				}
			}
			to := ""
			if !a.To.IsZero() {
				to = a.To.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", people.Label(a.Duty), a.StaffID, name, a.From.Format(time.DateOnly), to)
		}
		return tw.Flush()
	case "workload":
		facts, err := incidentFacts(ctx, st, c)
		if err != nil {
			return err
		}
		grids, ps := people.Workload(c, facts, d, time.Now(), rules)
		key := func(f people.Figures, hh, pop int) float64 {
			switch *sortBy {
			case "population":
				return float64(pop)
			case "open":
				return float64(f.Open)
			case "overdue":
				return float64(f.Overdue)
			case "on_time":
				return -f.OnTimeShare
			}
			return float64(hh)
		}
		slices.SortStableFunc(grids, func(a, b people.GridLoad) int {
			return cmp.Compare(key(b.Figures, b.Households, b.Population), key(a.Figures, a.Households, a.Population))
		})
		slices.SortStableFunc(ps, func(a, b people.PersonLoad) int {
			return cmp.Compare(key(b.Figures, b.Households, b.Population), key(a.Figures, a.Households, a.Population))
		})
		if !*personal {
			for i := range ps {
				ps[i].Name = data.MaskName(ps[i].Name)
			}
		}
		if *format == "" || *format == "table" {
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			if *by == "person" {
				fmt.Fprintf(tw, "staff\tname\trole\tgrids\thouseholds\topen\toverdue\tresolved\ton_time\toverloaded\n")
				for _, p := range ps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.3f\t%s\n", p.StaffID, p.Name, people.Label(p.Role), len(p.Grids), p.Households, p.Open, p.Overdue, p.Resolved, p.OnTimeShare, p.Overloaded)
				}
			} else {
				fmt.Fprintf(tw, "grid\tname\thouseholds\theads\tworkers\tcadres\topen\toverdue\tresolved\ton_time\tgap\n")
				for _, g := range grids {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t%s\n", g.Code, g.Name, g.Households, g.Heads, g.Workers, g.Cadres, g.Open, g.Overdue, g.Resolved, g.OnTimeShare, g.Gap)
				}
			}
			return tw.Flush()
		}
		f, w, done, err := outFile(stdout, *out, *format)
		if err != nil {
			return err
		}
		if *by == "person" {
			err = people.PersonLoadSchema.Write(w, f, ps)
		} else {
			err = people.GridLoadSchema.Write(w, f, grids)
		}
		if err != nil {
			done()
			return err
		}
		return done()
	case "evaluate":
		facts, err := incidentFacts(ctx, st, c)
		if err != nil {
			return err
		}
		ch, n, capped, err := people.EvaluateYear(c, facts, *year, *actor, time.Now())
		if err != nil {
			return err
		}
		if err := write(ch, "people.evaluate", fmt.Sprintf("year %d", *year)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "evaluated %d streets and people for %d (%d secretaries capped below 优秀 by their street)\n", n, *year, capped)
		return nil
	case "rules":
		// The rules kept in the store (people.MetaRules); --set changes the
		// fields it gives, the others keep their values.
		if *set != "" {
			n, err := rules.With([]byte(*set))
			if err != nil {
				return failf(2, "--set: %v", err)
			}
			ch, err := people.SetRules(rules, n)
			if err != nil {
				return failf(2, "--set: %v", err)
			}
			if err := write(ch, "people.rules", "rules"); err != nil {
				return err
			}
			rules = n
		}
		return encodeJSON(stdout, rules)
	case "migrate":
		if c.HasStaff() {
			fmt.Fprintln(stdout, "the store already has people records")
			return nil
		}
		ch := people.FromLegacy(c, d)
		if err := write(ch, "people.migrate", "city"); err != nil {
			return err
		}
		s, _ := json.Marshal(ch.Summary())
		fmt.Fprintf(stdout, "people records made from the grids' heads and teams, the cadres and the units: %s\n", s)
		return nil
	}
	return nil
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// outFile opens the output of a list: stdout or a file, in the format
// given or named by the file's extension (default csv).
func outFile(stdout io.Writer, path, format string) (tabular.Format, io.Writer, func() error, error) {
	f := tabular.CSV
	switch {
	case format != "":
		var err error
		if f, err = tabular.ParseFormat(format); err != nil {
			return "", nil, nil, &exitError{2, err}
		}
	case path != "-":
		if g, err := tabular.ParseFormat(path); err == nil {
			f = g
		}
	}
	if path == "-" {
		return f, stdout, func() error { return nil }, nil
	}
	file, err := os.Create(path)
	if err != nil {
		return "", nil, nil, &exitError{2, err}
	}
	return f, file, file.Close, nil
}

func cmdUnits(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const synopsis = `units propose    --data city.gpkg [--day D] [--apply] [--actor NAME]
       gridmap units disclosure --data city.gpkg --year 2026 [--format csv|xlsx] [--out FILE]`
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "Usage: gridmap %s\n", synopsis)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return &exitError{2, errors.New("units: want propose or disclosure")}
	}
	sub, args := args[0], args[1:]
	fs := newFlags("units "+sub, synopsis, stderr)
	path := dataFlag(fs)
	dayS := dayFlag(fs)
	apply := fs.Bool("apply", false, "write the proposed pairing")
	actor := fs.String("actor", "cli", "who applies it, for the audit trail")
	year := fs.Int("year", 0, "the year disclosed")
	format := fs.String("format", "", "csv or xlsx")
	out := fs.String("out", "-", "output file (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := parseDayFlag(*dayS)
	if err != nil {
		return err
	}
	if sub != "propose" && sub != "disclosure" {
		return failf(2, "units: unknown subcommand %q", sub)
	}
	if sub == "disclosure" && (*year < 2000 || *year > 2100) {
		return failf(2, "units disclosure needs --year (2000..2100)")
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	c.DeriveStaffing(d)
	if sub == "disclosure" {
		rows, _ := people.Disclosure(c, *year)
		f, w, done, err := outFile(stdout, *out, *format)
		if err != nil {
			return err
		}
		if err := people.DisclosureSchema.Write(w, f, rows); err != nil {
			done()
			return err
		}
		return done()
	}
	rules, err := peopleRules(c.Meta, 0)
	if err != nil {
		return err
	}
	p := people.ProposePairings(c, d, rules)
	if err := encodeJSON(stdout, p); err != nil {
		return err
	}
	fmt.Fprintln(stderr, p.Summary())
	if !*apply {
		return nil
	}
	ch := p.Change(c)
	if ch.Empty() {
		fmt.Fprintln(stderr, "the pairings keep the rule: nothing to apply")
		return nil
	}
	detail, _ := json.Marshal(map[string]any{"moves": len(p.Moves), "lower_bound": p.LowerBound, "records": ch.Summary()})
	if err := st.WritePeople(ctx, ch, data.AuditEntry{Actor: *actor, Action: "units.rebalance", Target: "pairings", Detail: string(detail)}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "applied: %d pairing(s) moved\n", len(p.Moves))
	return nil
}
