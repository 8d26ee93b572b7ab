package tables

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// The people records (package data/people): staff, their dated
// assignments to grids, the 双报到 units' details and dated pairings with
// communities, commitments, evaluations and contact points. Days are ISO
// dates (2026-03-01) in Text columns; an open end is NULL. Nothing is ever
// deleted: an ended assignment keeps its row.
const (
	TableUnitDetails = "reporting_unit_details"
	// PeopleDay is the form of a day in the people tables.
	PeopleDay = "2006-01-02"
)

func init() {
	Migrations = append(Migrations, Migration{Version: 3, Name: "people: staff, assignments, pairings, commitments, evaluations, contact points", Tables: []Table{
		{Name: data.LayerStaff, Title: "People who serve the grids (人员): cadres, heads, workers, leaders, secretaries", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("name", Text), nn("role", Text), col("unit", Text), col("rank", Text), col("phone", Text),
			col("title", Text), col("community_code", Text), col("street_code", Text), nn("joined", Text), col("retired", Text), col("note", Text)},
			Unique: []Index{uniq("idx_staff_id", "id")}, Indexes: []Index{uniq("idx_staff_role", "role")}},
		{Name: data.LayerAssignments, Title: "Dated assignments of people to grids (网格任职), with their history", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("staff_id", Text), nn("grid_code", Text), nn("duty", Text), nn("from_day", Text), col("to_day", Text), col("note", Text)},
			Unique: []Index{uniq("idx_assignments_id", "id")}, Indexes: []Index{uniq("idx_assignments_grid", "grid_code"), uniq("idx_assignments_staff", "staff_id")}},
		{Name: TableUnitDetails, Title: "Details of the reporting units: district, party secretary, phone, note", Key: defaultKey, Columns: []Column{
			{Name: "unit_code", Type: Text, NotNull: true, Ref: "reporting_units(code)"}, col("district_code", Text), col("secretary", Text), col("phone", Text), col("note", Text)},
			Unique: []Index{uniq("idx_unit_details_code", "unit_code")}},
		{Name: data.LayerPairings, Title: "Dated pairings of reporting units with communities (双报到结对)", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("unit_code", Text), nn("community_code", Text), nn("from_day", Text), col("to_day", Text), col("note", Text)},
			Unique: []Index{uniq("idx_pairings_id", "id")}, Indexes: []Index{uniq("idx_pairings_community", "community_code")}},
		{Name: data.LayerCommitments, Title: "Yearly commitments of the reporting units (承诺事项)", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("unit_code", Text), nn("community_code", Text), nn("year", Integer), nn("title", Text), nn("status", Text),
			col("evidence", JSON), col("updated_at", DateTime)},
			Unique: []Index{uniq("idx_commitments_id", "id")}, Indexes: []Index{uniq("idx_commitments_year", "year")}},
		{Name: data.LayerEvaluations, Title: "Yearly evaluations of people and streets (考核)", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("year", Integer), nn("subject", Text), nn("subject_id", Text), nn("incidents", Integer),
			nn("on_time_share", Real), nn("reopen_rate", Real), nn("score", Real), nn("grade", Text), col("comment", Text),
			col("at", DateTime), col("by_actor", Text)},
			Unique: []Index{uniq("idx_evaluations_id", "id"), uniq("idx_evaluations_subject", "year", "subject", "subject_id")}},
		{Name: data.LayerContactPoints, Title: "Leading cadres' community contact points (联系点)", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("staff_id", Text), nn("community_code", Text), nn("from_day", Text), col("to_day", Text), col("note", Text)},
			Unique: []Index{uniq("idx_contact_points_id", "id")}},
	}})
}

// PeopleLayers are the people tables that hold a City slice each, in the
// order they are written.
var PeopleLayers = []string{data.LayerStaff, data.LayerAssignments, TableUnitDetails, data.LayerPairings,
	data.LayerCommitments, data.LayerEvaluations, data.LayerContactPoints}

