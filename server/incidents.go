package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/geo/geocode"
)

// IncidentStore is what the dispatch flow needs of the store of record.
type IncidentStore interface {
	CreateIncidents(ctx context.Context, reqs []store.NewIncident) ([]store.Created, error)
	UpdateIncident(ctx context.Context, id, actor, role string, fn func(*data.IncidentRecord) (data.IncidentEvent, error)) (data.IncidentRecord, data.IncidentEvent, error)
	Incident(ctx context.Context, id string) (data.IncidentRecord, []data.IncidentEvent, error)
	Incidents(ctx context.Context, f store.IncidentFilter) ([]data.IncidentRecord, int, error)
	IncidentEvents(ctx context.Context, after int64, limit int) ([]data.IncidentEvent, error)
	LastIncidentEvent(ctx context.Context) (int64, error)
	IncidentCounts(ctx context.Context) (map[string]int, error)
	OverdueIncidents(ctx context.Context, now time.Time, limit int) ([]data.IncidentRecord, error)
	SetRules(ctx context.Context, body []byte, actor string) (int64, error)
	Rules(ctx context.Context) ([]byte, int64, error)
	Audit(ctx context.Context, limit int) ([]data.AuditEntry, error)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func init() {
	register(extension{
		name:  "incidents",
		build: func(sn *Snapshot) (any, error) { return &addressBook{sn: sn}, nil },
		routes: func(s *Server, root, api *mux.Router) {
			api.HandleFunc("/incidents", s.handleCreateIncident).Methods(http.MethodPost)
			api.HandleFunc("/incidents", s.handleListIncidents).Methods(http.MethodGet)
			api.HandleFunc("/incidents/{id}", s.handleGetIncident).Methods(http.MethodGet)
			api.HandleFunc("/incidents/{id}/transitions", s.handleTransition).Methods(http.MethodPost)
			api.HandleFunc("/events", s.handleEvents).Methods(http.MethodGet)
			api.HandleFunc("/rules", s.handleGetRules).Methods(http.MethodGet)
			api.HandleFunc("/rules", s.handlePutRules).Methods(http.MethodPut)
			api.HandleFunc("/audit", s.handleAudit).Methods(http.MethodGet)
			api.HandleFunc("/tokens", s.handleTokens).Methods(http.MethodGet)
			api.HandleFunc("/tokens", s.handleCreateToken).Methods(http.MethodPost)
			api.HandleFunc("/tokens/{id}", s.handleRevokeToken).Methods(http.MethodDelete)
			api.HandleFunc("/whoami", s.handleWhoami).Methods(http.MethodGet)
			root.HandleFunc("/metrics", s.handleMetrics).Methods(http.MethodGet)
		},
	})
}

// addressGeocoder turns free address text into ranked candidates
// (geo/geocode's Gazetteer).
type addressGeocoder interface {
	Geocode(addr string, limit int) (*geocode.Answer, error)
}

// addressBook resolves a reported address in one snapshot: first an exact
// match on the buildings' standard addresses, then the geocoder (another
// extension's, if one is registered as "geocode", else one built on first
// use).
type addressBook struct {
	sn       *Snapshot
	once     sync.Once
	exact    map[string]int // standard address → building index
	gazOnce  sync.Once
	gaz      addressGeocoder
	gazError error
}

func (a *addressBook) resolve(addr string) (orb.Point, error) {
	a.once.Do(func() {
		c := a.sn.City
		a.exact = make(map[string]int, len(c.Buildings))
		for i := range c.Buildings {
			a.exact[features.Address(c, &c.Buildings[i])] = i
		}
	})
	addr = strings.TrimSpace(addr)
	if i, ok := a.exact[addr]; ok {
		return a.sn.City.Buildings[i].Entrance, nil
	}
	a.gazOnce.Do(func() {
		if g, ok := a.sn.Ext("geocode").(addressGeocoder); ok {
			a.gaz = g
			return
		}
		a.gaz, a.gazError = geocode.New(a.sn.City, a.sn.Index)
	})
	if a.gazError != nil || a.gaz == nil {
		return orb.Point{}, fmt.Errorf("address %q matches no building address exactly", addr)
	}
	ans, err := a.gaz.Geocode(addr, 3)
	if err != nil {
		return orb.Point{}, fmt.Errorf("address %q: %w", addr, err)
	}
	best := ans.Best()
	if best == nil || ans.Status != geocode.StatusOK {
		msg := ans.Message
		if msg == "" {
			msg = ans.Status
		}
		return orb.Point{}, fmt.Errorf("address %q not resolved to one place (%s); send lon/lat", addr, msg)
	}
	return orb.Point(best.Point), nil
}

// apiError is an error with its HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, a ...any) *apiError {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func unprocessable(format string, a ...any) *apiError {
	return &apiError{http.StatusUnprocessableEntity, fmt.Sprintf(format, a...)}
}

