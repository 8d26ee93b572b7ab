package tables

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
)

// The places records (package data/places): property companies and their
// party organisations, the compounds' dated property records, yearly
// evaluations, volunteer teams, service targets and logs, station records
// and the star-rating history. Dated records keep their day as yyyy-mm-dd
// text in from_day; lists are JSON text.

// Table names of the places records.
const (
	TableCompanies      = "property_companies"
	TableCompanyRecords = "property_company_records"
	TableProperty       = "property_records"
	TableEvaluations    = "property_evaluations"
	TableTeams          = "volunteer_teams"
	TableTargets        = "service_targets"
	TableLogs           = "service_logs"
	TableStationRecords = "station_records"
	TableRatings        = "star_ratings"
	// MetaIntervals is the meta key of the configured visit intervals
	// (JSON: days by target kind).
	MetaIntervals = "places_intervals"
)

// The places tables are schema version 4 (after the POIs' 2 and the
// people's 3: this file's init runs after people.go's).
func init() {
	Migrations = append(Migrations, Migration{Version: 4, Name: "places: property, volunteers and their service targets, stations", Tables: placesTables})
}

// placesTables are migration 4's tables.
var placesTables = []Table{
	{Name: TableCompanies, Title: "Property companies (物业服务企业)", Key: defaultKey, Columns: []Column{
		nn("code", Text), nn("name", Text), col("credit_code", Text), col("district_code", Text), col("hotline", Text)},
		Unique: []Index{uniq("idx_property_companies_code", "code")}},
	{Name: TableCompanyRecords, Title: "Property companies' party organisations, dated (物业企业党组织)", Key: defaultKey, Columns: []Column{
		{Name: "company_code", Type: Text, NotNull: true, Ref: "property_companies(code)"}, nn("from_day", Text), nn("party_org", Text),
		col("party_org_name", Text), nn("party_members", Integer), col("note", Text)},
		Unique: []Index{uniq("idx_property_company_records_key", "company_code", "from_day")}},
	{Name: TableProperty, Title: "Compounds' property service and owners' committees, dated (小区物业)", Key: defaultKey, Columns: []Column{
		nn("compound_code", Text), nn("from_day", Text), nn("status", Text), col("company_code", Text),
		nn("committee", Boolean), col("members", JSON), col("note", Text)},
		Unique: []Index{uniq("idx_property_records_key", "compound_code", "from_day")}},
	{Name: TableEvaluations, Title: "Yearly evaluations of property companies and projects (红色物业标杆)", Key: defaultKey, Columns: []Column{
		nn("year", Integer), nn("kind", Text), nn("subject_code", Text), nn("score", Real), nn("benchmark", Boolean), col("note", Text)},
		Unique: []Index{uniq("idx_property_evaluations_key", "year", "kind", "subject_code")}},
	{Name: TableTeams, Title: "Grids' party volunteer teams (党员志愿服务队)", Key: defaultKey, Columns: []Column{
		nn("grid_code", Text), nn("name", Text), col("leader", Text), col("leader_phone", Text), col("founded", Text), col("members", JSON)},
		Unique: []Index{uniq("idx_volunteer_teams_grid", "grid_code")}},
	{Name: TableTargets, Title: "Residents the volunteer teams serve (服务对象): personal data", Key: defaultKey, Columns: []Column{
		nn("id", Text), nn("kind", Text), nn("name", Text), col("gender", Text), nn("birth_year", Integer), col("phone", Text),
		col("guardian", Text), nn("building_code", Text), col("room", Text), col("items", JSON), nn("interval_days", Integer),
		nn("since", Text), col("until", Text), col("note", Text)},
		Unique:  []Index{uniq("idx_service_targets_id", "id")},
		Indexes: []Index{uniq("idx_service_targets_building", "building_code")}},
	{Name: TableLogs, Title: "Service logs: who, what, when, for whom (服务记录)", Key: defaultKey, Columns: []Column{
		nn("id", Text), nn("grid_code", Text), col("target_id", Text), col("station_code", Text), nn("item", Text),
		nn("at", DateTime), nn("minutes", Integer), col("volunteers", JSON), col("note", Text)},
		Unique:  []Index{uniq("idx_service_logs_id", "id")},
		Indexes: []Index{uniq("idx_service_logs_target", "target_id", "at"), uniq("idx_service_logs_station", "station_code", "at")}},
	{Name: TableStationRecords, Title: "Stations' lifecycle, hours, functions and area, dated (驿站档案)", Key: defaultKey, Columns: []Column{
		nn("station_code", Text), nn("from_day", Text), nn("status", Text), col("hours", Text), col("functions", JSON),
		nn("area_m2", Integer), col("note", Text)},
		Unique: []Index{uniq("idx_station_records_key", "station_code", "from_day")}},
	{Name: TableRatings, Title: "Stations' star-rating history: awards and downgrades (append-only)", Key: defaultKey, Columns: []Column{
		nn("station_code", Text), nn("at", DateTime), nn("stars", Integer), nn("kind", Text), col("criteria", JSON),
		col("actor", Text), col("note", Text)},
		Unique:     []Index{uniq("idx_star_ratings_key", "station_code", "at")},
		AppendOnly: true},
}

