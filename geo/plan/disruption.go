package plan

import (
	"math"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Disruption is what a proposal disturbs: every household that changes
// grid gets a new grid worker and new cadres, every compound moved is
// re-coded.
type Disruption struct {
	Households   int             `json:"households_moved"`
	Compounds    int             `json:"compounds_moved"`
	GridsTouched int             `json:"grids_touched"` // grids that lose or gain a compound
	Bound        DisruptionBound `json:"bound"`
	// Ratio is households moved over the bound's households (0 when the
	// bound is 0); the default weights aim at 2 or less.
	Ratio float64 `json:"ratio_to_bound"`
}

// DisruptionBound is a lower bound on the households any layout must
// move to bring every grid of a scope within the target (the grid count
// and targets staying as they are): a grid above the upper limit must
// lose at least its excess, a grid below the lower limit must gain at
// least its deficit, and no household counts twice.
type DisruptionBound struct {
	Excess     int `json:"excess"`     // households above (1+tolerance)·target, summed over grids
	Deficit    int `json:"deficit"`    // households short of (1−tolerance)·target, summed over grids
	Households int `json:"households"` // the larger of the two
	// PerCommunity is the same bound taken community by community and
	// summed: tighter (households never move between communities), for
	// information; Ratio is taken against Households.
	PerCommunity int `json:"per_community"`
}

// disruptionBound computes the bound over the grids of r in scope.
func disruptionBound(r *Report, in map[string]bool) DisruptionBound {
	var b DisruptionBound
	tol := r.Summary.Tolerance
	type exDe struct{ ex, de int }
	per := map[string]*exDe{}
	for _, g := range r.Grids {
		if !in[g.Community] {
			continue
		}
		c := per[g.Community]
		if c == nil {
			c = &exDe{}
			per[g.Community] = c
		}
		h := float64(g.Households)
		// A grid is within when |h − t| ≤ tol·t; the fewest whole
		// households that bring it there.
		if x := h - (1+tol)*g.Target; x > 1e-9 {
			c.ex += int(math.Ceil(x - 1e-9))
		}
		if x := (1-tol)*g.Target - h; x > 1e-9 {
			c.de += int(math.Ceil(x - 1e-9))
		}
	}
	for _, c := range per {
		b.Excess += c.ex
		b.Deficit += c.de
		b.PerCommunity += max(c.ex, c.de)
	}
	b.Households = max(b.Excess, b.Deficit)
	return b
}

// DisruptionBound computes the bound of the plan's current layout for
// targets t, over the communities given (none: the whole city).
func (p *Plan) DisruptionBound(t Targets, communities ...string) DisruptionBound {
	in := map[string]bool{}
	if len(communities) == 0 {
		for _, cm := range p.Model.Communities {
			in[cm.Code] = true
		}
	}
	for _, c := range communities {
		in[c] = true
	}
	return disruptionBound(p.Measures(t, time.Time{}), in)
}

// Roles of the people a reassignment lists.
const (
	RoleGridHead   = "grid_head"   // 网格长
	RoleGridWorker = "grid_worker" // a member of the grid's team (专职网格员 …)
	RoleCadre      = "cadre"       // 下沉干部 helping the grid
)

// Assignee is one person who serves a grid's households, as the
// reassignment of a move lists them. Names are masked to the family name;
// no phone numbers.
type Assignee struct {
	Role  string `json:"role"`            // RoleGridHead, RoleGridWorker or RoleCadre
	ID    string `json:"id,omitempty"`    // the person's record ID (data.Staff), where there is one
	Name  string `json:"name"`            // masked: 张*
	Title string `json:"title,omitempty"` // the position, or a cadre's unit and rank
}

// Reassignment is the follow-through of one move on people: the
// compound's households leave the care of Before (the people serving the
// grid they leave) for After (those serving the grid they join).
type Reassignment struct {
	Before []Assignee `json:"before"`
	After  []Assignee `json:"after"`
}

// Staffing says who serves a grid, by grid code, in a stable order. The
// plan's own (from today's grid teams and cadre–grid assignments) is used
// unless ProposeOptions.Staff gives another, such as a register of people
// and their assignments.
type Staffing interface {
	Staff(grid string) []Assignee
}

// StaffingMap is a Staffing held in memory: grid code → its people.
type StaffingMap map[string][]Assignee

// Staff returns the people of a grid (never nil).
func (s StaffingMap) Staff(grid string) []Assignee {
	if a := s[grid]; a != nil {
		return a
	}
	return []Assignee{}
}

// staffing reads who serves each live grid of the plan: its head, its
// team in order, then the cadres who help it by ID. When the city's
// people are managed records (data.City.Staff), heads and workers carry
// the ID of the record assigned to that grid with that duty today.
func (p *Plan) staffing(day time.Time) StaffingMap {
	c := p.Model.City
	type key struct{ grid, duty, name string }
	ids := map[key][]string{}
	for i := range c.Assignments {
		a := &c.Assignments[i]
		if st := c.StaffByID(a.StaffID); st != nil && a.ActiveOn(day) && st.Serving(day) {
			k := key{a.GridCode, a.Duty, st.Name}
			ids[k] = append(ids[k], st.ID)
		}
	}
	id := func(grid, duty, name string) string {
		k := key{grid, duty, name}
		if l := ids[k]; len(l) > 0 {
			ids[k] = l[1:]
			return l[0]
		}
		return ""
	}
	out := StaffingMap{}
	for _, g := range p.liveGrids() {
		gs := &p.Grids[g]
		a := []Assignee{}
		if gs.Head.Name != "" {
			a = append(a, Assignee{Role: RoleGridHead, ID: id(gs.Code, data.DutyHead, gs.Head.Name), Name: data.MaskName(gs.Head.Name), Title: gs.Head.Title})
		}
		for _, t := range gs.Team {
			a = append(a, Assignee{Role: RoleGridWorker, ID: id(gs.Code, data.DutyWorker, t.Name), Name: data.MaskName(t.Name), Title: t.Title})
		}
		out[gs.Code] = a
	}
	cadre := map[string]*data.Cadre{}
	for i := range p.Model.City.Cadres {
		cadre[p.Model.City.Cadres[i].ID] = &p.Model.City.Cadres[i]
	}
	cadres := make([]string, 0, len(p.Cadres))
	for cid := range p.Cadres {
		cadres = append(cadres, cid)
	}
	sort.Strings(cadres)
	for _, cid := range cadres {
		x := Assignee{Role: RoleCadre, ID: cid}
		if cd := cadre[cid]; cd != nil {
			x.Name, x.Title = data.MaskName(cd.Name), cd.Unit+" "+cd.Rank
		}
		for _, code := range p.Cadres[cid] {
			if a, ok := out[code]; ok {
				out[code] = append(a, x)
			}
		}
	}
	return out
}