// incidentInput is the body of POST /api/v1/incidents.
type incidentInput struct {
	Category    string   `json:"category"`
	Description string   `json:"description"`
	Lon         *float64 `json:"lon,omitempty"`
	Lat         *float64 `json:"lat,omitempty"`
	CRS         string   `json:"crs,omitempty"` // wgs84 (default) or gcj02
	Address     string   `json:"address,omitempty"`
	Source      string   `json:"source,omitempty"`
	Caller      *struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"caller,omitempty"`
}

// routeIncident checks an incident report and routes it: the point (given,
// or resolved from the address) → grid, community, street; the grid's head
// and cadres as first responders; the category's module and SLA.
func (s *Server) routeIncident(in incidentInput, at time.Time) (data.IncidentRecord, *apiError) {
	var rec data.IncidentRecord
	rules := s.ops.rules.Load()
	if rules.Category(in.Category) == nil {
		return rec, unprocessable("category %q unknown (GET /api/v1/rules lists them)", in.Category)
	}
	in.Description = strings.TrimSpace(in.Description)
	if in.Description == "" || utf8.RuneCountInString(in.Description) > 2000 || !utf8.ValidString(in.Description) {
		return rec, badRequest("description is required (at most 2,000 characters)")
	}
	if len(in.Address) > 500 || !utf8.ValidString(in.Address) {
		return rec, badRequest("address too long or not UTF-8")
	}
	if in.Source == "" {
		in.Source = "api"
	}
	if len(in.Source) > 40 {
		return rec, badRequest("source too long")
	}
	sn := s.Current()
	var p orb.Point
	switch {
	case in.Lon != nil || in.Lat != nil:
		if in.Lon == nil || in.Lat == nil {
			return rec, badRequest("lon and lat go together")
		}
		var err error
		p, _, err = ParsePoint(strconv.FormatFloat(*in.Lon, 'g', -1, 64), strconv.FormatFloat(*in.Lat, 'g', -1, 64), in.CRS)
		if err != nil {
			return rec, badRequest("%v", err)
		}
	case strings.TrimSpace(in.Address) != "":
		ab, _ := sn.Ext("incidents").(*addressBook)
		if ab == nil {
			return rec, unprocessable("no address resolver")
		}
		var err error
		if p, err = ab.resolve(in.Address); err != nil {
			return rec, unprocessable("%v", err)
		}
	default:
		return rec, badRequest("give the place: lon and lat, or an address")
	}
	c := sn.City
	res := sn.Index.Locate(p)
	if res.Match != geo.MatchInside {
		msg := fmt.Sprintf("point %.6f,%.6f lies in no grid", p[0], p[1])
		if res.Match == geo.MatchNearest {
			msg += fmt.Sprintf(" (nearest grid %s is %.0f m away)", c.Grids[res.Nearest].Code, res.DistanceM)
		}
		return rec, unprocessable("%s", msg)
	}
	g := &c.Grids[res.Grid]
	rec = data.IncidentRecord{
		Incident: data.Incident{
			Category: in.Category, Description: in.Description, Point: p, Address: strings.TrimSpace(in.Address),
			GridCode: g.Code, CommunityCode: g.CommunityCode, StreetCode: g.StreetCode, DistrictCode: g.DistrictCode,
			ReportedAt: at,
		},
		Source: in.Source,
	}
	if in.Caller != nil {
		if len(in.Caller.Name) > 100 || len(in.Caller.Phone) > 40 {
			return rec, badRequest("caller name or phone too long")
		}
		rec.Caller = data.Person{Name: strings.TrimSpace(in.Caller.Name), Phone: strings.TrimSpace(in.Caller.Phone)}
	}
	rec.Responders = append(rec.Responders, data.Responder{Role: "grid_head", Name: g.Head.Name, Phone: g.Head.Phone, Unit: g.Head.Title})
	for _, cd := range c.CadresOf(g.Code) {
		rec.Responders = append(rec.Responders, data.Responder{Role: "cadre", ID: cd.ID, Name: cd.Name, Phone: cd.Phone, Unit: cd.Unit})
	}
	if err := rules.Route(&rec, at); err != nil {
		return rec, unprocessable("%v", err)
	}
	return rec, nil
}

// committer batches incident creations into group commits: whatever
// arrives while one transaction is being made durable goes into the next,
// so many creations share one fsync. Each caller is answered only after
// its batch committed.
type committer struct {
	st  IncidentStore
	hub *hub
	log *slog.Logger
	m   *metrics
	in  chan *pendingCreate

	mu     sync.RWMutex
	closed bool
	done   chan struct{}
}

type pendingCreate struct {
	req  store.NewIncident
	res  store.Created
	err  error
	done chan struct{}
}

const maxBatch = 256

func newCommitter(st IncidentStore, h *hub, log *slog.Logger, m *metrics) *committer {
	return &committer{st: st, hub: h, log: log, m: m, in: make(chan *pendingCreate, maxBatch), done: make(chan struct{})}
}

var errShuttingDown = errors.New("shutting down")

// submit hands one creation to the committer and waits for its commit.
// The wait does not follow the request's context: once handed over, the
// creation commits whether or not the client is still there (a retry with
// the same idempotency key then finds it).
func (c *committer) submit(req store.NewIncident) (store.Created, error) {
	p := &pendingCreate{req: req, done: make(chan struct{})}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return store.Created{}, errShuttingDown
	}
	c.in <- p
	c.mu.RUnlock()
	<-p.done
	return p.res, p.err
}

func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.in)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for p := range c.in {
		batch := []*pendingCreate{p}
	fill:
		for len(batch) < maxBatch {
			select {
			case q, ok := <-c.in:
				if !ok {
					break fill
				}
				batch = append(batch, q)
			default:
				break fill
			}
		}
		reqs := make([]store.NewIncident, len(batch))
		for i, b := range batch {
			reqs[i] = b.req
		}
		c.commitBatch(batch, reqs)
		c.hub.notify()
	}
}

// commitBatch commits a batch and answers its callers. When the batch
// fails as a whole, its items are retried one by one, so that one bad item
// does not sink the others.
func (c *committer) commitBatch(batch []*pendingCreate, reqs []store.NewIncident) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	res, err := c.st.CreateIncidents(ctx, reqs)
	cancel()
	c.m.commitBatches.Add(1)
	if err != nil && len(batch) > 1 && !errors.Is(err, store.ErrUnavailable) {
		c.log.Warn("incidents: group commit failed; committing one by one", "batch", len(batch), "err", err)
		for i := range batch {
			c.commitBatch(batch[i:i+1], reqs[i:i+1])
		}
		return
	}
	if err != nil {
		c.log.Error("incidents: commit failed", "err", err)
	}
	for i, b := range batch {
		if err != nil {
			b.err = err
		} else {
			b.res = res[i]
			if b.res.Err == nil && !b.res.Replayed {
				c.m.created.Add(1)
			}
		}
		close(b.done)
	}
}

// decodeJSON reads a JSON body strictly into v, answering 4xx itself.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large (limit %d bytes)", mbe.Limit))
			return false
		}
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "body: one JSON object expected")
		return false
	}
	return true
}

func (s *Server) incidentsReady(w http.ResponseWriter) bool {
	if s.ops.inc == nil || s.ops.commit == nil {
		writeError(w, http.StatusServiceUnavailable, "no incident store configured")
		return false
	}
	return true
}

// createIncident routes and commits one report for principal p; the
// shared path of POST /api/v1/incidents and Open311 POST requests.
func (s *Server) createIncident(p *Principal, in incidentInput, key, hash string) (store.Created, *apiError) {
	rec, aerr := s.routeIncident(in, s.ops.now())
	if aerr != nil {
		return store.Created{}, aerr
	}
	res, err := s.ops.commit.submit(store.NewIncident{Record: rec, Actor: p.Actor(), Role: p.Role, IdempotencyKey: key, RequestHash: hash})
	if err != nil {
		s.log.Error("incident not stored", "err", err)
		return res, &apiError{http.StatusServiceUnavailable, "incident not stored: " + err.Error() + "; retry with the same Idempotency-Key"}
	}
	if errors.Is(res.Err, store.ErrIdempotencyConflict) {
		return res, unprocessable("Idempotency-Key %q was used for a different request", key)
	}
	if res.Err != nil {
		s.log.Error("incident not stored", "err", res.Err)
		return res, &apiError{http.StatusInternalServerError, "incident not stored"}
	}
	return res, nil
}

// handleCreateIncident is POST /api/v1/incidents (dispatcher, admin). The
// answer, 201 with the incident, comes only after the incident is
// committed. An Idempotency-Key header makes retries safe: the same key
// and body give the first answer again (with Idempotent-Replayed: true).
func (s *Server) handleCreateIncident(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, incidentWriter)
	if !ok || !s.incidentsReady(w) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		writeError(w, http.StatusBadRequest, "Idempotency-Key longer than 200 bytes")
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
	var in incidentInput
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("body: want one JSON object: %v", err))
		return
	}
	sum := sha256.Sum256(body)
	res, aerr := s.createIncident(p, in, key, hex.EncodeToString(sum[:]))
	if aerr != nil {
		if aerr.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", retryAfter)
		}
		writeError(w, aerr.status, aerr.msg)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/incidents/"+url.PathEscape(res.Record.ID))
	writeJSON(w, http.StatusCreated, s.incidentView(&res.Record, true))
}

// publicView is an incident without personal data: what viewers, the
// event stream and the wall map get.
type publicView struct {
	ID            string     `json:"id"`
	Module        string     `json:"module"`
	Category      string     `json:"category"`
	Description   string     `json:"description,omitempty"` // not in events
	Status        string     `json:"status"`
	Point         [2]float64 `json:"point"`
	Address       string     `json:"address,omitempty"`
	GridCode      string     `json:"grid_code"`
	CommunityCode string     `json:"community_code"`
	StreetCode    string     `json:"street_code"`
	DistrictCode  string     `json:"district_code"`
	Departments   []string   `json:"departments"`
	ReportedAt    time.Time  `json:"reported_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// newPublicView is in as everyone may read it: the free text (description,
// address) with phone numbers masked, and the caller's name and phone too
// when the caller is known.
func newPublicView(in data.Incident, caller data.Person) publicView {
	deps := in.Departments
	if deps == nil {
		deps = []string{}
	}
	return publicView{in.ID, in.Module, in.Category, redact(in.Description, caller), in.Status, [2]float64(in.Point), redact(in.Address, caller),
		in.GridCode, in.CommunityCode, in.StreetCode, in.DistrictCode, deps, in.ReportedAt, in.UpdatedAt}
}

// digitRun is a run of digits, with the dashes and spaces of a written
// phone number inside it.
var digitRun = regexp.MustCompile(`[0-9][0-9 -]{5,}[0-9]`)

// redact masks what looks like a phone number in free text — a mobile
// number (11 digits from 13…19) or a landline with its area code (0 and 9
// to 11 more digits) — and the caller's name and phone when given: a
// caller who says "王小明 13812345678" in the description stays private.
func redact(text string, caller data.Person) string {
	if text == "" {
		return text
	}
	if caller.Phone != "" {
		text = strings.ReplaceAll(text, caller.Phone, data.MaskPhone(caller.Phone))
	}
	if n := []rune(caller.Name); len(n) >= 2 {
		text = strings.ReplaceAll(text, caller.Name, data.MaskName(caller.Name))
	}
	return digitRun.ReplaceAllStringFunc(text, func(run string) string {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(run)
		mobile := len(digits) == 11 && digits[0] == '1' && digits[1] >= '3'
		landline := digits[0] == '0' && len(digits) >= 10 && len(digits) <= 12
		if !mobile && !landline {
			return run
		}
		return data.MaskPhone(digits)
	})
}

// slaView gives the deadlines and where the incident stands against them.
type slaView struct {
	AcceptDue   *time.Time `json:"accept_due,omitempty"`
	ResolveDue  *time.Time `json:"resolve_due,omitempty"`
	Overdue     bool       `json:"overdue"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	EscalatedTo *Area      `json:"escalated_to,omitempty"`
}

// incidentJSON is an incident as the API shows it.
type incidentJSON struct {
	publicView
	CategoryName string          `json:"category_name,omitempty"`
	Grid         *Area           `json:"grid,omitempty"`
	Community    *Area           `json:"community,omitempty"`
	Street       *Area           `json:"street,omitempty"`
	Responded    []string        `json:"responded"`
	DuplicateOf  string          `json:"duplicate_of,omitempty"`
	Source       string          `json:"source,omitempty"`
	SLA          slaView         `json:"sla"`
	NextStates   []string        `json:"next_states"`
	Version      int64           `json:"version"`
	Caller       *PersonCard     `json:"caller,omitempty"` // personal roles only
	Responders   []ResponderJSON `json:"responders"`
}

// ResponderJSON is a first responder; names and phones masked for callers
// without the personal-data roles.
type ResponderJSON struct {
	Role  string `json:"role"`
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Unit  string `json:"unit,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) incidentView(rec *data.IncidentRecord, personal bool) incidentJSON {
	c := s.Current().City
	v := incidentJSON{publicView: newPublicView(rec.Incident, rec.Caller), Responded: rec.Responded, DuplicateOf: rec.DuplicateOf,
		Source: rec.Source, Version: rec.Version, NextStates: data.NextStates(rec.Status), Responders: []ResponderJSON{}}
	if v.Responded == nil {
		v.Responded = []string{}
	}
	if v.NextStates == nil {
		v.NextStates = []string{}
	}
	if cat := s.ops.rules.Load().Category(rec.Category); cat != nil {
		v.CategoryName = cat.Name
	}
	if g := c.Grid(rec.GridCode); g != nil {
		v.Grid = &Area{g.Code, g.Name}
	}
	if m := c.Community(rec.CommunityCode); m != nil {
		v.Community = &Area{m.Code, m.Name}
	}
	if st := c.Street(rec.StreetCode); st != nil {
		v.Street = &Area{st.Code, st.Name}
	}
	_, overdue := rec.Overdue(s.ops.now())
	v.SLA = slaView{AcceptDue: timePtr(rec.AcceptDue), ResolveDue: timePtr(rec.ResolveDue), EscalatedAt: timePtr(rec.EscalatedAt),
		Overdue: overdue || !rec.EscalatedAt.IsZero() && data.Open(rec.Status)}
	if rec.EscalatedTo != "" {
		a := &Area{Code: rec.EscalatedTo}
		if st := c.Street(rec.EscalatedTo); st != nil {
			a.Name = st.Name
		}
		v.SLA.EscalatedTo = a
	}
	if personal {
		v.Description, v.Address = rec.Description, rec.Address
	}
	if personal && (rec.Caller.Name != "" || rec.Caller.Phone != "") {
		v.Caller = &PersonCard{Name: rec.Caller.Name, Phone: rec.Caller.Phone}
	}
	for _, r := range rec.Responders {
		pc := person(data.Person{Name: r.Name, Phone: r.Phone}, personal)
		v.Responders = append(v.Responders, ResponderJSON{Role: r.Role, ID: r.ID, Name: pc.Name, Phone: pc.Phone, Unit: r.Unit})
	}
	return v
}

// historyJSON is one event of an incident's history.
type historyJSON struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	Type        string    `json:"type"`
	Action      string    `json:"action,omitempty"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to"`
	Note        string    `json:"note,omitempty"`
	Departments []string  `json:"departments,omitempty"`
	Actor       string    `json:"actor,omitempty"` // personal roles only
	ActorRole   string    `json:"actor_role,omitempty"`
}

