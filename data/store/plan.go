package store

import (
	"context"
	"errors"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
)

// PlanStore keeps the planner's drafts, the grid layout versions and the
// retired grid codes.
type PlanStore interface {
	// SavePlan stores a draft (inserting or updating it by ID). An applied
	// plan cannot be changed (ErrPlanApplied).
	SavePlan(ctx context.Context, p PlanRecord) error
	// Plan returns the stored plan with the ID; ErrNoPlan when none.
	Plan(ctx context.Context, id string) (PlanRecord, error)
	// Plans lists the stored plans, newest first.
	Plans(ctx context.Context) ([]PlanRecord, error)
	// RetiredCodes returns every grid code retired by an applied plan.
	RetiredCodes(ctx context.Context) ([]string, error)
	// LayoutVersionNow returns the number of the layout in force: 0 before
	// any plan was applied.
	LayoutVersionNow(ctx context.Context) (int64, error)
	// LayoutVersions lists the stored layout versions (without
	// snapshots), oldest first.
	LayoutVersions(ctx context.Context) ([]LayoutVersion, error)
	// LayoutVersion returns one stored layout version with its snapshot;
	// ErrNoVersion when none.
	LayoutVersion(ctx context.Context, version int64) (LayoutVersion, error)
	// ApplyPlan writes a plan in one transaction: the grids, compounds,
	// buildings, stations and cadre assignments of the new city, the open
	// incidents' new grids, the retired codes, the new layout version and
	// the audit entry. It fails with ErrStalePlan when the layout changed
	// since the plan's base version and with ErrRetiredReuse when a grid
	// of the new layout bears a retired code; on any error nothing
	// changes. It returns the new layout version.
	ApplyPlan(ctx context.Context, a PlanApply) (int64, error)
}

// Plan statuses.
const (
	PlanDraft   = "draft"
	PlanApplied = "applied"
)

// PlanRecord is a stored plan: a named draft on top of a base layout
// version, with its edits as JSON.
type PlanRecord struct {
	ID             string
	Name           string
	BaseVersion    int64
	Status         string
	CreatedAt      time.Time
	CreatedBy      string
	UpdatedAt      time.Time
	AppliedAt      time.Time
	AppliedVersion int64
	Edits          []byte // JSON array
}

// LayoutVersion is one stored grid layout version.
type LayoutVersion struct {
	Version  int64
	At       time.Time
	Actor    string
	PlanID   string
	Summary  string
	Snapshot []byte // JSON, only from LayoutVersion
}

// Errors of the planner's store.
var (
	ErrNoPlan       = errors.New("store: no such plan")
	ErrNoVersion    = errors.New("store: no such layout version")
	ErrStalePlan    = errors.New("store: the layout changed since the plan was made")
	ErrPlanApplied  = errors.New("store: the plan is already applied")
	ErrRetiredReuse = errors.New("store: a retired grid code is in the layout")
)

// IncidentGrid re-homes one incident to a grid.
type IncidentGrid struct {
	ID       string
	GridCode string
}

// PlanApply is everything ApplyPlan writes.
type PlanApply struct {
	PlanID      string
	Actor       string
	BaseVersion int64      // the layout version the plan was made on
	City        *data.City // the city after the plan: its grids, compounds, buildings, stations and cadres are written
	Incidents   []IncidentGrid
	Retired     []string // grid codes the plan retires
	Before      []byte   // snapshot of the layout before, stored as version 0 when no version is stored yet
	After       []byte   // snapshot of the layout after
	Summary     string   // JSON summary for the version list and the audit trail
	// Delta, when set, limits the writes to what the plan changed;
	// without it the grids, compounds, buildings, stations and cadres
	// layers are rewritten whole.
	Delta *PlanDelta
	// People are the reassignments the planner reviewed, written in the
	// same transaction (see PlanPeople for the default).
	People *people.Change
}

// PlanDelta lists what a plan changed.
type PlanDelta struct {
	Grids     []string          // codes of City's grids to write (changed or created)
	Compounds map[string]string // old code → new code of compounds whose code or grid changed (their buildings follow)
	Stations  map[string]string // station code → its new grid
	Cadres    []string          // IDs of cadres whose grids changed
}
