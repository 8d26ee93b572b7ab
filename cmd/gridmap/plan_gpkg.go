package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/geo/plan"
)

// The QGIS round trip of a plan. `plan export` writes the layout a plan
// would make (or the current one) as a complete GeoPackage — the grids
// with their derived outlines and every other layer for context — plus
// the plan's identity in the metadata. A planner opens it in QGIS and
// reassigns compounds by editing the grid_code attribute of the compounds
// layer (grid outlines are derived from their compounds, so outlines are
// not edited directly). `plan import` reads the file back, finds each
// compound by its outline, and records every changed grid_code as one
// assign edit on top of the exported plan: validated like any edit
// (contiguity, holes, partition, emptied grids, retired codes), refused
// with the reason and nothing saved, or saved as a new draft plan.

const (
	metaPlanID   = "plan.id"
	metaPlanBase = "plan.base_version"
)

func cmdPlanExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan export", "plan export --data city.gpkg [--plan ID] --out plan.gpkg [--force]", stderr)
	path := dataFlag(fs)
	id := fs.String("plan", "", "draft plan to export (default: the current layout)")
	out := fs.String("out", "", "GeoPackage to write")
	force := fs.Bool("force", false, "overwrite an existing file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return failf(2, "--out is required")
	}
	if abs(*out) == abs(*path) {
		return failf(2, "--out must not be the store itself")
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return failf(2, "%s exists (use --force to overwrite)", *out)
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	p, base, _, err := draftPlan(ctx, st, c, *id)
	if err != nil {
		return err
	}
	after, _, err := p.City()
	if err != nil {
		return err
	}
	w, err := backends.Fresh(ctx, *out, true)
	if err != nil {
		return err
	}
	err = w.Append(ctx, after)
	if err == nil {
		err = w.SetMeta(ctx, map[string]string{metaPlanID: *id, metaPlanBase: strconv.FormatInt(base, 10)})
	}
	if err == nil {
		err = w.Commit()
	} else {
		w.Abort()
	}
	if err != nil {
		return fmt.Errorf("plan export: %w", err)
	}
	what := "the current layout"
	if *id != "" {
		what = "plan " + *id
	}
	fmt.Fprintf(stdout, "wrote %s: %s on layout version %d (%d grids, %d compounds); edit grid_code in the compounds layer, then: gridmap plan import --data %s --in %s\n",
		*out, what, base, len(after.Grids), len(after.Compounds), *path, *out)
	return nil
}

func cmdPlanImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan import", "plan import --data city.gpkg --in plan.gpkg [--name X]", stderr)
	path := dataFlag(fs)
	in := fs.String("in", "", "GeoPackage written by plan export and edited")
	name := fs.String("name", "", "name of the new draft plan (default: import of <file>)")
	actor := fs.String("actor", os.Getenv("USER"), "who imports (audit trail)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return failf(2, "--in is required")
	}
	if _, err := os.Stat(*in); err != nil {
		return failf(2, "no file %s", *in)
	}
	if *actor == "" {
		*actor = "cli"
	}
	if *name == "" {
		*name = "import of " + filepath.Base(*in)
	}
	edited, meta, err := readEdited(ctx, *in)
	if err != nil {
		return err
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	id := meta[metaPlanID]
	p, base, _, err := draftPlan(ctx, st, c, id)
	if err != nil {
		return err
	}
	if b := meta[metaPlanBase]; b != strconv.FormatInt(base, 10) {
		return failf(1, "%s was exported on layout version %s, the store is at version %d: export again", *in, b, base)
	}
	exported, _, err := p.City()
	if err != nil {
		return err
	}
	assign, err := editedAssign(p.Model.City, exported, edited)
	if err != nil {
		return failf(1, "%s: %v", *in, err)
	}
	if len(assign) == 0 {
		fmt.Fprintf(stdout, "%s: no compound changed grid; nothing to import\n", *in)
		return nil
	}
	before := p.Measures(plan.Targets{}, time.Now())
	res, err := p.ApplyEdit(plan.Edit{Kind: plan.EditAssign, Assign: assign})
	if err != nil {
		if r, ok := plan.IsRefusal(err); ok {
			return failf(1, "%s: the edits are refused (%s): %s; nothing saved", *in, r.Reason, r.Detail)
		}
		return err
	}
	after := p.Measures(plan.Targets{}, time.Now())
	newID, err := savePlan(ctx, st, *name, base, *actor, p.Edits)
	if err != nil {
		return err
	}
	printSummary(stdout, "before", before.Summary)
	printSummary(stdout, "after", after.Summary)
	fmt.Fprintf(stdout, "imported %d compound moves (%d households, grids %v) as draft plan %s on layout version %d; apply with: gridmap plan apply --data %s --plan %s\n",
		len(assign), res.Moved, res.Touched, newID, base, *path, newID)
	return nil
}