func historyView(evs []data.IncidentEvent, personal bool, caller data.Person) []historyJSON {
	out := make([]historyJSON, 0, len(evs))
	for _, ev := range evs {
		h := historyJSON{Seq: ev.Seq, At: ev.At, Type: ev.Type, Action: ev.Action, From: ev.From, To: ev.To,
			Note: ev.Note, Departments: ev.Departments, ActorRole: ev.ActorRole}
		if personal {
			h.Actor = ev.Actor
		} else {
			h.Note = redact(h.Note, caller) // notes are free text too
		}
		out = append(out, h)
	}
	return out
}

func (s *Server) handleGetIncident(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, anyRole); !ok || !s.incidentsReady(w) {
		return
	}
	id := mux.Vars(r)["id"]
	rec, evs, err := s.ops.inc.Incident(r.Context(), id)
	if isNotFound(err) {
		writeError(w, http.StatusNotFound, "no incident "+id)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	personal := s.personal(r)
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.incidentView(&rec, personal), "history": historyView(evs, personal, rec.Caller)})
}

// handleListIncidents is GET /api/v1/incidents: filters status and
// category (comma lists), module, grid, community, street, bbox
// (minLon,minLat,maxLon,maxLat), from and to (RFC 3339, on the report
// time), escalated=true; paging with limit (1–1000, default 100) and
// offset; newest first (order=asc for oldest first).
func (s *Server) handleListIncidents(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, anyRole); !ok || !s.incidentsReady(w) {
		return
	}
	q := r.URL.Query()
	f := store.IncidentFilter{Module: q.Get("module"), Grid: q.Get("grid"), Community: q.Get("community"), Street: q.Get("street")}
	list := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	f.Statuses, f.Categories = list(q.Get("status")), list(q.Get("category"))
	for _, st := range f.Statuses {
		if !data.ValidStatus(st) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("status %q unknown (want one of %s)", st, strings.Join(data.Statuses, ", ")))
			return
		}
	}
	if v := q.Get("bbox"); v != "" {
		b, err := ParseBBox(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		f.BBox = &b
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, name+": want an RFC 3339 time such as 2026-11-26T08:00:00+08:00")
				return
			}
			*dst = t
		}
	}
	switch q.Get("escalated") {
	case "", "false":
	case "true":
		f.Escalated = true
	default:
		writeError(w, http.StatusBadRequest, "escalated: want true or false")
		return
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		f.Ascending = true
	default:
		writeError(w, http.StatusBadRequest, "order: want asc or desc")
		return
	}
	var err error
	if f.Limit, err = intParam(q.Get("limit"), 100, 1, 1000); err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	if f.Offset, err = intParam(q.Get("offset"), 0, 0, math.MaxInt32); err != nil {
		writeError(w, http.StatusBadRequest, "offset: "+err.Error())
		return
	}
	recs, total, err := s.ops.inc.Incidents(r.Context(), f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	personal := s.personal(r)
	out := make([]incidentJSON, 0, len(recs))
	for i := range recs {
		out = append(out, s.incidentView(&recs[i], personal))
	}
	resp := map[string]any{"incidents": out, "total": total, "limit": f.Limit, "offset": f.Offset}
	if f.Offset+len(out) < total {
		nq := r.URL.Query()
		nq.Set("offset", strconv.Itoa(f.Offset+len(out)))
		resp["next"] = "/api/v1/incidents?" + nq.Encode()
	}
	writeJSON(w, http.StatusOK, resp)
}

