package server

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
)

// The grids' party volunteer teams and the residents they serve. Teams
// (members, leader, contact) are shown to everyone through the masking
// policy; the service targets (鳏寡孤独, the severely disabled, left-behind
// and vulnerable children) and the logs that name them are personal data
// for the organiser and admin roles only, and every other answer counts
// them by grid at the finest.

type volunteerJSON struct {
	Name        string `json:"name" privacy:"name"`
	Phone       string `json:"phone,omitempty" privacy:"phone"`
	PartyMember bool   `json:"party_member"`
}

type teamJSON struct {
	GridCode    string          `json:"grid_code"`
	Grid        string          `json:"grid"`
	Name        string          `json:"name"`
	Leader      string          `json:"leader" privacy:"name"`
	LeaderPhone string          `json:"leader_phone" privacy:"phone"`
	Founded     string          `json:"founded,omitempty"`
	Members     []volunteerJSON `json:"members"`
	Size        int             `json:"size"`
	Party       int             `json:"party_members"`
	Targets     int             `json:"targets"`
	Overdue     int             `json:"overdue"`
	Services90  int             `json:"services_90d"`
}

func (st *placesState) teamJSON(t *data.VolunteerTeam, gs *places.GridServices) teamJSON {
	out := teamJSON{GridCode: t.GridCode, Name: t.Name, Leader: t.Leader, LeaderPhone: t.LeaderPhone, Founded: t.Founded,
		Members: []volunteerJSON{}, Size: len(t.Members)}
	if g := st.city.Grid(t.GridCode); g != nil {
		out.Grid = g.Name
	}
	for _, m := range t.Members {
		out.Members = append(out.Members, volunteerJSON{m.Name, m.Phone, m.PartyMember})
		if m.PartyMember {
			out.Party++
		}
	}
	if gs != nil {
		out.Targets, out.Overdue, out.Services90 = gs.Targets, gs.Overdue, gs.Logs90
	}
	return out
}

// coverageNow is the service coverage on day.
func (s *Server) coverageNow(st *placesState, day string) ([]places.TargetCoverage, places.CoverageSummary, []places.GridServices) {
	at := s.atDay(day)
	tc, sum := places.Coverage(st.buildings, st.p, st.intervals, at)
	return tc, sum, places.ByGrid(st.city, st.p, tc, at)
}

