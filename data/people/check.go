package people

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Rule names, as reported.
const (
	RuleGridHead       = "grid_head"        // every grid has exactly one head
	RuleGridWorker     = "grid_worker"      // every grid has its responsible workers
	RuleCadreLoad      = "cadre_load"       // no cadre helps more than the limit of grids
	RuleAssignment     = "assignment"       // assignments name real people and grids, with sane dates and duties
	RuleDistrictUnits  = "district_units"   // 1–2 district-level units per community
	RuleMunicipalUnits = "municipal_units"  // 1–2 municipal units per community
	RulePairing        = "pairing"          // pairings name real units and communities, in the unit's district
	RuleContactPoint   = "contact_point"    // a leading cadre keeps one community contact point
	RuleGradeCap       = "grade_cap"        // a secretary is not 优秀 when the street is 一般 or 差
	RuleCommitment     = "commitment"       // commitments name real units and communities, with a known status
	RuleStaff          = "staff"            // staff records are well formed
	RuleOverload       = "person_overload"  // (a finding, not a violation) a head or worker serving too many households
	RuleUnpaired       = "unit_unpaired"    // (a finding) a unit reporting to no community of the map
	RuleNoStaffRecords = "no_staff_records" // the city has no managed people records
)

// Violation is one rule broken on the day of a report. Subject is the code
// or id of what breaks it; Name is a grid, community, street or unit name,
// never a person's.
type Violation struct {
	Rule    string `json:"rule"`
	Subject string `json:"subject"`
	Name    string `json:"name,omitempty"`
	Count   int    `json:"count"`
	Reason  string `json:"reason"`
}

// Report is the state of the people rules on a day.
type Report struct {
	Day        time.Time      `json:"day"`
	Rules      Rules          `json:"rules"`
	OK         bool           `json:"ok"`
	Counts     map[string]int `json:"counts"`
	ByRule     map[string]int `json:"violations_by_rule"`
	Violations []Violation    `json:"violations"`
	// Findings are worth a look but break no rule: people serving many
	// households, units reporting to no community on the map.
	Findings []Violation `json:"findings"`
}

