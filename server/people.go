package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/tabular"
)

// The people who serve the grids (data/people): staff, their dated
// assignments, the 双报到 units with their pairings and commitments,
// evaluations and contact points, under /api/v1/people. Handlers parse,
// authorise, call data/people's checked edits and encode; every write is
// one store transaction with its audit entry, and the server's snapshot
// follows at once (the grid card, tiles and stats show the new records).
//
// Who sees what: the organiser (组织部) and the admin edit; the personal-
// data roles (dispatcher, planner, organiser, admin) read the records with
// names and phones; a viewer reads counts, the rules' report, the grids'
// workload and the units' names only; anyone reads the annual disclosure.

// Role groups of the people routes.
var (
	peopleEditors   = []string{RoleOrganiser, RoleAdmin}
	peopleReaders   = []string{RoleDispatcher, RolePlanner, RoleOrganiser, RoleAdmin}
	peopleViewers   = []string{RoleViewer, RoleDispatcher, RolePlanner, RoleOrganiser, RoleAdmin}
	pairingAppliers = []string{RolePlanner, RoleOrganiser, RoleAdmin}
)

// PeopleStore is what the people routes need of the store.
type PeopleStore interface {
	WritePeople(ctx context.Context, ch people.Change, entry data.AuditEntry) error
}

// peopleIndependent are the extensions whose derived state does not
// depend on people: a people write keeps them instead of building them
// again (the geometry is the same).
var peopleIndependent = map[string]bool{"coverage": true, "geocode": true, "incidents": true}

// peopleWrites serialises the people writes of one server, so that each
// is checked against the records the previous one left.
var peopleWrites sync.Map // *Server → *sync.Mutex

func (s *Server) peopleLock() *sync.Mutex {
	m, _ := peopleWrites.LoadOrStore(s, &sync.Mutex{})
	return m.(*sync.Mutex)
}

func init() {
	register(extension{name: "people", routes: peopleRoutes})
}

// reportRules are the rules a report may be narrowed to (?rule=).
var reportRules = []string{people.RuleGridHead, people.RuleGridWorker, people.RuleCadreLoad, people.RuleAssignment,
	people.RuleDistrictUnits, people.RuleMunicipalUnits, people.RulePairing, people.RuleContactPoint, people.RuleGradeCap,
	people.RuleCommitment, people.RuleStaff, people.RuleNoStaffRecords}

