package data

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func dispatchedRecord() IncidentRecord {
	return IncidentRecord{Incident: Incident{ID: "X1", Category: "property.parking", StreetCode: "370402001"}}
}

// Every pair of states is either in the transition table and applies, or
// is refused with ErrIllegalTransition and leaves the record unchanged.
func TestTransitionsEveryPair(t *testing.T) {
	rules := DefaultRules()
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	legal := 0
	for _, from := range Statuses {
		for _, to := range Statuses {
			rec := dispatchedRecord()
			rec.Status = from
			rec.Departments = []string{"street_enforcement"}
			if from == StatusResponded {
				rec.Responded = []string{"street_enforcement"}
				rec.Departments = []string{"street_enforcement", "traffic_police"}
			}
			req := TransitionRequest{To: to, Note: "n"}
			switch {
			case from == StatusDispatched && to == StatusDispatched:
				req.Departments = []string{"transport"}
			case to == StatusResponded:
				req.Departments = []string{"traffic_police"}
				if from == StatusDispatched {
					rec.Departments = []string{"traffic_police"}
				}
			case to == StatusDuplicate:
				req.DuplicateOf = "X0"
			}
			before := rec
			ev, err := rec.Apply(req, rules, at)
			_, inTable := TransitionFor(from, to)
			if inTable {
				legal++
				if err != nil {
					t.Errorf("%s → %s: legal transition refused: %v", from, to, err)
					continue
				}
				if rec.Status != to || ev.From != from || ev.To != to || rec.Version != before.Version+1 || !rec.UpdatedAt.Equal(at) {
					t.Errorf("%s → %s: record %+v event %+v", from, to, rec, ev)
				}
				continue
			}
			if !errors.Is(err, ErrIllegalTransition) {
				t.Errorf("%s → %s: illegal transition not refused (err %v)", from, to, err)
			}
			if rec.Status != before.Status || rec.Version != before.Version {
				t.Errorf("%s → %s: refused transition changed the record", from, to)
			}
		}
	}
	if legal != len(Transitions) {
		t.Errorf("%d legal pairs, table has %d", legal, len(Transitions))
	}
	for _, s := range []string{StatusClosed, StatusRejected, StatusDuplicate} {
		if len(NextStates(s)) != 0 || !Terminal(s) {
			t.Errorf("%s should be terminal", s)
		}
	}
}

func TestTransitionChecks(t *testing.T) {
	rules := DefaultRules()
	at := time.Now()
	for _, tc := range []struct {
		name string
		rec  IncidentRecord
		req  TransitionRequest
		want string
	}{
		{"unknown department", IncidentRecord{Incident: Incident{Status: StatusAccepted, Category: "property.parking"}},
			TransitionRequest{To: StatusDispatched, Departments: []string{"nobody"}}, "unknown department"},
		{"respond by one not dispatched", IncidentRecord{Incident: Incident{Status: StatusDispatched, Departments: []string{"housing"}}},
			TransitionRequest{To: StatusResponded, Departments: []string{"transport"}}, "not dispatched"},
		{"respond twice", IncidentRecord{Incident: Incident{Status: StatusResponded, Departments: []string{"housing"}}, Responded: []string{"housing"}},
			TransitionRequest{To: StatusResponded, Departments: []string{"housing"}}, "already reported"},
		{"respond without department", IncidentRecord{Incident: Incident{Status: StatusDispatched, Departments: []string{"housing"}}},
			TransitionRequest{To: StatusResponded}, "exactly one"},
		{"duplicate of nothing", IncidentRecord{Incident: Incident{Status: StatusReported}},
			TransitionRequest{To: StatusDuplicate}, "duplicate_of"},
		{"reject without reason", IncidentRecord{Incident: Incident{Status: StatusReported}},
			TransitionRequest{To: StatusRejected}, "note"},
		{"re-dispatch nothing new", IncidentRecord{Incident: Incident{Status: StatusDispatched, Departments: []string{"housing"}}},
			TransitionRequest{To: StatusDispatched, Departments: []string{"housing"}}, "no new"},
		{"unknown state", IncidentRecord{Incident: Incident{Status: StatusReported}},
			TransitionRequest{To: "teleported"}, "illegal"},
	} {
		rec := tc.rec
		_, err := rec.Apply(tc.req, rules, at)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
		if rec.Status != tc.rec.Status {
			t.Errorf("%s: status changed", tc.name)
		}
	}
	// dispatch without departments takes the category's
	rec := IncidentRecord{Incident: Incident{Status: StatusAccepted, Category: "safety.fire"}}
	if _, err := rec.Apply(TransitionRequest{To: StatusDispatched}, rules, at); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Departments, []string{"emergency_management", "street_enforcement"}) {
		t.Errorf("dispatch departments %v", rec.Departments)
	}
}