// handleTeams is GET /api/v1/volunteers/teams?community=&street=&grid=&limit=&offset=.
func (s *Server) handleTeams(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	area := areaOf(r)
	_, _, grids := s.coverageNow(st, places.Day(s.now()))
	byGrid := map[string]*places.GridServices{}
	for i := range grids {
		byGrid[grids[i].GridCode] = &grids[i]
	}
	var out []teamJSON
	for i := range st.p.Teams {
		t := &st.p.Teams[i]
		if !area.holds(t.GridCode) {
			continue
		}
		out = append(out, st.teamJSON(t, byGrid[t.GridCode]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GridCode < out[j].GridCode })
	var without []string
	for _, g := range grids {
		if !g.Team && area.holds(g.GridCode) {
			without = append(without, g.GridCode)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "teams": page(r, out), "grids_without_team": without})
}

// handleTeam is GET /api/v1/volunteers/teams/{grid}.
func (s *Server) handleTeam(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	grid := pathVar(r, "grid")
	for i := range st.p.Teams {
		if t := &st.p.Teams[i]; t.GridCode == grid {
			_, _, grids := s.coverageNow(st, places.Day(s.now()))
			var gs *places.GridServices
			for j := range grids {
				if grids[j].GridCode == grid {
					gs = &grids[j]
				}
			}
			writeJSON(w, http.StatusOK, st.teamJSON(t, gs))
			return
		}
	}
	if st.city.Grid(grid) == nil {
		writeError(w, http.StatusNotFound, "no grid "+grid)
		return
	}
	writeError(w, http.StatusNotFound, "grid "+grid+" has no volunteer team yet")
}

type teamIn struct {
	Name        string          `json:"name"`
	Leader      string          `json:"leader" privacy:"name"`
	LeaderPhone string          `json:"leader_phone" privacy:"phone"`
	Founded     string          `json:"founded"`
	Members     []volunteerJSON `json:"members"`
}

// handlePutTeam is PUT /api/v1/volunteers/teams/{grid}: the grid's team,
// created or replaced.
func (s *Server) handlePutTeam(w http.ResponseWriter, r *http.Request) {
	var in teamIn
	if !decodeJSON(w, r, &in) {
		return
	}
	t := data.VolunteerTeam{GridCode: pathVar(r, "grid"), Name: in.Name, Leader: in.Leader, LeaderPhone: in.LeaderPhone, Founded: in.Founded}
	for _, m := range in.Members {
		t.Members = append(t.Members, data.Volunteer{Name: m.Name, Phone: m.Phone, PartyMember: m.PartyMember})
	}
	s.writeChange(w, r, "volunteers.team.put", t.GridCode, &places.Change{Teams: []data.VolunteerTeam{t}}, http.StatusOK)
}

// targetJSON is a service target: personal data (organiser and admin).
type targetJSON struct {
	ID           string                 `json:"id"`
	Kind         string                 `json:"kind"`
	KindName     string                 `json:"kind_name"`
	Name         string                 `json:"name" privacy:"name"`
	Gender       string                 `json:"gender" privacy:"personal"`
	BirthYear    int                    `json:"birth_year" privacy:"personal"`
	Phone        string                 `json:"phone,omitempty" privacy:"phone"`
	Guardian     string                 `json:"guardian,omitempty" privacy:"name"`
	BuildingCode string                 `json:"building_code"`
	Address      string                 `json:"address" privacy:"personal"`
	Room         string                 `json:"room,omitempty" privacy:"personal"`
	Items        []string               `json:"items"`
	IntervalDays int                    `json:"interval_days"`
	Since        string                 `json:"since"`
	Until        string                 `json:"until,omitempty"`
	Note         string                 `json:"note,omitempty" privacy:"text"`
	Coverage     *places.TargetCoverage `json:"coverage,omitempty"`
}

func (st *placesState) targetJSON(t *data.ServiceTarget, tc *places.TargetCoverage) targetJSON {
	out := targetJSON{ID: t.ID, Kind: t.Kind, KindName: places.TargetKindNames[t.Kind], Name: t.Name, Gender: t.Gender, BirthYear: t.BirthYear,
		Phone: t.Phone, Guardian: t.Guardian, BuildingCode: t.BuildingCode, Room: t.Room, Items: t.Items, IntervalDays: t.IntervalDays,
		Since: t.Since, Until: t.Until, Note: t.Note, Coverage: tc}
	if b := st.buildings[t.BuildingCode]; b != nil {
		if cp := st.city.Compound(b.CompoundCode); cp != nil {
			out.Address = fmt.Sprintf("%s%d号%s%d号楼", b.Road, b.HouseNumber, cp.Name, b.Number)
		}
	}
	return out
}

// handleTargets is GET /api/v1/volunteers/targets?grid=&community=&kind=&overdue=true&all=true:
// the service targets served today (all: also those no longer served),
// with their coverage. Organiser and admin only.
func (s *Server) handleTargets(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	kind, overdue, all, area := queryString(r, "kind"), queryBool(r, "overdue"), queryBool(r, "all"), areaOf(r)
	tc, sum, _ := s.coverageNow(st, places.Day(s.now()))
	cov := map[string]*places.TargetCoverage{}
	for i := range tc {
		cov[tc[i].TargetID] = &tc[i]
	}
	var out []targetJSON
	for i := range st.p.Targets {
		t := &st.p.Targets[i]
		c := cov[t.ID]
		if c == nil && (all == nil || !*all) {
			continue
		}
		if !area.holds(t.BuildingCode) {
			continue
		}
		if kind != "" && t.Kind != kind {
			continue
		}
		if overdue != nil && (c == nil || (c.Overdue || !c.Team) != *overdue) {
			continue
		}
		out = append(out, st.targetJSON(t, c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "summary": sum, "targets": page(r, out)})
}

// handleTarget is GET /api/v1/volunteers/targets/{id}: one target with its
// coverage and its service logs. Organiser and admin only.
func (s *Server) handleTarget(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	id := pathVar(r, "id")
	for i := range st.p.Targets {
		t := &st.p.Targets[i]
		if t.ID != id {
			continue
		}
		tc, _, _ := s.coverageNow(st, places.Day(s.now()))
		var c *places.TargetCoverage
		for j := range tc {
			if tc[j].TargetID == id {
				c = &tc[j]
			}
		}
		var logs []logJSON
		for j := range st.p.Logs {
			if st.p.Logs[j].TargetID == id {
				logs = append(logs, st.logJSON(&st.p.Logs[j]))
			}
		}
		sort.Slice(logs, func(a, b int) bool { return logs[a].At.After(logs[b].At) })
		writeJSON(w, http.StatusOK, map[string]any{"target": st.targetJSON(t, c), "logs": logs})
		return
	}
	writeError(w, http.StatusNotFound, "no service target "+id)
}

type targetIn struct {
	Kind         string   `json:"kind"`
	Name         string   `json:"name" privacy:"name"`
	Gender       string   `json:"gender" privacy:"personal"`
	BirthYear    int      `json:"birth_year" privacy:"personal"`
	Phone        string   `json:"phone" privacy:"phone"`
	Guardian     string   `json:"guardian" privacy:"name"`
	BuildingCode string   `json:"building_code"`
	Room         string   `json:"room" privacy:"personal"`
	Items        []string `json:"items"`
	IntervalDays int      `json:"interval_days"`
	Since        string   `json:"since"`
	Until        string   `json:"until"`
	Note         string   `json:"note" privacy:"text"`
}

// handlePutTarget is PUT /api/v1/volunteers/targets/{id}: a target,
// created or replaced; set until to stop serving one.
func (s *Server) handlePutTarget(w http.ResponseWriter, r *http.Request) {
	var in targetIn
	if !decodeJSON(w, r, &in) {
		return
	}
	t := data.ServiceTarget{ID: pathVar(r, "id"), Kind: in.Kind, Name: in.Name, Gender: in.Gender, BirthYear: in.BirthYear, Phone: in.Phone,
		Guardian: in.Guardian, BuildingCode: in.BuildingCode, Room: in.Room, Items: in.Items, IntervalDays: in.IntervalDays,
		Since: in.Since, Until: in.Until, Note: in.Note}
	s.writeChange(w, r, "volunteers.target.put", t.ID, &places.Change{Targets: []data.ServiceTarget{t}}, http.StatusOK)
}

// logJSON is a service log; who was served is personal data.
type logJSON struct {
	ID          string    `json:"id"`
	GridCode    string    `json:"grid_code"`
	TargetID    string    `json:"target_id,omitempty"`
	TargetKind  string    `json:"target_kind,omitempty"`
	StationCode string    `json:"station_code,omitempty"`
	Station     string    `json:"station,omitempty"`
	Item        string    `json:"item"`
	ItemName    string    `json:"item_name"`
	At          time.Time `json:"at"`
	Minutes     int       `json:"minutes"`
	Volunteers  []string  `json:"volunteers" privacy:"name"`
	Note        string    `json:"note,omitempty" privacy:"text"`
}

func (st *placesState) logJSON(l *data.ServiceLog) logJSON {
	out := logJSON{ID: l.ID, GridCode: l.GridCode, TargetID: l.TargetID, StationCode: l.StationCode, Item: l.Item,
		ItemName: places.ServiceItemNames[l.Item], At: l.At, Minutes: l.Minutes, Volunteers: l.Volunteers, Note: l.Note}
	if i, ok := st.stationIx[l.StationCode]; ok {
		out.Station = st.city.Stations[i].Name
	}
	return out
}

// handleLogs is GET /api/v1/volunteers/logs?grid=&target=&station=&item=&from=&to=:
// service logs, newest first. Organiser and admin only.
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	var from, to time.Time
	if v := queryString(r, "from"); v != "" {
		from, _ = places.ParseDate(v)
	}
	if v := queryString(r, "to"); v != "" {
		to = places.EndOfDay(v)
	}
	item, grid, target, station := queryString(r, "item"), queryString(r, "grid"), queryString(r, "target"), queryString(r, "station")
	kinds := map[string]string{}
	for i := range st.p.Targets {
		kinds[st.p.Targets[i].ID] = st.p.Targets[i].Kind
	}
	var out []logJSON
	for i := range st.p.Logs {
		l := &st.p.Logs[i]
		if (grid != "" && !strings.HasPrefix(l.GridCode, grid)) || (target != "" && l.TargetID != target) || (station != "" && l.StationCode != station) ||
			(item != "" && l.Item != item) || (!from.IsZero() && l.At.Before(from)) || (!to.IsZero() && !l.At.Before(to)) {
			continue
		}
		j := st.logJSON(l)
		j.TargetKind = kinds[l.TargetID]
		out = append(out, j)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.After(out[b].At) })
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "logs": page(r, out)})
}