// PeopleKey is the column that identifies a row of a people table: an
// upsert replaces the row with the same value.
func PeopleKey(table string) string {
	if table == TableUnitDetails {
		return "unit_code"
	}
	return "id"
}

func day(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(PeopleDay)
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(PeopleDay, s)
	if err != nil {
		// A GIS may have written a timestamp.
		if t2, err2 := time.Parse(time.RFC3339, s); err2 == nil {
			return data.Day(t2), nil
		}
		return time.Time{}, fmt.Errorf("%q is not a day", s)
	}
	return t, nil
}

type evidenceJSON struct {
	At   string `json:"at"`
	By   string `json:"by,omitempty"`
	Text string `json:"text"`
}

func evidence(es []data.Evidence) (any, error) {
	if es == nil {
		return nil, nil
	}
	out := make([]evidenceJSON, len(es))
	for i, e := range es {
		out[i] = evidenceJSON{At: e.At.UTC().Format(TimeFormat), By: e.By, Text: e.Text}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// PeopleRows returns the rows of one people table for c's records (for
// units: their details).
func PeopleRows(table string, c *data.City) (Batch, error) {
	switch table {
	case data.LayerStaff:
		return Batch{Table: table, Cols: []string{"id", "name", "role", "unit", "rank", "phone", "title", "community_code", "street_code", "joined", "retired", "note"},
			N: len(c.Staff), Row: func(i int, a []any) (orb.Geometry, error) {
				s := &c.Staff[i]
				a[0], a[1], a[2], a[3], a[4], a[5] = s.ID, s.Name, s.Role, s.Unit, s.Rank, s.Phone
				a[6], a[7], a[8], a[9], a[10], a[11] = s.Title, s.CommunityCode, s.StreetCode, day(s.Joined), day(s.Retired), s.Note
				return nil, nil
			}}, nil
	case data.LayerAssignments:
		return Batch{Table: table, Cols: []string{"id", "staff_id", "grid_code", "duty", "from_day", "to_day", "note"},
			N: len(c.Assignments), Row: func(i int, a []any) (orb.Geometry, error) {
				x := &c.Assignments[i]
				a[0], a[1], a[2], a[3], a[4], a[5], a[6] = x.ID, x.StaffID, x.GridCode, x.Duty, day(x.From), day(x.To), x.Note
				return nil, nil
			}}, nil
	case TableUnitDetails:
		return Batch{Table: table, Cols: []string{"unit_code", "district_code", "secretary", "phone", "note"},
			N: len(c.ReportingUnits), Row: func(i int, a []any) (orb.Geometry, error) {
				u := &c.ReportingUnits[i]
				a[0], a[1], a[2], a[3], a[4] = u.Code, u.DistrictCode, u.Secretary, u.Phone, u.Note
				return nil, nil
			}}, nil
	case data.LayerPairings:
		return Batch{Table: table, Cols: []string{"id", "unit_code", "community_code", "from_day", "to_day", "note"},
			N: len(c.Pairings), Row: func(i int, a []any) (orb.Geometry, error) {
				p := &c.Pairings[i]
				a[0], a[1], a[2], a[3], a[4], a[5] = p.ID, p.UnitCode, p.CommunityCode, day(p.From), day(p.To), p.Note
				return nil, nil
			}}, nil
	case data.LayerCommitments:
		return Batch{Table: table, Cols: []string{"id", "unit_code", "community_code", "year", "title", "status", "evidence", "updated_at"},
			N: len(c.Commitments), Row: func(i int, a []any) (orb.Geometry, error) {
				x := &c.Commitments[i]
				ev, err := evidence(x.Evidence)
				if err != nil {
					return nil, err
				}
				a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = x.ID, x.UnitCode, x.CommunityCode, int64(x.Year), x.Title, x.Status, ev, FormatTime(x.UpdatedAt)
				return nil, nil
			}}, nil
	case data.LayerEvaluations:
		return Batch{Table: table, Cols: []string{"id", "year", "subject", "subject_id", "incidents", "on_time_share", "reopen_rate", "score", "grade", "comment", "at", "by_actor"},
			N: len(c.Evaluations), Row: func(i int, a []any) (orb.Geometry, error) {
				e := &c.Evaluations[i]
				a[0], a[1], a[2], a[3], a[4], a[5] = e.ID, int64(e.Year), e.Subject, e.SubjectID, int64(e.Incidents), e.OnTimeShare
				a[6], a[7], a[8], a[9], a[10], a[11] = e.ReopenRate, e.Score, e.Grade, e.Comment, FormatTime(e.At), e.By
				return nil, nil
			}}, nil
	case data.LayerContactPoints:
		return Batch{Table: table, Cols: []string{"id", "staff_id", "community_code", "from_day", "to_day", "note"},
			N: len(c.ContactPoints), Row: func(i int, a []any) (orb.Geometry, error) {
				p := &c.ContactPoints[i]
				a[0], a[1], a[2], a[3], a[4], a[5] = p.ID, p.StaffID, p.CommunityCode, day(p.From), day(p.To), p.Note
				return nil, nil
			}}, nil
	}
	return Batch{}, fmt.Errorf("store: unknown people table %q", table)
}

// loadPeople reads the people tables. A store without them (an older
// file) loads without people records.
func (l loader) people(c *data.City) error {
	var (
		s          [12]String
		n          [4]Int
		f          [3]Float
		tm         Time
		err        error
		parseErr   error
		dayOf      = func(v String) time.Time { t, e := parseDay(v.S); parseErr = errorsJoin(parseErr, e); return t }
		scanString = func(rows Rows, k int) error {
			dst := make([]any, k)
			for i := range dst {
				dst[i] = &s[i]
			}
			return rows.Scan(dst...)
		}
	)
	err = l.each(data.LayerStaff, `SELECT id, name, role, unit, rank, phone, title, community_code, street_code, joined, retired, note FROM staff ORDER BY fid`, func(rows Rows) error {
		if err := scanString(rows, 12); err != nil {
			return err
		}
		c.Staff = append(c.Staff, data.Staff{ID: s[0].S, Name: s[1].S, Role: s[2].S, Unit: s[3].S, Rank: s[4].S, Phone: s[5].S, Title: s[6].S,
			CommunityCode: s[7].S, StreetCode: s[8].S, Joined: dayOf(s[9]), Retired: dayOf(s[10]), Note: s[11].S})
		return nil
	})
	if err != nil {
		return err
	}
	err = l.each(data.LayerAssignments, `SELECT id, staff_id, grid_code, duty, from_day, to_day, note FROM assignments ORDER BY fid`, func(rows Rows) error {
		if err := scanString(rows, 7); err != nil {
			return err
		}
		c.Assignments = append(c.Assignments, data.Assignment{ID: s[0].S, StaffID: s[1].S, GridCode: s[2].S, Duty: s[3].S, From: dayOf(s[4]), To: dayOf(s[5]), Note: s[6].S})
		return nil
	})
	if err != nil {
		return err
	}
	units := make(map[string]int, len(c.ReportingUnits))
	for i := range c.ReportingUnits {
		units[c.ReportingUnits[i].Code] = i
	}
	err = l.each(TableUnitDetails, `SELECT unit_code, district_code, secretary, phone, note FROM reporting_unit_details ORDER BY fid`, func(rows Rows) error {
		if err := scanString(rows, 5); err != nil {
			return err
		}
		if i, ok := units[s[0].S]; ok {
			u := &c.ReportingUnits[i]
			u.DistrictCode, u.Secretary, u.Phone, u.Note = s[1].S, s[2].S, s[3].S, s[4].S
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = l.each(data.LayerPairings, `SELECT id, unit_code, community_code, from_day, to_day, note FROM pairings ORDER BY fid`, func(rows Rows) error {
		if err := scanString(rows, 6); err != nil {
			return err
		}
		c.Pairings = append(c.Pairings, data.Pairing{ID: s[0].S, UnitCode: s[1].S, CommunityCode: s[2].S, From: dayOf(s[3]), To: dayOf(s[4]), Note: s[5].S})
		return nil
	})
	if err != nil {
		return err
	}
	err = l.each(data.LayerCommitments, `SELECT id, unit_code, community_code, year, title, status, evidence, updated_at FROM commitments ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&s[0], &s[1], &s[2], &n[0], &s[3], &s[4], &s[5], &tm); err != nil {
			return err
		}
		x := data.Commitment{ID: s[0].S, UnitCode: s[1].S, CommunityCode: s[2].S, Year: int(n[0].I), Title: s[3].S, Status: s[4].S, UpdatedAt: tm.T}
		if s[5].S != "" {
			var es []evidenceJSON
			if err := json.Unmarshal([]byte(s[5].S), &es); err != nil {
				return fmt.Errorf("commitment %s: evidence: %w", x.ID, err)
			}
			x.Evidence = make([]data.Evidence, len(es))
			for i, e := range es {
				at, _ := time.Parse(TimeFormat, e.At)
				x.Evidence[i] = data.Evidence{At: at, By: e.By, Text: e.Text}
			}
		}
		c.Commitments = append(c.Commitments, x)
		return nil
	})
	if err != nil {
		return err
	}
	err = l.each(data.LayerEvaluations, `SELECT id, year, subject, subject_id, incidents, on_time_share, reopen_rate, score, grade, comment, at, by_actor FROM evaluations ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&s[0], &n[0], &s[1], &s[2], &n[1], &f[0], &f[1], &f[2], &s[3], &s[4], &tm, &s[5]); err != nil {
			return err
		}
		c.Evaluations = append(c.Evaluations, data.Evaluation{ID: s[0].S, Year: int(n[0].I), Subject: s[1].S, SubjectID: s[2].S, Incidents: int(n[1].I),
			OnTimeShare: f[0].F, ReopenRate: f[1].F, Score: f[2].F, Grade: s[3].S, Comment: s[4].S, At: tm.T, By: s[5].S})
		return nil
	})
	if err != nil {
		return err
	}
	err = l.each(data.LayerContactPoints, `SELECT id, staff_id, community_code, from_day, to_day, note FROM contact_points ORDER BY fid`, func(rows Rows) error {
		if err := scanString(rows, 6); err != nil {
			return err
		}
		c.ContactPoints = append(c.ContactPoints, data.ContactPoint{ID: s[0].S, StaffID: s[1].S, CommunityCode: s[2].S, From: dayOf(s[3]), To: dayOf(s[4]), Note: s[5].S})
		return nil
	})
	if err != nil {
		return err
	}
	if parseErr != nil {
		return fmt.Errorf("store: load people: %w", parseErr)
	}
	return nil
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// ChangeRows returns the rows a people change writes, one batch per table
// it touches (a unit writes its reporting_units row and its details);
// each row replaces the row of the same PeopleKey.
func ChangeRows(ch ChangeRecords) []Batch {
	c := &data.City{Staff: ch.Staff, Assignments: ch.Assignments, ReportingUnits: ch.Units, Pairings: ch.Pairings,
		Commitments: ch.Commitments, Evaluations: ch.Evaluations, ContactPoints: ch.ContactPoints}
	var out []Batch
	if len(ch.Units) > 0 {
		out = append(out, unitRows(ch.Units)[0])
	}
	for _, t := range PeopleLayers {
		if b, err := PeopleRows(t, c); err == nil && b.N > 0 {
			out = append(out, b)
		}
	}
	return out
}

// ChangeRecords are the records of one people change (people.Change).
type ChangeRecords struct {
	Staff         []data.Staff
	Assignments   []data.Assignment
	Units         []data.ReportingUnit
	Pairings      []data.Pairing
	Commitments   []data.Commitment
	Evaluations   []data.Evaluation
	ContactPoints []data.ContactPoint
	// Meta are meta-table keys the change sets (the people rules).
	Meta map[string]string
}

// UpsertKey is the column a batch of ChangeRows replaces rows by.
func UpsertKey(table string) string {
	if table == data.LayerReportingUnits {
		return "code"
	}
	return PeopleKey(table)
}
