package server

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
)

// The plan follow-through on people: GET /api/v1/plans/{id}/people lists
// the reassignments a draft plan brings (people.FollowPlan on the plan's
// city, from the server's today) for the planner to review; applying the
// plan writes the same list in its transaction.

func init() {
	register(extension{name: "people-plan", routes: func(s *Server, _, api *mux.Router) {
		api.HandleFunc("/plans/{id}/people", s.handlePlanPeople).Methods(http.MethodGet)
	}})
}

// reassignmentJSON is one reviewed change, with what it names.
type reassignmentJSON struct {
	people.Reassignment
	ActionLabel string `json:"action_label"`
	DutyLabel   string `json:"duty_label"`
	Name        string `json:"name" privacy:"name"`
	Grid        string `json:"grid"`
}

func (s *Server) handlePlanPeople(w http.ResponseWriter, r *http.Request) {
	if _, ok := planAuthorize(w, r); !ok {
		return
	}
	d, ok := s.editable(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, _, err := d.p.City()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	c.Index()
	ch, list := people.FollowPlan(c, s.today())
	labels := map[string]string{"end": "结束任职", "start": "新任职", "appoint": "待任命"}
	out := make([]reassignmentJSON, 0, len(list))
	for _, x := range list {
		j := reassignmentJSON{Reassignment: x, ActionLabel: labels[x.Action], DutyLabel: people.Label(x.Duty)}
		if st := c.StaffByID(x.StaffID); st != nil {
			j.Name = st.Name
		}
		if g := c.Grid(x.GridCode); g != nil {
			j.Grid = g.Name
		} else if g := d.snap.City.Grid(x.GridCode); g != nil {
			j.Grid = g.Name
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"plan": d.rec.ID, "day": dayStr(s.today()), "reassignments": out, "records": ch.Summary()})
}

// planPeople is the reviewed follow-through written with a plan: nil when
// the city keeps no people records.
func (s *Server) planPeople(c *data.City) *people.Change {
	if !c.HasStaff() {
		return nil
	}
	c.Index()
	ch, _ := people.FollowPlan(c, s.today())
	return &ch
}