// peopleRoutes are the people routes in the registry (routes.go): the
// guard enforces their roles and parameters; the handlers check the
// values' meaning (a day, a year) and the records.
func peopleRoutes(s *Server) []Route {
	const base = "/api/v1/people"
	get, post, patch := http.MethodGet, http.MethodPost, http.MethodPatch
	day := Param{Name: "day", MaxLen: 32, Desc: "the day the records are read at, YYYY-MM-DD (default today)"}
	code := func(name, desc string) Param { return Param{Name: name, MaxLen: 32, Desc: desc} }
	id := func(desc string) Param { return Param{Name: "id", In: "path", MaxLen: 64, Desc: desc} }
	year := Param{Name: "year", Type: "integer", Min: 2000, Max: 2100, Desc: "the year"}
	state := Param{Name: "state", Enum: []string{"active", "ended", "all"}, Desc: "active (the default), ended or all"}
	text := Param{Name: "q", MaxLen: 100, Desc: "text the name, id, unit or phone contains"}
	limit, offset := pLimit(100, 10000), Param{Name: "offset", Type: "integer", Min: 0, Max: 1 << 30, Default: 0, Desc: "items to skip"}
	body := func(desc string) *Body { return &Body{Media: []string{mediaJSON}, Required: true, Desc: desc} }
	edit := []int{404, 409, 422, 503}
	lists := make([]string, 0, len(people.Lists))
	for _, l := range people.Lists {
		lists = append(lists, l.Name)
	}
	const created = "201: the record written, with the rules' violations after it; 200: nothing to change."
	return []Route{
		{Method: get, Path: base + "/summary", Tag: "People", Summary: "Counts of the people who serve the grids",
			Roles: peopleViewers, Params: []Param{day}, Errors: []int{503}, Handler: s.handlePeopleSummary},
		{Method: get, Path: base + "/report", Tag: "People", Summary: "The people rules' report: violations and findings",
			Roles: peopleViewers, Params: []Param{day, {Name: "rule", Enum: reportRules, Desc: "only this rule's violations"}},
			Errors: []int{503}, Handler: s.handlePeopleReport},
		{Method: get, Path: base + "/rules", Tag: "People", Summary: "The people rules, roles, duties, grades and statuses",
			Roles: peopleViewers, Handler: s.handlePeopleRules},
		{Method: patch, Path: base + "/rules", Tag: "People", Summary: "Change the people rules (the limits the report checks)",
			Description: "Only the fields given change; rules that cannot hold (a minimum above its maximum, a limit below 1) are a 422 naming the field and change nothing. The answer gives the rules' violations after the change.",
			Roles:       peopleEditors, Errors: []int{409, 413, 422, 503}, Body: body("max_grids_per_cadre, min_workers_per_grid, district_units_per_community {min,max}, municipal_units_per_community {min,max}, max_households_per_person"),
			Handler: s.handlePeopleRulesSet},
		{Method: get, Path: base + "/staff", Tag: "People", Summary: "Staff records (names and phones)", Roles: peopleReaders,
			Params: []Param{{Name: "role", Enum: data.StaffRoles, Desc: "only this role"},
				{Name: "serving", Enum: []string{"true", "false", "all"}, Desc: "serving on the day (true, the default), retired (false) or all"},
				day, text, code("community", "only this community's"), code("street", "only this street's"), code("grid", "only who serves this grid"), limit, offset},
			Handler: s.handleStaffList},
		{Method: post, Path: base + "/staff", Tag: "People", Summary: "Add a staff record", Roles: peopleEditors, OK: http.StatusCreated,
			Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("name, role, unit, rank, phone, title, community_code, street_code, joined, note"), Handler: s.handleStaffCreate},
		{Method: get, Path: base + "/staff/{id}", Tag: "People", Summary: "One staff record with its assignments and evaluations",
			Roles: peopleReaders, Params: []Param{id("the staff id")}, Errors: []int{404}, Handler: s.handleStaffGet},
		{Method: patch, Path: base + "/staff/{id}", Tag: "People", Summary: "Change a staff record", Roles: peopleEditors,
			Params: []Param{id("the staff id")}, Errors: edit, Body: body("the fields to change"), Handler: s.handleStaffUpdate},
		{Method: post, Path: base + "/staff/{id}/retire", Tag: "People", Summary: "Retire a person (their assignments end with it)",
			Roles: peopleEditors, Params: []Param{id("the staff id")}, Errors: edit, Body: body("day (default today)"), Handler: s.endOn("people.staff.retire", "staff", s.retire).ServeHTTP},
		{Method: get, Path: base + "/assignments", Tag: "People", Summary: "Assignments of people to grids", Roles: peopleReaders,
			Params: []Param{day, {Name: "duty", Enum: data.Duties, Desc: "only this duty"}, state,
				code("grid", "only this grid's (all states unless state is given)"), code("staff", "only this person's (all states unless state is given)"), limit, offset},
			Handler: s.handleAssignmentList},
		{Method: post, Path: base + "/assignments", Tag: "People", Summary: "Assign a person to a grid", Roles: peopleEditors,
			OK: http.StatusCreated, Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("staff_id, grid_code, duty, from, to, note, replaces (an assignment it ends)"), Handler: s.handleAssign},
		{Method: post, Path: base + "/assignments/{id}/end", Tag: "People", Summary: "End an assignment", Roles: peopleEditors,
			Params: []Param{id("the assignment id")}, Errors: edit, Body: body("day (default today)"), Handler: s.endOn("people.unassign", "assignment", s.endAssignment).ServeHTTP},
		{Method: get, Path: base + "/grids/{code}", Tag: "People", Summary: "Who served a grid on a day, and its history", Roles: peopleReaders,
			Params: []Param{{Name: "code", In: "path", MaxLen: 32, Desc: "the grid code"}, day}, Errors: []int{404}, Handler: s.handleGridPeople},
		{Method: get, Path: base + "/units", Tag: "People", Summary: "双报到 reporting units (names, no personal data)", Roles: peopleViewers,
			Params: []Param{{Name: "level", Enum: []string{data.UnitMunicipal, data.UnitDistrict}, Desc: "municipal or district"},
				code("community", "only units paired with this community"), code("district", "only this district's units"),
				{Name: "q", MaxLen: 100, Desc: "text the name or code contains"},
				{Name: "paired", Enum: []string{"true", "false"}, Desc: "only paired (true) or unpaired (false) units"}, limit, offset},
			Handler: s.handleUnitList},
		{Method: post, Path: base + "/units", Tag: "People", Summary: "Add a reporting unit", Roles: peopleEditors, OK: http.StatusCreated,
			Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("code, name, level, district_code, members, secretary, phone, note"), Handler: s.handleUnitCreate},
		{Method: get, Path: base + "/units/{code}", Tag: "People", Summary: "One unit with its secretary, pairings and commitments",
			Roles: peopleReaders, Params: []Param{{Name: "code", In: "path", MaxLen: 32, Desc: "the unit code"}}, Errors: []int{404}, Handler: s.handleUnitGet},
		{Method: patch, Path: base + "/units/{code}", Tag: "People", Summary: "Change a unit", Roles: peopleEditors,
			Params: []Param{{Name: "code", In: "path", MaxLen: 32, Desc: "the unit code"}}, Errors: edit, Body: body("the fields to change"), Handler: s.handleUnitUpdate},
		{Method: get, Path: base + "/pairings", Tag: "People", Summary: "Pairings of units with communities", Roles: peopleViewers,
			Params:  []Param{day, state, code("unit", "only this unit's"), code("community", "only this community's"), limit, offset},
			Handler: s.handlePairingList},
		{Method: post, Path: base + "/pairings", Tag: "People", Summary: "Pair a unit with a community", Roles: peopleEditors,
			OK: http.StatusCreated, Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("unit_code, community_code, from, to, note"), Handler: s.handlePair},
		{Method: post, Path: base + "/pairings/{id}/end", Tag: "People", Summary: "End a pairing", Roles: peopleEditors,
			Params: []Param{id("the pairing id")}, Errors: edit, Body: body("day (default today)"), Handler: s.endOn("people.unpair", "pairing", s.endPairing).ServeHTTP},
		{Method: get, Path: base + "/pairings/proposal", Tag: "People", Summary: "The fewest pairing moves that meet the unit rules",
			Roles: peopleViewers, Handler: s.handlePairingProposal},
		{Method: post, Path: base + "/pairings/proposal/apply", Tag: "People", Summary: "Apply the reviewed pairing proposal",
			Description: "The proposal is computed again on the records in force; one that changed since the review is a 409. " + created,
			Roles:       pairingAppliers, OK: http.StatusCreated, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("moves: the moves reviewed"), Handler: s.handlePairingApply},
		{Method: get, Path: base + "/commitments", Tag: "People", Summary: "Units' commitments with their evidence notes", Roles: peopleReaders,
			Params: []Param{year, {Name: "status", Enum: people.CommitStatuses, Desc: "only this status"},
				code("unit", "only this unit's"), code("community", "only this community's"), limit, offset},
			Handler: s.handleCommitmentList},
		{Method: post, Path: base + "/commitments", Tag: "People", Summary: "Record a unit's commitment", Roles: peopleEditors,
			OK: http.StatusCreated, Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("unit_code, community_code, year, title (published: no personal data)"), Handler: s.handlePledge},
		{Method: patch, Path: base + "/commitments/{id}", Tag: "People", Summary: "Advance a commitment or add evidence", Roles: peopleEditors,
			Params: []Param{id("the commitment id")}, Errors: edit, Body: body("status, evidence, title"), Handler: s.handleCommitmentUpdate},
		{Method: get, Path: base + "/evaluations", Tag: "People", Summary: "Yearly evaluations", Roles: peopleReaders,
			Params: []Param{year, {Name: "subject", Enum: []string{data.SubjectPerson, data.SubjectStreet}, Desc: "person or street"},
				{Name: "grade", Enum: data.Grades, Desc: "only this grade"}, limit, offset},
			Handler: s.handleEvaluationList},
		{Method: post, Path: base + "/evaluations", Tag: "People", Summary: "Evaluate a person or a street", Roles: peopleEditors,
			OK: http.StatusCreated, Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("year, subject, subject_id, score, grade, comment"), Handler: s.handleEvaluate},
		{Method: post, Path: base + "/evaluations/run", Tag: "People", Summary: "Evaluate a whole year from the incidents", Roles: peopleEditors,
			OK: http.StatusCreated, Description: created, Also: []int{http.StatusOK}, Errors: edit, Body: body("year"), Handler: s.handleEvaluateYear},
		{Method: get, Path: base + "/contact-points", Tag: "People", Summary: "Leading cadres' community contact points", Roles: peopleReaders,
			Params: []Param{day, code("community", "only this community's"), limit, offset}, Handler: s.handleContactList},
		{Method: post, Path: base + "/contact-points", Tag: "People", Summary: "Open a contact point", Roles: peopleEditors,
			OK: http.StatusCreated, Description: created, Also: []int{http.StatusOK}, Errors: edit,
			Body: body("staff_id, community_code, from, note"), Handler: s.handleContactSet},
		{Method: post, Path: base + "/contact-points/{id}/end", Tag: "People", Summary: "End a contact point", Roles: peopleEditors,
			Params: []Param{id("the contact point id")}, Errors: edit, Body: body("day (default today)"), Handler: s.endOn("people.contact_point.end", "contact_point", s.endContact).ServeHTTP},
		{Method: get, Path: base + "/workload", Tag: "People", Summary: "The workload table by grid or by person, as JSON, CSV or .xlsx",
			Description: "By grid: any role (no names). By person: " + strings.Join(peopleReaders, ", ") + " only (403 otherwise).",
			Roles:       peopleViewers,
			Params: []Param{{Name: "by", Enum: []string{"grid", "person"}, Desc: "grid (the default) or person"},
				{Name: "sort", Enum: []string{"households", "population", "open", "overdue", "resolved", "on_time", "grids", "code"}, Desc: "the column sorted by (default households)"},
				{Name: "order", Enum: []string{"asc", "desc"}, Desc: "desc (the default) or asc"},
				{Name: "format", Enum: []string{"json", "csv", "xlsx"}, Desc: "json (the default), csv or xlsx"},
				{Name: "only", Enum: []string{"gaps", "overloaded"}, Desc: "gaps (grids) or overloaded (people)"}, day, limit, offset},
			Errors: []int{503}, Handler: s.handleWorkload},
		{Method: get, Path: base + "/lists", Tag: "People", Summary: "The lists that export and import as CSV or .xlsx", Roles: peopleReaders, Handler: s.handleLists},
		{Method: get, Path: base + "/lists/{list}", Tag: "People", Summary: "Export a list as CSV or .xlsx", Roles: peopleReaders, Media: "text/csv",
			Params: []Param{{Name: "list", In: "path", Enum: lists, Desc: "the list"}, {Name: "format", Enum: []string{"csv", "xlsx"}, Desc: "csv (the default) or xlsx"}},
			Errors: []int{404}, Handler: s.handleListExport},
		{Method: post, Path: base + "/lists/{list}", Tag: "People", Summary: "Import a whole list file (all rows or none)", Roles: peopleEditors,
			Description: "Every row goes through the checked edits; any problem refuses the file whole (422 with each problem's row, column and reason). " + created,
			OK:          http.StatusCreated, Also: []int{http.StatusOK},
			Params: []Param{{Name: "list", In: "path", Enum: lists, Desc: "the list"}},
			Body:   &Body{Media: []string{"text/csv", tabular.XLSX.ContentType()}, Required: true, Desc: "the list file"},
			Errors: []int{404, 409, 413, 415, 422, 503}, Handler: s.handleListImport},
		{Method: get, Path: "/api/v1/disclosure", Tag: "People", Summary: "The annual public disclosure of the units' commitments (年度公示)",
			Params: []Param{{Name: "year", Type: "integer", Min: 2000, Max: 2100, Desc: "the year (default this year, or the latest with commitments)"},
				{Name: "format", Enum: []string{"json", "csv", "xlsx"}, Desc: "json (the default), csv or xlsx"}},
			Handler: s.handleDisclosure},
	}
}

