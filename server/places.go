package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/tabular"
	"github.com/gridmap/gridmap/geo/geocode"
)

// The places and services of the grids (物业·志愿·驿站): property service and
// the three rates, complaints, evaluations (property.go); volunteer teams,
// service targets, logs and their coverage (volunteers.go); stations, their
// lifecycle, star ratings and coverage (stations.go). This file holds what
// they share: the snapshot's places state, the day parameters, the one
// write path and the CSV/.xlsx import and export.

// PlacesStore writes the places records: a change, the layers' columns it
// moves (the projection) and its audit entry, in one transaction.
type PlacesStore interface {
	ApplyPlaces(ctx context.Context, ch *places.Change, pr places.Projection, e data.AuditEntry) error
}

// placesRoles edit the places records and see the service targets.
var placesRoles = []string{RoleOrganiser, RoleAdmin}

// placesState is what the places routes derive from one snapshot.
type placesState struct {
	city      *data.City
	p         *data.Places
	prop      *places.Property
	rater     *places.Rater
	stations  *places.Stations
	buildings places.Buildings
	linker    *places.Linker
	intervals places.Intervals
	stationIx map[string]int

	mu         sync.Mutex
	complaints *complaintCache

	covOnce sync.Once
	cov     *stationCoverage // stations.go

	kpis   *PlacesKPIs // the wall map's figures, cached (under mu)
	kpiRun sync.Mutex  // one computation of them at a time
}

type complaintCache struct {
	seq int64
	cs  []places.Complaint
	at  time.Time
}

func init() {
	register(extension{name: "places", build: buildPlaces})
}

// buildPlaces derives the places state; the geocoder of the same snapshot
// (built before, geocode.go sorts first) resolves complaint addresses.
func buildPlaces(sn *Snapshot) (any, error) {
	c := sn.City
	st := &placesState{city: c, p: &c.Places, stationIx: map[string]int{}}
	st.prop = places.NewProperty(st.p)
	st.rater = places.NewRater(c, st.prop)
	st.stations = places.NewStations(st.p)
	st.buildings = places.IndexBuildings(c)
	for i := range c.Stations {
		st.stationIx[c.Stations[i].Code] = i
	}
	var resolve places.Resolver
	if g, ok := sn.Ext("geocode").(*geocode.Gazetteer); ok && g != nil {
		resolve = ComplaintResolver(g)
	}
	st.linker = places.NewLinker(c, resolve)
	st.intervals = places.DefaultIntervals
	if v := c.Meta[metaIntervals]; v != "" {
		var iv places.Intervals
		if err := json.Unmarshal([]byte(v), &iv); err == nil && iv.Validate() == nil {
			st.intervals = iv
		}
	}
	return st, nil
}

// metaIntervals is the meta key of the configured visit intervals.
const metaIntervals = "places_intervals"

// ComplaintResolver links a complaint by its address when the geocoder is
// sure: a confident building or compound candidate (confidence ≥ 0.8,
// status ok).
func ComplaintResolver(g *geocode.Gazetteer) places.Resolver {
	return func(addr string) (string, bool) {
		ans, err := g.Geocode(addr, 1)
		if err != nil || ans.Status != geocode.StatusOK {
			return "", false
		}
		b := ans.Best()
		if b == nil || b.Confidence < 0.8 || len(b.Code) < data.CompoundCodeLen {
			return "", false
		}
		switch b.Kind {
		case geocode.KindBuilding, geocode.KindCompound:
			return b.Code[:data.CompoundCodeLen], true
		}
		return "", false
	}
}

func (s *Server) places(w http.ResponseWriter) *placesState {
	st, _ := s.Current().Ext("places").(*placesState)
	if st == nil {
		writeError(w, http.StatusServiceUnavailable, "places not ready")
	}
	return st
}

func (s *Server) now() time.Time {
	if s.ops != nil && s.ops.now != nil {
		return s.ops.now()
	}
	return time.Now()
}

