package people

import (
	"cmp"
	"slices"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Reassignment is one change of people a boundary plan brings, for the
// planner to review before applying: an assignment that ends (the grid is
// retired, or the person moves) or starts (a split's new head, a merged
// grid's team, a cadre following a grid's new code). Names are not given:
// the ids, the duty and the grids say what changes.
type Reassignment struct {
	Action   string `json:"action"` // "end" or "start"
	StaffID  string `json:"staff_id,omitempty"`
	GridCode string `json:"grid_code"`
	Duty     string `json:"duty"`
	Reason   string `json:"reason"`
}

// FollowPlan proposes the assignment changes that bring the records in line
// with a plan's city (after: the grids as the plan leaves them, with the
// heads and teams it placed, and the cadres with their new grids), from day
// d. Heads and workers are matched to their records by name and phone
// among the people serving the plan's grids; a head the plan leaves "to be
// appointed" is reported, not invented. It returns the change and the
// list to review.
func FollowPlan(after *data.City, d time.Time) (Change, []Reassignment) {
	d = data.Day(d)
	var ch Change
	var list []Reassignment
	live := map[string]*data.Grid{}
	for i := range after.Grids {
		live[after.Grids[i].Code] = &after.Grids[i]
	}
	type key struct{ grid, duty, staff string }
	active := map[key]*data.Assignment{}
	byPerson := map[[2]string][]*data.Staff{} // (name, phone) → records
	for i := range after.Assignments {
		a := &after.Assignments[i]
		st := after.StaffByID(a.StaffID)
		if st == nil || !a.ActiveOn(d) || !st.Serving(d) {
			continue
		}
		active[key{a.GridCode, a.Duty, a.StaffID}] = a
	}
	for i := range after.Staff {
		st := &after.Staff[i]
		if st.Serving(d) {
			k := [2]string{st.Name, st.Phone}
			byPerson[k] = append(byPerson[k], st)
		}
	}
	want := map[key]string{} // what the plan shows → why
	for code, g := range live {
		shown := []struct {
			p    data.Person
			duty string
		}{}
		if g.Head.Name != "" {
			shown = append(shown, struct {
				p    data.Person
				duty string
			}{g.Head, data.DutyHead})
		}
		for _, t := range g.Team {
			shown = append(shown, struct {
				p    data.Person
				duty string
			}{t, data.DutyWorker})
		}
		for _, s := range shown {
			recs := byPerson[[2]string{s.p.Name, s.p.Phone}]
			if len(recs) == 0 {
				if s.duty == data.DutyHead {
					list = append(list, Reassignment{Action: "appoint", GridCode: code, Duty: s.duty, Reason: "the grid's head is to be appointed"})
				}
				continue
			}
			// Prefer the record already serving this grid, then one serving
			// a grid of the same community.
			pick := recs[0]
			for _, r := range recs {
				for k := range active {
					if k.staff == r.ID && k.grid == code {
						pick = r
					}
				}
			}
			want[key{code, s.duty, pick.ID}] = "shown by the plan"
		}
	}
	cadreWant := map[[2]string]bool{}
	for _, cd := range after.Cadres {
		for _, gc := range cd.GridCodes {
			if live[gc] != nil {
				cadreWant[[2]string{cd.ID, gc}] = true
			}
		}
	}
	n := 0
	nextA := func() string {
		n++
		return nextID("A", after.Assignments, func(a *data.Assignment) string { return a.ID }, assignIDs(ch.Assignments)...)
	}
	// Ends first: whatever the plan no longer shows.
	var keys []key
	for k := range active {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.grid != b.grid {
			return cmp.Compare(a.grid, b.grid)
		}
		return cmp.Compare(a.staff+a.duty, b.staff+b.duty)
	})
	for _, k := range keys {
		a := active[k]
		keep := false
		reason := ""
		switch {
		case live[k.grid] == nil:
			reason = "the grid is retired by the plan"
		case k.duty == data.DutyCadre:
			keep = cadreWant[[2]string{k.staff, k.grid}]
			reason = "the cadre's grids change with the plan"
		default:
			_, keep = want[k]
			reason = "the plan moves the person"
		}
		if keep {
			continue
		}
		if !a.From.Before(d) {
			continue // starts today: nothing to end before it began
		}
		e := *a
		e.To = d
		ch.Assignments = append(ch.Assignments, e)
		list = append(list, Reassignment{Action: "end", StaffID: k.staff, GridCode: k.grid, Duty: k.duty, Reason: reason})
	}
	// Starts: what the plan shows that no record holds.
	var wk []key
	for k := range want {
		if active[k] == nil {
			wk = append(wk, k)
		}
	}
	for k := range cadreWant {
		if active[key{k[1], data.DutyCadre, k[0]}] == nil {
			wk = append(wk, key{k[1], data.DutyCadre, k[0]})
		}
	}
	slices.SortFunc(wk, func(a, b key) int {
		if a.grid != b.grid {
			return cmp.Compare(a.grid, b.grid)
		}
		return cmp.Compare(a.staff+a.duty, b.staff+b.duty)
	})
	for _, k := range wk {
		st := after.StaffByID(k.staff)
		if st == nil || !DutyFits(st.Role, k.duty) {
			continue
		}
		ch.Assignments = append(ch.Assignments, data.Assignment{ID: nextA(), StaffID: k.staff, GridCode: k.grid, Duty: k.duty, From: d, Note: "规划调整"})
		reason := "the plan places the person here"
		if k.duty == data.DutyCadre {
			reason = "the cadre follows the grid"
		}
		list = append(list, Reassignment{Action: "start", StaffID: k.staff, GridCode: k.grid, Duty: k.duty, Reason: reason})
	}
	return ch, list
}

func assignIDs(as []data.Assignment) []string {
	out := make([]string, len(as))
	for i := range as {
		out[i] = as[i].ID
	}
	return out
}