// transitionInput is the body of POST /api/v1/incidents/{id}/transitions.
type transitionInput struct {
	To          string   `json:"to"`
	Note        string   `json:"note,omitempty"`
	Departments []string `json:"departments,omitempty"`
	DuplicateOf string   `json:"duplicate_of,omitempty"`
}

type applyError struct{ err error }

func (e applyError) Error() string { return e.err.Error() }
func (e applyError) Unwrap() error { return e.err }

// handleTransition is POST /api/v1/incidents/{id}/transitions (dispatcher,
// admin): 200 with the incident after the change; 409 for a transition the
// table does not allow; 422 for one whose details are wrong.
func (s *Server) handleTransition(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, incidentWriter)
	if !ok || !s.incidentsReady(w) {
		return
	}
	var in transitionInput
	if !decodeJSON(w, r, &in) {
		return
	}
	if !data.ValidStatus(in.To) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("to: %q is not a state (want one of %s)", in.To, strings.Join(data.Statuses, ", ")))
		return
	}
	if utf8.RuneCountInString(in.Note) > 2000 {
		writeError(w, http.StatusBadRequest, "note longer than 2,000 characters")
		return
	}
	id := mux.Vars(r)["id"]
	if in.DuplicateOf != "" {
		if _, _, err := s.ops.inc.Incident(r.Context(), in.DuplicateOf); isNotFound(err) {
			writeError(w, http.StatusUnprocessableEntity, "duplicate_of: no incident "+in.DuplicateOf)
			return
		}
	}
	rules := s.ops.rules.Load()
	req := data.TransitionRequest{To: in.To, Note: strings.TrimSpace(in.Note), Departments: in.Departments, DuplicateOf: in.DuplicateOf}
	rec, ev, err := s.ops.inc.UpdateIncident(r.Context(), id, p.Actor(), p.Role, func(rec *data.IncidentRecord) (data.IncidentEvent, error) {
		ev, err := rec.Apply(req, rules, s.ops.now())
		if err != nil {
			return ev, applyError{err}
		}
		return ev, nil
	})
	var ae applyError
	switch {
	case isNotFound(err):
		writeError(w, http.StatusNotFound, "no incident "+id)
		return
	case errors.Is(err, data.ErrIllegalTransition):
		writeError(w, http.StatusConflict, err.Error())
		return
	case errors.As(err, &ae):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.ops.metrics.transitions.Add(1)
	s.ops.hub.notify()
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.incidentView(&rec, true), "event": historyView([]data.IncidentEvent{ev}, true, rec.Caller)[0]})
}

