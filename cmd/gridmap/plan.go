package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo/plan"
)

func init() {
	commands["plan"] = command{"grid measures, rebalancing proposals and plan apply (plan measures|propose|apply|eval|export|import)", cmdPlan}
}

func cmdPlan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	subs := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"measures": cmdPlanMeasures, "propose": cmdPlanPropose, "apply": cmdPlanApply, "eval": cmdPlanEval,
		"export": cmdPlanExport, "import": cmdPlanImport,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(stderr, "Usage: gridmap plan measures|propose|apply|eval|export|import [flags]\n\n"+
			"  measures  households, workload, compactness and deviation per grid, community or city\n"+
			"  propose   rebalance a community, a street or the city; --save keeps it as a draft plan\n"+
			"  apply     apply a saved plan in one transaction (a new layout version)\n"+
			"  eval      the planner's evaluation on the demo city: unbalance 15%, propose, before/after\n"+
			"  export    write a plan (or the current layout) as a GeoPackage to edit in QGIS\n"+
			"  import    read an edited GeoPackage back as a new draft plan, validated")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return failf(2, "want a subcommand: measures, propose, apply, eval, export or import")
	}
	return subs[args[0]](ctx, args[1:], stdout, stderr)
}

func cmdPlanMeasures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan measures", "plan measures --data city.gpkg [--level city|community|grid] [--version N] [--json]", stderr)
	path := dataFlag(fs)
	level := fs.String("level", "city", "city, community or grid")
	tol := fs.Float64("tolerance", plan.DefaultTolerance, "allowed deviation from the community's mean households per grid")
	atS := fs.String("at", "", "end of the 90-day incident window (RFC 3339; default now)")
	version := fs.Int64("version", -1, "a stored layout version instead of the layout in force")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *level != "city" && *level != "community" && *level != "grid" {
		return failf(2, "--level: want city, community or grid")
	}
	if !(*tol > 0 && *tol < 1) {
		return failf(2, "--tolerance: want a number in (0, 1)")
	}
	at := time.Now()
	if *atS != "" {
		t, err := time.Parse(time.RFC3339, *atS)
		if err != nil {
			return failf(2, "--at: %v", err)
		}
		at = t
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	if *version >= 0 {
		if c, err = cityAt(ctx, st, c, *version); err != nil {
			return err
		}
	}
	rep, err := plan.Measure(c, plan.Targets{Tolerance: *tol}, at)
	if err != nil {
		return err
	}
	if *asJSON {
		out := map[string]any{"summary": rep.Summary}
		switch *level {
		case "grid":
			out["grids"] = rep.Grids
		case "community":
			out["communities"] = rep.Communities
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		return enc.Encode(out)
	}
	printSummary(stdout, "city", rep.Summary)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	switch *level {
	case "community":
		fmt.Fprintln(tw, "community\tgrids\thouseholds\ttarget\tmax|dev|\tover\tnon-contig\tPP\tReock\tinc/1000hh\thh/cadre\t")
		for _, m := range rep.Communities {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.1f%%\t%d\t%d\t%.3f\t%.3f\t%.1f\t%.0f\t\n", m.Code, m.Grids, m.Households, m.Target,
				100*m.MaxAbsDeviation, m.Over, m.NonContiguous, m.MeanPolsbyPopper, m.MeanReock, m.IncidentsPer1000, m.HouseholdsPerCadre)
		}
	case "grid":
		fmt.Fprintln(tw, "grid\thouseholds\ttarget\tdeviation\tPP\tReock\tcontig\tinc/1000hh\tcadres\tstation\t")
		for _, g := range rep.Grids {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%+.1f%%\t%.3f\t%.3f\t%v\t%.1f\t%d\t%v\t\n", g.Code, g.Households, g.Target, 100*g.Deviation,
				g.PolsbyPopper, g.Reock, g.Contiguous, g.IncidentsPer1000, g.Cadres, g.HasStation)
		}
	}
	return tw.Flush()
}

func printSummary(w io.Writer, label string, s plan.Summary) {
	fmt.Fprintf(w, "%-10s grids %5d  within ±%.0f%% %6.2f%% (%d over)  max|dev| %6.1f%%  mean|dev| %5.1f%%  non-contiguous %d  mean PP %.4f  mean Reock %.4f\n",
		label, s.Grids, 100*s.Tolerance, 100*s.WithinShare, s.Over, 100*s.MaxAbsDeviation, 100*s.MeanAbsDeviation, s.NonContiguous, s.MeanPolsbyPopper, s.MeanReock)
}

