package plan

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// GridState is a grid of a plan: its record (Geom kept derived from its
// blocks) and whether the plan retired it.
type GridState struct {
	data.Grid
	Retired bool `json:"retired,omitempty"`
	Base    int  `json:"-"` // index in the base city's Grids, or -1 for a new grid
}

// Plan is a draft layout of the grids on top of a base city: which grid
// each block belongs to, the grids' records, and the cadres' grids. Every
// edit keeps it valid (ApplyEdit refuses what would not be). A Plan is
// not safe for concurrent use.
type Plan struct {
	Model  *Model
	Grids  []GridState
	Assign []int32 // block → index into Grids
	// Codes holds each block's compound code in the plan. A compound's code
	// extends its grid's code, so City re-codes the compounds that changed
	// grid (and their buildings); a revert brings the old codes back.
	Codes  []string
	Cadres map[string][]string // cadre ID → the grids the cadre helps
	// Retired holds the codes retired before (as the store knows them) and
	// by this plan; none may be used again.
	Retired map[string]bool
	Edits   []Edit
	// Notes say how the edits were followed through (heads, cadres).
	Notes []string
}

// NewPlan starts a plan on the model's city. retired lists the grid codes
// retired by earlier plans.
func NewPlan(m *Model, retired []string) *Plan {
	c := m.City
	p := &Plan{Model: m, Assign: append([]int32(nil), m.BaseAssign...), Cadres: map[string][]string{}, Retired: map[string]bool{}}
	for _, b := range m.Blocks {
		p.Codes = append(p.Codes, b.Compound)
	}
	for i, g := range c.Grids {
		p.Grids = append(p.Grids, GridState{Grid: g, Base: i})
	}
	for _, cd := range c.Cadres {
		p.Cadres[cd.ID] = append([]string(nil), cd.GridCodes...)
	}
	for _, r := range retired {
		p.Retired[r] = true
	}
	return p
}

func (p *Plan) liveGrids() []int {
	out := make([]int, 0, len(p.Grids))
	for g := range p.Grids {
		if !p.Grids[g].Retired {
			out = append(out, g)
		}
	}
	return out
}

func (p *Plan) blocksByGrid() [][]int32 {
	out := make([][]int32, len(p.Grids))
	for b, g := range p.Assign {
		if g >= 0 {
			out[g] = append(out[g], int32(b))
		}
	}
	return out
}

// contiguous reports whether grid g's blocks are connected through shared
// edges (a grid of a fixed community: whether its polygon is one ring).
func (p *Plan) contiguous(g int, blocks []int32) bool {
	if len(blocks) == 0 {
		return false
	}
	cm := &p.Model.Communities[p.Model.Blocks[blocks[0]].Community]
	if cm.Fixed != "" {
		return len(p.Grids[g].Geom) >= 1
	}
	seen := map[int32]bool{blocks[0]: true}
	stack := []int32{blocks[0]}
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range p.Model.Blocks[b].Nbr {
			if n >= 0 && !seen[n] && p.Assign[n] == int32(g) {
				seen[n] = true
				stack = append(stack, n)
			}
		}
	}
	return len(seen) == len(blocks)
}

// Refusal reasons.
const (
	ReasonNotFound       = "not_found"
	ReasonBadEdit        = "bad_edit"
	ReasonCrossCommunity = "crosses_community"
	ReasonEmptiesGrid    = "empties_grid"
	ReasonNonContiguous  = "non_contiguous"
	ReasonHole           = "hole"
	ReasonRetiredCode    = "retired_code"
	ReasonCodeInUse      = "code_in_use"
	ReasonBadCode        = "bad_code"
	ReasonFixed          = "fixed_community"
	ReasonInvalid        = "invalid_geometry"
	ReasonPartition      = "partition"
)

// Refusal is why an edit was refused; the plan is left unchanged.
type Refusal struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

func (r *Refusal) Error() string { return "plan: refused (" + r.Reason + "): " + r.Detail }

func refuse(reason, format string, a ...any) error {
	return &Refusal{Reason: reason, Detail: fmt.Sprintf(format, a...)}
}