// dayOf is the day parameter name of the request as the guard checked it
// (yyyy-mm-dd), today in China when it is not given.
func (s *Server) dayOf(r *http.Request, name string) string {
	if v := queryString(r, name); v != "" {
		return v
	}
	return places.Day(s.now())
}

// atDay is the instant reports are made at for a day: now for today,
// the end of the day for another.
func (s *Server) atDay(day string) time.Time {
	now := s.now()
	if day == places.Day(now) {
		return now
	}
	return places.EndOfDay(day).Add(-time.Second)
}

// cut cuts a list to limit and offset.
func cut[T any](l []T, limit, offset int) []T {
	if offset >= len(l) {
		return []T{}
	}
	l = l[offset:]
	if limit < len(l) {
		l = l[:limit]
	}
	return l
}

// problemsError is a change refused by the rules: 422 with every problem.
type problemsError struct{ problems []places.Problem }

func (e *problemsError) Error() string {
	parts := make([]string, 0, 3)
	for i, p := range e.problems {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.problems)-3))
			break
		}
		r := p.Reason
		if p.Field != "" {
			r = p.Field + ": " + r
		}
		parts = append(parts, r)
	}
	return "refused: " + strings.Join(parts, "; ")
}

// placesWrites serialises the places writes of this process.
var placesWrites sync.Mutex

// applyPlaces checks a change against the records as they will be, adds
// the downgrades it makes due, writes it with the layers' projection and
// an audit entry in one transaction, and reloads. It answers the change as
// written.
func (s *Server) applyPlaces(ctx context.Context, p *Principal, action, target string, ch *places.Change) (*places.Change, error) {
	ps, ok := s.cfg.Store.(PlacesStore)
	if !ok {
		return nil, errNoPlacesStore
	}
	placesWrites.Lock()
	defer placesWrites.Unlock()
	sn := s.Current()
	st, _ := sn.Ext("places").(*placesState)
	if st == nil {
		return nil, errors.New("places not ready")
	}
	now := s.now()
	merged, err := places.Merge(st.p, ch)
	if err != nil {
		return nil, &problemsError{[]places.Problem{{Sheet: "delete", Index: -1, Field: places.FieldOf(err), Reason: err.Error()}}}
	}
	cx := places.Context{City: sn.City, Buildings: st.buildings, Now: now}
	if probs := places.Check(cx, merged, ch); len(probs) > 0 {
		return nil, &problemsError{probs}
	}
	if ch.Intervals != nil {
		if err := ch.Intervals.Validate(); err != nil {
			return nil, &problemsError{[]places.Problem{{Sheet: "intervals", Index: -1, Field: places.FieldOf(err), Reason: err.Error()}}}
		}
	}
	down := places.Reassess(sn.City, merged, now)
	ch.Ratings = append(ch.Ratings, down...)
	merged.Ratings = append(merged.Ratings, down...)
	pr := places.Project(sn.City, merged, now)
	detail, _ := json.Marshal(map[string]any{"change": ch, "projection": pr, "before": places.Before(st.p, ch)})
	entry := data.AuditEntry{At: now, Actor: p.Actor(), Action: action, Target: target, Detail: string(detail)}
	if err := ps.ApplyPlaces(ctx, ch, pr, entry); err != nil {
		return nil, err
	}
	if err := s.Reload(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("reload after a places change", "err", err)
	}
	return ch, nil
}

// downgrades are the rating entries of a written change that the system
// made (criteria lapsed).
func downgrades(ch *places.Change) []data.StarRating {
	out := []data.StarRating{}
	for _, r := range ch.Ratings {
		if r.Kind == data.RatingDowngrade {
			out = append(out, r)
		}
	}
	return out
}

var errNoPlacesStore = errors.New("this server's store does not keep places records")

// writePlacesError answers a failed places write.
func writePlacesError(w http.ResponseWriter, err error) {
	var pe *problemsError
	switch {
	case errors.As(err, &pe):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": pe.Error(), "status": http.StatusUnprocessableEntity, "problems": pe.problems})
	case errors.Is(err, errNoPlacesStore):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, "the store did not answer in time; nothing was written")
	default:
		writeError(w, http.StatusInternalServerError, "places write failed: "+err.Error())
	}
}