// today is the day the records are read at: the server's clock, in China.
func (s *Server) today() time.Time { return data.Day(s.ops.now()) }

// peopleRules are the rules in force: the store's (people.RulesFromMeta),
// the defaults where it keeps none or none that hold.
func (s *Server) peopleRules() people.Rules {
	r, _ := people.RulesFromMeta(s.Current().City.Meta)
	return r
}

func (s *Server) peopleStore(w http.ResponseWriter) (PeopleStore, bool) {
	ps, ok := s.cfg.Store.(PeopleStore)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "the store keeps no people records")
	}
	return ps, ok
}

// dayParam reads ?day=2026-03-01 (default today).
func (s *Server) dayParam(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("day")
	if v == "" {
		return s.today(), true
	}
	d, err := tabular.ParseDate(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, "day: "+err.Error())
		return d, false
	}
	return d, true
}

// cityOn is the snapshot's city with its people as of day d (the snapshot
// itself for today).
func (s *Server) cityOn(d time.Time) *data.City {
	c := s.Current().City
	if d.Equal(s.today()) {
		return c
	}
	n := *c
	n.Grids = slices.Clone(c.Grids)
	n.ReportingUnits = slices.Clone(c.ReportingUnits)
	n.DeriveStaffing(d)
	return &n
}

// writeEditError answers a refused edit: 404, 409 or 422 with the field.
func writeEditError(w http.ResponseWriter, err error) {
	var pe *people.Error
	if errors.As(err, &pe) {
		status := http.StatusUnprocessableEntity
		switch pe.Kind {
		case people.NotFound:
			status = http.StatusNotFound
		case people.Conflict:
			status = http.StatusConflict
		}
		writeJSON(w, status, map[string]any{"error": pe.Error(), "status": status, "kind": pe.Kind, "field": pe.Field, "reason": pe.Reason})
		return
	}
	writeError(w, http.StatusInternalServerError, "internal error")
}

// commitPeople writes a checked change with its audit entry, then swaps
// in the snapshot that shows it. The change is built by edit from the
// current snapshot's city, under the server's people lock.
func (s *Server) commitPeople(w http.ResponseWriter, r *http.Request, p *Principal, action, target string,
	edit func(c *data.City) (people.Change, any, error)) {
	ps, ok := s.peopleStore(w)
	if !ok {
		return
	}
	mu := s.peopleLock()
	mu.Lock()
	defer mu.Unlock()
	sn := s.Current()
	ch, answer, err := edit(sn.City)
	if err != nil {
		var es tabular.Errors
		if errors.As(err, &es) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": es.Error(), "status": http.StatusUnprocessableEntity, "problems": []tabular.CellError(es)})
			return
		}
		writeEditError(w, err)
		return
	}
	if ch.Empty() {
		writeJSON(w, http.StatusOK, map[string]any{"changed": map[string]int{}, "result": answer})
		return
	}
	detail, _ := json.Marshal(map[string]any{"records": ch.Summary(), "change": ch.Audit(sn.City)})
	entry := data.AuditEntry{At: s.ops.now(), Actor: p.Actor(), Action: action, Target: target, Detail: string(detail)}
	if err := ps.WritePeople(r.Context(), ch, entry); err != nil {
		s.internal(w, r, err)
		return
	}
	// This server shows the change at once; the store's notification of it
	// reloads the other replicas (and is skipped here).
	s.reloadStarted.Store(time.Now().UnixNano())
	if err := s.swapPeople(sn, ch); err != nil {
		s.log.Error("people: snapshot after write", "err", err)
		// The write is durable; a full reload catches up.
		if err := s.Reload(context.WithoutCancel(r.Context())); err != nil {
			s.log.Error("people: reload", "err", err)
		}
	}
	status := http.StatusOK
	if r.Method == http.MethodPost && !strings.HasSuffix(r.URL.Path, "/end") && !strings.HasSuffix(r.URL.Path, "/retire") {
		status = http.StatusCreated
	}
	rep := people.Check(s.Current().City, s.today(), s.peopleRules())
	writeJSON(w, status, map[string]any{"changed": ch.Summary(), "result": answer,
		"violations": len(rep.Violations), "violations_by_rule": rep.ByRule})
}

// swapPeople puts in force the snapshot after a people change: the same
// geometry (and its index), the records with the change, what the grids
// show derived again; the extensions that depend on people are built
// again, the others kept.
func (s *Server) swapPeople(old *Snapshot, ch people.Change) error {
	c := ch.Apply(old.City, s.today())
	ix := old.Index.WithCity(c)
	sn := &Snapshot{City: c, Index: ix, Version: old.Version + 1, Loaded: time.Now(), ext: map[string]any{}}
	for _, e := range extensions {
		if e.build == nil {
			continue
		}
		if peopleIndependent[e.name] {
			sn.ext[e.name] = old.ext[e.name]
			continue
		}
		x, err := e.build(sn)
		if err != nil {
			return fmt.Errorf("server: %s: %w", e.name, err)
		}
		sn.ext[e.name] = x
	}
	if !s.snap.CompareAndSwap(old, sn) {
		return errors.New("the snapshot moved during a people write")
	}
	return nil
}

// ---- representations -------------------------------------------------

type staffJSON struct {
	ID            string   `json:"id"`
	Name          string   `json:"name" privacy:"name"`
	Role          string   `json:"role"`
	RoleLabel     string   `json:"role_label"`
	Unit          string   `json:"unit"`
	Rank          string   `json:"rank"`
	Phone         string   `json:"phone" privacy:"phone"`
	Title         string   `json:"title"`
	CommunityCode string   `json:"community_code,omitempty"`
	StreetCode    string   `json:"street_code,omitempty"`
	Joined        string   `json:"joined"`
	Retired       string   `json:"retired,omitempty"`
	Note          string   `json:"note,omitempty" privacy:"text"`
	Grids         []string `json:"grids"`
	Serving       bool     `json:"serving"`
}

func dayStr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func staffOut(c *data.City, st *data.Staff, d time.Time, grids map[string][]string) staffJSON {
	return staffJSON{ID: st.ID, Name: st.Name, Role: st.Role, RoleLabel: people.Label(st.Role), Unit: st.Unit, Rank: st.Rank, Phone: st.Phone,
		Title: st.Title, CommunityCode: st.CommunityCode, StreetCode: st.StreetCode, Joined: dayStr(st.Joined), Retired: dayStr(st.Retired),
		Note: st.Note, Grids: append([]string{}, grids[st.ID]...), Serving: st.Serving(d)}
}

type assignmentJSON struct {
	ID        string `json:"id"`
	StaffID   string `json:"staff_id"`
	Name      string `json:"name" privacy:"name"`
	GridCode  string `json:"grid_code"`
	Grid      string `json:"grid"`
	Duty      string `json:"duty"`
	DutyLabel string `json:"duty_label"`
	From      string `json:"from"`
	To        string `json:"to,omitempty"`
	Note      string `json:"note,omitempty" privacy:"text"`
	Active    bool   `json:"active"`
}

func assignmentOut(c *data.City, a *data.Assignment, d time.Time) assignmentJSON {
	out := assignmentJSON{ID: a.ID, StaffID: a.StaffID, GridCode: a.GridCode, Duty: a.Duty, DutyLabel: people.Label(a.Duty),
		From: dayStr(a.From), To: dayStr(a.To), Note: a.Note, Active: a.ActiveOn(d)}
	if st := c.StaffByID(a.StaffID); st != nil {
		out.Name = st.Name
		out.Active = out.Active && st.Serving(d)
	}
	if g := c.Grid(a.GridCode); g != nil {
		out.Grid = g.Name
	}
	return out
}

type unitJSON struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	Level        string   `json:"level"`
	LevelLabel   string   `json:"level_label"`
	DistrictCode string   `json:"district_code,omitempty"`
	Members      int      `json:"members"`
	Communities  []string `json:"communities"`
	Pairings     int      `json:"pairings"`
}

// unitDetailJSON adds the personal fields, for the personal-data roles.
type unitDetailJSON struct {
	unitJSON
	Secretary string `json:"secretary" privacy:"name"`
	Phone     string `json:"phone" privacy:"phone"`
	Note      string `json:"note,omitempty" privacy:"text"`
}

