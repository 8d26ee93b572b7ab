package people

import (
	"time"

	"github.com/gridmap/gridmap/data"
)

// IncidentTrail is what the dispatch flow knows of an incident beyond the
// city's incidents layer: its resolve deadline, when it was last resolved
// and how often it was reopened (from its history).
type IncidentTrail struct {
	ResolveDue time.Time
	ResolvedAt time.Time
	Reopened   int
}

// Facts turns the city's incidents into the facts the figures count. An
// incident without a trail (the generated history) is resolved at its last
// update when its status is resolved or closed, and due by its category's
// SLA from the rules; rejected and duplicate incidents are left out.
func Facts(c *data.City, trails map[string]IncidentTrail, rules *data.Rules) []IncidentFact {
	out := make([]IncidentFact, 0, len(c.Incidents))
	for i := range c.Incidents {
		in := &c.Incidents[i]
		if in.Status == data.StatusRejected || in.Status == data.StatusDuplicate {
			continue
		}
		f := IncidentFact{GridCode: in.GridCode, StreetCode: in.StreetCode, Reported: in.ReportedAt, Open: data.Open(in.Status)}
		tr, ok := trails[in.ID]
		if ok {
			f.Due, f.Reopened = tr.ResolveDue, tr.Reopened
		}
		if f.Due.IsZero() && rules != nil {
			if sla := rules.SLAFor(in.Category); sla.Resolve > 0 {
				f.Due = in.ReportedAt.Add(time.Duration(sla.Resolve))
			}
		}
		if in.Status == data.StatusResolved || in.Status == data.StatusClosed {
			f.Resolved = in.UpdatedAt
			if ok && !tr.ResolvedAt.IsZero() {
				f.Resolved = tr.ResolvedAt
			}
		}
		out = append(out, f)
	}
	return out
}

// Trails reads the trails from incident records and their events: the
// deadline from the record, the last resolve and the reopen count from
// the events.
func Trails(recs []data.IncidentRecord, events []data.IncidentEvent) map[string]IncidentTrail {
	m := make(map[string]IncidentTrail, len(recs))
	for i := range recs {
		m[recs[i].ID] = IncidentTrail{ResolveDue: recs[i].ResolveDue}
	}
	for _, e := range events {
		t := m[e.IncidentID]
		switch e.Action {
		case "resolve":
			t.ResolvedAt = e.At
		case "reopen":
			t.Reopened++
		}
		m[e.IncidentID] = t
	}
	return m
}
