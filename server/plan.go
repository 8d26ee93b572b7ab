package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/geo/coverage"
	"github.com/gridmap/gridmap/geo/plan"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The planner's endpoints: measures of the layout in force or of a stored
// version, named drafts with edits and proposals, their diff and
// follow-through, and apply (one store transaction, then an atomic
// snapshot swap through Reload). Drafts live in memory and in the store;
// after a restart they are rebuilt by replaying their edits.

// PlanStore is what the planner needs of the store.
type PlanStore interface {
	SavePlan(ctx context.Context, p store.PlanRecord) error
	Plan(ctx context.Context, id string) (store.PlanRecord, error)
	Plans(ctx context.Context) ([]store.PlanRecord, error)
	RetiredCodes(ctx context.Context) ([]string, error)
	LayoutVersionNow(ctx context.Context) (int64, error)
	LayoutVersions(ctx context.Context) ([]store.LayoutVersion, error)
	LayoutVersion(ctx context.Context, version int64) (store.LayoutVersion, error)
	ApplyPlan(ctx context.Context, a store.PlanApply) (int64, error)
}

var planRoles = []string{RolePlanner, RoleAdmin}

// planAuthorize is the planner role check of the write endpoints.
func planAuthorize(w http.ResponseWriter, r *http.Request) (string, bool) {
	p, ok := require(w, r, planRoles)
	if !ok {
		return "", false
	}
	return p.Actor(), true
}

// planModel is the block model of one snapshot, built on first use.
type planModel struct {
	once sync.Once
	m    *plan.Model
	err  error
}

func (pm *planModel) get(c *data.City) (*plan.Model, error) {
	pm.once.Do(func() { pm.m, pm.err = plan.NewModel(c) })
	return pm.m, pm.err
}

// draft is a plan being worked on.
type draft struct {
	mu   sync.Mutex
	rec  store.PlanRecord
	p    *plan.Plan
	snap *Snapshot // the snapshot p was built on
}

// planState is the server-wide state of the planner.
type planState struct {
	mu     sync.Mutex
	drafts map[string]*draft
	apply  sync.Mutex // one apply at a time
}

var planStates sync.Map // *Server → *planState

func (s *Server) planner() *planState {
	v, _ := planStates.LoadOrStore(s, &planState{drafts: map[string]*draft{}})
	return v.(*planState)
}

func (s *Server) planStore() PlanStore {
	ps, _ := s.cfg.Store.(PlanStore)
	return ps
}

func init() {
	register(extension{
		name:  "plan",
		build: func(sn *Snapshot) (any, error) { return &planModel{}, nil },
		routes: func(s *Server, _, api *mux.Router) {
			api.HandleFunc("/plan/measures", s.handlePlanMeasures).Methods(http.MethodGet)
			api.HandleFunc("/plan/versions", s.handlePlanVersions).Methods(http.MethodGet)
			api.HandleFunc("/plan/grids", s.handlePlanGrids).Methods(http.MethodGet)
			api.HandleFunc("/plan/diff", s.handleVersionDiff).Methods(http.MethodGet)
			api.HandleFunc("/plans", s.handlePlansList).Methods(http.MethodGet)
			api.HandleFunc("/plans", s.handlePlanCreate).Methods(http.MethodPost)
			api.HandleFunc("/plans/{id}", s.handlePlanGet).Methods(http.MethodGet)
			api.HandleFunc("/plans/{id}/edits", s.handlePlanEdits).Methods(http.MethodPost)
			api.HandleFunc("/plans/{id}/propose", s.handlePlanPropose).Methods(http.MethodPost)
			api.HandleFunc("/plans/{id}/diff", s.handlePlanDiff).Methods(http.MethodGet)
			api.HandleFunc("/plans/{id}/apply", s.handlePlanApply).Methods(http.MethodPost)
		},
	})
}

func snapModel(sn *Snapshot) (*plan.Model, error) {
	pm, _ := sn.Ext("plan").(*planModel)
	if pm == nil {
		return plan.NewModel(sn.City)
	}
	return pm.get(sn.City)
}

// targetsFrom reads tolerance= from a query.
func targetsFrom(q map[string][]string) (plan.Targets, error) {
	var t plan.Targets
	if v := first(q["tolerance"]); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f < 1) {
			return t, fmt.Errorf("tolerance: %q is not a number in (0, 1)", v)
		}
		t.Tolerance = f
	}
	return t, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// versionCity returns the city as of a stored layout version.