func TestRoutingRules(t *testing.T) {
	rules := DefaultRules()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := IncidentRecord{Incident: Incident{Category: "traffic.order"}}
	if err := rules.Route(&rec, at); err != nil {
		t.Fatal(err)
	}
	if rec.Module != ModuleEnforcement || rec.AcceptDue != at.Add(30*time.Minute) || rec.ResolveDue != at.Add(8*time.Hour) {
		t.Errorf("routed %+v", rec)
	}
	if d := rules.DepartmentsFor("traffic.order"); !slices.Equal(d, []string{"traffic_police", "transport"}) {
		t.Errorf("departments %v", d)
	}
	if err := rules.Route(&IncidentRecord{Incident: Incident{Category: "nope"}}, at); err == nil {
		t.Error("unknown category routed")
	}
	// every module has categories; the 1+6 departments are all there
	for _, m := range Modules {
		n := 0
		for _, c := range rules.Categories {
			if c.Module == m {
				n++
			}
		}
		if n == 0 {
			t.Errorf("module %s has no categories", m)
		}
	}
	for _, d := range []string{"street_enforcement", "public_security", "traffic_police", "transport", "natural_resources",
		"ecology_environment", "market_regulation", "emergency_management"} {
		if !rules.KnownDepartment(d) {
			t.Errorf("department %s missing", d)
		}
	}
	// an operator's file: a new category with its own department
	custom := `{"version":2,"default_sla":{"accept":"1h","resolve":"10h"},
	"departments":[{"code":"dogs","name":"犬类管理"}],
	"categories":[{"code":"animals.dogs","name":"犬只扰民","module":"livelihood","departments":["dogs"]}]}`
	r2, err := ParseRules([]byte(custom))
	if err != nil {
		t.Fatal(err)
	}
	rec = IncidentRecord{Incident: Incident{Category: "animals.dogs"}}
	r2.Route(&rec, at)
	if rec.ResolveDue != at.Add(10*time.Hour) || !slices.Equal(r2.DepartmentsFor("animals.dogs"), []string{"dogs"}) {
		t.Errorf("custom rules: %+v", rec)
	}
	for name, bad := range map[string]string{
		"unknown field":      `{"default_sla":{"accept":"1h","resolve":"2h"},"categories":[],"colour":1}`,
		"unknown department": `{"default_sla":{"accept":"1h","resolve":"2h"},"categories":[{"code":"a","name":"a","module":"livelihood","departments":["x"]}]}`,
		"bad module":         `{"default_sla":{"accept":"1h","resolve":"2h"},"categories":[{"code":"a","name":"a","module":"fun"}]}`,
		"accept after":       `{"default_sla":{"accept":"3h","resolve":"2h"},"categories":[{"code":"a","name":"a","module":"livelihood"}]}`,
		"bad duration":       `{"default_sla":{"accept":"soon","resolve":"2h"},"categories":[{"code":"a","name":"a","module":"livelihood"}]}`,
	} {
		if _, err := ParseRules([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// SLA escalation runs on an injected clock: nothing before the deadline,
// escalation to the street after it, once.
func TestSLAEscalation(t *testing.T) {
	rules := DefaultRules()
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	rec := IncidentRecord{Incident: Incident{ID: "X", Category: "safety.fire", Status: StatusReported, StreetCode: "370402001"}}
	rules.Route(&rec, t0)
	if _, ok := rec.Overdue(t0.Add(15 * time.Minute)); ok {
		t.Error("overdue at the deadline")
	}
	d, ok := rec.Overdue(t0.Add(16 * time.Minute))
	if !ok || d != "accept" {
		t.Fatalf("not overdue after the accept deadline: %q %v", d, ok)
	}
	ev := rec.Escalate(d, t0.Add(16*time.Minute))
	if ev.Type != EventEscalated || rec.EscalatedTo != "370402001" || rec.Status != StatusReported {
		t.Errorf("escalation %+v → %+v", ev, rec)
	}
	if _, ok := rec.Overdue(t0.Add(100 * time.Hour)); ok {
		t.Error("escalated twice")
	}
	// accepted in time, resolve deadline missed
	rec2 := IncidentRecord{Incident: Incident{Category: "safety.fire", Status: StatusReported}}
	rules.Route(&rec2, t0)
	rec2.Apply(TransitionRequest{To: StatusAccepted}, rules, t0.Add(5*time.Minute))
	if _, ok := rec2.Overdue(t0.Add(11 * time.Hour)); ok {
		t.Error("overdue before resolve deadline")
	}
	if d, ok := rec2.Overdue(t0.Add(13 * time.Hour)); !ok || d != "resolve" {
		t.Errorf("resolve deadline: %q %v", d, ok)
	}
	// resolved incidents are never overdue
	rec2.Status = StatusResolved
	if _, ok := rec2.Overdue(t0.Add(1000 * time.Hour)); ok {
		t.Error("resolved incident overdue")
	}
}
