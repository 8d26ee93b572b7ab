package server

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/geo/coverage"
)

// The 1+N stations: one party-mass service centre per community and the
// grid red stations. Each has dated records (lifecycle planned → under
// construction → built, opening hours, functions, floor area) and a star
// rating managed dynamically: the criteria checklist is checked on the
// records and the logged activities, a rating above what the criteria
// support is refused, and lapsed criteria bring a downgrade (at once after
// a change, and hourly for the criteria that lapse with time). Coverage
// against the city's 70% goal comes from the coverage engine.

type stationJSON struct {
	Code          string             `json:"code"`
	Name          string             `json:"name"`
	Kind          string             `json:"kind"`
	GridCode      string             `json:"grid_code"`
	CommunityCode string             `json:"community_code"`
	Point         [2]float64         `json:"point"`
	Status        string             `json:"status"`
	StatusName    string             `json:"status_name"`
	Since         string             `json:"status_since,omitempty"`
	Hours         string             `json:"hours"`
	HoursText     string             `json:"hours_text"`
	WeeklyHours   float64            `json:"weekly_hours"`
	Functions     []string           `json:"functions"`
	AreaM2        int                `json:"area_m2"`
	Stars         int                `json:"stars"`
	Assessment    *places.Assessment `json:"assessment,omitempty"`
}

func (st *placesState) stationJSON(s *data.Station, day string, at time.Time, acts map[string]int, detail bool) stationJSON {
	out := stationJSON{Code: s.Code, Name: s.Name, Kind: s.Kind, GridCode: s.GridCode, CommunityCode: s.CommunityCode,
		Point: [2]float64{s.Point[0], s.Point[1]}, Status: s.Status, Functions: []string{}}
	rec, ok := st.stations.At(s.Code, day)
	if ok {
		out.Status, out.Hours, out.AreaM2 = rec.Status, rec.Hours, rec.AreaM2
		out.Functions = append(out.Functions, rec.Functions...)
		since := rec.From
		for _, h := range st.stations.History(s.Code) {
			if h.From <= day && h.Status == rec.Status && h.From < since {
				since = h.From
			}
		}
		out.Since = since
	}
	out.StatusName = places.StationStatusNames[out.Status]
	h, _ := places.ParseHours(out.Hours)
	out.HoursText, out.WeeklyHours = h.Chinese(), h.Weekly()
	f := places.Facts{Activities: acts[s.Code]}
	if ok {
		f.Record = &rec
	}
	for _, r := range st.stations.Ratings(s.Code) {
		if !r.At.After(at) {
			f.Ratings = append(f.Ratings, r)
		}
	}
	a := places.Assess(s.Code, f, at)
	out.Stars = a.Stars
	if detail || len(a.Lapsed) > 0 {
		out.Assessment = &a
	}
	return out
}

// handleStations is GET /api/v1/stations?kind=&status=&community=&stars=&lapsed=true&day=:
// the stations with their state, hours, functions and stars in force.
func (s *Server) handleStations(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	day, kind, status, lapsed := s.dayOf(r, "day"), queryString(r, "kind"), queryString(r, "status"), queryBool(r, "lapsed")
	stars, area := -1, areaOf(r)
	if queryString(r, "stars") != "" {
		stars = queryInt(r, "stars")
	}
	at := s.atDay(day)
	acts := places.ActivityCounts(st.p.Logs, at)
	var out []stationJSON
	byStars := map[int]int{}
	byStatus := map[string]int{}
	for i := range st.city.Stations {
		x := &st.city.Stations[i]
		if (kind != "" && x.Kind != kind) || !area.holds(x.GridCode) {
			continue
		}
		j := st.stationJSON(x, day, at, acts, false)
		if (status != "" && j.Status != status) || (stars >= 0 && j.Stars != stars) || (lapsed != nil && (j.Assessment != nil) != *lapsed) {
			continue
		}
		byStatus[j.Status]++
		if j.Status == data.StationBuilt {
			byStars[j.Stars]++
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"day": day, "total": len(out), "by_status": byStatus, "by_stars": byStars, "stations": page(r, out)})
}

// handleStation is GET /api/v1/stations/{code}: one station with its
// history, its rating history and the criteria checked now.
func (s *Server) handleStation(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	code := pathVar(r, "code")
	i, ok := st.stationIx[code]
	if !ok {
		writeError(w, http.StatusNotFound, "no station "+code)
		return
	}
	day := s.dayOf(r, "day")
	at := s.atDay(day)
	acts := places.ActivityCounts(st.p.Logs, at)
	var logs []logJSON
	for j := range st.p.Logs {
		if st.p.Logs[j].StationCode == code {
			// A public view: who was served is not the station's business,
			// nor the note of a service to one person (it is about them).
			l := st.logJSON(&st.p.Logs[j])
			if l.TargetID != "" {
				l.TargetID, l.Note = "", ""
			}
			logs = append(logs, l)
		}
	}
	sort.Slice(logs, func(a, b int) bool { return logs[a].At.After(logs[b].At) })
	writeJSON(w, http.StatusOK, map[string]any{"station": st.stationJSON(&st.city.Stations[i], day, at, acts, true),
		"history": st.stations.History(code), "ratings": st.stations.Ratings(code), "activities": cut(logs, 50, 0)})
}

type stationRecordIn struct {
	Status    string   `json:"status"`
	Hours     string   `json:"hours"`
	Functions []string `json:"functions"`
	AreaM2    int      `json:"area_m2"`
	Note      string   `json:"note" privacy:"text"`
}