// IsRefusal returns the refusal behind err, if any.
func IsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// Edit kinds.
const (
	EditMove   = "move"   // move Compounds (or the compounds of Buildings) to grid To
	EditSplit  = "split"  // split Compounds (or Buildings, or the blocks left of Line) off Grid into a new grid (Code optional)
	EditCreate = "create" // like split, naming the new grid's Code
	EditMerge  = "merge"  // grid Grid absorbs grid With; With's code is retired
	EditRetire = "retire" // retire grid Grid; grid Into absorbs it
)

// Edit is one change of a plan, as the API and CLI take it.
type Edit struct {
	Kind      string   `json:"kind"`
	Compounds []string `json:"compounds,omitempty"`
	// Buildings name compounds by one of their buildings (a compound, the
	// plot it fills, moves whole with every building in it).
	Buildings []string `json:"buildings,omitempty"`
	// Line is a drawn line, [lon, lat] points, for a split: the compounds
	// of Grid left of it (walking along the line) become the new grid.
	Line [][2]float64 `json:"line,omitempty"`
	To   string       `json:"to,omitempty"`
	Grid string       `json:"grid,omitempty"`
	With string       `json:"with,omitempty"`
	Into string       `json:"into,omitempty"`
	Code string       `json:"code,omitempty"`
	Name string       `json:"name,omitempty"`
	// Assign maps compound codes to grid codes (kind "assign").
	Assign map[string]string `json:"assign,omitempty"`
	// Version is the layout version a revert went back to (kind "revert").
	Version int64 `json:"version,omitempty"`
}

// Result says what an edit did.
type Result struct {
	Edit    Edit     `json:"edit"`
	Touched []string `json:"touched"`           // grid codes whose blocks changed
	Created []string `json:"created,omitempty"` // new grid codes
	Retired []string `json:"retired,omitempty"` // codes retired
	Moved   int      `json:"moved_households"`
	Notes   []string `json:"notes,omitempty"`
}

func (p *Plan) gridIndex(code string) (int, error) {
	for g := range p.Grids {
		if p.Grids[g].Code == code {
			if p.Grids[g].Retired {
				return -1, refuse(ReasonRetiredCode, "grid %s is retired", code)
			}
			return g, nil
		}
	}
	if p.Retired[code] {
		return -1, refuse(ReasonRetiredCode, "grid %s is retired", code)
	}
	return -1, refuse(ReasonNotFound, "no grid %s", code)
}

// working is a copy of the mutable state an edit works on, committed only
// when the edit passes every check.
type working struct {
	grids   []GridState
	assign  []int32
	codes   []string
	cadres  map[string][]string
	retired map[string]bool
	notes   []string
}

func (p *Plan) begin() *working {
	w := &working{grids: append([]GridState(nil), p.Grids...), assign: append([]int32(nil), p.Assign...), codes: p.Codes, cadres: p.Cadres, retired: p.Retired}
	return w
}

func (w *working) cloneMaps() {
	c := make(map[string][]string, len(w.cadres))
	for k, v := range w.cadres {
		c[k] = append([]string(nil), v...)
	}
	w.cadres = c
	r := make(map[string]bool, len(w.retired)+1)
	for k, v := range w.retired {
		r[k] = v
	}
	w.retired = r
}

// ApplyEdit validates and applies one edit. On refusal (a *Refusal) the
// plan is unchanged.
func (p *Plan) ApplyEdit(e Edit) (*Result, error) {
	w := p.begin()
	res := &Result{Edit: e}
	var touched []int
	var err error
	switch e.Kind {
	case EditMove:
		touched, err = p.move(w, e, res)
	case EditSplit, EditCreate:
		if e.Kind == EditCreate && e.Code == "" {
			return nil, refuse(ReasonBadEdit, "create needs the new grid's code")
		}
		touched, err = p.split(w, e, res)
	case EditMerge:
		touched, err = p.merge(w, e.Grid, e.With, res)
	case EditRetire:
		touched, err = p.merge(w, e.Into, e.Grid, res)
	case EditAssign:
		touched, err = p.assign(w, e, res)
	default:
		return nil, refuse(ReasonBadEdit, "unknown edit kind %q (want move, split, create, merge, retire or assign)", e.Kind)
	}
	if err != nil {
		return nil, err
	}
	if err := p.check(w, touched); err != nil {
		return nil, err
	}
	for _, g := range touched {
		if !w.grids[g].Retired {
			res.Touched = append(res.Touched, w.grids[g].Code)
		}
	}
	sort.Strings(res.Touched)
	p.Grids, p.Assign, p.Codes, p.Cadres, p.Retired = w.grids, w.assign, w.codes, w.cadres, w.retired
	p.Notes = append(p.Notes, w.notes...)
	res.Notes = w.notes
	p.Edits = append(p.Edits, e)
	return res, nil
}