// writeChange is the common tail of the write handlers: the change applied
// for the caller the guard admitted (one of placesRoles).
func (s *Server) writeChange(w http.ResponseWriter, r *http.Request, action, target string, ch *places.Change, status int) {
	done, err := s.applyPlaces(r.Context(), PrincipalFrom(r.Context()), action, target, ch)
	if err != nil {
		writePlacesError(w, err)
		return
	}
	writeJSON(w, status, map[string]any{"written": done.Size(), "downgrades": downgrades(done)})
}

// names gives the lists the names beside codes.
func (st *placesState) names() places.Names {
	return places.Names{
		Compound: func(c string) string {
			if x := st.city.Compound(c); x != nil {
				return x.Name
			}
			return ""
		},
		Company: func(c string) string {
			if x := st.prop.Company(c); x != nil {
				return x.Name
			}
			return ""
		},
		Grid: func(c string) string {
			if x := st.city.Grid(c); x != nil {
				return x.Name
			}
			return ""
		},
		Station: func(c string) string {
			if i, ok := st.stationIx[c]; ok {
				return st.city.Stations[i].Name
			}
			return ""
		},
	}
}

// sheetTitles are the lists' file names.
var sheetTitles = map[string]string{
	places.SheetCompanies: "物业企业", places.SheetCompanyRecords: "物业企业党组织", places.SheetProperty: "小区物业",
	places.SheetEvaluations: "年度评价", places.SheetTeams: "志愿服务队", places.SheetTargets: "服务对象",
	places.SheetLogs: "服务记录", places.SheetStations: "驿站档案", places.SheetRatings: "星级评定",
}

// handlePlacesExport is GET /api/v1/places/export/{sheet}?format=csv|xlsx.
func (s *Server) handlePlacesExport(w http.ResponseWriter, r *http.Request) {
	sheet := pathVar(r, "sheet")
	f := tabular.CSV
	if queryString(r, "format") == "xlsx" {
		f = tabular.XLSX
	}
	st := s.places(w)
	if st == nil {
		return
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"; filename*=UTF-8''%s.%s`, sheet, f, urlEscape(sheetTitles[sheet]), f))
	if err := places.Export(sheet, w, f, st.p, st.names()); err != nil {
		s.log.Error("places export", "sheet", sheet, "err", err)
	}
}

// handlePlacesImport is POST /api/v1/places/import/{sheet}: a CSV or
// .xlsx file of one list, refused whole (422, every problem with its row
// and column) or written whole. ?dry_run=true only checks.
func (s *Server) handlePlacesImport(w http.ResponseWriter, r *http.Request) {
	p, sheet := PrincipalFrom(r.Context()), pathVar(r, "sheet")
	dry := queryBool(r, "dry_run")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file too large (limit %d bytes)", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if len(body) == 0 {
		writeError(w, http.StatusBadRequest, "body: send the file (CSV or .xlsx)")
		return
	}
	f := tabular.Detect(body)
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "multipart/") {
		if cf, err := tabular.ParseFormat(ct); err == nil && cf != f {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Content-Type says %s but the file is %s", cf, f))
			return
		}
	}
	sn := s.Current()
	st, _ := sn.Ext("places").(*placesState)
	if st == nil {
		writeError(w, http.StatusServiceUnavailable, "places not ready")
		return
	}
	cx := places.Context{City: sn.City, Buildings: st.buildings, Now: s.now()}
	ch, err := places.Import(sheet, strings.NewReader(string(body)), f, cx, st.p, p.Actor())
	if err != nil {
		var es tabular.Errors
		if errors.As(err, &es) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": es.Error(), "status": http.StatusUnprocessableEntity, "errors": es})
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if ch.Empty() {
		writeError(w, http.StatusBadRequest, "the file holds no rows")
		return
	}
	if dry != nil && *dry {
		writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "rows": ch.Size()})
		return
	}
	done, err := s.applyPlaces(r.Context(), p, "places.import."+sheet, sheet, ch)
	if err != nil {
		writePlacesError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"written": done.Size(), "downgrades": downgrades(done)})
}