// Check reports every people rule the city breaks on day d.
func Check(c *data.City, d time.Time, r Rules) Report {
	d = data.Day(d)
	rep := Report{Day: d, Rules: r, Counts: map[string]int{}, ByRule: map[string]int{}, Violations: []Violation{}, Findings: []Violation{}}
	add := func(v Violation) {
		rep.Violations = append(rep.Violations, v)
		rep.ByRule[v.Rule]++
	}
	if !c.HasStaff() {
		add(Violation{Rule: RuleNoStaffRecords, Reason: "the city has no managed people records (an older file: run `gridmap people migrate`)"})
		rep.OK = false
		return rep
	}
	grids := map[string]*data.Grid{}
	for i := range c.Grids {
		grids[c.Grids[i].Code] = &c.Grids[i]
	}
	comms := map[string]*data.Community{}
	for i := range c.Communities {
		comms[c.Communities[i].Code] = &c.Communities[i]
	}
	staff := map[string]*data.Staff{}
	for i := range c.Staff {
		s := &c.Staff[i]
		if _, dup := staff[s.ID]; dup {
			add(Violation{Rule: RuleStaff, Subject: s.ID, Count: 2, Reason: "the id is used twice"})
		}
		staff[s.ID] = s
		if s.Serving(d) {
			rep.Counts["staff_serving_"+s.Role]++
		} else if !s.Retired.IsZero() && !d.Before(s.Retired) {
			rep.Counts["staff_retired"]++
		}
		cp := *s
		if err := checkStaff(c, &cp); err != nil {
			// The reason names the field, never the value (a name or phone).
			add(Violation{Rule: RuleStaff, Subject: s.ID, Reason: "the " + err.Field + " is not valid"})
		}
	}

	// Assignments: integrity over all time, coverage and load on d.
	heads := map[string]int{}
	workers := map[string]int{}
	cadreLoad := map[string]int{}
	households := map[string]int{}
	type key struct{ staff, grid, duty string }
	byKey := map[key][]*data.Assignment{}
	for i := range c.Assignments {
		a := &c.Assignments[i]
		byKey[key{a.StaffID, a.GridCode, a.Duty}] = append(byKey[key{a.StaffID, a.GridCode, a.Duty}], a)
		st := staff[a.StaffID]
		g := grids[a.GridCode]
		bad := func(format string, args ...any) {
			add(Violation{Rule: RuleAssignment, Subject: a.ID, Name: gridName(g), Reason: fmt.Sprintf(format, args...)})
		}
		switch {
		case st == nil:
			bad("names staff %s, who does not exist", a.StaffID)
			continue
		case !a.To.IsZero() && !a.To.After(a.From):
			bad("ends %s, not after it starts %s", a.To.Format(time.DateOnly), a.From.Format(time.DateOnly))
			continue
		case !DutyFits(st.Role, a.Duty):
			bad("duty %s does not fit role %s", a.Duty, st.Role)
		case a.From.Before(st.Joined):
			bad("starts %s, before %s joined (%s)", a.From.Format(time.DateOnly), st.ID, st.Joined.Format(time.DateOnly))
		case !st.Retired.IsZero() && (a.To.IsZero() || a.To.After(st.Retired)):
			bad("goes on past %s's retirement on %s", st.ID, st.Retired.Format(time.DateOnly))
		}
		if !a.ActiveOn(d) || !st.Serving(d) {
			continue
		}
		if g == nil {
			bad("is open on grid %s, which no longer exists (end it: the grid was retired)", a.GridCode)
			continue
		}
		rep.Counts["assignments_active"]++
		switch a.Duty {
		case data.DutyHead:
			heads[a.GridCode]++
			households[a.StaffID] += g.Households
		case data.DutyWorker:
			workers[a.GridCode]++
			households[a.StaffID] += g.Households
		case data.DutyCadre:
			cadreLoad[a.StaffID]++
		}
	}
	for k, as := range byKey {
		for i := 0; i < len(as); i++ {
			for j := i + 1; j < len(as); j++ {
				if overlaps(as[i].From, as[i].To, as[j].From, as[j].To) {
					add(Violation{Rule: RuleAssignment, Subject: as[j].ID, Name: gridName(grids[k.grid]),
						Reason: fmt.Sprintf("overlaps %s: the same person and duty in the same grid twice", as[i].ID)})
				}
			}
		}
	}
	for i := range c.Grids {
		g := &c.Grids[i]
		switch n := heads[g.Code]; {
		case n == 0:
			add(Violation{Rule: RuleGridHead, Subject: g.Code, Name: g.Name, Count: 0, Reason: "the grid has no head"})
		case n > 1:
			add(Violation{Rule: RuleGridHead, Subject: g.Code, Name: g.Name, Count: n, Reason: fmt.Sprintf("the grid has %d heads", n)})
		}
		if n := workers[g.Code]; n < r.MinWorkersPerGrid {
			add(Violation{Rule: RuleGridWorker, Subject: g.Code, Name: g.Name, Count: n,
				Reason: fmt.Sprintf("the grid has %d responsible worker(s), needs %d", n, r.MinWorkersPerGrid)})
		}
	}
	for _, id := range sortedKeys(cadreLoad) {
		if n := cadreLoad[id]; n > r.MaxGridsPerCadre {
			add(Violation{Rule: RuleCadreLoad, Subject: id, Count: n,
				Reason: fmt.Sprintf("the cadre helps %d grids (limit %d)", n, r.MaxGridsPerCadre)})
		}
	}
	if r.MaxHouseholdsPerPerson > 0 {
		for _, id := range sortedKeys(households) {
			if n := households[id]; n > r.MaxHouseholdsPerPerson {
				rep.Findings = append(rep.Findings, Violation{Rule: RuleOverload, Subject: id, Count: n,
					Reason: fmt.Sprintf("serves %d households (more than %d)", n, r.MaxHouseholdsPerPerson)})
			}
		}
	}

	// Units and pairings.
	units := map[string]*data.ReportingUnit{}
	for i := range c.ReportingUnits {
		u := &c.ReportingUnits[i]
		units[u.Code] = u
		rep.Counts["units_"+u.Level]++
	}
	perComm := map[string]map[string]int{data.UnitDistrict: {}, data.UnitMunicipal: {}}
	paired := map[string]bool{}
	type pk struct{ unit, comm string }
	active := map[pk]string{}
	for i := range c.Pairings {
		p := &c.Pairings[i]
		u := units[p.UnitCode]
		cm := comms[p.CommunityCode]
		bad := func(format string, args ...any) {
			add(Violation{Rule: RulePairing, Subject: p.ID, Name: unitName(u), Reason: fmt.Sprintf(format, args...)})
		}
		switch {
		case u == nil:
			bad("names unit %s, which does not exist", p.UnitCode)
			continue
		case !p.To.IsZero() && !p.To.After(p.From):
			bad("ends %s, not after it starts %s", p.To.Format(time.DateOnly), p.From.Format(time.DateOnly))
			continue
		}
		if !p.ActiveOn(d) {
			continue
		}
		switch {
		case cm == nil:
			bad("is open on community %s, which does not exist", p.CommunityCode)
			continue
		case u.Level == data.UnitDistrict && u.DistrictCode != "" && cm.DistrictCode != u.DistrictCode:
			bad("a district-level unit of %s paired with %s in another district", u.DistrictCode, cm.Name)
		}
		if prev, dup := active[pk{p.UnitCode, p.CommunityCode}]; dup {
			bad("repeats pairing %s", prev)
			continue
		}
		active[pk{p.UnitCode, p.CommunityCode}] = p.ID
		rep.Counts["pairings_active"]++
		paired[p.UnitCode] = true
		if m := perComm[u.Level]; m != nil {
			m[p.CommunityCode]++
		}
	}
	for _, level := range []string{data.UnitDistrict, data.UnitMunicipal} {
		rg, rule := r.Range(level), RuleDistrictUnits
		if level == data.UnitMunicipal {
			rule = RuleMunicipalUnits
		}
		for i := range c.Communities {
			cm := &c.Communities[i]
			if n := perComm[level][cm.Code]; !rg.Holds(n) {
				add(Violation{Rule: rule, Subject: cm.Code, Name: cm.Name, Count: n,
					Reason: fmt.Sprintf("%d %s-level unit(s) report to the community (the rule: %s)", n, level, rg)})
			}
		}
	}
	for i := range c.ReportingUnits {
		u := &c.ReportingUnits[i]
		if !paired[u.Code] {
			rep.Counts["units_unpaired_"+u.Level]++
			rep.Findings = append(rep.Findings, Violation{Rule: RuleUnpaired, Subject: u.Code, Name: u.Name,
				Reason: "reports to no community of the map on this day"})
		}
	}

	// Contact points.
	contacts := map[string][]string{}
	for i := range c.ContactPoints {
		p := &c.ContactPoints[i]
		st := staff[p.StaffID]
		switch {
		case st == nil:
			add(Violation{Rule: RuleContactPoint, Subject: p.ID, Reason: fmt.Sprintf("names staff %s, who does not exist", p.StaffID)})
			continue
		case st.Role != data.StaffLeader:
			add(Violation{Rule: RuleContactPoint, Subject: p.ID, Reason: fmt.Sprintf("held by %s, who is not a leading cadre", p.StaffID)})
		}
		if p.ActiveOn(d) && st.Serving(d) {
			if comms[p.CommunityCode] == nil {
				add(Violation{Rule: RuleContactPoint, Subject: p.ID, Reason: fmt.Sprintf("is open on community %s, which does not exist", p.CommunityCode)})
			}
			contacts[p.StaffID] = append(contacts[p.StaffID], p.CommunityCode)
			rep.Counts["contact_points_active"]++
		}
	}
	for _, id := range sortedKeys(contacts) {
		if n := len(contacts[id]); n > 1 {
			add(Violation{Rule: RuleContactPoint, Subject: id, Count: n, Reason: fmt.Sprintf("the leading cadre keeps %d contact points (one community each)", n)})
		}
	}
	for i := range c.Staff {
		if st := &c.Staff[i]; st.Role == data.StaffLeader && st.Serving(d) && len(contacts[st.ID]) == 0 {
			add(Violation{Rule: RuleContactPoint, Subject: st.ID, Count: 0, Reason: "the leading cadre keeps no community contact point (each keeps one)"})
		}
	}

	// Evaluations: the grade cap, every year on record.
	for _, v := range gradeCapBreaches(c) {
		add(v)
	}
	for i := range c.Commitments {
		x := &c.Commitments[i]
		if err := checkCommitment(c, x); err != nil {
			add(Violation{Rule: RuleCommitment, Subject: x.ID, Name: unitName(units[x.UnitCode]), Reason: err.Error()})
		}
	}
	sort.SliceStable(rep.Violations, func(a, b int) bool {
		if rep.Violations[a].Rule != rep.Violations[b].Rule {
			return rep.Violations[a].Rule < rep.Violations[b].Rule
		}
		return rep.Violations[a].Subject < rep.Violations[b].Subject
	})
	rep.Counts["grids"] = len(c.Grids)
	rep.Counts["communities"] = len(c.Communities)
	rep.OK = len(rep.Violations) == 0
	return rep
}