// draftPlan starts a plan on c, replaying the saved draft plan id when
// given (rec is then its record); an applied plan, or one made on another
// layout version than the store's, is refused.
func draftPlan(ctx context.Context, st store.PlanStore, c *data.City, id string) (p *plan.Plan, base int64, rec store.PlanRecord, err error) {
	if base, err = st.LayoutVersionNow(ctx); err != nil {
		return nil, 0, rec, err
	}
	m, err := plan.NewModel(c)
	if err != nil {
		return nil, 0, rec, err
	}
	retired, err := st.RetiredCodes(ctx)
	if err != nil {
		return nil, 0, rec, err
	}
	p = plan.NewPlan(m, retired)
	if id == "" {
		return p, base, rec, nil
	}
	if rec, err = st.Plan(ctx, id); err != nil {
		return nil, 0, rec, err
	}
	if rec.Status == store.PlanApplied {
		return nil, 0, rec, fmt.Errorf("plan %s is already applied (version %d)", id, rec.AppliedVersion)
	}
	if rec.BaseVersion != base {
		return nil, 0, rec, fmt.Errorf("plan %s is on layout version %d, the store is at %d", id, rec.BaseVersion, base)
	}
	if err := replayPlan(ctx, st, p, rec); err != nil {
		return nil, 0, rec, err
	}
	return p, base, rec, nil
}

func readEdited(ctx context.Context, path string) (*data.City, map[string]string, error) {
	st, err := openStore(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	defer st.Close()
	meta, err := st.Meta(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := meta[metaPlanBase]; !ok {
		return nil, nil, failf(1, "%s was not written by `gridmap plan export` (no %s metadata)", path, metaPlanBase)
	}
	c, err := st.Load(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, meta, nil
}

// editedAssign compares the compounds of the edited file with the exported
// layout, matching them by outline (codes change when compounds change
// grid), and returns base compound code → grid code for every compound
// whose grid_code the planner changed.
func editedAssign(base, exported, edited *data.City) (map[string]string, error) {
	key := func(cp data.Compound) (string, bool) {
		if len(cp.Geom) == 0 || len(cp.Geom[0]) == 0 {
			return "", false
		}
		var s string
		for _, pt := range cp.Geom[0] {
			s += strconv.FormatFloat(pt[0], 'g', -1, 64) + "," + strconv.FormatFloat(pt[1], 'g', -1, 64) + ";"
		}
		return s, true
	}
	baseCode := map[string]string{}
	for _, cp := range base.Compounds {
		if k, ok := key(cp); ok {
			baseCode[k] = cp.Code
		}
	}
	was := map[string]string{}
	for _, cp := range exported.Compounds {
		if k, ok := key(cp); ok {
			was[k] = cp.GridCode
		}
	}
	grids := map[string]bool{}
	for _, g := range exported.Grids {
		grids[g.Code] = true
	}
	assign := map[string]string{}
	var unknown []string
	for _, cp := range edited.Compounds {
		k, ok := key(cp)
		if !ok || baseCode[k] == "" {
			unknown = append(unknown, cp.Code)
			continue
		}
		if cp.GridCode == was[k] {
			continue
		}
		if !grids[cp.GridCode] {
			return nil, fmt.Errorf("compound %s: grid_code %q is not a grid of the plan (create grids in the planner, then export again)", cp.Code, cp.GridCode)
		}
		assign[baseCode[k]] = cp.GridCode
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%d compounds match no compound of the city by outline (first: %s): compound outlines must not be edited", len(unknown), unknown[0])
	}
	return assign, nil
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