func unitOut(u *data.ReportingUnit) unitJSON {
	return unitJSON{Code: u.Code, Name: u.Name, Level: u.Level, LevelLabel: people.Label(u.Level), DistrictCode: u.DistrictCode,
		Members: u.Members, Communities: append([]string{}, u.CommunityCodes...), Pairings: len(u.CommunityCodes)}
}

type pairingJSON struct {
	ID            string `json:"id"`
	UnitCode      string `json:"unit_code"`
	Unit          string `json:"unit"`
	CommunityCode string `json:"community_code"`
	Community     string `json:"community"`
	From          string `json:"from"`
	To            string `json:"to,omitempty"`
	Note          string `json:"note,omitempty"`
	Active        bool   `json:"active"`
}

type commitmentJSON struct {
	ID            string         `json:"id"`
	UnitCode      string         `json:"unit_code"`
	Unit          string         `json:"unit"`
	CommunityCode string         `json:"community_code"`
	Community     string         `json:"community"`
	Year          int            `json:"year"`
	Title         string         `json:"title"`
	Status        string         `json:"status"`
	StatusLabel   string         `json:"status_label"`
	Evidence      []evidenceJSON `json:"evidence"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

type evidenceJSON struct {
	At   time.Time `json:"at"`
	By   string    `json:"by" privacy:"name"`
	Text string    `json:"text" privacy:"text"`
}

type evaluationJSON struct {
	ID          string    `json:"id"`
	Year        int       `json:"year"`
	Subject     string    `json:"subject"`
	SubjectID   string    `json:"subject_id"`
	Name        string    `json:"name" privacy:"name"`
	Incidents   int       `json:"incidents"`
	OnTimeShare float64   `json:"on_time_share"`
	ReopenRate  float64   `json:"reopen_rate"`
	Score       float64   `json:"score"`
	Grade       string    `json:"grade"`
	Comment     string    `json:"comment,omitempty" privacy:"text"`
	At          time.Time `json:"at"`
	By          string    `json:"by" privacy:"name"`
}

type contactJSON struct {
	ID            string `json:"id"`
	StaffID       string `json:"staff_id"`
	Name          string `json:"name" privacy:"name"`
	Unit          string `json:"unit"`
	CommunityCode string `json:"community_code"`
	Community     string `json:"community"`
	From          string `json:"from"`
	To            string `json:"to,omitempty"`
	Active        bool   `json:"active"`
}

func communityName(c *data.City, code string) string {
	if cm := c.Community(code); cm != nil {
		return cm.Name
	}
	return ""
}

func unitName(c *data.City, code string) string {
	for i := range c.ReportingUnits {
		if c.ReportingUnits[i].Code == code {
			return c.ReportingUnits[i].Name
		}
	}
	return ""
}

// writeList answers one page of a list (the route's limit and offset)
// with the list's total.
func writeList[T any](w http.ResponseWriter, r *http.Request, key string, all []T) {
	writeJSON(w, http.StatusOK, map[string]any{key: page(r, all), "total": len(all)})
}

// enumParam reads a query value that must be one of allowed ("" allowed).
func enumParam(w http.ResponseWriter, r *http.Request, name string, allowed []string) (string, bool) {
	v := r.URL.Query().Get(name)
	if v != "" && !slices.Contains(allowed, v) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s: %q unknown (want one of %s)", name, v, strings.Join(allowed, ", ")))
		return "", false
	}
	return v, true
}

// ---- summary, report, rules ------------------------------------------

// PeopleSummary is the people figures anyone with a token may see:
// counts only.
type PeopleSummary struct {
	Day             string         `json:"day"`
	Staff           map[string]int `json:"staff_serving"`
	GridsWithHead   int            `json:"grids_with_head"`
	GridsWithWorker int            `json:"grids_with_worker"`
	Grids           int            `json:"grids"`
	Units           map[string]int `json:"units"`
	UnitsPaired     map[string]int `json:"units_paired"`
	Members         int            `json:"in_service_members"`
	Pairings        int            `json:"pairings_active"`
	ContactPoints   int            `json:"contact_points_active"`
	Commitments     map[string]int `json:"commitments_by_status"`
	CommitmentYear  int            `json:"commitment_year"`
	Violations      int            `json:"violations"`
	ViolationsBy    map[string]int `json:"violations_by_rule"`
	Overloaded      int            `json:"people_overloaded"`
}

// Summarise computes the people summary of a city on day d.
func Summarise(c *data.City, d time.Time, r people.Rules) PeopleSummary {
	rep := people.Check(c, d, r)
	sum := PeopleSummary{Day: dayStr(d), Staff: map[string]int{}, Grids: len(c.Grids), Units: map[string]int{}, UnitsPaired: map[string]int{},
		Commitments: map[string]int{}, Violations: len(rep.Violations), ViolationsBy: rep.ByRule, CommitmentYear: d.Year()}
	for _, role := range data.StaffRoles {
		sum.Staff[role] = rep.Counts["staff_serving_"+role]
	}
	for _, g := range c.Grids {
		if g.Head.Name != "" {
			sum.GridsWithHead++
		}
		if len(g.Team) > 0 {
			sum.GridsWithWorker++
		}
	}
	for _, u := range c.ReportingUnits {
		sum.Units[u.Level]++
		sum.Members += u.Members
		if len(u.CommunityCodes) > 0 {
			sum.UnitsPaired[u.Level]++
		}
	}
	sum.Pairings = rep.Counts["pairings_active"]
	sum.ContactPoints = rep.Counts["contact_points_active"]
	for _, x := range c.Commitments {
		if x.Year == d.Year() {
			sum.Commitments[x.Status]++
		}
	}
	for _, f := range rep.Findings {
		if f.Rule == people.RuleOverload {
			sum.Overloaded++
		}
	}
	if v, ok := rep.ByRule[people.RuleCadreLoad]; ok {
		sum.Overloaded += v
	}
	return sum
}

func (s *Server) handlePeopleSummary(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleViewers); !ok {
		return
	}
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, Summarise(s.cityOn(d), d, s.peopleRules()))
}

func (s *Server) handlePeopleReport(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleViewers); !ok {
		return
	}
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	rep := people.Check(s.cityOn(d), d, s.peopleRules())
	rule, ok := enumParam(w, r, "rule", reportRules)
	if !ok {
		return
	}
	if rule != "" {
		rep.Violations = slices.DeleteFunc(rep.Violations, func(v people.Violation) bool { return v.Rule != rule })
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) handlePeopleRules(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleViewers); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.peopleRules(), "roles": data.StaffRoles, "duties": data.Duties,
		"grades": data.Grades, "commitment_statuses": people.CommitStatuses})
}

// handlePeopleRulesSet changes the rules in force: the fields the body
// sets (the others keep their values), kept in the store's meta table
// with the audit entry. The answer reports the records against the new
// rules; records that break them are reported, not refused.
func (s *Server) handlePeopleRulesSet(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large (limit %d bytes)", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '{' {
		writeError(w, http.StatusBadRequest, "body: want a JSON object of rules")
		return
	}
	// Malformed bodies are told apart from rules that cannot hold (422)
	// before the write is built.
	if _, err := people.DefaultRules().With(body); err != nil {
		var pe *people.Error
		if !errors.As(err, &pe) {
			writeError(w, http.StatusBadRequest, "body: "+err.Error())
			return
		}
	}
	s.commitPeople(w, r, p, "people.rules", "rules", func(c *data.City) (people.Change, any, error) {
		cur, _ := people.RulesFromMeta(c.Meta)
		n, err := cur.With(body)
		if err != nil {
			return people.Change{}, nil, err
		}
		ch, err := people.SetRules(cur, n)
		return ch, map[string]any{"rules": n}, err
	})
}

// ---- staff -------------------------------------------------------------

func gridsOf(c *data.City, d time.Time) map[string][]string {
	m := map[string][]string{}
	for i := range c.Assignments {
		if a := &c.Assignments[i]; a.ActiveOn(d) {
			m[a.StaffID] = append(m[a.StaffID], a.GridCode)
		}
	}
	return m
}

func (s *Server) handleStaffList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	q := r.URL.Query()
	role, ok := enumParam(w, r, "role", data.StaffRoles)
	if !ok {
		return
	}
	serving, ok := enumParam(w, r, "serving", []string{"true", "false", "all"})
	if !ok {
		return
	}
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(q.Get("q"))
	if len(text) > 100 {
		writeError(w, http.StatusBadRequest, "q: longer than 100 bytes")
		return
	}
	comm, street, grid := q.Get("community"), q.Get("street"), q.Get("grid")
	c := s.Current().City
	gs := gridsOf(c, d)
	out := []staffJSON{}
	for i := range c.Staff {
		st := &c.Staff[i]
		if role != "" && st.Role != role {
			continue
		}
		if (serving == "" || serving == "true") && !st.Serving(d) || serving == "false" && st.Serving(d) {
			continue
		}
		if grid != "" && !slices.Contains(gs[st.ID], grid) {
			continue
		}
		if comm != "" && st.CommunityCode != comm && !slices.ContainsFunc(gs[st.ID], func(g string) bool { return strings.HasPrefix(g, comm) }) {
			continue
		}
		if street != "" && st.StreetCode != street && !strings.HasPrefix(st.CommunityCode, street) && !slices.ContainsFunc(gs[st.ID], func(g string) bool { return strings.HasPrefix(g, street) }) {
			continue
		}
		if text != "" && !strings.Contains(st.Name, text) && !strings.Contains(st.ID, text) && !strings.Contains(st.Unit, text) && !strings.Contains(st.Phone, text) {
			continue
		}
		out = append(out, staffOut(c, st, d, gs))
	}
	writeList(w, r, "staff", out)
}

func (s *Server) handleStaffGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	c := s.Current().City
	st := c.StaffByID(mux.Vars(r)["id"])
	if st == nil {
		writeError(w, http.StatusNotFound, "no staff "+mux.Vars(r)["id"])
		return
	}
	d := s.today()
	var hist []assignmentJSON
	for i := range c.Assignments {
		if a := &c.Assignments[i]; a.StaffID == st.ID {
			hist = append(hist, assignmentOut(c, a, d))
		}
	}
	var evals []evaluationJSON
	for _, e := range c.Evaluations {
		if e.Subject == data.SubjectPerson && e.SubjectID == st.ID {
			evals = append(evals, evaluationOut(c, &e))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"staff": staffOut(c, st, d, gridsOf(c, d)), "assignments": orEmpty(hist), "evaluations": orEmpty(evals)})
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// staffIn is the body of a staff create or edit.
type staffIn struct {
	ID            *string `json:"id"`
	Name          *string `json:"name"`
	Role          *string `json:"role"`
	Unit          *string `json:"unit"`
	Rank          *string `json:"rank"`
	Phone         *string `json:"phone"`
	Title         *string `json:"title"`
	CommunityCode *string `json:"community_code"`
	StreetCode    *string `json:"street_code"`
	Joined        *string `json:"joined"`
	Note          *string `json:"note"`
}

func (in *staffIn) apply(s *data.Staff) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.ID, in.ID)
	set(&s.Name, in.Name)
	set(&s.Role, in.Role)
	set(&s.Unit, in.Unit)
	set(&s.Rank, in.Rank)
	set(&s.Phone, in.Phone)
	set(&s.Title, in.Title)
	set(&s.CommunityCode, in.CommunityCode)
	set(&s.StreetCode, in.StreetCode)
	set(&s.Note, in.Note)
	if in.Joined != nil {
		d, err := tabular.ParseDate(*in.Joined)
		if err != nil {
			return &people.Error{Kind: people.Invalid, Field: "joined", Reason: err.Error()}
		}
		s.Joined = d
	}
	return nil
}

func (s *Server) handleStaffCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in staffIn
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "people.staff.create", "staff", func(c *data.City) (people.Change, any, error) {
		st := data.Staff{Joined: s.today()}
		if err := in.apply(&st); err != nil {
			return people.Change{}, nil, err
		}
		st, ch, err := people.CreateStaff(c, st)
		return ch, staffOut(c, &st, s.today(), nil), err
	})
}

func (s *Server) handleStaffUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in staffIn
	if !decodeJSON(w, r, &in) {
		return
	}
	id := mux.Vars(r)["id"]
	if in.ID != nil && *in.ID != id {
		writeError(w, http.StatusUnprocessableEntity, "id: the id of a record does not change")
		return
	}
	s.commitPeople(w, r, p, "people.staff.update", "staff/"+id, func(c *data.City) (people.Change, any, error) {
		old := c.StaffByID(id)
		if old == nil {
			return people.Change{}, nil, &people.Error{Kind: people.NotFound, Field: "id", Reason: "no staff " + id}
		}
		st := *old
		if err := in.apply(&st); err != nil {
			return people.Change{}, nil, err
		}
		st, ch, err := people.UpdateStaff(c, st)
		return ch, staffOut(c, &st, s.today(), gridsOf(c, s.today())), err
	})
}

type dayIn struct {
	Day  string `json:"day"`
	Note string `json:"note"`
}

func (in *dayIn) day(def time.Time) (time.Time, error) {
	if in.Day == "" {
		return def, nil
	}
	d, err := tabular.ParseDate(in.Day)
	if err != nil {
		return d, &people.Error{Kind: people.Invalid, Field: "day", Reason: err.Error()}
	}
	return d, nil
}

// endOn answers the routes that end a record on a day (body {"day"},
// default today): an assignment, a pairing, a contact point, a person's
// service. end makes the change for the record with the path's id.
func (s *Server) endOn(action, kind string, end func(c *data.City, id string, d time.Time) (people.Change, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := require(w, r, peopleEditors)
		if !ok {
			return
		}
		var in dayIn
		if !decodeJSON(w, r, &in) {
			return
		}
		id := mux.Vars(r)["id"]
		s.commitPeople(w, r, p, action, kind+"/"+id, func(c *data.City) (people.Change, any, error) {
			d, err := in.day(s.today())
			if err != nil {
				return people.Change{}, nil, err
			}
			return end(c, id, d)
		})
	}
}

func (s *Server) endAssignment(c *data.City, id string, d time.Time) (people.Change, any, error) {
	a, ch, err := people.EndAssignment(c, id, d)
	return ch, assignmentOut(c, &a, s.today()), err
}

func (s *Server) endPairing(c *data.City, id string, d time.Time) (people.Change, any, error) {
	x, ch, err := people.EndPairing(c, id, d)
	return ch, pairingOut(c, &x, s.today()), err
}

func (s *Server) endContact(c *data.City, id string, d time.Time) (people.Change, any, error) {
	x, ch, err := people.EndContactPoint(c, id, d)
	return ch, contactOut(c, &x, s.today()), err
}

func (s *Server) retire(c *data.City, id string, d time.Time) (people.Change, any, error) {
	ch, err := people.RetireStaff(c, id, d)
	return ch, map[string]any{"retired": dayStr(d), "assignments_ended": len(ch.Assignments)}, err
}

// ---- assignments -------------------------------------------------------

func (s *Server) handleAssignmentList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	q := r.URL.Query()
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	duty, ok := enumParam(w, r, "duty", data.Duties)
	if !ok {
		return
	}
	state, ok := enumParam(w, r, "state", []string{"active", "ended", "all"})
	if !ok {
		return
	}
	grid, staff := q.Get("grid"), q.Get("staff")
	c := s.Current().City
	out := []assignmentJSON{}
	for i := range c.Assignments {
		a := &c.Assignments[i]
		if grid != "" && a.GridCode != grid || staff != "" && a.StaffID != staff || duty != "" && a.Duty != duty {
			continue
		}
		x := assignmentOut(c, a, d)
		if (state == "active" || state == "" && grid == "" && staff == "") && !x.Active || state == "ended" && x.Active {
			continue
		}
		out = append(out, x)
	}
	slices.SortStableFunc(out, func(a, b assignmentJSON) int { return strings.Compare(b.From, a.From) })
	writeList(w, r, "assignments", out)
}

type assignIn struct {
	ID       string `json:"id"`
	StaffID  string `json:"staff_id"`
	GridCode string `json:"grid_code"`
	Duty     string `json:"duty"`
	From     string `json:"from"`
	To       string `json:"to"`
	Note     string `json:"note"`
	Replaces string `json:"replaces"`
}

// parseDays reads a span's first and last days; an empty first day is
// def (the server's today).
func parseDays(from, to string, def time.Time) (time.Time, time.Time, error) {
	if from == "" {
		from = def.Format(time.DateOnly)
	}
	f, err := tabular.ParseDate(from)
	if err != nil {
		return f, f, &people.Error{Kind: people.Invalid, Field: "from", Reason: err.Error()}
	}
	t, err := tabular.ParseDate(to)
	if err != nil {
		return f, t, &people.Error{Kind: people.Invalid, Field: "to", Reason: err.Error()}
	}
	return f, t, nil
}

func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in assignIn
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "people.assign", "grid/"+in.GridCode, func(c *data.City) (people.Change, any, error) {
		from, to, err := parseDays(in.From, in.To, s.today())
		if err != nil {
			return people.Change{}, nil, err
		}
		a, ch, err := people.Assign(c, data.Assignment{ID: in.ID, StaffID: in.StaffID, GridCode: in.GridCode, Duty: in.Duty, From: from, To: to, Note: in.Note}, s.peopleRules(), in.Replaces)
		return ch, assignmentOut(c, &a, s.today()), err
	})
}

// handleGridPeople answers who served a grid on a day, with its history.
func (s *Server) handleGridPeople(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	code := mux.Vars(r)["code"]
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	c := s.Current().City
	hist := people.History(c, code)
	if c.Grid(code) == nil && len(hist) == 0 {
		writeError(w, http.StatusNotFound, "no grid "+code)
		return
	}
	served := []assignmentJSON{}
	for _, a := range people.ServedOn(c, code, d) {
		served = append(served, assignmentOut(c, &a, d))
	}
	all := []assignmentJSON{}
	for _, a := range hist {
		all = append(all, assignmentOut(c, &a, d))
	}
	name := ""
	if g := c.Grid(code); g != nil {
		name = g.Name
	}
	writeJSON(w, http.StatusOK, map[string]any{"grid": code, "name": name, "day": dayStr(d), "served": served, "history": all})
}

// ---- units and pairings ------------------------------------------------

func (s *Server) handleUnitList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleViewers); !ok {
		return
	}
	level, ok := enumParam(w, r, "level", []string{data.UnitMunicipal, data.UnitDistrict})
	if !ok {
		return
	}
	q := r.URL.Query()
	comm, district, text := q.Get("community"), q.Get("district"), strings.TrimSpace(q.Get("q"))
	paired, ok := enumParam(w, r, "paired", []string{"true", "false"})
	if !ok {
		return
	}
	c := s.Current().City
	out := []unitJSON{}
	for i := range c.ReportingUnits {
		u := &c.ReportingUnits[i]
		if level != "" && u.Level != level || district != "" && u.DistrictCode != district ||
			comm != "" && !slices.Contains(u.CommunityCodes, comm) || text != "" && !strings.Contains(u.Name+u.Code, text) ||
			paired == "true" && len(u.CommunityCodes) == 0 || paired == "false" && len(u.CommunityCodes) > 0 {
			continue
		}
		out = append(out, unitOut(u))
	}
	writeList(w, r, "units", out)
}

func (s *Server) handleUnitGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	c := s.Current().City
	code := mux.Vars(r)["code"]
	for i := range c.ReportingUnits {
		if u := &c.ReportingUnits[i]; u.Code == code {
			var prs []pairingJSON
			for _, p := range c.Pairings {
				if p.UnitCode == code {
					prs = append(prs, pairingOut(c, &p, s.today()))
				}
			}
			var cs []commitmentJSON
			for _, x := range c.Commitments {
				if x.UnitCode == code {
					cs = append(cs, commitmentOut(c, &x))
				}
			}
			writeJSON(w, http.StatusOK, map[string]any{"unit": unitDetailJSON{unitOut(u), u.Secretary, u.Phone, u.Note},
				"pairings": orEmpty(prs), "commitments": orEmpty(cs)})
			return
		}
	}
	writeError(w, http.StatusNotFound, "no unit "+code)
}

type unitIn struct {
	Code         *string `json:"code"`
	Name         *string `json:"name"`
	Level        *string `json:"level"`
	DistrictCode *string `json:"district_code"`
	Members      *int    `json:"members"`
	Secretary    *string `json:"secretary"`
	Phone        *string `json:"phone"`
	Note         *string `json:"note"`
}

func (in *unitIn) apply(u *data.ReportingUnit) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Code, in.Code)
	set(&u.Name, in.Name)
	set(&u.Level, in.Level)
	set(&u.DistrictCode, in.DistrictCode)
	set(&u.Secretary, in.Secretary)
	set(&u.Phone, in.Phone)
	set(&u.Note, in.Note)
	if in.Members != nil {
		u.Members = *in.Members
	}
}

func (s *Server) handleUnitCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in unitIn
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "people.unit.create", "units", func(c *data.City) (people.Change, any, error) {
		var u data.ReportingUnit
		in.apply(&u)
		u, ch, err := people.CreateUnit(c, u)
		return ch, unitOut(&u), err
	})
}

func (s *Server) handleUnitUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in unitIn
	if !decodeJSON(w, r, &in) {
		return
	}
	code := mux.Vars(r)["code"]
	if in.Code != nil && *in.Code != code {
		writeError(w, http.StatusUnprocessableEntity, "code: the code of a unit does not change")
		return
	}
	s.commitPeople(w, r, p, "people.unit.update", "unit/"+code, func(c *data.City) (people.Change, any, error) {
		var u data.ReportingUnit
		for i := range c.ReportingUnits {
			if c.ReportingUnits[i].Code == code {
				u = c.ReportingUnits[i]
			}
		}
		if u.Code == "" {
			return people.Change{}, nil, &people.Error{Kind: people.NotFound, Field: "code", Reason: "no unit " + code}
		}
		in.apply(&u)
		u, ch, err := people.UpdateUnit(c, u)
		return ch, unitOut(&u), err
	})
}

func pairingOut(c *data.City, p *data.Pairing, d time.Time) pairingJSON {
	return pairingJSON{ID: p.ID, UnitCode: p.UnitCode, Unit: unitName(c, p.UnitCode), CommunityCode: p.CommunityCode,
		Community: communityName(c, p.CommunityCode), From: dayStr(p.From), To: dayStr(p.To), Note: p.Note, Active: p.ActiveOn(d)}
}

func (s *Server) handlePairingList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleViewers); !ok {
		return
	}
	q := r.URL.Query()
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	state, ok := enumParam(w, r, "state", []string{"active", "ended", "all"})
	if !ok {
		return
	}
	unit, comm := q.Get("unit"), q.Get("community")
	c := s.Current().City
	out := []pairingJSON{}
	for i := range c.Pairings {
		p := &c.Pairings[i]
		if unit != "" && p.UnitCode != unit || comm != "" && p.CommunityCode != comm {
			continue
		}
		x := pairingOut(c, p, d)
		if (state == "" || state == "active") && !x.Active || state == "ended" && x.Active {
			continue
		}
		out = append(out, x)
	}
	writeList(w, r, "pairings", out)
}

type pairIn struct {
	ID            string `json:"id"`
	UnitCode      string `json:"unit_code"`
	CommunityCode string `json:"community_code"`
	From          string `json:"from"`
	To            string `json:"to"`
	Note          string `json:"note"`
}

func (s *Server) handlePair(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in pairIn
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "people.pair", "community/"+in.CommunityCode, func(c *data.City) (people.Change, any, error) {
		from, to, err := parseDays(in.From, in.To, s.today())
		if err != nil {
			return people.Change{}, nil, err
		}
		x, ch, err := people.Pair(c, data.Pairing{ID: in.ID, UnitCode: in.UnitCode, CommunityCode: in.CommunityCode, From: from, To: to, Note: in.Note}, s.peopleRules())
		return ch, pairingOut(c, &x, s.today()), err
	})
}

func (s *Server) handlePairingProposal(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleViewers); !ok {
		return
	}
	p := people.ProposePairings(s.Current().City, s.today(), s.peopleRules())
	writeJSON(w, http.StatusOK, map[string]any{"proposal": p, "summary": p.Summary()})
}

// handlePairingApply applies the proposal, computed again on the records
// in force; the body names the moves the caller reviewed (moves: the
// count, or the list), and a proposal that changed since is refused (409)
// for review.
func (s *Server) handlePairingApply(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, pairingAppliers)
	if !ok {
		return
	}
	var in struct {
		Moves []people.PairingMove `json:"moves"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "units.rebalance", "pairings", func(c *data.City) (people.Change, any, error) {
		prop := people.ProposePairings(c, s.today(), s.peopleRules())
		if len(in.Moves) != len(prop.Moves) || !sameMoves(in.Moves, prop.Moves) {
			return people.Change{}, nil, &people.Error{Kind: people.Conflict, Field: "moves",
				Reason: fmt.Sprintf("the proposal is now %d move(s), not the %d reviewed: review it again", len(prop.Moves), len(in.Moves))}
		}
		return prop.Change(c), map[string]any{"moves": len(prop.Moves), "lower_bound": prop.LowerBound}, nil
	})
}