type logIn struct {
	ID          string    `json:"id"`
	GridCode    string    `json:"grid_code"`
	TargetID    string    `json:"target_id"`
	StationCode string    `json:"station_code"`
	Item        string    `json:"item"`
	At          time.Time `json:"at"`
	Minutes     int       `json:"minutes"`
	Volunteers  []string  `json:"volunteers" privacy:"name"`
	Note        string    `json:"note" privacy:"text"`
}

// handlePostLog is POST /api/v1/volunteers/logs: record a service (201).
// Without an id, the next free L-number is given.
func (s *Server) handlePostLog(w http.ResponseWriter, r *http.Request) {
	var in logIn
	if !decodeJSON(w, r, &in) {
		return
	}
	st := s.places(w)
	if st == nil {
		return
	}
	l := data.ServiceLog{ID: in.ID, GridCode: in.GridCode, TargetID: in.TargetID, StationCode: in.StationCode, Item: in.Item,
		At: in.At, Minutes: in.Minutes, Volunteers: in.Volunteers, Note: in.Note}
	if l.ID == "" {
		l.ID = nextLogID(st.p.Logs)
	} else {
		for i := range st.p.Logs {
			if st.p.Logs[i].ID == l.ID {
				writeError(w, http.StatusConflict, "log "+l.ID+" exists")
				return
			}
		}
	}
	s.writeChange(w, r, "volunteers.log.create", l.ID, &places.Change{Logs: []data.ServiceLog{l}}, http.StatusCreated)
}