// handlePlacesChange is POST /api/v1/places/changes: a whole places.Change
// as JSON, applied all or nothing (the page's forms post these too).
func (s *Server) handlePlacesChange(w http.ResponseWriter, r *http.Request) {
	var ch places.Change
	if !decodeJSON(w, r, &ch) {
		return
	}
	if ch.Empty() && ch.Intervals == nil {
		writeError(w, http.StatusBadRequest, "the change writes nothing")
		return
	}
	s.writeChange(w, r, "places.change", "", &ch, http.StatusOK)
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// complaintsNow links the property complaints among the incidents in force:
// the incident store's when there is one (cached until its next event),
// else the snapshot's.
func (s *Server) complaintsNow(ctx context.Context, st *placesState) ([]places.Complaint, error) {
	if s.ops == nil || s.ops.inc == nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.complaints == nil {
			st.complaints = &complaintCache{cs: st.linker.Complaints(st.city.Incidents, st.prop)}
		}
		return st.complaints.cs, nil
	}
	seq, err := s.ops.inc.LastIncidentEvent(ctx)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	if c := st.complaints; c != nil && c.seq == seq {
		st.mu.Unlock()
		return c.cs, nil
	}
	st.mu.Unlock()
	var cats []string
	if rules := s.ops.rules.Load(); rules != nil {
		for _, c := range rules.Categories {
			if places.IsPropertyCategory(c.Code) {
				cats = append(cats, c.Code)
			}
		}
	}
	if len(cats) == 0 {
		return nil, nil
	}
	recs, _, err := s.ops.inc.Incidents(ctx, store.IncidentFilter{Categories: cats, Limit: 5_000_000, Ascending: true})
	if err != nil {
		return nil, err
	}
	incs := make([]data.Incident, len(recs))
	for i := range recs {
		incs[i] = recs[i].Incident
	}
	cs := st.linker.Complaints(incs, st.prop)
	st.mu.Lock()
	st.complaints = &complaintCache{seq: seq, cs: cs}
	st.mu.Unlock()
	return cs, nil
}

func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }

// reassessEvery is how often the server checks the rated stations for
// criteria that lapsed with time (an inspection a year old, activities
// that stopped); a change checks at once.
const reassessEvery = time.Hour

// reassessLoop records the downgrades due, every reassessEvery, until the
// server stops. Replicas on one store may both find the same lapse; the
// second finds the downgrade made after its reload.
func (s *Server) reassessLoop() {
	if _, ok := s.cfg.Store.(PlacesStore); !ok || s.cfg.EscalationInterval < 0 {
		return // no places store, or a test that drives the clock itself
	}
	o := s.ops
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		t := time.NewTicker(reassessEvery)
		defer t.Stop()
		system := &Principal{TokenID: "reassess", Name: "system", Role: RoleAdmin}
		for {
			select {
			case <-o.stop:
				return
			case <-t.C:
			}
			st, _ := s.Current().Ext("places").(*placesState)
			if st == nil || len(places.Reassess(st.city, st.p, s.now())) == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := s.applyPlaces(ctx, system, "stations.reassess", "stations", &places.Change{}); err != nil {
				s.log.Error("places: reassess", "err", err)
			}
			cancel()
		}
	}()
}

// PlacesKPIs are the wall map's places figures: the three rates today and
// their change since early 2020, the year's property complaints against
// the year before, timely visits to the service targets, and stations by
// stars in force, with those whose criteria lapsed.
type PlacesKPIs struct {
	Day              string      `json:"day"`
	Base             string      `json:"base"`
	CommitteeRate    places.Rate `json:"committee_rate"`
	ProfessionalRate places.Rate `json:"professional_rate"`
	PartyOrgRate     places.Rate `json:"party_org_rate"`
	CommitteePP      float64     `json:"committee_change_pp"`
	ProfessionalPP   float64     `json:"professional_change_pp"`
	PartyOrgPP       float64     `json:"party_org_change_pp"`
	Complaints       int         `json:"complaints_12m"`
	ComplaintsPrior  int         `json:"complaints_prior_12m"`
	ComplaintsYoY    *float64    `json:"complaints_yoy"`
	VisitsOnTime     places.Rate `json:"visits_on_time"`
	VisitsOverdue    int         `json:"visits_overdue"`
	StationsByStars  map[int]int `json:"stations_by_stars"`
	StationsLapsed   int         `json:"stations_lapsed"`
	MeanStars        float64     `json:"mean_stars"`
	computed         time.Time   // when, for the cache
	seq              int64       // the incident store's last event then
}