type memberRow struct {
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
	Role        string `json:"role"`
	PartyMember bool   `json:"party_member"`
}

type volunteerRow struct {
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
	PartyMember bool   `json:"party_member"`
}

func membersJSON(ms []data.CommitteeMember) (any, error) {
	if ms == nil {
		return nil, nil
	}
	rows := make([]memberRow, len(ms))
	for i, m := range ms {
		rows[i] = memberRow(m)
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

func volunteersJSON(vs []data.Volunteer) (any, error) {
	if vs == nil {
		return nil, nil
	}
	rows := make([]volunteerRow, len(vs))
	for i, v := range vs {
		rows[i] = volunteerRow(v)
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

// PlacesRows returns the places records of p as rows to insert, one batch
// per table, parents first.
func PlacesRows(p *data.Places) []Batch {
	return []Batch{
		{Table: TableCompanies, Cols: companyCols, N: len(p.Companies), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, companyArgs(&p.Companies[i], a)
		}},
		{Table: TableCompanyRecords, Cols: companyRecCols, N: len(p.CompanyRecords), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, companyRecArgs(&p.CompanyRecords[i], a)
		}},
		{Table: TableProperty, Cols: propertyCols, N: len(p.Property), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, propertyArgs(&p.Property[i], a)
		}},
		{Table: TableEvaluations, Cols: evalCols, N: len(p.Evaluations), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, evalArgs(&p.Evaluations[i], a)
		}},
		{Table: TableTeams, Cols: teamCols, N: len(p.Teams), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, teamArgs(&p.Teams[i], a)
		}},
		{Table: TableTargets, Cols: targetCols, N: len(p.Targets), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, targetArgs(&p.Targets[i], a)
		}},
		{Table: TableLogs, Cols: logCols, N: len(p.Logs), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, logArgs(&p.Logs[i], a)
		}},
		{Table: TableStationRecords, Cols: stationCols, N: len(p.Stations), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, stationArgs(&p.Stations[i], a)
		}},
		{Table: TableRatings, Cols: ratingCols, N: len(p.Ratings), Row: func(i int, a []any) (orb.Geometry, error) {
			return nil, ratingArgs(&p.Ratings[i], a)
		}},
	}
}

var (
	companyCols    = []string{"code", "name", "credit_code", "district_code", "hotline"}
	companyRecCols = []string{"company_code", "from_day", "party_org", "party_org_name", "party_members", "note"}
	propertyCols   = []string{"compound_code", "from_day", "status", "company_code", "committee", "members", "note"}
	evalCols       = []string{"year", "kind", "subject_code", "score", "benchmark", "note"}
	teamCols       = []string{"grid_code", "name", "leader", "leader_phone", "founded", "members"}
	targetCols     = []string{"id", "kind", "name", "gender", "birth_year", "phone", "guardian", "building_code", "room", "items", "interval_days", "since", "until", "note"}
	logCols        = []string{"id", "grid_code", "target_id", "station_code", "item", "at", "minutes", "volunteers", "note"}
	stationCols    = []string{"station_code", "from_day", "status", "hours", "functions", "area_m2", "note"}
	ratingCols     = []string{"station_code", "at", "stars", "kind", "criteria", "actor", "note"}
)

func companyArgs(c *data.PropertyCompany, a []any) error {
	a[0], a[1], a[2], a[3], a[4] = c.Code, c.Name, c.CreditCode, c.DistrictCode, c.Hotline
	return nil
}

func companyRecArgs(r *data.CompanyRecord, a []any) error {
	a[0], a[1], a[2], a[3], a[4], a[5] = r.CompanyCode, r.From, r.PartyOrg, r.PartyOrgName, int64(r.PartyMembers), r.Note
	return nil
}