// EscalateOverdue escalates every open incident past an SLA deadline to
// its street, at the server's clock, and returns how many it escalated.
// The server runs it every EscalationInterval.
func (s *Server) EscalateOverdue(ctx context.Context) (int, error) {
	o := s.ops
	if o.inc == nil {
		return 0, nil
	}
	now := o.now()
	recs, err := o.inc.OverdueIncidents(ctx, now, 1000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range recs {
		_, ev, err := o.inc.UpdateIncident(ctx, rec.ID, "system", "system", func(r *data.IncidentRecord) (data.IncidentEvent, error) {
			d, ok := r.Overdue(now)
			if !ok {
				return data.IncidentEvent{}, store.ErrNoChange
			}
			return r.Escalate(d, now), nil
		})
		if err != nil {
			return n, err
		}
		if ev.Seq != 0 {
			n++
			s.log.Info("incident escalated", "id", rec.ID, "street", rec.StreetCode)
		}
	}
	if n > 0 {
		o.metrics.escalations.Add(uint64(n))
		o.hub.notify()
	}
	return n, nil
}

// handleWhoami says who the bearer token is and what its role may do, so
// a page given a token (the dispatcher console's login box) can tell a
// wrong or revoked token, or one of the wrong role, before the first write.
func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, anyRole)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_id": p.TokenID, "name": p.Name, "role": p.Role,
		"personal":  slices.Contains(personalRoles, p.Role),
		"incidents": slices.Contains(incidentWriter, p.Role),
	})
}