// compoundBlocks returns the blocks of the compounds named by code and of
// the compounds of the buildings named by code.
func (p *Plan) compoundBlocks(codes, buildings []string) ([]int32, error) {
	if len(codes) == 0 && len(buildings) == 0 {
		return nil, refuse(ReasonBadEdit, "no compounds or buildings given")
	}
	seen := map[int32]bool{}
	var out []int32
	add := func(c string) bool {
		b, ok := p.Model.Block(c)
		if ok && !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
		return ok
	}
	for _, c := range codes {
		if !add(c) {
			return nil, refuse(ReasonNotFound, "no compound %s", c)
		}
	}
	for _, bc := range buildings {
		cp, ok := p.Model.buildingCompound(bc)
		if !ok {
			return nil, refuse(ReasonNotFound, "no building %s", bc)
		}
		if !add(cp) {
			return nil, refuse(ReasonNotFound, "building %s: no compound %s", bc, cp)
		}
	}
	return out, nil
}

// lineBlocks returns the blocks of grid g (in w) whose centre lies left of
// the drawn line: the side of the line's segment nearest to the centre,
// measured in local metres.
func (p *Plan) lineBlocks(w *working, g int, line [][2]float64) ([]int32, error) {
	if len(line) < 2 {
		return nil, refuse(ReasonBadEdit, "a split line needs at least two points")
	}
	for _, pt := range line {
		if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.Abs(pt[0]) > 180 || math.Abs(pt[1]) > 90 {
			return nil, refuse(ReasonBadEdit, "split line point %v is not a lon/lat", pt)
		}
	}
	m := p.Model
	var left, all []int32
	for b, a := range w.assign {
		if int(a) != g {
			continue
		}
		all = append(all, int32(b))
		c := m.Blocks[b].Cell
		ctr := orb.Point{(c[0][0] + c[1][0] + c[2][0] + c[3][0]) / 4, (c[0][1] + c[1][1] + c[2][1] + c[3][1]) / 4}
		mx, my := geo.MetresPerDegree(ctr[1])
		best, side := math.Inf(1), 0.0
		for i := 0; i+1 < len(line); i++ {
			ax, ay := (line[i][0]-ctr[0])*mx, (line[i][1]-ctr[1])*my
			bx, by := (line[i+1][0]-ctr[0])*mx, (line[i+1][1]-ctr[1])*my
			dx, dy := bx-ax, by-ay
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
			}
			px, py := ax+t*dx, ay+t*dy
			if d := px*px + py*py; d < best {
				// the centre is at the origin: left when (b−a)×(0−a) > 0
				best, side = d, dx*(-ay)-dy*(-ax)
			}
		}
		if side > 0 {
			left = append(left, int32(b))
		}
	}
	if len(left) == 0 || len(left) == len(all) {
		return nil, refuse(ReasonBadEdit, "the line does not cut grid %s in two (all %d of its compounds lie on one side)", w.grids[g].Code, len(all))
	}
	return left, nil
}

func (p *Plan) editable(ci int) error {
	if f := p.Model.Communities[ci].Fixed; f != "" {
		return refuse(ReasonFixed, "community %s cannot be edited: %s", p.Model.Communities[ci].Code, f)
	}
	return nil
}