func propertyArgs(r *data.PropertyRecord, a []any) error {
	ms, err := membersJSON(r.Members)
	a[0], a[1], a[2], a[3], a[4], a[5], a[6] = r.CompoundCode, r.From, r.Status, r.CompanyCode, r.Committee, ms, r.Note
	return err
}

func evalArgs(e *data.PropertyEvaluation, a []any) error {
	a[0], a[1], a[2], a[3], a[4], a[5] = int64(e.Year), e.Kind, e.SubjectCode, e.Score, e.Benchmark, e.Note
	return nil
}

func teamArgs(t *data.VolunteerTeam, a []any) error {
	ms, err := volunteersJSON(t.Members)
	a[0], a[1], a[2], a[3], a[4], a[5] = t.GridCode, t.Name, t.Leader, t.LeaderPhone, t.Founded, ms
	return err
}

func targetArgs(t *data.ServiceTarget, a []any) error {
	items, err := JSONList(t.Items)
	a[0], a[1], a[2], a[3], a[4], a[5], a[6] = t.ID, t.Kind, t.Name, t.Gender, int64(t.BirthYear), t.Phone, t.Guardian
	a[7], a[8], a[9], a[10], a[11], a[12], a[13] = t.BuildingCode, t.Room, items, int64(t.IntervalDays), t.Since, t.Until, t.Note
	return err
}

func logArgs(l *data.ServiceLog, a []any) error {
	vs, err := JSONList(l.Volunteers)
	a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8] = l.ID, l.GridCode, l.TargetID, l.StationCode, l.Item, FormatTime(l.At), int64(l.Minutes), vs, l.Note
	return err
}

func stationArgs(r *data.StationRecord, a []any) error {
	fs, err := JSONList(r.Functions)
	a[0], a[1], a[2], a[3], a[4], a[5], a[6] = r.StationCode, r.From, r.Status, r.Hours, fs, int64(r.AreaM2), r.Note
	return err
}

func ratingArgs(r *data.StarRating, a []any) error {
	cs, err := JSONList(r.Criteria)
	a[0], a[1], a[2], a[3], a[4], a[5], a[6] = r.StationCode, FormatTime(r.At), int64(r.Stars), r.Kind, cs, r.Actor, r.Note
	return err
}

