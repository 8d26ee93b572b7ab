package data_test

import (
	"fmt"
	"time"

	"github.com/gridmap/gridmap/data"
)

// An incident goes through its lifecycle under the built-in rules; a step
// the transition table does not allow is refused.
func ExampleIncidentRecord_Apply() {
	rules := data.DefaultRules()
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	rec := data.IncidentRecord{Incident: data.Incident{ID: "GM1", Category: "property.parking", Status: data.StatusReported}}
	rules.Route(&rec, at)
	fmt.Println(rec.Module, rec.ResolveDue.Sub(at))
	for _, req := range []data.TransitionRequest{
		{To: data.StatusAccepted},
		{To: data.StatusClosed}, // not from accepted
		{To: data.StatusDispatched},
		{To: data.StatusResponded, Departments: []string{"traffic_police"}},
		{To: data.StatusResolved},
		{To: data.StatusClosed},
	} {
		if _, err := rec.Apply(req, rules, at); err != nil {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Println(rec.Status, rec.Departments)
	}
	// Output:
	// livelihood 24h0m0s
	// accepted []
	// refused: illegal transition: accepted → closed (allowed from accepted: [dispatched resolved rejected duplicate])
	// dispatched [street_enforcement traffic_police]
	// responded [street_enforcement traffic_police]
	// resolved [street_enforcement traffic_police]
	// closed [street_enforcement traffic_police]
}