// kpiFresh is how long the wall map's places figures stand while new
// incidents keep arriving: recomputing them links every property
// complaint again, which grows with the incident history, and a soak
// with a complaint every few milliseconds made every /api/v1/stats do it.
const kpiFresh = 5 * time.Second

// placesKPIs computes the figures, kept a minute per snapshot while no
// incident event arrives, and kpiFresh when they do. One caller computes;
// the others wait for its answer.
func (s *Server) placesKPIs(ctx context.Context) (*PlacesKPIs, error) {
	st, _ := s.Current().Ext("places").(*placesState)
	if st == nil {
		return nil, errors.New("places not ready")
	}
	st.kpiRun.Lock()
	defer st.kpiRun.Unlock()
	now := s.now()
	var seq int64
	if s.ops != nil && s.ops.inc != nil {
		var err error
		if seq, err = s.ops.inc.LastIncidentEvent(ctx); err != nil {
			return nil, err
		}
	}
	st.mu.Lock()
	if k := st.kpis; k != nil && now.After(k.computed) && (k.seq == seq && now.Sub(k.computed) < time.Minute || now.Sub(k.computed) < kpiFresh) {
		st.mu.Unlock()
		return k, nil
	}
	st.mu.Unlock()
	day := places.Day(now)
	ch, err := st.rater.Changes(places.LevelCity, defaultRatesBase, day)
	if err != nil {
		return nil, err
	}
	k := &PlacesKPIs{Day: day, Base: defaultRatesBase, CommitteeRate: ch[0].At.Committee, ProfessionalRate: ch[0].At.Professional,
		PartyOrgRate: ch[0].At.PartyOrg, CommitteePP: ch[0].CommitteePP, ProfessionalPP: ch[0].ProfessionalPP, PartyOrgPP: ch[0].PartyOrgPP,
		StationsByStars: map[int]int{}, computed: now, seq: seq}
	cs, err := s.complaintsNow(ctx, st)
	if err != nil {
		return nil, err
	}
	if fs, err := places.ComplaintReport(st.city, st.prop, cs, places.ComplaintQuery{Level: places.LevelCity, End: now}); err == nil && len(fs) > 0 {
		k.Complaints, k.ComplaintsPrior, k.ComplaintsYoY = fs[0].Count, fs[0].Prior, fs[0].YoY
	}
	_, sum := places.Coverage(st.buildings, st.p, st.intervals, now)
	k.VisitsOnTime, k.VisitsOverdue = sum.Covered, sum.Overdue
	acts := places.ActivityCounts(st.p.Logs, now)
	stars, n := 0, 0
	for i := range st.city.Stations {
		x := &st.city.Stations[i]
		f := places.Facts{Activities: acts[x.Code]}
		if r, ok := st.stations.At(x.Code, day); ok {
			f.Record = &r
		}
		if f.Record == nil || f.Record.Status != data.StationBuilt {
			continue
		}
		for _, r := range st.stations.Ratings(x.Code) {
			if !r.At.After(now) {
				f.Ratings = append(f.Ratings, r)
			}
		}
		a := places.Assess(x.Code, f, now)
		k.StationsByStars[a.Stars]++
		stars += a.Stars
		n++
		if len(a.Lapsed) > 0 {
			k.StationsLapsed++
		}
	}
	if n > 0 {
		k.MeanStars = float64(int(float64(stars)/float64(n)*100+0.5)) / 100
	}
	st.mu.Lock()
	st.kpis = k
	st.mu.Unlock()
	return k, nil
}