// places loads every places table into c.Places.
func (l loader) places(c *data.City) error {
	p := &c.Places
	var (
		s    [14]String
		n    [3]Int
		f    Float
		tm   Time
		flag Int
	)
	steps := []struct {
		table, q string
		scan     func(rows Rows) error
	}{
		{TableCompanies, `SELECT code, name, credit_code, district_code, hotline FROM ` + TableCompanies + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &s[4]); err != nil {
				return err
			}
			p.Companies = append(p.Companies, data.PropertyCompany{Code: s[0].S, Name: s[1].S, CreditCode: s[2].S, DistrictCode: s[3].S, Hotline: s[4].S})
			return nil
		}},
		{TableCompanyRecords, `SELECT company_code, from_day, party_org, party_org_name, party_members, note FROM ` + TableCompanyRecords + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &n[0], &s[4]); err != nil {
				return err
			}
			p.CompanyRecords = append(p.CompanyRecords, data.CompanyRecord{CompanyCode: s[0].S, From: s[1].S, PartyOrg: s[2].S, PartyOrgName: s[3].S, PartyMembers: int(n[0].I), Note: s[4].S})
			return nil
		}},
		{TableProperty, `SELECT compound_code, from_day, status, company_code, committee, members, note FROM ` + TableProperty + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &flag, &s[4], &s[5]); err != nil {
				return err
			}
			rs, err := ParseJSONList[memberRow](s[4], "committee members")
			if err != nil {
				return err
			}
			r := data.PropertyRecord{CompoundCode: s[0].S, From: s[1].S, Status: s[2].S, CompanyCode: s[3].S, Committee: flag.I != 0, Note: s[5].S}
			if rs != nil {
				r.Members = make([]data.CommitteeMember, len(rs))
				for i, m := range rs {
					r.Members[i] = data.CommitteeMember(m)
				}
			}
			p.Property = append(p.Property, r)
			return nil
		}},
		{TableEvaluations, `SELECT year, kind, subject_code, score, benchmark, note FROM ` + TableEvaluations + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&n[0], &s[0], &s[1], &f, &flag, &s[2]); err != nil {
				return err
			}
			p.Evaluations = append(p.Evaluations, data.PropertyEvaluation{Year: int(n[0].I), Kind: s[0].S, SubjectCode: s[1].S, Score: f.F, Benchmark: flag.I != 0, Note: s[2].S})
			return nil
		}},
		{TableTeams, `SELECT grid_code, name, leader, leader_phone, founded, members FROM ` + TableTeams + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &s[4], &s[5]); err != nil {
				return err
			}
			vs, err := ParseJSONList[volunteerRow](s[5], "volunteers")
			if err != nil {
				return err
			}
			t := data.VolunteerTeam{GridCode: s[0].S, Name: s[1].S, Leader: s[2].S, LeaderPhone: s[3].S, Founded: s[4].S}
			if vs != nil {
				t.Members = make([]data.Volunteer, len(vs))
				for i, v := range vs {
					t.Members[i] = data.Volunteer(v)
				}
			}
			p.Teams = append(p.Teams, t)
			return nil
		}},
		{TableTargets, `SELECT id, kind, name, gender, birth_year, phone, guardian, building_code, room, items, interval_days, since, until, note FROM ` + TableTargets + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &n[0], &s[4], &s[5], &s[6], &s[7], &s[8], &n[1], &s[9], &s[10], &s[11]); err != nil {
				return err
			}
			items, err := ParseJSONList[string](s[8], "service items")
			if err != nil {
				return err
			}
			p.Targets = append(p.Targets, data.ServiceTarget{ID: s[0].S, Kind: s[1].S, Name: s[2].S, Gender: s[3].S, BirthYear: int(n[0].I), Phone: s[4].S,
				Guardian: s[5].S, BuildingCode: s[6].S, Room: s[7].S, Items: items, IntervalDays: int(n[1].I), Since: s[9].S, Until: s[10].S, Note: s[11].S})
			return nil
		}},
		{TableLogs, `SELECT id, grid_code, target_id, station_code, item, at, minutes, volunteers, note FROM ` + TableLogs + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &s[4], &tm, &n[0], &s[5], &s[6]); err != nil {
				return err
			}
			vs, err := ParseJSONList[string](s[5], "volunteers")
			if err != nil {
				return err
			}
			p.Logs = append(p.Logs, data.ServiceLog{ID: s[0].S, GridCode: s[1].S, TargetID: s[2].S, StationCode: s[3].S, Item: s[4].S, At: tm.T,
				Minutes: int(n[0].I), Volunteers: vs, Note: s[6].S})
			return nil
		}},
		{TableStationRecords, `SELECT station_code, from_day, status, hours, functions, area_m2, note FROM ` + TableStationRecords + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &s[1], &s[2], &s[3], &s[4], &n[0], &s[5]); err != nil {
				return err
			}
			fs, err := ParseJSONList[string](s[4], "station functions")
			if err != nil {
				return err
			}
			p.Stations = append(p.Stations, data.StationRecord{StationCode: s[0].S, From: s[1].S, Status: s[2].S, Hours: s[3].S, Functions: fs, AreaM2: int(n[0].I), Note: s[5].S})
			return nil
		}},
		{TableRatings, `SELECT station_code, at, stars, kind, criteria, actor, note FROM ` + TableRatings + ` ORDER BY fid`, func(rows Rows) error {
			if err := rows.Scan(&s[0], &tm, &n[0], &s[1], &s[2], &s[3], &s[4]); err != nil {
				return err
			}
			cs, err := ParseJSONList[string](s[2], "rating criteria")
			if err != nil {
				return err
			}
			p.Ratings = append(p.Ratings, data.StarRating{StationCode: s[0].S, At: tm.T, Stars: int(n[0].I), Kind: s[1].S, Criteria: cs, Actor: s[3].S, Note: s[4].S})
			return nil
		}},
	}
	// Capacity hints: the service logs alone are tens of thousands of rows,
	// and growing their slice by appends was a fifth of a load.
	p.Companies = withCap[data.PropertyCompany](l.count(TableCompanies))
	p.CompanyRecords = withCap[data.CompanyRecord](l.count(TableCompanyRecords))
	p.Property = withCap[data.PropertyRecord](l.count(TableProperty))
	p.Evaluations = withCap[data.PropertyEvaluation](l.count(TableEvaluations))
	p.Teams = withCap[data.VolunteerTeam](l.count(TableTeams))
	p.Targets = withCap[data.ServiceTarget](l.count(TableTargets))
	p.Logs = withCap[data.ServiceLog](l.count(TableLogs))
	p.Stations = withCap[data.StationRecord](l.count(TableStationRecords))
	p.Ratings = withCap[data.StarRating](l.count(TableRatings))
	for _, st := range steps {
		if err := l.each(st.table, st.q, st.scan); err != nil {
			return err
		}
	}
	return nil
}

