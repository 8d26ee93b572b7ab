package people

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Audit is what the audit trail keeps of a change made to the city c: for
// every record its id and what the change does to it — new, or each field
// that changes. Values are given where they are facts of the office (a
// role, a unit, a day, a status, a grade); a personal field (a name, a
// phone, a unit's secretary, a free-text note) is named without its value,
// so the trail never holds personal data.
func (ch Change) Audit(c *data.City) map[string][]string {
	m := map[string][]string{}
	add := func(k, s string) { m[k] = append(m[k], s) }
	for i := range ch.Staff {
		x := &ch.Staff[i]
		var old *data.Staff
		if c != nil {
			old = c.StaffByID(x.ID)
		}
		if old == nil {
			add(data.LayerStaff, fmt.Sprintf("%s %s: new", x.ID, x.Role))
			continue
		}
		var d diff
		d.private("name", old.Name, x.Name)
		d.value("role", old.Role, x.Role)
		d.value("unit", old.Unit, x.Unit)
		d.value("rank", old.Rank, x.Rank)
		d.private("phone", old.Phone, x.Phone)
		d.value("title", old.Title, x.Title)
		d.value("community_code", old.CommunityCode, x.CommunityCode)
		d.value("street_code", old.StreetCode, x.StreetCode)
		d.value("joined", dayOrEmpty(old.Joined), dayOrEmpty(x.Joined))
		d.value("retired", dayOrEmpty(old.Retired), dayOrEmpty(x.Retired))
		d.private("note", old.Note, x.Note)
		add(data.LayerStaff, x.ID+" "+x.Role+": "+d.String())
	}
	for _, x := range ch.Assignments {
		add(data.LayerAssignments, fmt.Sprintf("%s %s %s %s %s..%s", x.ID, x.StaffID, x.Duty, x.GridCode, dayOrEmpty(x.From), dayOrEmpty(x.To)))
	}
	for i := range ch.Units {
		x := &ch.Units[i]
		var old *data.ReportingUnit
		if c != nil {
			old = findUnit(c, x.Code)
		}
		if old == nil {
			add(data.LayerReportingUnits, fmt.Sprintf("%s %s: new", x.Code, x.Level))
			continue
		}
		var d diff
		d.value("name", old.Name, x.Name)
		d.value("level", old.Level, x.Level)
		d.value("district_code", old.DistrictCode, x.DistrictCode)
		d.value("members", fmt.Sprint(old.Members), fmt.Sprint(x.Members))
		d.private("secretary", old.Secretary, x.Secretary)
		d.private("phone", old.Phone, x.Phone)
		d.private("note", old.Note, x.Note)
		add(data.LayerReportingUnits, x.Code+": "+d.String())
	}
	for _, x := range ch.Pairings {
		add(data.LayerPairings, fmt.Sprintf("%s %s %s %s..%s", x.ID, x.UnitCode, x.CommunityCode, dayOrEmpty(x.From), dayOrEmpty(x.To)))
	}
	for i := range ch.Commitments {
		x := &ch.Commitments[i]
		var old *data.Commitment
		if c != nil {
			old = findCommitment(c, x.ID)
		}
		s := fmt.Sprintf("%s %s %s %d %s", x.ID, x.UnitCode, x.CommunityCode, x.Year, x.Status)
		switch {
		case old == nil:
			s += ": new"
		default:
			var d diff
			d.value("status", old.Status, x.Status)
			d.private("title", old.Title, x.Title)
			if n := len(x.Evidence) - len(old.Evidence); n > 0 {
				d = append(d, fmt.Sprintf("evidence +%d", n))
			}
			s += ": " + d.String()
		}
		add(data.LayerCommitments, s)
	}
	for _, x := range ch.Evaluations {
		add(data.LayerEvaluations, fmt.Sprintf("%s %d %s %s %s %.1f", x.ID, x.Year, x.Subject, x.SubjectID, x.Grade, x.Score))
	}
	for _, x := range ch.ContactPoints {
		add(data.LayerContactPoints, fmt.Sprintf("%s %s %s %s..%s", x.ID, x.StaffID, x.CommunityCode, dayOrEmpty(x.From), dayOrEmpty(x.To)))
	}
	if ch.Rules != nil {
		add("rules", fmt.Sprintf("max_grids_per_cadre %d, min_workers_per_grid %d, district_units %s, municipal_units %s, max_households_per_person %d",
			ch.Rules.MaxGridsPerCadre, ch.Rules.MinWorkersPerGrid, ch.Rules.DistrictUnits, ch.Rules.MunicipalUnits, ch.Rules.MaxHouseholdsPerPerson))
	}
	return m
}

// diff lists the fields a change touches.
type diff []string

// value records a field whose values may be kept in the trail.
func (d *diff) value(field, old, new string) {
	if old != new {
		*d = append(*d, fmt.Sprintf("%s %s→%s", field, orDash(old), orDash(new)))
	}
}

// private records a personal field: named, never its values.
func (d *diff) private(field, old, new string) {
	if old != new {
		*d = append(*d, field+" changed")
	}
}

func (d diff) String() string {
	if len(d) == 0 {
		return "unchanged"
	}
	return strings.Join(d, ", ")
}

func dayOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