func sameMoves(a, b []people.PairingMove) bool {
	for i := range a {
		if a[i].UnitCode != b[i].UnitCode || a[i].From != b[i].From || a[i].To != b[i].To {
			return false
		}
	}
	return true
}

// ---- commitments, evaluations, contact points ----------------------------

func commitmentOut(c *data.City, x *data.Commitment) commitmentJSON {
	out := commitmentJSON{ID: x.ID, UnitCode: x.UnitCode, Unit: unitName(c, x.UnitCode), CommunityCode: x.CommunityCode,
		Community: communityName(c, x.CommunityCode), Year: x.Year, Title: x.Title, Status: x.Status,
		StatusLabel: people.CommitLabel(x.Status), Evidence: []evidenceJSON{}, UpdatedAt: x.UpdatedAt}
	for _, e := range x.Evidence {
		out.Evidence = append(out.Evidence, evidenceJSON{e.At, e.By, e.Text})
	}
	return out
}

func yearParam(w http.ResponseWriter, r *http.Request, def int) (int, bool) {
	y, err := intParam(r.URL.Query().Get("year"), def, 2000, 2100)
	if err != nil {
		writeError(w, http.StatusBadRequest, "year: "+err.Error())
		return 0, false
	}
	return y, true
}

func (s *Server) handleCommitmentList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	year, ok := yearParam(w, r, 0)
	if !ok {
		return
	}
	status, ok := enumParam(w, r, "status", people.CommitStatuses)
	if !ok {
		return
	}
	q := r.URL.Query()
	unit, comm := q.Get("unit"), q.Get("community")
	c := s.Current().City
	out := []commitmentJSON{}
	for i := range c.Commitments {
		x := &c.Commitments[i]
		if year != 0 && x.Year != year || status != "" && x.Status != status || unit != "" && x.UnitCode != unit || comm != "" && x.CommunityCode != comm {
			continue
		}
		out = append(out, commitmentOut(c, x))
	}
	writeList(w, r, "commitments", out)
}