// Stmt is one statement of a write, with ? placeholders (a backend that
// numbers its placeholders rewrites them: no statement here holds a ? in
// a literal) and arguments: DATETIME values as FormatTime gives them.
type Stmt struct {
	SQL  string
	Args []any
}

func insertStmt(table string, cols []string, args []any) Stmt {
	return Stmt{fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s)", table, strings.Join(cols, ", "), strings.Repeat(", ?", len(cols)-1)), args}
}

// PlacesWrites turns a change and its projection into statements: each
// upsert a delete of the record with the same key and an insert, each
// delete a delete by key, then the layers' columns the projection moves.
// Ratings are only inserted (their table is append-only). Tables lists the
// tables written, for the backends' bookkeeping.
func PlacesWrites(ch *places.Change, pr places.Projection) (stmts []Stmt, written []string, err error) {
	seen := map[string]bool{}
	touch := func(t string) {
		if !seen[t] {
			seen[t] = true
			written = append(written, t)
		}
	}
	del := func(table, where string, args ...any) {
		stmts = append(stmts, Stmt{"DELETE FROM " + table + " WHERE " + where, args})
		touch(table)
	}
	ins := func(table string, cols []string, fill func(a []any) error) error {
		a := make([]any, len(cols))
		if err := fill(a); err != nil {
			return fmt.Errorf("store: %s: %w", table, err)
		}
		stmts = append(stmts, insertStmt(table, cols, a))
		touch(table)
		return nil
	}
	// Deletions first, children before parents.
	for _, k := range ch.Delete {
		switch k.Sheet {
		case places.SheetCompanies:
			del(TableCompanies, "code = ?", k.Code)
		case places.SheetCompanyRecords:
			del(TableCompanyRecords, "company_code = ? AND from_day = ?", k.Code, k.From)
		case places.SheetProperty:
			del(TableProperty, "compound_code = ? AND from_day = ?", k.Code, k.From)
		case places.SheetEvaluations:
			var year int
			var kind string
			if _, err := fmt.Sscanf(strings.Replace(k.From, "/", " ", 1), "%d %s", &year, &kind); err != nil {
				return nil, nil, fmt.Errorf("store: evaluation key %q: want year/kind", k.From)
			}
			del(TableEvaluations, "year = ? AND kind = ? AND subject_code = ?", int64(year), kind, k.Code)
		case places.SheetTeams:
			del(TableTeams, "grid_code = ?", k.Code)
		case places.SheetTargets:
			del(TableTargets, "id = ?", k.Code)
		case places.SheetLogs:
			del(TableLogs, "id = ?", k.Code)
		case places.SheetStations:
			del(TableStationRecords, "station_code = ? AND from_day = ?", k.Code, k.From)
		default:
			return nil, nil, fmt.Errorf("store: cannot delete from %q", k.Sheet)
		}
	}
	for i := range ch.Companies {
		c := &ch.Companies[i]
		// Not delete-then-insert: company records reference the code.
		stmts = append(stmts, Stmt{"UPDATE " + TableCompanies + " SET name = ?, credit_code = ?, district_code = ?, hotline = ? WHERE code = ?",
			[]any{c.Name, c.CreditCode, c.DistrictCode, c.Hotline, c.Code}})
		stmts = append(stmts, Stmt{"INSERT INTO " + TableCompanies + " (code, name, credit_code, district_code, hotline) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM " +
			TableCompanies + " WHERE code = ?)", []any{c.Code, c.Name, c.CreditCode, c.DistrictCode, c.Hotline, c.Code}})
		touch(TableCompanies)
	}
	for i := range ch.CompanyRecords {
		r := &ch.CompanyRecords[i]
		del(TableCompanyRecords, "company_code = ? AND from_day = ?", r.CompanyCode, r.From)
		if err := ins(TableCompanyRecords, companyRecCols, func(a []any) error { return companyRecArgs(r, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Property {
		r := &ch.Property[i]
		del(TableProperty, "compound_code = ? AND from_day = ?", r.CompoundCode, r.From)
		if err := ins(TableProperty, propertyCols, func(a []any) error { return propertyArgs(r, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Evaluations {
		e := &ch.Evaluations[i]
		del(TableEvaluations, "year = ? AND kind = ? AND subject_code = ?", int64(e.Year), e.Kind, e.SubjectCode)
		if err := ins(TableEvaluations, evalCols, func(a []any) error { return evalArgs(e, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Teams {
		t := &ch.Teams[i]
		del(TableTeams, "grid_code = ?", t.GridCode)
		if err := ins(TableTeams, teamCols, func(a []any) error { return teamArgs(t, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Targets {
		t := &ch.Targets[i]
		del(TableTargets, "id = ?", t.ID)
		if err := ins(TableTargets, targetCols, func(a []any) error { return targetArgs(t, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Logs {
		l := &ch.Logs[i]
		del(TableLogs, "id = ?", l.ID)
		if err := ins(TableLogs, logCols, func(a []any) error { return logArgs(l, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Stations {
		r := &ch.Stations[i]
		del(TableStationRecords, "station_code = ? AND from_day = ?", r.StationCode, r.From)
		if err := ins(TableStationRecords, stationCols, func(a []any) error { return stationArgs(r, a) }); err != nil {
			return nil, nil, err
		}
	}
	for i := range ch.Ratings {
		r := &ch.Ratings[i]
		if err := ins(TableRatings, ratingCols, func(a []any) error { return ratingArgs(r, a) }); err != nil {
			return nil, nil, err
		}
	}
	if ch.Intervals != nil {
		b, err := json.Marshal(ch.Intervals)
		if err != nil {
			return nil, nil, err
		}
		del(TableMeta, "key = ?", MetaIntervals)
		stmts = append(stmts, insertStmt(TableMeta, []string{"key", "value"}, []any{MetaIntervals, string(b)}))
	}
	for _, s := range pr.Compounds {
		stmts = append(stmts, Stmt{"UPDATE " + data.LayerCompounds + " SET property_status = ?, property_company = ?, owners_committee = ?, party_org = ? WHERE code = ?",
			[]any{s.PropertyStatus, s.PropertyCompany, s.OwnersCommittee, s.PartyOrg, s.Code}})
		touch(data.LayerCompounds)
	}
	for _, s := range pr.Stations {
		stmts = append(stmts, Stmt{"UPDATE " + data.LayerStations + " SET status = ?, stars = ? WHERE code = ?", []any{s.Status, int64(s.Stars), s.Code}})
		touch(data.LayerStations)
	}
	for _, g := range pr.Grids {
		stmts = append(stmts, Stmt{"UPDATE " + data.LayerGrids + " SET volunteer_team = ?, volunteers = ? WHERE code = ?", []any{g.VolunteerTeam, int64(g.Volunteers), g.Code}})
		touch(data.LayerGrids)
	}
	return stmts, written, nil
}

// RecodePlaces re-codes the places records of compounds a plan re-codes
// (old → new code): their property records, their project evaluations, and
// the service targets in their buildings (a building's code is its
// compound's and three digits). Codes may move between compounds, so every
// record goes through a temporary code first.
func RecodePlaces(m map[string]string) []Stmt {
	if len(m) == 0 {
		return nil
	}
	olds := make([]string, 0, len(m))
	for o := range m {
		olds = append(olds, o)
	}
	sortStrings(olds)
	var out []Stmt
	for _, o := range olds {
		tmp := "~" + m[o]
		out = append(out,
			Stmt{"UPDATE " + TableProperty + " SET compound_code = ? WHERE compound_code = ?", []any{tmp, o}},
			Stmt{"UPDATE " + TableEvaluations + " SET subject_code = ? WHERE kind = 'project' AND subject_code = ?", []any{tmp, o}},
			Stmt{"UPDATE " + TableTargets + " SET building_code = CAST(? AS TEXT) || substr(building_code, 18) WHERE substr(building_code, 1, 17) = ?", []any{tmp, o}},
		)
	}
	return append(out,
		Stmt{"UPDATE " + TableProperty + " SET compound_code = substr(compound_code, 2) WHERE compound_code LIKE '~%'", nil},
		Stmt{"UPDATE " + TableEvaluations + " SET subject_code = substr(subject_code, 2) WHERE subject_code LIKE '~%'", nil},
		Stmt{"UPDATE " + TableTargets + " SET building_code = substr(building_code, 2) WHERE building_code LIKE '~%'", nil},
	)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// withCap is an empty slice with room for n, or nil when n is 0 (an empty
// table loads as it did before: no records, a nil slice).
func withCap[T any](n int) []T {
	if n <= 0 {
		return nil
	}
	return make([]T, 0, n)
}