// handlePutStationRecord is PUT /api/v1/stations/{code}/records/{from}: the
// station's state from that day; a step of the lifecycle at a time.
func (s *Server) handlePutStationRecord(w http.ResponseWriter, r *http.Request) {
	var in stationRecordIn
	if !decodeJSON(w, r, &in) {
		return
	}
	rec := data.StationRecord{StationCode: pathVar(r, "code"), From: pathVar(r, "from"), Status: in.Status, Hours: in.Hours,
		Functions: in.Functions, AreaM2: in.AreaM2, Note: in.Note}
	s.writeChange(w, r, "stations.record.put", rec.StationCode+"@"+rec.From, &places.Change{Stations: []data.StationRecord{rec}}, http.StatusOK)
}

// handleDeleteStationRecord is DELETE /api/v1/stations/{code}/records/{from}.
func (s *Server) handleDeleteStationRecord(w http.ResponseWriter, r *http.Request) {
	k := places.Key{Sheet: places.SheetStations, Code: pathVar(r, "code"), From: pathVar(r, "from")}
	s.writeChange(w, r, "stations.record.delete", k.Code+"@"+k.From, &places.Change{Delete: []places.Key{k}}, http.StatusOK)
}

type ratingIn struct {
	Stars    int      `json:"stars"`
	Criteria []string `json:"criteria"`
	Note     string   `json:"note" privacy:"text"`
}

// handlePostRating is POST /api/v1/stations/{code}/ratings: award stars
// after an inspection, naming the inspected criteria found met; refused
// with the unmet criteria when the station does not support the stars.
func (s *Server) handlePostRating(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	var in ratingIn
	if !decodeJSON(w, r, &in) {
		return
	}
	rt := data.StarRating{StationCode: pathVar(r, "code"), At: s.now().Truncate(time.Second), Stars: in.Stars, Kind: data.RatingAward,
		Criteria: in.Criteria, Actor: p.Actor(), Note: in.Note}
	s.writeChange(w, r, "stations.rating.award", rt.StationCode, &places.Change{Ratings: []data.StarRating{rt}}, http.StatusCreated)
}

// handleReassess is POST /api/v1/stations/reassess: check every rated
// station against the criteria now and record the downgrades due.
func (s *Server) handleReassess(w http.ResponseWriter, r *http.Request) {
	done, err := s.reassess(r, PrincipalFrom(r.Context()))
	if err != nil {
		writePlacesError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"downgrades": done})
}

func (s *Server) reassess(r *http.Request, p *Principal) ([]data.StarRating, error) {
	st, _ := s.Current().Ext("places").(*placesState)
	if st == nil {
		return nil, fmt.Errorf("places not ready")
	}
	if len(places.Reassess(st.city, st.p, s.now())) == 0 {
		return []data.StarRating{}, nil
	}
	done, err := s.applyPlaces(r.Context(), p, "stations.reassess", "stations", &places.Change{})
	if err != nil {
		return nil, err
	}
	return done.Ratings, nil
}

// handleCriteria is GET /api/v1/stations/criteria: the star checklist.
func (s *Server) handleCriteria(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"criteria": places.Criteria, "activity_window_days": places.ActivityWindowDays,
		"inspection_valid_days": places.InspectionValidDays,
		"rule":                  "a station earns a level when it meets every criterion of that level and below; the stars in force are the lower of the stars last rated and the level the criteria support; a lapse records a downgrade"})
}

// stationCoverage is the share of grids covered by the grid stations as
// they stand, as they will with those under construction built, and with
// the planned sites built too.
type stationCoverage struct {
	Target            float64          `json:"target"`
	Built             coverage.Figures `json:"built"`
	UnderConstruction coverage.Figures `json:"with_under_construction"`
	Planned           coverage.Figures `json:"with_planned"`
	Stations          map[string]int   `json:"grid_stations"`
	MeetsTarget       bool             `json:"meets_target"`
	GapGrids          int              `json:"grids_short_of_target"`
}

// handleStationCoverage is GET /api/v1/stations/coverage: grid coverage
// against the city's 70% goal, from the coverage engine.
func (s *Server) handleStationCoverage(w http.ResponseWriter, r *http.Request) {
	sn := s.Current()
	st, _ := sn.Ext("places").(*placesState)
	cs, ok := sn.Ext("coverage").(*coverageState)
	if !ok || st == nil {
		writeError(w, http.StatusServiceUnavailable, "coverage not ready")
		return
	}
	st.covOnce.Do(func() { st.cov = stationCoverageOf(sn, cs) })
	writeJSON(w, http.StatusOK, st.cov)
}

func stationCoverageOf(sn *Snapshot, cs *coverageState) *stationCoverage {
	m := cs.get(coverage.Options{})
	figs := cs.figures()
	uc := m.Report(func(i int) bool {
		x := &sn.City.Stations[i]
		return x.Kind == data.StationGrid && (x.Status == data.StationBuilt || x.Status == data.StationUnderConstruction)
	}, false)
	out := &stationCoverage{Target: m.Opt.Target, Built: figs.built.City, UnderConstruction: uc.City, Planned: figs.planned.City, Stations: map[string]int{}}
	for i := range sn.City.Stations {
		if x := &sn.City.Stations[i]; x.Kind == data.StationGrid {
			out.Stations[x.Status]++
		}
	}
	out.MeetsTarget = out.Built.MeetsTarget
	if need := int(out.Target*float64(out.Built.Grids)+0.999999) - out.Built.GridsCovered; need > 0 {
		out.GapGrids = need
	}
	return out
}