// DutyFits reports whether a person of the role may hold the duty: heads
// (and, where no secretary is at hand, workers and members) head grids;
// workers, members (and heads of merged grids) are the responsible
// workers; cadres help.
func DutyFits(role, duty string) bool {
	switch duty {
	case data.DutyHead:
		return role == data.StaffHead || role == data.StaffWorker || role == data.StaffMember
	case data.DutyWorker:
		// A head whose grid is merged into another joins its team.
		return role == data.StaffWorker || role == data.StaffMember || role == data.StaffHead
	case data.DutyCadre:
		return role == data.StaffCadre
	}
	return false
}

// gradeCapBreaches lists the secretaries graded 优秀 in a year their
// street is graded 一般 or 差.
func gradeCapBreaches(c *data.City) []Violation {
	street := map[[2]string]string{} // (year, street) → grade
	for i := range c.Evaluations {
		e := &c.Evaluations[i]
		if e.Subject == data.SubjectStreet {
			street[[2]string{fmt.Sprint(e.Year), e.SubjectID}] = e.Grade
		}
	}
	var out []Violation
	for i := range c.Evaluations {
		e := &c.Evaluations[i]
		if e.Subject != data.SubjectPerson || e.Grade != data.GradeExcellent {
			continue
		}
		st := c.StaffByID(e.SubjectID)
		if st == nil || st.Role != data.StaffSecretary {
			continue
		}
		if g := street[[2]string{fmt.Sprint(e.Year), st.StreetCode}]; g == data.GradeFair || g == data.GradePoor {
			name := ""
			if s := c.Street(st.StreetCode); s != nil {
				name = s.Name
			}
			out = append(out, Violation{Rule: RuleGradeCap, Subject: e.ID, Name: name,
				Reason: fmt.Sprintf("%d: the secretary of street %s is graded 优秀 while the street is graded %s", e.Year, st.StreetCode, g)})
		}
	}
	return out
}

func overlaps(af, at, bf, bt time.Time) bool {
	aEndsAfterB := at.IsZero() || at.After(bf)
	bEndsAfterA := bt.IsZero() || bt.After(af)
	return aEndsAfterB && bEndsAfterA
}

func gridName(g *data.Grid) string {
	if g == nil {
		return ""
	}
	return g.Name
}

func unitName(u *data.ReportingUnit) string {
	if u == nil {
		return ""
	}
	return u.Name
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