// nextLogID is one more than the largest L-number.
func nextLogID(logs []data.ServiceLog) string {
	best := ""
	for i := range logs {
		id := logs[i].ID
		if len(id) > len(best) || (len(id) == len(best) && id > best) {
			best = id
		}
	}
	if best == "" {
		return "L1"
	}
	digits := []byte(best[1:])
	for i := len(digits) - 1; i >= 0; i-- {
		if digits[i] < '9' {
			digits[i]++
			return "L" + string(digits)
		}
		digits[i] = '0'
	}
	return "L1" + string(digits)
}

// handleDeleteLog is DELETE /api/v1/volunteers/logs/{id}.
func (s *Server) handleDeleteLog(w http.ResponseWriter, r *http.Request) {
	k := places.Key{Sheet: places.SheetLogs, Code: pathVar(r, "id")}
	s.writeChange(w, r, "volunteers.log.delete", k.Code, &places.Change{Delete: []places.Key{k}}, http.StatusOK)
}

// areaServices are the service figures of an area: counts only.
type areaServices struct {
	Code     string         `json:"code"`
	Name     string         `json:"name,omitempty"`
	Grids    int            `json:"grids"`
	Teams    int            `json:"grids_with_team"`
	Members  int            `json:"volunteers"`
	Targets  int            `json:"targets"`
	Overdue  int            `json:"overdue"`
	NoTeam   int            `json:"targets_without_team"`
	Covered  places.Rate    `json:"covered"`
	ByKind   map[string]int `json:"by_kind"`
	Services int            `json:"services_90d"`
}