// handleGetRules serves the routing rules in force (anyone: the console
// and Open311 clients need the categories).
func (s *Server) handleGetRules(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Rules-Version", strconv.FormatInt(s.ops.rulesVer.Load(), 10))
	writeJSON(w, http.StatusOK, s.ops.rules.Load())
}

// handlePutRules replaces the routing rules (admin): the body is a rules
// file; it is checked, stored as a new version and audited, then used.
func (s *Server) handlePutRules(w http.ResponseWriter, r *http.Request) {
	p, ok := require(w, r, adminOnly)
	if !ok || !s.incidentsReady(w) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	rules, err := data.ParseRules(body)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	v, err := s.ops.inc.SetRules(r.Context(), body, p.Actor())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.ops.rules.Store(rules)
	s.ops.rulesVer.Store(v)
	writeJSON(w, http.StatusOK, map[string]any{"version": v, "categories": len(rules.Categories)})
}

// handleAudit serves the latest audit entries (admin).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, adminOnly); !ok || !s.incidentsReady(w) {
		return
	}
	limit, err := intParam(r.URL.Query().Get("limit"), 100, 1, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	es, err := s.ops.inc.Audit(r.Context(), limit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	type entry struct {
		Seq    int64           `json:"seq"`
		At     time.Time       `json:"at"`
		Actor  string          `json:"actor"`
		Action string          `json:"action"`
		Target string          `json:"target"`
		Detail json.RawMessage `json:"detail,omitempty"`
	}
	out := make([]entry, 0, len(es))
	for _, e := range es {
		d := json.RawMessage(e.Detail)
		if !json.Valid(d) {
			d, _ = json.Marshal(e.Detail)
		}
		out = append(out, entry{e.Seq, e.At, e.Actor, e.Action, e.Target, d})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}