func (s *Server) versionCity(ctx context.Context, sn *Snapshot, raw string) (*data.City, int, error) {
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < 0 {
		return nil, http.StatusBadRequest, fmt.Errorf("version: %q is not a version number", raw)
	}
	ps := s.planStore()
	if ps == nil {
		return nil, http.StatusServiceUnavailable, errors.New("no plan store: layout versions unavailable")
	}
	lv, err := ps.LayoutVersion(ctx, v)
	if errors.Is(err, store.ErrNoVersion) {
		return nil, http.StatusNotFound, fmt.Errorf("no layout version %d", v)
	}
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	var ver plan.Version
	if err := json.Unmarshal(lv.Snapshot, &ver); err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("version %d: %w", v, err)
	}
	c, err := ver.On(sn.City)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	return c, 0, nil
}

func (s *Server) handlePlanMeasures(w http.ResponseWriter, r *http.Request) {
	sn := s.Current()
	q := r.URL.Query()
	level := q.Get("level")
	if level == "" {
		level = "city"
	}
	if level != "grid" && level != "community" && level != "city" {
		writeError(w, http.StatusBadRequest, "level: want grid, community or city")
		return
	}
	t, err := targetsFrom(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	at := time.Now()
	if v := q.Get("at"); v != "" {
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			writeError(w, http.StatusBadRequest, "at: want an RFC 3339 time")
			return
		}
	}
	var rep *plan.Report
	if v := q.Get("version"); v != "" {
		c, code, err := s.versionCity(r.Context(), sn, v)
		if err != nil {
			writeError(w, code, err.Error())
			return
		}
		if rep, err = plan.Measure(c, t, at); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
	} else {
		m, err := snapModel(sn)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		rep = plan.NewPlan(m, nil).Measures(t, at)
	}
	comm, street := q.Get("community"), q.Get("street")
	keepComm := func(code, st string) bool {
		return (comm == "" || code == comm) && (street == "" || st == street)
	}
	streetOf := map[string]string{}
	for _, c := range sn.City.Communities {
		streetOf[c.Code] = c.StreetCode
	}
	out := map[string]any{"level": level, "summary": rep.Summary, "layout_version": s.layoutVersion(r.Context())}
	switch level {
	case "grid":
		// Station reach from the coverage engine, for the layout in force.
		reach := map[string]coverage.Figures{}
		if cs, ok := sn.Ext("coverage").(*coverageState); ok && q.Get("version") == "" {
			for _, f := range cs.figures().built.Grids {
				reach[f.Code] = f
			}
		}
		gs := []plan.GridMeasure{}
		for _, g := range rep.Grids {
			if keepComm(g.Community, streetOf[g.Community]) {
				if f, ok := reach[g.Code]; ok {
					share, covered := f.HouseholdShare, f.GridsCovered == 1
					g.StationReach, g.StationCovered = &share, &covered
				}
				gs = append(gs, g)
			}
		}
		out["grids"] = gs
	case "community":
		cs := []plan.CommunityMeasure{}
		for _, c := range rep.Communities {
			if keepComm(c.Code, c.Street) {
				cs = append(cs, c)
			}
		}
		out["communities"] = cs
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) layoutVersion(ctx context.Context) int64 {
	if ps := s.planStore(); ps != nil {
		if v, err := ps.LayoutVersionNow(ctx); err == nil {
			return v
		}
	}
	return 0
}

func (s *Server) handlePlanVersions(w http.ResponseWriter, r *http.Request) {
	ps := s.planStore()
	if ps == nil {
		writeError(w, http.StatusServiceUnavailable, "no plan store")
		return
	}
	vs, err := ps.LayoutVersions(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	type ver struct {
		Version int64           `json:"version"`
		At      time.Time       `json:"at"`
		Actor   string          `json:"actor"`
		PlanID  string          `json:"plan_id,omitempty"`
		Summary json.RawMessage `json:"summary,omitempty"`
	}
	out := []ver{}
	for _, v := range vs {
		x := ver{Version: v.Version, At: v.At, Actor: v.Actor, PlanID: v.PlanID}
		if json.Valid([]byte(v.Summary)) {
			x.Summary = json.RawMessage(v.Summary)
		}
		out = append(out, x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out, "current": s.layoutVersion(r.Context())})
}

// handlePlanGrids serves the grids of a stored layout version (or of the
// layout in force) as GeoJSON.
func (s *Server) handlePlanGrids(w http.ResponseWriter, r *http.Request) {
	sn := s.Current()
	c := sn.City
	if v := r.URL.Query().Get("version"); v != "" {
		var code int
		var err error
		if c, code, err = s.versionCity(r.Context(), sn, v); err != nil {
			writeError(w, code, err.Error())
			return
		}
	}
	fc := geojson.NewFeatureCollection()
	for _, g := range c.Grids {
		f := geojson.NewFeature(g.Geom)
		f.Properties = geojson.Properties{"code": g.Code, "name": g.Name, "community": g.CommunityCode, "households": g.Households}
		fc.Append(f)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}

// diffCollection renders grid changes as GeoJSON: the feature's geometry
// is the grid after (before, for a retired grid), and the properties hold
// both sides, the before outline as a GeoJSON geometry.
func diffCollection(changes []plan.GridChange) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, ch := range changes {
		var g orb.Geometry
		if ch.After != nil {
			g = ch.After.Geom
		} else {
			g = ch.Before.Geom
		}
		f := geojson.NewFeature(g)
		f.Properties = geojson.Properties{"code": ch.Code, "change": ch.Change}
		if ch.Before != nil {
			f.Properties["before"] = ch.Before
			f.Properties["before_geometry"] = geojson.NewGeometry(ch.Before.Geom)
		}
		if ch.After != nil {
			f.Properties["after"] = ch.After
		}
		fc.Append(f)
	}
	return fc
}

func (s *Server) handleVersionDiff(w http.ResponseWriter, r *http.Request) {
	sn := s.Current()
	q := r.URL.Query()
	if q.Get("from") == "" {
		writeError(w, http.StatusBadRequest, "from: a layout version is required (to: defaults to the layout in force)")
		return
	}
	a, code, err := s.versionCity(r.Context(), sn, q.Get("from"))
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	b := sn.City
	if q.Get("to") != "" {
		if b, code, err = s.versionCity(r.Context(), sn, q.Get("to")); err != nil {
			writeError(w, code, err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(diffCollection(plan.Diff(a, b)))
}

// planView is a plan as the API shows it.
type planView struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	BaseVersion int64        `json:"base_version"`
	Status      string       `json:"status"`
	Stale       bool         `json:"stale,omitempty"`
	CreatedBy   string       `json:"created_by"`
	CreatedAt   time.Time    `json:"created_at"`
	Edits       []plan.Edit  `json:"edits"`
	Notes       []string     `json:"notes"`
	Changed     int          `json:"grids_changed"`
	Summary     plan.Summary `json:"summary"`
	Applied     int64        `json:"applied_version,omitempty"`
}

func (s *Server) view(ctx context.Context, d *draft) planView {
	v := planView{ID: d.rec.ID, Name: d.rec.Name, BaseVersion: d.rec.BaseVersion, Status: d.rec.Status, CreatedBy: d.rec.CreatedBy,
		CreatedAt: d.rec.CreatedAt, Edits: []plan.Edit{}, Notes: []string{}, Applied: d.rec.AppliedVersion}
	if v.Status == "" {
		v.Status = store.PlanDraft
	}
	if d.p != nil {
		v.Edits = append(v.Edits, d.p.Edits...)
		v.Notes = append(v.Notes, d.p.Notes...)
		v.Summary = d.p.Measures(plan.Targets{}, time.Now()).Summary
		if c, _, err := d.p.City(); err == nil {
			v.Changed = len(plan.Diff(d.snap.City, c))
		}
	}
	v.Stale = v.Status == store.PlanDraft && v.BaseVersion != s.layoutVersion(ctx)
	return v
}

func newPlanID() string {
	var b [6]byte
	rand.Read(b[:])
	return "P" + time.Now().UTC().Format("20060102") + hex.EncodeToString(b[:])
}

// decodeBody decodes a JSON body strictly.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body: want a JSON object")
		}
		return fmt.Errorf("body: %w", err)
	}
	if dec.More() {
		return errors.New("body: one JSON value expected")
	}
	return nil
}

func (s *Server) handlePlanCreate(w http.ResponseWriter, r *http.Request) {
	actor, ok := planAuthorize(w, r)
	if !ok {
		return
	}
	ps := s.planStore()
	if ps == nil {
		writeError(w, http.StatusServiceUnavailable, "no plan store")
		return
	}
	var body struct {
		Name     string `json:"name"`
		RevertTo *int64 `json:"revert_to"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.Name == "" || len(body.Name) > 200 {
		writeError(w, http.StatusBadRequest, "name: 1 to 200 bytes required")
		return
	}
	ctx := r.Context()
	sn := s.Current()
	m, err := snapModel(sn)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	retired, err := ps.RetiredCodes(ctx)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	base, err := ps.LayoutVersionNow(ctx)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	d := &draft{rec: store.PlanRecord{ID: newPlanID(), Name: body.Name, BaseVersion: base, Status: store.PlanDraft, CreatedBy: actor, CreatedAt: time.Now()},
		p: plan.NewPlan(m, retired), snap: sn}
	if body.RevertTo != nil {
		ver, code, err := s.loadVersion(ctx, *body.RevertTo)
		if err != nil {
			writeError(w, code, err.Error())
			return
		}
		if err := d.p.Revert(ver); err != nil {
			writePlanError(w, err)
			return
		}
	}
	if err := s.saveDraft(ctx, d); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	v := s.view(ctx, d)
	st := s.planner()
	st.mu.Lock()
	st.drafts[d.rec.ID] = d
	st.mu.Unlock()
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) loadVersion(ctx context.Context, n int64) (*plan.Version, int, error) {
	ps := s.planStore()
	if ps == nil {
		return nil, http.StatusServiceUnavailable, errors.New("no plan store")
	}
	lv, err := ps.LayoutVersion(ctx, n)
	if errors.Is(err, store.ErrNoVersion) {
		return nil, http.StatusNotFound, fmt.Errorf("no layout version %d", n)
	}
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	var v plan.Version
	if err := json.Unmarshal(lv.Snapshot, &v); err != nil {
		return nil, http.StatusInternalServerError, err
	}
	v.Number = n
	return &v, 0, nil
}

func (s *Server) saveDraft(ctx context.Context, d *draft) error {
	edits, err := json.Marshal(d.p.Edits)
	if err != nil {
		return err
	}
	d.rec.Edits = edits
	return s.planStore().SavePlan(ctx, d.rec)
}

// getDraft finds a plan, rebuilding it on the snapshot in force when it
// is not in memory or was built on an older snapshot.
func (s *Server) getDraft(ctx context.Context, id string) (*draft, int, error) {
	ps := s.planStore()
	if ps == nil {
		return nil, http.StatusServiceUnavailable, errors.New("no plan store")
	}
	st := s.planner()
	st.mu.Lock()
	d := st.drafts[id]
	st.mu.Unlock()
	sn := s.Current()
	if d != nil && (d.snap == sn || d.rec.Status == store.PlanApplied) {
		return d, 0, nil
	}
	rec, err := ps.Plan(ctx, id)
	if errors.Is(err, store.ErrNoPlan) {
		return nil, http.StatusNotFound, fmt.Errorf("no plan %s", id)
	}
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	nd := &draft{rec: rec, snap: sn}
	if rec.Status == store.PlanDraft {
		m, err := snapModel(sn)
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		retired, err := ps.RetiredCodes(ctx)
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		nd.p = plan.NewPlan(m, retired)
		var edits []plan.Edit
		if err := json.Unmarshal(rec.Edits, &edits); err != nil {
			return nil, http.StatusInternalServerError, fmt.Errorf("plan %s: edits: %w", id, err)
		}
		for _, e := range edits {
			if e.Kind == plan.EditRevert {
				v, code, err := s.loadVersion(ctx, e.Version)
				if err != nil {
					return nil, code, err
				}
				err = nd.p.Revert(v)
				if err != nil {
					return nil, http.StatusConflict, fmt.Errorf("plan %s no longer replays on the layout in force: %v", id, err)
				}
				continue
			}
			if _, err := nd.p.ApplyEdit(e); err != nil {
				return nil, http.StatusConflict, fmt.Errorf("plan %s no longer replays on the layout in force: %v", id, err)
			}
		}
	} else if d != nil {
		nd = d
	}
	st.mu.Lock()
	st.drafts[id] = nd
	st.mu.Unlock()
	return nd, 0, nil
}

func writePlanError(w http.ResponseWriter, err error) {
	if rf, ok := plan.IsRefusal(err); ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": rf.Error(), "reason": rf.Reason, "detail": rf.Detail, "status": http.StatusUnprocessableEntity})
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

func (s *Server) handlePlansList(w http.ResponseWriter, r *http.Request) {
	if _, ok := planAuthorize(w, r); !ok {
		return
	}
	ps := s.planStore()
	if ps == nil {
		writeError(w, http.StatusServiceUnavailable, "no plan store")
		return
	}
	recs, err := ps.Plans(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	type item struct {
		ID          string    `json:"id"`
		Name        string    `json:"name"`
		Status      string    `json:"status"`
		BaseVersion int64     `json:"base_version"`
		CreatedBy   string    `json:"created_by"`
		CreatedAt   time.Time `json:"created_at"`
		Applied     int64     `json:"applied_version,omitempty"`
	}
	out := []item{}
	for _, p := range recs {
		out = append(out, item{p.ID, p.Name, p.Status, p.BaseVersion, p.CreatedBy, p.CreatedAt, p.AppliedVersion})
	}
	writeJSON(w, http.StatusOK, map[string]any{"plans": out})
}

func (s *Server) handlePlanGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := planAuthorize(w, r); !ok {
		return
	}
	d, code, err := s.getDraft(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	writeJSON(w, http.StatusOK, s.view(r.Context(), d))
}

// editable returns a draft that may still change.
func (s *Server) editable(w http.ResponseWriter, r *http.Request) (*draft, bool) {
	d, code, err := s.getDraft(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		writeError(w, code, err.Error())
		return nil, false
	}
	if d.rec.Status == store.PlanApplied || d.p == nil {
		writeError(w, http.StatusConflict, "plan "+d.rec.ID+" is applied: make a new plan")
		return nil, false
	}
	return d, true
}

func (s *Server) handlePlanEdits(w http.ResponseWriter, r *http.Request) {
	if _, ok := planAuthorize(w, r); !ok {
		return
	}
	var body struct {
		plan.Edit
		Edits []plan.Edit `json:"edits"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	edits := body.Edits
	if body.Kind != "" {
		edits = append([]plan.Edit{body.Edit}, edits...)
	}
	if len(edits) == 0 || len(edits) > 1000 {
		writeError(w, http.StatusBadRequest, "want an edit object or {\"edits\": [...]} of 1 to 1000 edits")
		return
	}
	for _, e := range edits {
		if e.Kind == plan.EditRevert {
			writeError(w, http.StatusBadRequest, "revert: create a new plan with revert_to")
			return
		}
	}
	d, ok := s.editable(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// All or nothing: work on a copy of the plan's state.
	saved := *d.p
	var results []*plan.Result
	for i, e := range edits {
		res, err := d.p.ApplyEdit(e)
		if err != nil {
			*d.p = saved
			if rf, ok := plan.IsRefusal(err); ok {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": rf.Error(), "reason": rf.Reason, "detail": rf.Detail, "edit": i, "status": http.StatusUnprocessableEntity})
				return
			}
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		results = append(results, res)
	}
	if err := s.saveDraft(r.Context(), d); err != nil {
		*d.p = saved
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "plan": s.view(r.Context(), d)})
}

func (s *Server) handlePlanPropose(w http.ResponseWriter, r *http.Request) {
	if _, ok := planAuthorize(w, r); !ok {
		return
	}
	var body struct {
		Communities []string     `json:"communities"`
		Street      string       `json:"street"`
		Seed        uint64       `json:"seed"`
		BudgetMS    int          `json:"budget_ms"`
		Steps       int64        `json:"steps"`
		Effort      int          `json:"effort"`
		Compact     float64      `json:"compact"`
		Disruption  float64      `json:"disruption"`
		Targets     plan.Targets `json:"targets"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.BudgetMS < 0 || body.BudgetMS > 60000 || body.Steps < 0 || body.Steps > 1e9 || body.Effort < 0 || body.Effort > 100000 || len(body.Communities) > 10000 ||
		!(body.Compact >= 0 && body.Compact <= 1000) || !(body.Disruption >= 0 && body.Disruption <= 1e6) {
		writeError(w, http.StatusBadRequest, "budget_ms must be within 0..60000, steps within 0..10^9, effort within 0..100000, compact within 0..1000, disruption within 0..10^6")
		return
	}
	if t := body.Targets.Tolerance; t < 0 || t >= 1 || math.IsNaN(t) {
		writeError(w, http.StatusBadRequest, "targets.tolerance must be within [0, 1)")
		return
	}
	d, ok := s.editable(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	saved := *d.p
	pr, err := d.p.Propose(r.Context(), plan.ProposeOptions{Communities: body.Communities, Street: body.Street, Seed: body.Seed,
		Budget: time.Duration(body.BudgetMS) * time.Millisecond, Steps: body.Steps, Effort: body.Effort, Compact: body.Compact,
		Disruption: body.Disruption, Targets: body.Targets})
	if err != nil {
		*d.p = saved
		writePlanError(w, err)
		return
	}
	if err := s.saveDraft(r.Context(), d); err != nil {
		*d.p = saved
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"proposal": pr, "plan": s.view(r.Context(), d)})
}

func (s *Server) handlePlanDiff(w http.ResponseWriter, r *http.Request) {
	if _, ok := planAuthorize(w, r); !ok {
		return
	}
	d, code, err := s.getDraft(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		writeError(w, http.StatusConflict, "plan "+d.rec.ID+" is applied: see /api/v1/plan/diff?from=&to=")
		return
	}
	c, ft, err := d.p.City()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	fc := diffCollection(plan.Diff(d.snap.City, c))
	fc.ExtraMembers = geojson.Properties{"plan": d.rec.ID, "base_version": d.rec.BaseVersion, "follow_through": ft}
	// The plan's effect on station coverage: the built stations reach the
	// same buildings, which now count for other grids.
	if cs, ok := d.snap.Ext("coverage").(*coverageState); ok {
		if ch, err := cs.get(coverage.Options{}).OnLayout(cs.figures().built, c); err == nil {
			fc.ExtraMembers["coverage"] = ch
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}

func (s *Server) handlePlanApply(w http.ResponseWriter, r *http.Request) {
	actor, ok := planAuthorize(w, r)
	if !ok {
		return
	}
	st := s.planner()
	st.apply.Lock()
	defer st.apply.Unlock()
	d, ok := s.editable(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx := r.Context()
	c, ft, err := d.p.City()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	before, err := json.Marshal(plan.Snapshot(d.snap.City))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	after, err := json.Marshal(plan.Snapshot(c))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ch := plan.ChangesOf(d.snap.City, c, ft)
	retired := ch.Retired
	var inc []store.IncidentGrid
	for id, g := range ch.Incidents {
		inc = append(inc, store.IncidentGrid{ID: id, GridCode: g})
	}
	sort.Slice(inc, func(a, b int) bool { return inc[a].ID < inc[b].ID })
	delta := &store.PlanDelta{Grids: ch.Grids, Compounds: ch.Compounds, Stations: ch.Stations, Cadres: ch.Cadres}
	changes := plan.Diff(d.snap.City, c)
	summary, _ := json.Marshal(map[string]any{"plan": d.rec.ID, "name": d.rec.Name, "grids_changed": len(changes), "retired": retired,
		"cadres": len(ft.Cadres), "stations": len(ft.Stations), "incidents": len(ft.Incidents), "compounds_recoded": len(ft.Compounds)})
	// The transaction is atomic and quick; a client that goes away does
	// not cancel it halfway.
	v, err := s.planStore().ApplyPlan(context.WithoutCancel(ctx), store.PlanApply{PlanID: d.rec.ID, Actor: actor, BaseVersion: d.rec.BaseVersion, City: c,
		Incidents: inc, Retired: retired, Before: before, After: after, Summary: string(summary), Delta: delta,
		People: s.planPeople(c)})
	switch {
	case errors.Is(err, store.ErrStalePlan), errors.Is(err, store.ErrPlanApplied), errors.Is(err, store.ErrRetiredReuse):
		writeError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	d.rec.Status, d.rec.AppliedVersion = store.PlanApplied, v
	// The store holds the new layout; swap the snapshot so every request
	// from now on sees it whole.
	if err := s.Reload(context.WithoutCancel(ctx)); err != nil {
		writeError(w, http.StatusInternalServerError, "applied as version "+strconv.FormatInt(v, 10)+" but reload failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"plan": d.rec.ID, "version": v, "grids_changed": len(changes), "retired": retired, "follow_through": ft})
}
