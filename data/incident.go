package data

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Incident states. An incident is reported, accepted by the command
// centre, dispatched ("whistle blown", 吹哨) to the departments that must
// report (报到), responded to by them, resolved and closed; or it is
// rejected or marked a duplicate of another.
const (
	StatusReported   = "reported"
	StatusAccepted   = "accepted"
	StatusDispatched = "dispatched"
	StatusResponded  = "responded"
	StatusResolved   = "resolved"
	StatusClosed     = "closed"
	StatusRejected   = "rejected"
	StatusDuplicate  = "duplicate"
)

// Statuses lists every incident state in lifecycle order.
var Statuses = []string{
	StatusReported, StatusAccepted, StatusDispatched, StatusResponded,
	StatusResolved, StatusClosed, StatusRejected, StatusDuplicate,
}

// Modules lists the three modules incidents are routed in.
var Modules = []string{ModuleDevelopment, ModuleEnforcement, ModuleLivelihood}

// ValidStatus reports whether s is an incident state.
func ValidStatus(s string) bool { return slices.Contains(Statuses, s) }

// Terminal reports whether no transition leaves state s.
func Terminal(s string) bool {
	return s == StatusClosed || s == StatusRejected || s == StatusDuplicate
}

// Open reports whether an incident in state s still needs work: it is not
// resolved, closed, rejected or a duplicate.
func Open(s string) bool { return ValidStatus(s) && s != StatusResolved && !Terminal(s) }

// Transition is one legal change of state.
type Transition struct {
	From, To string
	Action   string // accept, dispatch, respond …
}

// Transitions is the lifecycle's transition table; a change not in it is
// illegal. Responded → responded is a second department reporting;
// dispatched → dispatched blows the whistle again to more departments;
// resolved → accepted reopens an incident whose resolution did not hold.
var Transitions = []Transition{
	{StatusReported, StatusAccepted, "accept"},
	{StatusReported, StatusRejected, "reject"},
	{StatusReported, StatusDuplicate, "mark_duplicate"},
	{StatusAccepted, StatusDispatched, "dispatch"},
	{StatusAccepted, StatusResolved, "resolve"}, // the grid team handled it alone
	{StatusAccepted, StatusRejected, "reject"},
	{StatusAccepted, StatusDuplicate, "mark_duplicate"},
	{StatusDispatched, StatusDispatched, "dispatch"},
	{StatusDispatched, StatusResponded, "respond"},
	{StatusResponded, StatusResponded, "respond"},
	{StatusResponded, StatusResolved, "resolve"},
	{StatusResolved, StatusClosed, "close"},
	{StatusResolved, StatusAccepted, "reopen"},
}

// TransitionFor returns the transition from one state to another, if legal.
func TransitionFor(from, to string) (Transition, bool) {
	for _, t := range Transitions {
		if t.From == from && t.To == to {
			return t, true
		}
	}
	return Transition{}, false
}

// NextStates returns the states an incident in state s may move to.
func NextStates(s string) []string {
	var out []string
	for _, t := range Transitions {
		if t.From == s && !slices.Contains(out, t.To) {
			out = append(out, t.To)
		}
	}
	return out
}

// ErrIllegalTransition is wrapped by Apply when the table has no such
// change.
var ErrIllegalTransition = errors.New("illegal transition")

// Responder is a first responder of an incident: the grid head, a grid
// worker or a cadre sunk to the grid. Name and phone are personal data.
type Responder struct {
	Role  string // grid_head, grid_worker, cadre
	ID    string // cadre id, if a cadre
	Name  string `privacy:"name"`
	Phone string `privacy:"phone"`
	Unit  string
}

// IncidentRecord is an incident with everything the dispatch flow keeps
// about it beyond the public Incident: the caller (personal data), the
// first responders, the departments that have reported, SLA deadlines and
// escalation.
type IncidentRecord struct {
	Incident
	Source      string // api, open311, phone …
	Caller      Person `privacy:"personal"` // name and phone of the caller; personal data
	Responders  []Responder
	Responded   []string // departments that have reported (报到)
	DuplicateOf string
	AcceptDue   time.Time // SLA: accept by
	ResolveDue  time.Time // SLA: resolve by
	EscalatedAt time.Time // zero unless escalated
	EscalatedTo string    // the street code it was escalated to
	Version     int64     // number of events so far (1 after creation)
}

