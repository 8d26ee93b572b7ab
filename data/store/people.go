package store

import (
	"context"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
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