// savePlan keeps edits as a new draft plan on layout version base and
// returns its ID.
func savePlan(ctx context.Context, st store.PlanStore, name string, base int64, actor string, edits []plan.Edit) (string, error) {
	js, err := json.Marshal(edits)
	if err != nil {
		return "", err
	}
	var b [6]byte
	rand.Read(b[:])
	id := "P" + time.Now().UTC().Format("20060102") + hex.EncodeToString(b[:])
	if err := st.SavePlan(ctx, store.PlanRecord{ID: id, Name: name, BaseVersion: base, CreatedBy: actor, Edits: js}); err != nil {
		return "", err
	}
	return id, nil
}

// replayPlan applies the saved edits of rec to p, in order.
func replayPlan(ctx context.Context, st store.PlanStore, p *plan.Plan, rec store.PlanRecord) error {
	var edits []plan.Edit
	if err := json.Unmarshal(rec.Edits, &edits); err != nil {
		return fmt.Errorf("plan %s: edits: %w", rec.ID, err)
	}
	for i, e := range edits {
		if e.Kind == plan.EditRevert {
			v, err := loadLayout(ctx, st, e.Version)
			if err != nil {
				return err
			}
			if err := p.Revert(v); err != nil {
				return fmt.Errorf("plan %s, edit %d: %w", rec.ID, i, err)
			}
			continue
		}
		if _, err := p.ApplyEdit(e); err != nil {
			return fmt.Errorf("plan %s, edit %d: %w", rec.ID, i, err)
		}
	}
	return nil
}

// cityAt returns c as of a stored layout version.
func cityAt(ctx context.Context, st store.PlanStore, c *data.City, version int64) (*data.City, error) {
	v, err := loadLayout(ctx, st, version)
	if err != nil {
		return nil, err
	}
	return v.On(c)
}

func loadLayout(ctx context.Context, st store.PlanStore, version int64) (*plan.Version, error) {
	lv, err := st.LayoutVersion(ctx, version)
	if err != nil {
		return nil, err
	}
	var v plan.Version
	if err := json.Unmarshal(lv.Snapshot, &v); err != nil {
		return nil, fmt.Errorf("layout version %d: %w", version, err)
	}
	v.Number = version
	return &v, nil
}

type stringsFlag []string

func (l *stringsFlag) String() string     { return strings.Join(*l, ",") }
func (l *stringsFlag) Set(v string) error { *l = append(*l, v); return nil }

// searchFlags are the search's flags, shared by propose and eval.
type searchFlags struct {
	seed                *uint64
	steps               *int64
	budget              *time.Duration
	compact, disruption *float64
}

func addSearchFlags(fs *flag.FlagSet, budget time.Duration) searchFlags {
	return searchFlags{
		seed:       fs.Uint64("seed", 1, "random seed"),
		steps:      fs.Int64("steps", 0, "annealing steps for the whole scope (default 400 per block of the communities that need work); with the same seed and steps the plan is the same on any machine"),
		budget:     fs.Duration("budget", budget, "time budget: the search cools by the larger of the share of steps done and of time used, and stops at 80% of it"),
		compact:    fs.Float64("compact", 0, "weight of compactness (default 2; higher keeps shapes rounder, balances less)"),
		disruption: fs.Float64("disruption", 0, "weight of the households and compounds moved (default 20; higher moves fewer, lower balances and rounds grids more freely)"),
	}
}

func (f searchFlags) check() error {
	if *f.budget <= 0 || *f.steps < 0 || *f.steps > 1e12 || !(*f.compact >= 0 && *f.compact <= 1000) || !(*f.disruption >= 0 && *f.disruption <= 1e6) {
		return failf(2, "--budget must be positive, --steps within 0..10^12, --compact within 0..1000, --disruption within 0..10^6")
	}
	return nil
}

func (f searchFlags) options() plan.ProposeOptions {
	return plan.ProposeOptions{Seed: *f.seed, Steps: *f.steps, Budget: *f.budget, Compact: *f.compact, Disruption: *f.disruption}
}

