package plan

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
)

// Rehome is a station or incident whose grid a plan changes.
type Rehome struct {
	ID     string `json:"id"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Recode is a compound a plan moves to another grid, which gives it a new
// code (a compound's code extends its grid's).
type Recode struct {
	ID         string `json:"id"`          // the code before
	Code       string `json:"code"`        // the code after
	GridBefore string `json:"grid_before"` // its grid before
	GridAfter  string `json:"grid_after"`  // its grid after
}

// CadreChange is a cadre whose grids a plan changes.
type CadreChange struct {
	ID     string   `json:"id"`
	Before []string `json:"before"`
	After  []string `json:"after"`
}

// FollowThrough is what a plan does beyond the boundaries: cadres
// redistributed (a merged grid's cadres go to the grid that absorbs it; a
// split grid's cadres are shared in proportion to households, a lone
// cadre helping both parts), stations re-homed to the grid containing
// them, and open incidents re-homed to their new grid (closed ones keep
// the grid they were handled by).
type FollowThrough struct {
	Cadres    []CadreChange `json:"cadres"`
	Stations  []Rehome      `json:"stations"`
	Incidents []Rehome      `json:"incidents"`
	// Compounds that changed grid and so changed code; their buildings
	// follow.
	Compounds []Recode `json:"compounds"`
	Notes     []string `json:"notes"`
}

// compoundCodes returns each block's compound code as City writes it: the
// plan's code when it extends the block's grid code, else the next free
// two-digit number in that grid.
func (p *Plan) compoundCodes() []string {
	out := slices.Clone(p.Codes)
	used := map[string]bool{}
	for b, c := range out {
		if strings.HasPrefix(c, p.Grids[p.Assign[b]].Code) {
			used[c] = true
		}
	}
	for b, c := range out {
		g := p.Grids[p.Assign[b]].Code
		if strings.HasPrefix(c, g) {
			continue
		}
		for n := 1; n <= 99; n++ {
			nc := fmt.Sprintf("%s%02d", g, n)
			if !used[nc] {
				used[nc] = true
				out[b] = nc
				break
			}
		}
	}
	return out
}

// City materialises the plan: a new city whose grids, compounds,
// buildings, stations, open incidents and cadres follow the plan (the base
// city is not modified; layers the plan does not touch are shared). Grids
// come in code order.
func (p *Plan) City() (*data.City, *FollowThrough, error) {
	m := p.Model
	base := m.City
	c := *base
	ft := &FollowThrough{Cadres: []CadreChange{}, Stations: []Rehome{}, Incidents: []Rehome{}, Compounds: []Recode{}, Notes: append([]string{}, p.Notes...)}
	gridCode := func(b int32) string { return p.Grids[p.Assign[b]].Code }
	c.Grids = nil
	for _, g := range p.liveGrids() {
		c.Grids = append(c.Grids, p.Grids[g].Grid)
	}
	sort.Slice(c.Grids, func(a, b int) bool { return c.Grids[a].Code < c.Grids[b].Code })
	codes := p.compoundCodes()
	c.Compounds = slices.Clone(base.Compounds)
	type moved struct{ code, grid string }
	newOf := make(map[string]moved, len(c.Compounds))
	for i := range c.Compounds {
		cp := &c.Compounds[i]
		if b, ok := m.Block(cp.Code); ok {
			old, oldGrid := cp.Code, cp.GridCode
			cp.GridCode = gridCode(b)
			cp.Code = codes[b]
			if old != cp.Code {
				ft.Compounds = append(ft.Compounds, Recode{ID: old, Code: cp.Code, GridBefore: oldGrid, GridAfter: cp.GridCode})
			}
		}
		newOf[base.Compounds[i].Code] = moved{cp.Code, cp.GridCode}
	}
	c.Buildings = slices.Clone(base.Buildings)
	for i := range c.Buildings {
		bd := &c.Buildings[i]
		if n, ok := newOf[bd.CompoundCode]; ok {
			if n.code != bd.CompoundCode && strings.HasPrefix(bd.Code, bd.CompoundCode) {
				bd.Code = n.code + bd.Code[len(bd.CompoundCode):]
			}
			bd.CompoundCode, bd.GridCode = n.code, n.grid
		}
	}
	c.Stations = slices.Clone(base.Stations)
	c.Incidents = slices.Clone(base.Incidents)
	for bi := range m.Blocks {
		g := gridCode(int32(bi))
		for _, s := range m.Blocks[bi].Stations {
			st := &c.Stations[s]
			if st.GridCode != g {
				ft.Stations = append(ft.Stations, Rehome{st.Code, st.GridCode, g})
				st.GridCode = g
			}
		}
		for _, i := range m.Blocks[bi].Incidents {
			in := &c.Incidents[i]
			if in.GridCode != g && data.Open(in.Status) {
				ft.Incidents = append(ft.Incidents, Rehome{in.ID, in.GridCode, g})
				in.GridCode = g
			}
		}
	}
	c.Cadres = slices.Clone(base.Cadres)
	for i := range c.Cadres {
		cd := &c.Cadres[i]
		if gs, ok := p.Cadres[cd.ID]; ok && !slices.Equal(gs, cd.GridCodes) {
			ft.Cadres = append(ft.Cadres, CadreChange{cd.ID, cd.GridCodes, slices.Clone(gs)})
			cd.GridCodes = slices.Clone(gs)
		}
	}
	sort.Slice(ft.Stations, func(a, b int) bool { return ft.Stations[a].ID < ft.Stations[b].ID })
	sort.Slice(ft.Incidents, func(a, b int) bool { return ft.Incidents[a].ID < ft.Incidents[b].ID })
	sort.Slice(ft.Cadres, func(a, b int) bool { return ft.Cadres[a].ID < ft.Cadres[b].ID })
	// Stations or open incidents left on a retired grid are reported.
	live := map[string]bool{}
	for _, g := range c.Grids {
		live[g.Code] = true
	}
	for _, s := range c.Stations {
		if !live[s.GridCode] {
			ft.Notes = append(ft.Notes, fmt.Sprintf("station %s is on retired grid %s and outside every block: re-home it by hand", s.Code, s.GridCode))
		}
	}
	if err := c.Index(); err != nil {
		return nil, nil, err
	}
	return &c, ft, nil
}

// GridChange is one grid a plan changes, for the diff.
type GridChange struct {
	Code   string      `json:"code"`
	Change string      `json:"change"` // "changed", "created" or "retired"
	Before *GridFigure `json:"before,omitempty"`
	After  *GridFigure `json:"after,omitempty"`
}

// GridFigure is a grid's outline and totals on one side of a diff.
type GridFigure struct {
	Name       string      `json:"name"`
	Geom       orb.Polygon `json:"-"`
	Households int         `json:"households"`
	Population int         `json:"population"`
	Buildings  int         `json:"buildings"`
	Compounds  []string    `json:"compounds"`
}

// Diff lists the grids that differ between two cities (by outline or by
// their compounds), in code order.
func Diff(before, after *data.City) []GridChange {
	fig := func(c *data.City) map[string]*GridFigure {
		out := map[string]*GridFigure{}
		for _, g := range c.Grids {
			out[g.Code] = &GridFigure{Name: g.Name, Geom: g.Geom, Households: g.Households, Population: g.Population, Buildings: g.Buildings, Compounds: []string{}}
		}
		for _, cp := range c.Compounds {
			if f := out[cp.GridCode]; f != nil {
				f.Compounds = append(f.Compounds, cp.Code)
			}
		}
		return out
	}
	a, b := fig(before), fig(after)
	codes := map[string]bool{}
	for k := range a {
		codes[k] = true
	}
	for k := range b {
		codes[k] = true
	}
	var out []GridChange
	for _, code := range sortedCodes(codes) {
		x, y := a[code], b[code]
		switch {
		case x == nil:
			out = append(out, GridChange{Code: code, Change: "created", After: y})
		case y == nil:
			out = append(out, GridChange{Code: code, Change: "retired", Before: x})
		case !polysEqual(x.Geom, y.Geom) || !slices.Equal(x.Compounds, y.Compounds):
			out = append(out, GridChange{Code: code, Change: "changed", Before: x, After: y})
		}
	}
	return out
}

func polysEqual(a, b orb.Polygon) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !ringsEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// EditRevert records a revert in a plan's edits.
const EditRevert = "revert"

// Version is the grid layout of one applied version: enough to show it
// again (?version=) and to revert to it.
type Version struct {
	Number    int64             `json:"number"`
	Grids     []data.Grid       `json:"grids"`
	Compounds map[string]string `json:"compounds"` // compound → grid
	// Places maps each compound's first vertex ("lon,lat") to its code at
	// this version: compounds are re-coded when they change grid, their
	// outline stays.
	Places   map[string]string   `json:"places"`
	Stations map[string]string   `json:"stations"` // station → grid
	Cadres   map[string][]string `json:"cadres"`   // cadre → grids
}

// Snapshot records the grid layout of c.
func Snapshot(c *data.City) *Version {
	v := &Version{Grids: slices.Clone(c.Grids), Compounds: map[string]string{}, Places: map[string]string{}, Stations: map[string]string{}, Cadres: map[string][]string{}}
	for _, cp := range c.Compounds {
		v.Compounds[cp.Code] = cp.GridCode
		if k, ok := placeKey(cp); ok {
			v.Places[k] = cp.Code
		}
	}
	for _, s := range c.Stations {
		v.Stations[s.Code] = s.GridCode
	}
	for _, cd := range c.Cadres {
		v.Cadres[cd.ID] = slices.Clone(cd.GridCodes)
	}
	return v
}

// On returns c as it was at version v: its grids, and the grids of its
// compounds, buildings, stations and cadres (incidents are left as they
// are). c is not modified.
func (v *Version) On(c *data.City) (*data.City, error) {
	out := *c
	out.Grids = slices.Clone(v.Grids)
	out.Compounds = slices.Clone(c.Compounds)
	for i := range out.Compounds {
		if g, ok := v.Compounds[out.Compounds[i].Code]; ok {
			out.Compounds[i].GridCode = g
		}
	}
	out.Buildings = slices.Clone(c.Buildings)
	for i := range out.Buildings {
		if g, ok := v.Compounds[out.Buildings[i].CompoundCode]; ok {
			out.Buildings[i].GridCode = g
		}
	}
	out.Stations = slices.Clone(c.Stations)
	for i := range out.Stations {
		if g, ok := v.Stations[out.Stations[i].Code]; ok {
			out.Stations[i].GridCode = g
		}
	}
	out.Cadres = slices.Clone(c.Cadres)
	for i := range out.Cadres {
		if g, ok := v.Cadres[out.Cadres[i].ID]; ok {
			out.Cadres[i].GridCodes = slices.Clone(g)
		}
	}
	if err := out.Index(); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revert turns the plan into the layout of version v: every grid of v
// comes back with its exact outline, its compounds and its record. A grid
// whose code has since been retired comes back under a new code (retired
// codes are never reused) with the rest of its record; grids absent from v
// are retired. The change is validated like any edit and recorded as one
// assign edit plus the creations and retirements it needed.
func (p *Plan) Revert(v *Version) error {
	m := p.Model
	w := p.begin()
	w.cloneMaps()
	rename := map[string]string{}
	slot := map[string]int{}
	for g := range w.grids {
		if !w.grids[g].Retired {
			slot[w.grids[g].Code] = g
		}
	}
	want := map[string]bool{}
	for _, vg := range v.Grids {
		want[vg.Code] = true
	}
	var touched []int
	for _, vg := range v.Grids {
		g, ok := slot[vg.Code]
		if ok {
			if !reflect.DeepEqual(w.grids[g].Grid, vg) {
				w.grids[g].Grid = vg
				touched = append(touched, g)
			}
			continue
		}
		code := vg.Code
		if w.retired[code] || p.Retired[code] {
			nc, seq, err := p.newCode(w, vg.CommunityCode, "")
			if err != nil {
				return err
			}
			rename[code] = nc
			vg.Code, vg.Seq = nc, seq
			if mm := gridNameRE.FindStringSubmatch(vg.Name); mm != nil {
				vg.Name = fmt.Sprintf("%s第%d网格", mm[1], seq)
			}
			w.notes = append(w.notes, fmt.Sprintf("%s: comes back as %s (retired codes are never reused)", code, nc))
		}
		w.grids = append(w.grids, GridState{Grid: vg, Base: -1})
		slot[vg.Code] = len(w.grids) - 1
		touched = append(touched, len(w.grids)-1)
	}
	for g := range w.grids {
		if !w.grids[g].Retired && !want[w.grids[g].Code] && !isRenamed(rename, w.grids[g].Code) {
			w.grids[g].Retired = true
			w.retired[w.grids[g].Code] = true
			touched = append(touched, g)
			w.notes = append(w.notes, fmt.Sprintf("%s: retired by the revert", w.grids[g].Code))
		}
	}
	e := Edit{Kind: EditAssign, Assign: map[string]string{}}
	w.codes = slices.Clone(w.codes)
	for b := range m.Blocks {
		code := m.Blocks[b].Compound
		if cp := m.City.Compound(code); cp != nil {
			if k, ok := placeKey(*cp); ok && v.Places[k] != "" {
				code = v.Places[k]
			}
		}
		gc, ok := v.Compounds[code]
		if !ok {
			continue
		}
		w.codes[b] = code
		if r, ok := rename[gc]; ok {
			gc = r
		}
		g, ok := slot[gc]
		if !ok {
			return refuse(ReasonNotFound, "version names grid %s for compound %s, which it does not hold", gc, m.Blocks[b].Compound)
		}
		if w.assign[b] != int32(g) {
			touched = append(touched, int(w.assign[b]))
			w.assign[b] = int32(g)
			e.Assign[m.Blocks[b].Compound] = gc
		}
	}
	for id, gs := range v.Cadres {
		out := make([]string, len(gs))
		for i, c := range gs {
			if r, ok := rename[c]; ok {
				c = r
			}
			out[i] = c
		}
		w.cadres[id] = out
	}
	if err := p.check(w, uniq(touched)); err != nil {
		return err
	}
	p.Grids, p.Assign, p.Codes, p.Cadres, p.Retired = w.grids, w.assign, w.codes, w.cadres, w.retired
	p.Notes = append(p.Notes, w.notes...)
	p.Edits = append(p.Edits, Edit{Kind: EditRevert, Version: v.Number})
	return nil
}

func placeKey(cp data.Compound) (string, bool) {
	if len(cp.Geom) == 0 || len(cp.Geom[0]) == 0 {
		return "", false
	}
	p := cp.Geom[0][0]
	return strconv.FormatFloat(p[0], 'g', -1, 64) + "," + strconv.FormatFloat(p[1], 'g', -1, 64), true
}

func isRenamed(rename map[string]string, code string) bool {
	for _, v := range rename {
		if v == code {
			return true
		}
	}
	return false
}

func uniq(s []int) []int {
	m := map[int]bool{}
	for _, x := range s {
		m[x] = true
	}
	return keys(m)
}

// Changes lists what a plan changes in the store's rows, for a write that
// touches only them.
type Changes struct {
	Grids     []string          // grids of after to write: created, or any field changed
	Retired   []string          // grids of before that after no longer has
	Compounds map[string]string // old code → new code of compounds whose code or grid changed
	Stations  map[string]string // station → new grid
	Cadres    []string          // cadres whose grids changed
	Incidents map[string]string // open incident → new grid
}

// ChangesOf compares the city before a plan with the city City made of it.
func ChangesOf(before, after *data.City, ft *FollowThrough) Changes {
	ch := Changes{Compounds: map[string]string{}, Stations: map[string]string{}, Incidents: map[string]string{}}
	old := map[string]*data.Grid{}
	for i := range before.Grids {
		old[before.Grids[i].Code] = &before.Grids[i]
	}
	live := map[string]bool{}
	for i := range after.Grids {
		g := &after.Grids[i]
		live[g.Code] = true
		if o := old[g.Code]; o == nil || !reflect.DeepEqual(*o, *g) {
			ch.Grids = append(ch.Grids, g.Code)
		}
	}
	for _, g := range before.Grids {
		if !live[g.Code] {
			ch.Retired = append(ch.Retired, g.Code)
		}
	}
	for i := range before.Compounds {
		if i < len(after.Compounds) {
			a, b := before.Compounds[i], after.Compounds[i]
			if a.Code != b.Code || a.GridCode != b.GridCode {
				ch.Compounds[a.Code] = b.Code
			}
		}
	}
	for _, s := range ft.Stations {
		ch.Stations[s.ID] = s.After
	}
	for _, c := range ft.Cadres {
		ch.Cadres = append(ch.Cadres, c.ID)
	}
	for _, in := range ft.Incidents {
		ch.Incidents[in.ID] = in.After
	}
	return ch
}