// IncidentEvent is one entry of an incident's history: its creation, a
// transition or an escalation. Seq is a store-wide durable sequence: the
// id of live events, so a client that reconnects asks for what follows the
// last one it saw.
type IncidentEvent struct {
	Seq         int64
	IncidentID  string
	At          time.Time
	Actor       string `privacy:"personal"` // token name, or "system"
	ActorRole   string
	Type        string   // created, transition, escalated
	Action      string   // accept, dispatch … for transitions
	From, To    string   // states
	Note        string   `privacy:"text"`
	Departments []string // departments named by a dispatch, or the one that responded
	Incident    Incident // the public state after the event
}

// Event types.
const (
	EventCreated    = "created"
	EventTransition = "transition"
	EventEscalated  = "escalated"
)

// TransitionRequest asks for a change of state.
type TransitionRequest struct {
	To          string
	Note        string
	Departments []string // dispatch: departments to whistle (default: the category's); respond: the one reporting
	DuplicateOf string   // mark_duplicate: the original incident
}

// Apply checks req against the transition table and the rules and applies
// it to rec at time at, returning the event to record. rec is changed only
// when the transition is legal.
func (rec *IncidentRecord) Apply(req TransitionRequest, rules *Rules, at time.Time) (IncidentEvent, error) {
	from := rec.Status
	t, ok := TransitionFor(from, req.To)
	if !ok {
		return IncidentEvent{}, fmt.Errorf("%w: %s → %s (allowed from %s: %v)", ErrIllegalTransition, from, req.To, from, NextStates(from))
	}
	ev := IncidentEvent{IncidentID: rec.ID, At: at, Type: EventTransition, Action: t.Action, From: from, To: req.To, Note: req.Note}
	next := *rec
	switch t.Action {
	case "dispatch":
		deps := req.Departments
		if len(deps) == 0 && from == StatusAccepted {
			deps = rules.DepartmentsFor(rec.Category)
		}
		if len(deps) == 0 {
			return IncidentEvent{}, errors.New("dispatch names no department and the category has none")
		}
		for _, d := range deps {
			if !rules.KnownDepartment(d) {
				return IncidentEvent{}, fmt.Errorf("unknown department %q", d)
			}
		}
		all := slices.Clone(rec.Departments)
		for _, d := range deps {
			if !slices.Contains(all, d) {
				all = append(all, d)
			}
		}
		if from == StatusDispatched && len(all) == len(rec.Departments) {
			return IncidentEvent{}, errors.New("dispatch again names no new department")
		}
		next.Departments = all
		ev.Departments = deps
	case "respond":
		if len(req.Departments) != 1 {
			return IncidentEvent{}, errors.New("respond names exactly one department, the one reporting")
		}
		d := req.Departments[0]
		if !slices.Contains(rec.Departments, d) {
			return IncidentEvent{}, fmt.Errorf("department %q was not dispatched to this incident", d)
		}
		if slices.Contains(rec.Responded, d) {
			return IncidentEvent{}, fmt.Errorf("department %q has already reported", d)
		}
		next.Responded = append(slices.Clone(rec.Responded), d)
		ev.Departments = []string{d}
	case "mark_duplicate":
		if req.DuplicateOf == "" || req.DuplicateOf == rec.ID {
			return IncidentEvent{}, errors.New("mark_duplicate needs duplicate_of, the id of another incident")
		}
		next.DuplicateOf = req.DuplicateOf
	case "reject":
		if req.Note == "" {
			return IncidentEvent{}, errors.New("reject needs a note saying why")
		}
	case "reopen":
		next.Responded = nil
	}
	next.Status = req.To
	next.UpdatedAt = at
	next.Version++
	*rec = next
	ev.Incident = rec.Incident
	return ev, nil
}

// Overdue reports whether rec has missed an SLA deadline at now and has not
// been escalated yet, and which deadline: "accept" or "resolve".
func (rec *IncidentRecord) Overdue(now time.Time) (string, bool) {
	if !rec.EscalatedAt.IsZero() || !Open(rec.Status) {
		return "", false
	}
	if rec.Status == StatusReported && !rec.AcceptDue.IsZero() && now.After(rec.AcceptDue) {
		return "accept", true
	}
	if !rec.ResolveDue.IsZero() && now.After(rec.ResolveDue) {
		return "resolve", true
	}
	return "", false
}

// Escalate marks rec escalated to its street at now and returns the event
// to record.
func (rec *IncidentRecord) Escalate(deadline string, now time.Time) IncidentEvent {
	rec.EscalatedAt = now
	rec.EscalatedTo = rec.StreetCode
	rec.UpdatedAt = now
	rec.Version++
	return IncidentEvent{
		IncidentID: rec.ID, At: now, Actor: "system", ActorRole: "system", Type: EventEscalated,
		From: rec.Status, To: rec.Status, Note: "SLA " + deadline + " deadline missed: escalated to street " + rec.StreetCode,
		Incident: rec.Incident,
	}
}