func (s *Server) handlePledge(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in struct {
		UnitCode      string `json:"unit_code"`
		CommunityCode string `json:"community_code"`
		Year          int    `json:"year"`
		Title         string `json:"title"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "people.pledge", "unit/"+in.UnitCode, func(c *data.City) (people.Change, any, error) {
		x, ch, err := people.Pledge(c, data.Commitment{UnitCode: in.UnitCode, CommunityCode: in.CommunityCode, Year: in.Year, Title: in.Title}, s.ops.now())
		return ch, commitmentOut(c, &x), err
	})
}

func (s *Server) handleCommitmentUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in struct {
		Status   string `json:"status"`
		Evidence string `json:"evidence"`
		Title    string `json:"title"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	id := mux.Vars(r)["id"]
	s.commitPeople(w, r, p, "people.commitment", "commitment/"+id, func(c *data.City) (people.Change, any, error) {
		x, ch, err := people.UpdateCommitment(c, id, people.CommitmentUpdate{Status: in.Status, Evidence: in.Evidence, Title: in.Title, By: p.Name}, s.ops.now())
		return ch, commitmentOut(c, &x), err
	})
}

func evaluationOut(c *data.City, e *data.Evaluation) evaluationJSON {
	out := evaluationJSON{ID: e.ID, Year: e.Year, Subject: e.Subject, SubjectID: e.SubjectID, Incidents: e.Incidents,
		OnTimeShare: e.OnTimeShare, ReopenRate: e.ReopenRate, Score: e.Score, Grade: e.Grade, Comment: e.Comment, At: e.At, By: e.By}
	if e.Subject == data.SubjectStreet {
		if st := c.Street(e.SubjectID); st != nil {
			out.Name = st.Name
		}
	} else if st := c.StaffByID(e.SubjectID); st != nil {
		out.Name = st.Name
	}
	return out
}

func (s *Server) handleEvaluationList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	year, ok := yearParam(w, r, 0)
	if !ok {
		return
	}
	subject, ok := enumParam(w, r, "subject", []string{data.SubjectPerson, data.SubjectStreet})
	if !ok {
		return
	}
	grade, ok := enumParam(w, r, "grade", data.Grades)
	if !ok {
		return
	}
	c := s.Current().City
	out := []evaluationJSON{}
	for i := range c.Evaluations {
		e := &c.Evaluations[i]
		if year != 0 && e.Year != year || subject != "" && e.Subject != subject || grade != "" && e.Grade != grade {
			continue
		}
		out = append(out, evaluationOut(c, e))
	}
	writeList(w, r, "evaluations", out)
}

