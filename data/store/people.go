package store

import (
	"context"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store/tables"
)

// PeopleStore keeps the people records of data/people: staff, their
// assignments, the reporting units and their pairings, commitments,
// evaluations and contact points. Load reads them with the city (and
// derives what the grids show from them); WritePeople is their one write.
type PeopleStore interface {
	// WritePeople writes every record of ch — each replacing the stored
	// record of the same id (a unit: of the same code) or added — and
	// entry to the audit trail, in one transaction: on any error nothing
	// changes. Records are never deleted.
	WritePeople(ctx context.Context, ch people.Change, entry data.AuditEntry) error
}

// PlanPeople is the people change a plan's application writes with it:
// the reassignments the planner reviewed (PlanApply.People), or, when none
// were given and the city's people are managed records, the ones
// people.FollowPlan proposes for the plan's city from day d — so the
// records always show what the plan shows.
func PlanPeople(a PlanApply, d time.Time) people.Change {
	if a.People != nil {
		return *a.People
	}
	if a.City == nil || !a.City.HasStaff() {
		return people.Change{}
	}
	ch, _ := people.FollowPlan(a.City, d)
	return ch
}

// IncidentReader is what IncidentTrails reads.
type IncidentReader interface {
	Incidents(ctx context.Context, f IncidentFilter) ([]data.IncidentRecord, int, error)
	IncidentEvents(ctx context.Context, after int64, limit int) ([]data.IncidentEvent, error)
}

// IncidentTrails reads every incident's resolve deadline, last resolution
// and reopenings from the dispatch flow (people.Trails), for the workload
// and evaluation figures.
func IncidentTrails(ctx context.Context, inc IncidentReader) (map[string]people.IncidentTrail, error) {
	recs, _, err := inc.Incidents(ctx, IncidentFilter{Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	var evs []data.IncidentEvent
	for after := int64(0); ; {
		page, err := inc.IncidentEvents(ctx, after, 10000)
		if err != nil {
			return nil, err
		}
		evs = append(evs, page...)
		if len(page) < 10000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	return people.Trails(recs, evs), nil
}

// PeopleRecords are the rows a people change writes, for the backends:
// its records and the meta keys it sets (the rules).
func PeopleRecords(ch people.Change) tables.ChangeRecords {
	return tables.ChangeRecords{Staff: ch.Staff, Assignments: ch.Assignments, Units: ch.Units, Pairings: ch.Pairings,
		Commitments: ch.Commitments, Evaluations: ch.Evaluations, ContactPoints: ch.ContactPoints, Meta: ch.Meta()}
}