// handleServiceCoverage is GET /api/v1/volunteers/coverage?level=grid|community|street|district|city:
// targets, teams and overdue visits counted by area (no one named).
func (s *Server) handleServiceCoverage(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	level, day := queryString(r, "level"), s.dayOf(r, "day")
	tc, sum, grids := s.coverageNow(st, day)
	key := func(grid string) string {
		switch level {
		case "grid":
			return grid
		case places.LevelCommunity:
			return grid[:data.CommunityCodeLen]
		case places.LevelStreet:
			return grid[:data.StreetCodeLen]
		case places.LevelDistrict:
			return grid[:data.DistrictCodeLen]
		}
		return ""
	}
	acc := map[string]*areaServices{}
	get := func(k string) *areaServices {
		a := acc[k]
		if a == nil {
			a = &areaServices{Code: k, ByKind: map[string]int{}}
			acc[k] = a
		}
		return a
	}
	for _, g := range grids {
		if len(g.GridCode) < data.GridCodeLen {
			continue
		}
		a := get(key(g.GridCode))
		a.Grids++
		if g.Team {
			a.Teams++
		}
		a.Members += g.Members
		a.Services += g.Logs90
	}
	for _, t := range tc {
		if len(t.GridCode) < data.GridCodeLen {
			continue
		}
		a := get(key(t.GridCode))
		a.Targets++
		a.ByKind[t.Kind]++
		if t.Overdue {
			a.Overdue++
		}
		if !t.Team {
			a.NoTeam++
		}
		if t.Covered {
			a.Covered.Num++
		}
	}
	out := make([]areaServices, 0, len(acc))
	for _, k := range sortedKeys(acc) {
		a := acc[k]
		a.Covered = rateOf(a.Covered.Num, a.Targets)
		a.Name = areaName(st.city, level, k)
		out = append(out, *a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"level": level, "day": day, "summary": sum, "intervals": st.intervals, "areas": out})
}

func rateOf(num, den int) places.Rate {
	r := places.Rate{Num: num, Den: den}
	if den > 0 {
		r.Value = float64(int64(float64(num)/float64(den)*10000+0.5)) / 10000
	}
	return r
}

func areaName(c *data.City, level, code string) string {
	switch level {
	case "grid":
		if g := c.Grid(code); g != nil {
			return g.Name
		}
	case places.LevelCommunity:
		if x := c.Community(code); x != nil {
			return x.Name
		}
	case places.LevelStreet:
		if x := c.Street(code); x != nil {
			return x.Name
		}
	case places.LevelDistrict:
		if x := c.District(code); x != nil {
			return x.Name
		}
	case places.LevelCity:
		return "全市"
	}
	return ""
}

// handleOverdue is GET /api/v1/volunteers/overdue: the targets whose visit
// is late or who have no team, the longest late first. Organiser and
// admin only.
func (s *Server) handleOverdue(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	tc, sum, _ := s.coverageNow(st, places.Day(s.now()))
	od := places.Overdue(tc)
	byID := map[string]*data.ServiceTarget{}
	for i := range st.p.Targets {
		byID[st.p.Targets[i].ID] = &st.p.Targets[i]
	}
	out := make([]targetJSON, 0, len(od))
	for i := range od {
		out = append(out, st.targetJSON(byID[od[i].TargetID], &od[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "summary": sum, "targets": page(r, out)})
}

// handleIntervals is GET /api/v1/volunteers/intervals: the visit
// intervals in days by target kind.
func (s *Server) handleIntervals(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"intervals": st.intervals, "defaults": places.DefaultIntervals})
}

// handlePutIntervals is PUT /api/v1/volunteers/intervals: {"lonely_elderly": 7, …}.
func (s *Server) handlePutIntervals(w http.ResponseWriter, r *http.Request) {
	var iv places.Intervals
	if !decodeJSON(w, r, &iv) {
		return
	}
	if err := iv.Validate(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	s.writeChange(w, r, "volunteers.intervals.put", "intervals", &places.Change{Intervals: iv}, http.StatusOK)
}

// handleServiceItems is GET /api/v1/volunteers/items: the seven service
// items and the target kinds with their Chinese names.
func (s *Server) handleServiceItems(w http.ResponseWriter, r *http.Request) {
	var items, kinds []namedCode
	for _, it := range data.ServiceItems {
		items = append(items, namedCode{it, places.ServiceItemNames[it]})
	}
	for _, k := range data.TargetKinds {
		kinds = append(kinds, namedCode{k, places.TargetKindNames[k]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "target_kinds": kinds,
		"note": "居家环境, 生活照料, 跑腿代办 and 托管教育 are the city's; 健康关爱, 精神慰藉 and 安全守护 are gridmap's own, from common practice"})
}