// facts reads the incident facts of the snapshot: the city's incidents
// with the dispatch flow's deadlines and reopenings.
func (s *Server) facts(ctx context.Context) ([]people.IncidentFact, error) {
	c := s.Current().City
	var trails map[string]people.IncidentTrail
	if inc := s.ops.inc; inc != nil {
		var err error
		if trails, err = store.IncidentTrails(ctx, inc); err != nil {
			return nil, err
		}
	}
	return people.Facts(c, trails, s.ops.rules.Load()), nil
}

func (s *Server) handleEvaluate(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in struct {
		Year      int      `json:"year"`
		Subject   string   `json:"subject"`
		SubjectID string   `json:"subject_id"`
		Score     *float64 `json:"score"`
		Grade     string   `json:"grade"`
		Comment   string   `json:"comment"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	facts, err := s.facts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.commitPeople(w, r, p, "people.evaluate", in.Subject+"/"+in.SubjectID, func(c *data.City) (people.Change, any, error) {
		e := data.Evaluation{Year: in.Year, Subject: in.Subject, SubjectID: in.SubjectID, Grade: in.Grade, Comment: in.Comment, By: p.Name}
		if in.Score != nil {
			if *in.Score <= 0 || *in.Score > 100 {
				return people.Change{}, nil, &people.Error{Kind: people.Invalid, Field: "score", Reason: fmt.Sprintf("%v is out of range (0, 100]", *in.Score)}
			}
			e.Score = *in.Score
		}
		e, ch, err := people.Evaluate(c, e, facts, s.ops.now())
		return ch, evaluationOut(c, &e), err
	})
}

func (s *Server) handleEvaluateYear(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in struct {
		Year int `json:"year"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Year < 2000 || in.Year > 2100 {
		writeError(w, http.StatusUnprocessableEntity, "year: want 2000..2100")
		return
	}
	facts, err := s.facts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.commitPeople(w, r, p, "people.evaluate.year", fmt.Sprintf("year/%d", in.Year), func(c *data.City) (people.Change, any, error) {
		ch, n, capped, err := people.EvaluateYear(c, facts, in.Year, p.Name, s.ops.now())
		return ch, map[string]any{"evaluated": n, "capped": capped}, err
	})
}

func contactOut(c *data.City, p *data.ContactPoint, d time.Time) contactJSON {
	out := contactJSON{ID: p.ID, StaffID: p.StaffID, CommunityCode: p.CommunityCode, Community: communityName(c, p.CommunityCode),
		From: dayStr(p.From), To: dayStr(p.To), Active: p.ActiveOn(d)}
	if st := c.StaffByID(p.StaffID); st != nil {
		out.Name, out.Unit = st.Name, st.Unit
	}
	return out
}

func (s *Server) handleContactList(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	c := s.Current().City
	comm := r.URL.Query().Get("community")
	out := []contactJSON{}
	for i := range c.ContactPoints {
		p := &c.ContactPoints[i]
		if comm != "" && p.CommunityCode != comm {
			continue
		}
		out = append(out, contactOut(c, p, d))
	}
	writeList(w, r, "contact_points", out)
}

func (s *Server) handleContactSet(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	var in struct {
		StaffID       string `json:"staff_id"`
		CommunityCode string `json:"community_code"`
		From          string `json:"from"`
		Note          string `json:"note"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	s.commitPeople(w, r, p, "people.contact_point", "community/"+in.CommunityCode, func(c *data.City) (people.Change, any, error) {
		from, _, err := parseDays(in.From, "", s.today())
		if err != nil {
			return people.Change{}, nil, err
		}
		x, ch, err := people.SetContactPoint(c, data.ContactPoint{StaffID: in.StaffID, CommunityCode: in.CommunityCode, From: from, Note: in.Note})
		return ch, contactOut(c, &x, s.today()), err
	})
}

// ---- workload ---------------------------------------------------------

// handleWorkload answers the workload table, by grid (anyone with a
// token: no names) or by person (the personal-data roles), sorted by a
// column, as JSON, CSV or .xlsx.
func (s *Server) handleWorkload(w http.ResponseWriter, r *http.Request) {
	by, ok := enumParam(w, r, "by", []string{"grid", "person"})
	if !ok {
		return
	}
	roles := peopleViewers
	if by == "person" {
		roles = peopleReaders
	}
	if _, ok := require(w, r, roles); !ok {
		return
	}
	sortBy, ok := enumParam(w, r, "sort", []string{"households", "population", "open", "overdue", "resolved", "on_time", "grids", "code"})
	if !ok {
		return
	}
	order, ok := enumParam(w, r, "order", []string{"asc", "desc"})
	if !ok {
		return
	}
	format, ok := enumParam(w, r, "format", []string{"json", "csv", "xlsx"})
	if !ok {
		return
	}
	only, ok := enumParam(w, r, "only", []string{"gaps", "overloaded"})
	if !ok {
		return
	}
	d, ok := s.dayParam(w, r)
	if !ok {
		return
	}
	facts, err := s.facts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	grids, ps := people.Workload(s.cityOn(d), facts, d, s.ops.now(), s.peopleRules())
	key := func(f people.Figures, hh, pop, n int, code string) float64 {
		switch sortBy {
		case "population":
			return float64(pop)
		case "open":
			return float64(f.Open)
		case "overdue":
			return float64(f.Overdue)
		case "resolved":
			return float64(f.Resolved)
		case "on_time":
			return f.OnTimeShare
		case "grids":
			return float64(n)
		}
		return float64(hh)
	}
	desc := order != "asc"
	cmp := func(a, b float64, ca, cb string) int {
		if sortBy == "code" {
			return strings.Compare(ca, cb)
		}
		if a == b {
			return strings.Compare(ca, cb)
		}
		if (a < b) == desc {
			return 1
		}
		return -1
	}
	if by == "person" {
		if only == "overloaded" {
			ps = slices.DeleteFunc(ps, func(p people.PersonLoad) bool { return p.Overloaded == "" })
		}
		slices.SortStableFunc(ps, func(a, b people.PersonLoad) int {
			return cmp(key(a.Figures, a.Households, a.Population, len(a.Grids), a.StaffID), key(b.Figures, b.Households, b.Population, len(b.Grids), b.StaffID), a.StaffID, b.StaffID)
		})
		if format == "csv" || format == "xlsx" {
			writeTable(w, tabular.Format(format), "workload-people", func(buf io.Writer, f tabular.Format) error { return people.PersonLoadSchema.Write(buf, f, ps) })
			return
		}
		writeList(w, r, "people", ps)
		return
	}
	if only == "gaps" {
		grids = slices.DeleteFunc(grids, func(g people.GridLoad) bool { return g.Gap == "" })
	}
	slices.SortStableFunc(grids, func(a, b people.GridLoad) int {
		return cmp(key(a.Figures, a.Households, a.Population, a.Heads+a.Workers+a.Cadres, a.Code), key(b.Figures, b.Households, b.Population, b.Heads+b.Workers+b.Cadres, b.Code), a.Code, b.Code)
	})
	if format == "csv" || format == "xlsx" {
		writeTable(w, tabular.Format(format), "workload-grids", func(buf io.Writer, f tabular.Format) error { return people.GridLoadSchema.Write(buf, f, grids) })
		return
	}
	writeList(w, r, "grids", grids)
}

// writeTable answers a file of a list, built in memory first so that a
// failure is still a JSON error.
func writeTable(w http.ResponseWriter, f tabular.Format, name string, write func(io.Writer, tabular.Format) error) {
	var buf bytes.Buffer
	if err := write(&buf, f); err != nil {
		writeError(w, http.StatusInternalServerError, "export: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, f))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// ---- lists: export and import ------------------------------------------

func (s *Server) handleLists(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": people.Lists})
}

func (s *Server) handleListExport(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, peopleReaders); !ok {
		return
	}
	l, ok := people.ListByName(mux.Vars(r)["list"])
	if !ok {
		writeError(w, http.StatusNotFound, "no list "+mux.Vars(r)["list"])
		return
	}
	format, ok := enumParam(w, r, "format", []string{"csv", "xlsx"})
	if !ok {
		return
	}
	if format == "" {
		format = "csv"
	}
	c := s.Current().City
	writeTable(w, tabular.Format(format), l.Name, func(buf io.Writer, f tabular.Format) error { return l.Export(c, buf, f, true) })
}

// handleListImport reads a whole CSV or .xlsx file of a list (the body,
// its type from Content-Type or the first bytes): every row through the
// checked edits; any problem refuses the file whole (422 with each
// problem's row, column and reason) and nothing is written.
func (s *Server) handleListImport(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, peopleEditors)
	if !ok {
		return
	}
	l, ok := people.ListByName(mux.Vars(r)["list"])
	if !ok {
		writeError(w, http.StatusNotFound, "no list "+mux.Vars(r)["list"])
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large (limit %d bytes)", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if len(body) == 0 {
		writeError(w, http.StatusBadRequest, "body: send the CSV or .xlsx file")
		return
	}
	f := tabular.Detect(body)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if g, err := tabular.ParseFormat(ct); err == nil {
			f = g
		} else if !strings.HasPrefix(ct, "application/octet-stream") {
			writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send text/csv or %s", ct, tabular.XLSX.ContentType()))
			return
		}
	}
	var facts []people.IncidentFact
	if l.Name == data.LayerEvaluations {
		if facts, err = s.facts(r.Context()); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	s.commitPeople(w, r, p, "people.import", "list/"+l.Name, func(c *data.City) (people.Change, any, error) {
		ch, err := l.Import(c, bytes.NewReader(body), f, people.Importer{Rules: s.peopleRules(), Now: s.ops.now(), By: p.Name, Facts: facts})
		return ch, map[string]any{"list": l.Name, "format": f}, err
	})
}

// ---- the public disclosure --------------------------------------------

// handleDisclosure is the public annual disclosure (年度公示) of the
// units' commitments and their completion: no personal data, no token
// needed.
func (s *Server) handleDisclosure(w http.ResponseWriter, r *http.Request) {
	c := s.Current().City
	years := people.Years(c)
	def := s.today().Year()
	if len(years) > 0 && !slices.Contains(years, def) {
		def = years[0]
	}
	year, ok := yearParam(w, r, def)
	if !ok {
		return
	}
	format, ok := enumParam(w, r, "format", []string{"json", "csv", "xlsx"})
	if !ok {
		return
	}
	rows, totals := people.Disclosure(c, year)
	if format == "csv" || format == "xlsx" {
		writeTable(w, tabular.Format(format), fmt.Sprintf("disclosure-%d", year), func(buf io.Writer, f tabular.Format) error {
			return people.DisclosureSchema.Write(buf, f, rows)
		})
		return
	}
	done, total := 0, 0
	for _, t := range totals {
		done += t.Done
		total += t.Total
	}
	writeJSON(w, http.StatusOK, map[string]any{"year": year, "years": years, "units": orEmpty(totals), "commitments": orEmpty(rows),
		"total": total, "done": done, "done_pct": pct(done, total)})
}