func (p *Plan) move(w *working, e Edit, res *Result) ([]int, error) {
	to, err := p.gridIndex(e.To)
	if err != nil {
		return nil, err
	}
	blocks, err := p.compoundBlocks(e.Compounds, e.Buildings)
	if err != nil {
		return nil, err
	}
	toComm := w.grids[to].CommunityCode
	touched := map[int]bool{to: true}
	for _, b := range blocks {
		bl := &p.Model.Blocks[b]
		if cc := p.Model.Communities[bl.Community].Code; cc != toComm {
			return nil, refuse(ReasonCrossCommunity, "compound %s is in community %s, grid %s in %s", bl.Compound, cc, e.To, toComm)
		}
		if err := p.editable(bl.Community); err != nil {
			return nil, err
		}
		from := int(w.assign[b])
		if from == to {
			continue
		}
		touched[from] = true
		res.Moved += bl.Households
		w.assign[b] = int32(to)
	}
	return keys(touched), nil
}

func (p *Plan) assign(w *working, e Edit, res *Result) ([]int, error) {
	if len(e.Assign) == 0 {
		return nil, refuse(ReasonBadEdit, "assign needs compound → grid pairs")
	}
	touched := map[int]bool{}
	cps := make([]string, 0, len(e.Assign))
	for c := range e.Assign {
		cps = append(cps, c)
	}
	sort.Strings(cps)
	for _, c := range cps {
		r, err := p.move(w, Edit{Kind: EditMove, Compounds: []string{c}, To: e.Assign[c]}, res)
		if err != nil {
			return nil, err
		}
		for _, g := range r {
			touched[g] = true
		}
	}
	return keys(touched), nil
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

var gridNameRE = regexp.MustCompile(`^(.*)第\d+网格$`)

// newCode picks (or checks) the code of a new grid of community cc.
func (p *Plan) newCode(w *working, cc, want string) (string, int, error) {
	used := map[string]bool{}
	maxSeq := 0
	for _, g := range w.grids {
		used[g.Code] = true
	}
	for code := range w.retired {
		used[code] = true
	}
	for code := range used {
		if strings.HasPrefix(code, cc) && len(code) == data.GridCodeLen {
			if n, err := strconv.Atoi(code[len(cc):]); err == nil && n > maxSeq {
				maxSeq = n
			}
		}
	}
	if want != "" {
		if w.retired[want] {
			return "", 0, refuse(ReasonRetiredCode, "code %s was retired and is never reused", want)
		}
		if used[want] {
			return "", 0, refuse(ReasonCodeInUse, "code %s is in use", want)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(want, cc))
		if !strings.HasPrefix(want, cc) || len(want) != data.GridCodeLen || err != nil || n <= 0 {
			return "", 0, refuse(ReasonBadCode, "code %s does not extend community %s by 3 digits", want, cc)
		}
		return want, n, nil
	}
	if maxSeq >= 999 {
		return "", 0, refuse(ReasonBadCode, "community %s has no grid code left", cc)
	}
	return fmt.Sprintf("%s%03d", cc, maxSeq+1), maxSeq + 1, nil
}

func (p *Plan) split(w *working, e Edit, res *Result) ([]int, error) {
	g, err := p.gridIndex(e.Grid)
	if err != nil {
		return nil, err
	}
	var blocks []int32
	if len(e.Line) > 0 {
		if len(e.Compounds) > 0 || len(e.Buildings) > 0 {
			return nil, refuse(ReasonBadEdit, "a split takes a line or compounds, not both")
		}
		blocks, err = p.lineBlocks(w, g, e.Line)
	} else {
		blocks, err = p.compoundBlocks(e.Compounds, e.Buildings)
	}
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if int(w.assign[b]) != g {
			return nil, refuse(ReasonBadEdit, "compound %s is not in grid %s", p.Model.Blocks[b].Compound, e.Grid)
		}
		if err := p.editable(p.Model.Blocks[b].Community); err != nil {
			return nil, err
		}
	}
	old := &w.grids[g]
	code, seq, err := p.newCode(w, old.CommunityCode, e.Code)
	if err != nil {
		return nil, err
	}
	w.cloneMaps()
	ng := GridState{Base: -1}
	ng.Code, ng.Seq = code, seq
	ng.CommunityCode, ng.StreetCode, ng.DistrictCode = old.CommunityCode, old.StreetCode, old.DistrictCode
	ng.Name = e.Name
	if ng.Name == "" {
		if m := gridNameRE.FindStringSubmatch(old.Name); m != nil {
			ng.Name = fmt.Sprintf("%s第%d网格", m[1], seq)
		} else {
			ng.Name = fmt.Sprintf("网格%03d", seq)
		}
	}
	ng.VolunteerTeam = ng.Name + "党员志愿服务队"
	// The new grid's head: the first full-time worker of the old team,
	// else the first team member, else to be appointed.
	team := append([]data.Person(nil), old.Team...)
	hi := -1
	for i, t := range team {
		if t.Title == "专职网格员" {
			hi = i
			break
		}
	}
	if hi < 0 && len(team) > 0 {
		hi = 0
	}
	if hi >= 0 {
		ng.Head = team[hi]
		ng.Head.Title = "网格长（由" + team[hi].Title + "转任）"
		team = append(team[:hi:hi], team[hi+1:]...)
		w.notes = append(w.notes, fmt.Sprintf("%s: head is %s, moved from the team of %s", code, data.MaskName(ng.Head.Name), old.Code))
	} else {
		ng.Head = data.Person{Name: "待任命", Title: "网格长（待任命）"}
		w.notes = append(w.notes, fmt.Sprintf("%s: no team member to promote; head to be appointed", code))
	}
	old.Team = team
	var movedHH, totalHH int
	for b, a := range w.assign {
		if int(a) == g {
			totalHH += p.Model.Blocks[b].Households
		}
	}
	n := len(w.grids)
	for _, b := range blocks {
		w.assign[b] = int32(n)
		movedHH += p.Model.Blocks[b].Households
	}
	res.Moved = movedHH
	if totalHH > 0 {
		v := old.Volunteers * movedHH / totalHH
		ng.Volunteers, old.Volunteers = v, old.Volunteers-v
	}
	w.grids = append(w.grids, ng)
	res.Created = []string{code}
	// Cadres: share the old grid's cadres in proportion to households.
	var cads []string
	for id, gs := range w.cadres {
		for _, c := range gs {
			if c == old.Code {
				cads = append(cads, id)
			}
		}
	}
	sort.Strings(cads)
	switch {
	case len(cads) == 1:
		w.cadres[cads[0]] = append(w.cadres[cads[0]], code)
		w.notes = append(w.notes, fmt.Sprintf("%s: the only cadre of %s (%s) helps both grids", code, old.Code, cads[0]))
	case len(cads) > 1:
		k := max(1, min(len(cads)-1, (len(cads)*movedHH+totalHH/2)/max(totalHH, 1)))
		for _, id := range cads[len(cads)-k:] {
			for i, c := range w.cadres[id] {
				if c == old.Code {
					w.cadres[id][i] = code
				}
			}
			w.cadres[id] = dedupe(w.cadres[id])
		}
		w.notes = append(w.notes, fmt.Sprintf("%s: %d of the %d cadres of %s move to it (%s), in proportion to households", code, k, len(cads), old.Code, strings.Join(cads[len(cads)-k:], ", ")))
	default:
		w.notes = append(w.notes, fmt.Sprintf("%s: %s had no cadre; none assigned", code, old.Code))
	}
	return []int{g, n}, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// merge makes grid keep absorb grid gone and retires gone's code.
func (p *Plan) merge(w *working, keep, gone string, res *Result) ([]int, error) {
	if keep == "" || gone == "" {
		return nil, refuse(ReasonBadEdit, "merge needs two grids")
	}
	if keep == gone {
		return nil, refuse(ReasonBadEdit, "cannot merge grid %s with itself", keep)
	}
	k, err := p.gridIndex(keep)
	if err != nil {
		return nil, err
	}
	g, err := p.gridIndex(gone)
	if err != nil {
		return nil, err
	}
	if w.grids[k].CommunityCode != w.grids[g].CommunityCode {
		return nil, refuse(ReasonCrossCommunity, "grids %s and %s are in different communities", keep, gone)
	}
	if ci, ok := p.Model.CommunityIndex(w.grids[k].CommunityCode); ok {
		if err := p.editable(ci); err != nil {
			return nil, err
		}
	}
	w.cloneMaps()
	for b, a := range w.assign {
		if int(a) == g {
			w.assign[b] = int32(k)
			res.Moved += p.Model.Blocks[b].Households
		}
	}
	kg, gg := &w.grids[k], &w.grids[g]
	kg.Team = append(append([]data.Person(nil), kg.Team...), gg.Head)
	kg.Team = append(kg.Team, gg.Team...)
	kg.Volunteers += gg.Volunteers
	gg.Retired = true
	w.retired[gone] = true
	res.Retired = []string{gone}
	w.notes = append(w.notes, fmt.Sprintf("%s: retired into %s; its head and %d team members join the team of %s", gone, keep, len(gg.Team), keep))
	var ids []string
	for id, gs := range w.cadres {
		for i, c := range gs {
			if c == gone {
				gs[i] = keep
				ids = append(ids, id)
			}
		}
		w.cadres[id] = dedupe(gs)
	}
	sort.Strings(ids)
	if len(ids) > 0 {
		w.notes = append(w.notes, fmt.Sprintf("%s: its %d cadres now help %s (%s)", gone, len(ids), keep, strings.Join(ids, ", ")))
	}
	return []int{k, g}, nil
}

// check re-derives the touched grids and re-validates their communities:
// every grid non-empty, contiguous, one simple ring, a valid polygon, and
// the community's grids an exact partition of it.
func (p *Plan) check(w *working, touched []int) error {
	m := p.Model
	comms := map[string]bool{}
	for _, g := range touched {
		comms[w.grids[g].CommunityCode] = true
	}
	for cc := range comms {
		if ci, ok := m.CommunityIndex(cc); ok {
			if err := p.editable(ci); err != nil {
				return err
			}
		}
	}
	blocksOf := map[int][]int32{}
	for b, a := range w.assign {
		if comms[w.grids[a].CommunityCode] {
			blocksOf[int(a)] = append(blocksOf[int(a)], int32(b))
		}
	}
	pw := &Plan{Model: m, Grids: w.grids, Assign: w.assign}
	for _, g := range touched {
		gs := &w.grids[g]
		if gs.Retired {
			continue
		}
		bl := blocksOf[g]
		if len(bl) == 0 {
			return refuse(ReasonEmptiesGrid, "grid %s would have no compound left", gs.Code)
		}
		if !pw.contiguous(g, bl) {
			return refuse(ReasonNonContiguous, "grid %s would not be contiguous", gs.Code)
		}
		ring, err := m.ring(bl, func(b int32) bool { return int(w.assign[b]) == g })
		if err != nil {
			return refuse(ReasonHole, "grid %s: %v", gs.Code, err)
		}
		poly := orb.Polygon{ring}
		if err := geo.ValidPolygon(poly); err != nil {
			return refuse(ReasonInvalid, "grid %s: %v", gs.Code, err)
		}
		gs.Geom = poly
		gs.Buildings, gs.Households, gs.Population = 0, 0, 0
		for _, b := range bl {
			gs.Buildings += m.Blocks[b].Buildings
			gs.Households += m.Blocks[b].Households
			gs.Population += m.Blocks[b].Population
		}
	}
	for _, cc := range sortedCodes(comms) {
		cm := m.City.Community(cc)
		if cm == nil {
			return refuse(ReasonNotFound, "no community %s", cc)
		}
		var polys []orb.Polygon
		var codes []string
		for g := range w.grids {
			if !w.grids[g].Retired && w.grids[g].CommunityCode == cc {
				polys = append(polys, w.grids[g].Geom)
				codes = append(codes, w.grids[g].Code)
			}
		}
		if probs := geo.ValidatePartition(cm.Geom, cc, polys, codes, data.LayerGrids, 0); len(probs) > 0 {
			return refuse(ReasonPartition, "community %s: %s", cc, probs[0].String())
		}
	}
	return nil
}