func cmdPlanPropose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan propose", "plan propose --data city.gpkg [--community C]... [--street S] [--seed N] [--steps N] [--budget 10s] [--disruption W] [--moves] [--save --name X]", stderr)
	path := dataFlag(fs)
	var comms stringsFlag
	fs.Var(&comms, "community", "community code to rebalance (repeatable; default the whole city)")
	street := fs.String("street", "", "rebalance the communities of this street")
	sf := addSearchFlags(fs, 10*time.Second)
	tol := fs.Float64("tolerance", plan.DefaultTolerance, "allowed deviation from the community's mean households per grid")
	save := fs.Bool("save", false, "keep the proposal as a draft plan in the store")
	name := fs.String("name", "", "name of the saved plan (default: proposal <time>)")
	actor := fs.String("actor", os.Getenv("USER"), "who proposes (audit trail)")
	moves := fs.Bool("moves", false, "list every compound moved, with the grid workers and cadres its households leave and join")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !(*tol > 0 && *tol < 1) {
		return failf(2, "--tolerance must be in (0, 1)")
	}
	if err := sf.check(); err != nil {
		return err
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	p, base, _, err := draftPlan(ctx, st, c, "")
	if err != nil {
		return err
	}
	o := sf.options()
	o.Communities, o.Street, o.Targets = comms, *street, plan.Targets{Tolerance: *tol}
	pr, err := p.Propose(ctx, o)
	if err != nil {
		return err
	}
	printProposal(stdout, pr, *moves)
	if !*save {
		return nil
	}
	if *actor == "" {
		*actor = "cli"
	}
	if *name == "" {
		*name = "proposal " + time.Now().Format(time.DateTime)
	}
	id, err := savePlan(ctx, st, *name, base, *actor, p.Edits)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved as plan %s (on layout version %d); apply with: gridmap plan apply --data %s --plan %s\n", id, base, *path, id)
	return nil
}

// printTable prints the before/after table of a proposal: balance,
// compactness and what the plan disturbs, one row per side (extra rows
// first, without disruption figures).
func printTable(w io.Writer, pr *plan.Proposal, extra ...row) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tgrids\twithin ±10%\tover\tmax|dev|\tmean|dev|\tnon-contiguous\tmean PP\tmean Reock\thouseholds moved\tcompounds moved\tgrids touched\t")
	line := func(r row) {
		s := r.s
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%d\t%.1f%%\t%.1f%%\t%d\t%.4f\t%.4f\t%s\t%s\t%s\t\n", r.label, s.Grids, 100*s.WithinShare, s.Over,
			100*s.MaxAbsDeviation, 100*s.MeanAbsDeviation, s.NonContiguous, s.MeanPolsbyPopper, s.MeanReock, r.hh, r.cp, r.gt)
	}
	for _, r := range extra {
		line(r)
	}
	d := pr.Disruption
	line(row{"before", pr.Before, "0", "0", "0"})
	line(row{"after", pr.After, strconv.Itoa(d.Households), strconv.Itoa(d.Compounds), strconv.Itoa(d.GridsTouched)})
	tw.Flush()
	b := d.Bound
	fmt.Fprintf(w, "lower bound on households moved: %d (the larger of %d above +%.0f%% and %d below −%.0f%%, over all grids); moved %d = %.2f× the bound",
		b.Households, b.Excess, 100*pr.Before.Tolerance, b.Deficit, 100*pr.Before.Tolerance, d.Households, d.Ratio)
	if b.PerCommunity > 0 {
		fmt.Fprintf(w, " (%.2f× the bound taken per community, %d)", float64(d.Households)/float64(b.PerCommunity), b.PerCommunity)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "search: seed %d, %d of %d steps, %d communities (%d still with a grid over tolerance), plan %s, %.0f ms", pr.Seed, pr.Steps, pr.StepBudget,
		pr.Communities, len(pr.Unsolved), pr.Fingerprint, pr.ElapsedMS)
	if pr.TimedOut {
		fmt.Fprint(w, " (time budget reached: the search was cut and repaired)")
	}
	fmt.Fprintln(w)
}

// row is one line of printTable.
type row struct {
	label      string
	s          plan.Summary
	hh, cp, gt string
}

func printProposal(w io.Writer, pr *plan.Proposal, moves bool) {
	printTable(w, pr)
	if !moves {
		return
	}
	people := func(as []plan.Assignee) string {
		var out []string
		for _, a := range as {
			x := a.Name
			if a.ID != "" {
				x = a.ID + " " + x
			}
			out = append(out, a.Role+" "+x)
		}
		if len(out) == 0 {
			return "nobody"
		}
		return strings.Join(out, ", ")
	}
	for _, mv := range pr.Moves {
		fmt.Fprintf(w, "  %s %s  %s → %s  %d households\n", mv.Compound, mv.Name, mv.From, mv.To, mv.Households)
		if mv.Reassign != nil {
			fmt.Fprintf(w, "      leave: %s\n      join:  %s\n", people(mv.Reassign.Before), people(mv.Reassign.After))
		}
	}
}

func cmdPlanApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan apply", "plan apply --data city.gpkg --plan ID", stderr)
	path := dataFlag(fs)
	id := fs.String("plan", "", "plan to apply")
	actor := fs.String("actor", os.Getenv("USER"), "who applies (audit trail)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return failf(2, "--plan is required")
	}
	if *actor == "" {
		*actor = "cli"
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	p, _, rec, err := draftPlan(ctx, st, c, *id)
	if err != nil {
		return err
	}
	after, ft, err := p.City()
	if err != nil {
		return err
	}
	before, _ := json.Marshal(plan.Snapshot(c))
	snap, _ := json.Marshal(plan.Snapshot(after))
	ch := plan.ChangesOf(c, after, ft)
	retiredNow := ch.Retired
	var inc []store.IncidentGrid
	for id, g := range ch.Incidents {
		inc = append(inc, store.IncidentGrid{ID: id, GridCode: g})
	}
	sort.Slice(inc, func(a, b int) bool { return inc[a].ID < inc[b].ID })
	delta := &store.PlanDelta{Grids: ch.Grids, Compounds: ch.Compounds, Stations: ch.Stations, Cadres: ch.Cadres}
	changes := plan.Diff(c, after)
	summary, _ := json.Marshal(map[string]any{"plan": rec.ID, "name": rec.Name, "grids_changed": len(changes), "retired": retiredNow,
		"cadres": len(ft.Cadres), "stations": len(ft.Stations), "incidents": len(ft.Incidents), "compounds_recoded": len(ft.Compounds)})
	v, err := st.ApplyPlan(ctx, store.PlanApply{PlanID: rec.ID, Actor: *actor, BaseVersion: rec.BaseVersion, City: after,
		Incidents: inc, Retired: retiredNow, Before: before, After: snap, Summary: string(summary), Delta: delta})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied plan %s as layout version %d: %d grids changed, %d retired, %d compounds re-coded, %d cadres, %d stations and %d open incidents re-homed\n",
		rec.ID, v, len(changes), len(retiredNow), len(ft.Compounds), len(ft.Cadres), len(ft.Stations), len(ft.Incidents))
	for _, n := range ft.Notes {
		fmt.Fprintln(stdout, "  "+n)
	}
	return nil
}

func cmdPlanEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan eval", "plan eval [--seed 1] [--share 0.15] [--steps N] [--budget 10s] [--disruption W]", stderr)
	share := fs.Float64("share", 0.15, "share of households moved to unbalance the city")
	sf := addSearchFlags(fs, 10*time.Second)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !(*share >= 0 && *share < 1) {
		return failf(2, "--share must be in [0, 1)")
	}
	if err := sf.check(); err != nil {
		return err
	}
	c, err := synth.City(synth.Options{Seed: *sf.seed})
	if err != nil {
		return err
	}
	m, err := plan.NewModel(c)
	if err != nil {
		return err
	}
	p := plan.NewPlan(m, nil)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	demo := p.Measures(plan.Targets{}, at).Summary
	moved, err := p.Unbalance(*share, *sf.seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo city seed %d, unbalanced: %d households moved between neighbouring grids (%.1f%%); %d cores, load average %s\n",
		*sf.seed, moved, 100*float64(moved)/float64(demo.Households), runtime.GOMAXPROCS(0), loadAverage())
	pr, err := p.Propose(ctx, sf.options())
	if err != nil {
		return err
	}
	printTable(stdout, pr, row{label: "demo", s: demo})
	bd := p.CompoundBound(plan.Targets{})
	fmt.Fprintf(stdout, "bound on balance: moving whole compounds, at most %d of %d grids (%.2f%%) can be within ±10%%\n", bd.MaxWithin, bd.Grids, 100*bd.MaxWithinShare)
	a, d := pr.After, pr.Disruption
	fmt.Fprintf(stdout, "targets: within ±10%% ≥ 99%%: %v (%.2f%%); all contiguous: %v; mean PP not lower: %v (%.4f → %.4f); within 10 s: %v (%.1f s); households moved ≤ 2× the bound: %v (%.2f×)\n",
		a.WithinShare >= 0.99, 100*a.WithinShare, a.NonContiguous == 0, a.MeanPolsbyPopper >= pr.Before.MeanPolsbyPopper,
		pr.Before.MeanPolsbyPopper, a.MeanPolsbyPopper, pr.ElapsedMS <= 10000, pr.ElapsedMS/1000, d.Ratio <= 2, d.Ratio)
	return nil
}

// loadAverage is the 1-, 5- and 15-minute load from /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
