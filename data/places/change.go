package places

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Change is a set of writes to the places records, applied together or
// not at all. Records replace the record with the same key or are added:
// a company by code, a dated record by subject and From, an evaluation by
// year, kind and subject, a team by grid, a target or a log by id, a rating
// by station and time. Delete lists keys to remove.
type Change struct {
	Companies      []data.PropertyCompany    `json:"companies,omitempty"`
	CompanyRecords []data.CompanyRecord      `json:"company_records,omitempty"`
	Property       []data.PropertyRecord     `json:"property,omitempty"`
	Evaluations    []data.PropertyEvaluation `json:"evaluations,omitempty"`
	Teams          []data.VolunteerTeam      `json:"teams,omitempty"`
	Targets        []data.ServiceTarget      `json:"targets,omitempty"`
	Logs           []data.ServiceLog         `json:"logs,omitempty"`
	Stations       []data.StationRecord      `json:"stations,omitempty"`
	Ratings        []data.StarRating         `json:"ratings,omitempty"`
	Delete         []Key                     `json:"delete,omitempty"`
	// Intervals, when set, replaces the configured visit intervals.
	Intervals Intervals `json:"intervals,omitempty"`
}

// Key names one record to delete: its list (a Sheet name) and key parts
// (a code or id; and a From day, a year and kind, or a time).
type Key struct {
	Sheet string `json:"sheet"`
	Code  string `json:"code"`           // subject code or id
	From  string `json:"from,omitempty"` // dated records: the From day; evaluations: "year/kind"; ratings: RFC 3339 time
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool { return c.Size() == 0 && c.Intervals == nil }

// Size counts the records the change writes or deletes.
func (c *Change) Size() int {
	return len(c.Companies) + len(c.CompanyRecords) + len(c.Property) + len(c.Evaluations) + len(c.Teams) +
		len(c.Targets) + len(c.Logs) + len(c.Stations) + len(c.Ratings) + len(c.Delete)
}

// Keys of each list's records.
func companyKey(r *data.PropertyCompany) string  { return r.Code }
func companyRecKey(r *data.CompanyRecord) string { return r.CompanyCode + "|" + r.From }
func propertyKey(r *data.PropertyRecord) string  { return r.CompoundCode + "|" + r.From }
func evalKey(r *data.PropertyEvaluation) string {
	return fmt.Sprintf("%s|%d/%s", r.SubjectCode, r.Year, r.Kind)
}
func teamKey(r *data.VolunteerTeam) string    { return r.GridCode }
func targetKey(r *data.ServiceTarget) string  { return r.ID }
func logKey(r *data.ServiceLog) string        { return r.ID }
func stationKey(r *data.StationRecord) string { return r.StationCode + "|" + r.From }
func ratingKey(r *data.StarRating) string {
	return r.StationCode + "|" + r.At.UTC().Format(time.RFC3339Nano)
}

// String is the key of a delete Key, as the list's records are keyed.
func (k Key) String() string {
	if k.From == "" {
		return k.Code
	}
	if k.Sheet == SheetRatings {
		if t, err := time.Parse(time.RFC3339Nano, k.From); err == nil {
			return k.Code + "|" + t.UTC().Format(time.RFC3339Nano)
		}
	}
	return k.Code + "|" + k.From
}

// merge applies upserts and deletes to one list, keeping its order and
// putting new records at the end. It returns the merged list and the keys
// that were to be deleted but do not exist.
func merge[T any](old, up []T, key func(*T) string, del map[string]bool) ([]T, []string) {
	pos := make(map[string]int, len(old)+len(up))
	out := make([]T, 0, len(old)+len(up))
	for i := range old {
		k := key(&old[i])
		if del[k] {
			continue
		}
		pos[k] = len(out)
		out = append(out, old[i])
	}
	for i := range up {
		k := key(&up[i])
		if j, ok := pos[k]; ok {
			out[j] = up[i]
			continue
		}
		pos[k] = len(out)
		out = append(out, up[i])
	}
	var missing []string
	seen := map[string]bool{}
	for i := range old {
		seen[key(&old[i])] = true
	}
	for k := range del {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	return out, missing
}

// Merge returns p with the change applied, and an error naming the first
// deleted key that does not exist.
func Merge(p *data.Places, c *Change) (*data.Places, error) {
	del := map[string]map[string]bool{}
	for _, k := range c.Delete {
		if !slices.Contains(SheetNames, k.Sheet) {
			return nil, fieldErr("delete", "%q is not a list (one of %v)", k.Sheet, SheetNames)
		}
		if del[k.Sheet] == nil {
			del[k.Sheet] = map[string]bool{}
		}
		del[k.Sheet][k.String()] = true
	}
	out := &data.Places{}
	var missing []string
	var m []string
	out.Companies, m = merge(p.Companies, c.Companies, companyKey, del[SheetCompanies])
	missing = append(missing, m...)
	out.CompanyRecords, m = merge(p.CompanyRecords, c.CompanyRecords, companyRecKey, del[SheetCompanyRecords])
	missing = append(missing, m...)
	out.Property, m = merge(p.Property, c.Property, propertyKey, del[SheetProperty])
	missing = append(missing, m...)
	out.Evaluations, m = merge(p.Evaluations, c.Evaluations, evalKey, del[SheetEvaluations])
	missing = append(missing, m...)
	out.Teams, m = merge(p.Teams, c.Teams, teamKey, del[SheetTeams])
	missing = append(missing, m...)
	out.Targets, m = merge(p.Targets, c.Targets, targetKey, del[SheetTargets])
	missing = append(missing, m...)
	out.Logs, m = merge(p.Logs, c.Logs, logKey, del[SheetLogs])
	missing = append(missing, m...)
	out.Stations, m = merge(p.Stations, c.Stations, stationKey, del[SheetStations])
	missing = append(missing, m...)
	out.Ratings, m = merge(p.Ratings, c.Ratings, ratingKey, del[SheetRatings])
	missing = append(missing, m...)
	if len(missing) > 0 {
		return nil, fieldErr("delete", "no record %s", missing[0])
	}
	return out, nil
}

// Problem is a rule a change breaks: the list and the position in the
// change's slice of that list (-1 for the change as a whole), the field at
// fault and why.
type Problem struct {
	Sheet  string `json:"sheet"`
	Index  int    `json:"index"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (p Problem) Error() string {
	if p.Index < 0 {
		return fmt.Sprintf("%s: %s", p.Sheet, p.Reason)
	}
	return fmt.Sprintf("%s[%d]: %s", p.Sheet, p.Index, p.Reason)
}

// Context is what a change is checked against.
type Context struct {
	City      *data.City
	Buildings Buildings
	Now       time.Time
}

// Check checks every record the change writes against the records as
// they will be (merged), and the deletions: a company still named by a
// record cannot go, nor a target or team with logs. It returns every
// problem found, in list order.
func Check(cx Context, merged *data.Places, c *Change) []Problem {
	var out []Problem
	add := func(sheet string, i int, err error) {
		if err != nil {
			field := FieldOf(err)
			msg := err.Error()
			var fe *FieldError
			if errors.As(err, &fe) {
				msg = fe.Msg
			}
			out = append(out, Problem{Sheet: sheet, Index: i, Field: field, Reason: msg})
		}
	}
	prop := NewProperty(merged)
	known := func(code string) bool { return prop.Company(code) != nil }
	dupes := func(sheet string, n int, key func(i int) string) {
		seen := map[string]int{}
		for i := 0; i < n; i++ {
			k := key(i)
			if j, ok := seen[k]; ok {
				out = append(out, Problem{Sheet: sheet, Index: i, Reason: fmt.Sprintf("the same record as entry %d (%s)", j, k)})
			}
			seen[k] = i
		}
	}
	dupes(SheetCompanies, len(c.Companies), func(i int) string { return companyKey(&c.Companies[i]) })
	dupes(SheetCompanyRecords, len(c.CompanyRecords), func(i int) string { return companyRecKey(&c.CompanyRecords[i]) })
	dupes(SheetProperty, len(c.Property), func(i int) string { return propertyKey(&c.Property[i]) })
	dupes(SheetEvaluations, len(c.Evaluations), func(i int) string { return evalKey(&c.Evaluations[i]) })
	dupes(SheetTeams, len(c.Teams), func(i int) string { return teamKey(&c.Teams[i]) })
	dupes(SheetTargets, len(c.Targets), func(i int) string { return targetKey(&c.Targets[i]) })
	dupes(SheetLogs, len(c.Logs), func(i int) string { return logKey(&c.Logs[i]) })
	dupes(SheetStations, len(c.Stations), func(i int) string { return stationKey(&c.Stations[i]) })
	dupes(SheetRatings, len(c.Ratings), func(i int) string { return ratingKey(&c.Ratings[i]) })
	for i := range c.Companies {
		add(SheetCompanies, i, ValidateCompany(&c.Companies[i], cx.City))
	}
	for i := range c.CompanyRecords {
		add(SheetCompanyRecords, i, ValidateCompanyRecord(&c.CompanyRecords[i], known))
	}
	for i := range c.Property {
		add(SheetProperty, i, ValidatePropertyRecord(&c.Property[i], cx.City, known))
	}
	for i := range c.Evaluations {
		add(SheetEvaluations, i, CheckEvaluation(&c.Evaluations[i], cx.City, prop))
	}
	for i := range c.Teams {
		add(SheetTeams, i, ValidateTeam(&c.Teams[i], cx.City))
	}
	for i := range c.Targets {
		add(SheetTargets, i, ValidateTarget(&c.Targets[i], cx.Buildings))
	}
	teams := map[string]bool{}
	for i := range merged.Teams {
		teams[merged.Teams[i].GridCode] = len(merged.Teams[i].Members) > 0
	}
	targets := map[string]*data.ServiceTarget{}
	for i := range merged.Targets {
		targets[merged.Targets[i].ID] = &merged.Targets[i]
	}
	stations := map[string]*data.Station{}
	for i := range cx.City.Stations {
		stations[cx.City.Stations[i].Code] = &cx.City.Stations[i]
	}
	refs := LogRefs{
		Team:    func(g string) bool { return teams[g] },
		Target:  func(id string) *data.ServiceTarget { return targets[id] },
		Station: func(code string) *data.Station { return stations[code] },
		GridOf: func(b string) (string, bool) {
			if x := cx.Buildings[b]; x != nil {
				return x.GridCode, true
			}
			return "", false
		},
		Now: cx.Now,
	}
	for i := range c.Logs {
		add(SheetLogs, i, ValidateLog(&c.Logs[i], refs))
	}
	st := NewStations(merged)
	checkedLife := map[string]bool{}
	for i := range c.Stations {
		r := &c.Stations[i]
		add(SheetStations, i, ValidateStationRecord(r, cx.City))
		if !checkedLife[r.StationCode] {
			checkedLife[r.StationCode] = true
			add(SheetStations, i, CheckLifecycle(st.History(r.StationCode)))
		}
	}
	for i := range c.Ratings {
		r := &c.Ratings[i]
		switch {
		case stations[r.StationCode] == nil:
			add(SheetRatings, i, fieldErr("station_code", "no station %q", r.StationCode))
		case r.Kind != data.RatingAward:
			add(SheetRatings, i, fieldErr("kind", "only awards are recorded by hand; downgrades are made when criteria lapse"))
		case r.At.IsZero() || r.At.After(cx.Now.Add(time.Hour)):
			add(SheetRatings, i, fieldErr("at", "a rating is given at a time up to now"))
		default:
			add(SheetRatings, i, CheckAward(r, FactsAt(st, merged.Logs, r.StationCode, r.At)))
		}
	}
	// Deletions that would leave references dangling.
	for _, k := range c.Delete {
		switch k.Sheet {
		case SheetCompanies:
			for i := range merged.Property {
				if merged.Property[i].CompanyCode == k.Code {
					out = append(out, Problem{Sheet: SheetCompanies, Index: -1, Field: "code",
						Reason: fmt.Sprintf("company %s serves %s from %s: delete or change those records first", k.Code, merged.Property[i].CompoundCode, merged.Property[i].From)})
					break
				}
			}
		case SheetTargets, SheetTeams:
			for i := range merged.Logs {
				l := &merged.Logs[i]
				if (k.Sheet == SheetTargets && l.TargetID == k.Code) || (k.Sheet == SheetTeams && l.GridCode == k.Code) {
					out = append(out, Problem{Sheet: k.Sheet, Index: -1, Field: "code",
						Reason: fmt.Sprintf("%s has service logs (%s): a target leaves by its until day, a team stays with its history", k.Code, l.ID)})
					break
				}
			}
		}
	}
	return out
}

// FactsAt gathers a station's facts at t: its record in force that day,
// its activities of the 90 days before, its ratings up to t.
func FactsAt(st *Stations, logs []data.ServiceLog, code string, t time.Time) Facts {
	f := Facts{}
	if r, ok := st.At(code, Day(t)); ok {
		f.Record = &r
	}
	from := t.AddDate(0, 0, -ActivityWindowDays)
	for i := range logs {
		l := &logs[i]
		if l.StationCode == code && l.At.After(from) && !l.At.After(t) {
			f.Activities++
		}
	}
	for _, r := range st.Ratings(code) {
		if !r.At.After(t) {
			f.Ratings = append(f.Ratings, r)
		}
	}
	return f
}

// Reassess checks every station with a rating against the criteria at now
// and returns the downgrades that lapsed criteria call for.
func Reassess(c *data.City, p *data.Places, now time.Time) []data.StarRating {
	st := NewStations(p)
	acts := ActivityCounts(p.Logs, now)
	var out []data.StarRating
	for i := range c.Stations {
		code := c.Stations[i].Code
		rs := st.Ratings(code)
		if len(rs) == 0 {
			continue
		}
		f := Facts{Activities: acts[code]}
		if r, ok := st.At(code, Day(now)); ok {
			f.Record = &r
		}
		judged := false // a rating made at this very instant stands until the next check
		for _, r := range rs {
			if !r.At.After(now) {
				f.Ratings = append(f.Ratings, r)
			}
			judged = judged || r.At.Equal(now)
		}
		if judged {
			continue
		}
		if d, ok := Downgrade(Assess(code, f, now), now); ok {
			out = append(out, d)
		}
	}
	return out
}

// Projection is what the city's layers show of the places records now:
// a compound's property fields, a station's status and stars, a grid's
// volunteer team. The store keeps the layers' columns in step.
type Projection struct {
	Compounds []CompoundState `json:"compounds,omitempty"`
	Stations  []StationState  `json:"stations,omitempty"`
	Grids     []GridTeam      `json:"grids,omitempty"`
}

// CompoundState is a compound's current property fields.
type CompoundState struct {
	Code            string `json:"code"`
	PropertyStatus  string `json:"property_status"`
	PropertyCompany string `json:"property_company"`
	OwnersCommittee bool   `json:"owners_committee"`
	PartyOrg        bool   `json:"party_org"`
}

// StationState is a station's current status and stars.
type StationState struct {
	Code   string `json:"code"`
	Status string `json:"status"`
	Stars  int    `json:"stars"`
}

// GridTeam is a grid's current volunteer team name and size.
type GridTeam struct {
	Code          string `json:"code"`
	VolunteerTeam string `json:"volunteer_team"`
	Volunteers    int    `json:"volunteers"`
}

// Empty reports whether nothing changes.
func (p *Projection) Empty() bool { return len(p.Compounds)+len(p.Stations)+len(p.Grids) == 0 }

// Project computes what the layers should show on now's day from the
// records, and returns only what differs from the city as it is. A
// subject without any record keeps its fields.
func Project(c *data.City, p *data.Places, now time.Time) Projection {
	day := Day(now)
	prop := NewProperty(p)
	var out Projection
	for i := range c.Compounds {
		cp := &c.Compounds[i]
		r, ok := prop.At(cp.Code, day)
		if !ok {
			continue
		}
		s := CompoundState{Code: cp.Code, PropertyStatus: r.Status, OwnersCommittee: r.Committee}
		if r.Status == data.PropertyManaged {
			if co := prop.Company(r.CompanyCode); co != nil {
				s.PropertyCompany = co.Name
			}
			s.PartyOrg = prop.HasPartyOrg(r.CompanyCode, day)
		}
		if s.PropertyStatus != cp.PropertyStatus || s.PropertyCompany != cp.PropertyCompany || s.OwnersCommittee != cp.OwnersCommittee || s.PartyOrg != cp.PartyOrg {
			out.Compounds = append(out.Compounds, s)
		}
	}
	st := NewStations(p)
	for i := range c.Stations {
		s := &c.Stations[i]
		ns := StationState{Code: s.Code, Status: s.Status, Stars: s.Stars}
		if r, ok := st.At(s.Code, day); ok {
			ns.Status = r.Status
		}
		if rs := st.Ratings(s.Code); len(rs) > 0 {
			ns.Stars = 0
			for _, r := range rs {
				if !r.At.After(now) {
					ns.Stars = r.Stars
				}
			}
		}
		if ns.Status != data.StationBuilt {
			ns.Stars = 0
		}
		if ns.Status != s.Status || ns.Stars != s.Stars {
			out.Stations = append(out.Stations, ns)
		}
	}
	if len(p.Teams) == 0 {
		return out // no team records at all: the grids keep their fields
	}
	teams := map[string]*data.VolunteerTeam{}
	for i := range p.Teams {
		teams[p.Teams[i].GridCode] = &p.Teams[i]
	}
	for i := range c.Grids {
		g := &c.Grids[i]
		t := GridTeam{Code: g.Code}
		if tm := teams[g.Code]; tm != nil {
			t.VolunteerTeam, t.Volunteers = tm.Name, len(tm.Members)
		}
		if t.VolunteerTeam != g.VolunteerTeam || t.Volunteers != g.Volunteers {
			out.Grids = append(out.Grids, t)
		}
	}
	return out
}

// ApplyProjection sets the projected fields on the city (in memory).
func ApplyProjection(c *data.City, pr Projection) {
	for _, s := range pr.Compounds {
		if cp := c.Compound(s.Code); cp != nil {
			cp.PropertyStatus, cp.PropertyCompany, cp.OwnersCommittee, cp.PartyOrg = s.PropertyStatus, s.PropertyCompany, s.OwnersCommittee, s.PartyOrg
		}
	}
	st := map[string]StationState{}
	for _, s := range pr.Stations {
		st[s.Code] = s
	}
	for i := range c.Stations {
		if s, ok := st[c.Stations[i].Code]; ok {
			c.Stations[i].Status, c.Stations[i].Stars = s.Status, s.Stars
		}
	}
	for _, t := range pr.Grids {
		if g := c.Grid(t.Code); g != nil {
			g.VolunteerTeam, g.Volunteers = t.VolunteerTeam, t.Volunteers
		}
	}
}

// keys returns, per list, the keys of the records the change writes or
// deletes.
func (c *Change) keys() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(sheet, k string) {
		if out[sheet] == nil {
			out[sheet] = map[string]bool{}
		}
		out[sheet][k] = true
	}
	for i := range c.Companies {
		add(SheetCompanies, companyKey(&c.Companies[i]))
	}
	for i := range c.CompanyRecords {
		add(SheetCompanyRecords, companyRecKey(&c.CompanyRecords[i]))
	}
	for i := range c.Property {
		add(SheetProperty, propertyKey(&c.Property[i]))
	}
	for i := range c.Evaluations {
		add(SheetEvaluations, evalKey(&c.Evaluations[i]))
	}
	for i := range c.Teams {
		add(SheetTeams, teamKey(&c.Teams[i]))
	}
	for i := range c.Targets {
		add(SheetTargets, targetKey(&c.Targets[i]))
	}
	for i := range c.Logs {
		add(SheetLogs, logKey(&c.Logs[i]))
	}
	for i := range c.Stations {
		add(SheetStations, stationKey(&c.Stations[i]))
	}
	for i := range c.Ratings {
		add(SheetRatings, ratingKey(&c.Ratings[i]))
	}
	for _, k := range c.Delete {
		add(k.Sheet, k.String())
	}
	return out
}

func pickOld[T any](l []T, key func(*T) string, want map[string]bool) []T {
	var out []T
	for i := range l {
		if want[key(&l[i])] {
			out = append(out, l[i])
		}
	}
	return out
}

// Before returns the records of p that the change replaces or deletes
// (for the audit trail's before and after).
func Before(p *data.Places, c *Change) *Change {
	k := c.keys()
	return &Change{
		Companies:      pickOld(p.Companies, companyKey, k[SheetCompanies]),
		CompanyRecords: pickOld(p.CompanyRecords, companyRecKey, k[SheetCompanyRecords]),
		Property:       pickOld(p.Property, propertyKey, k[SheetProperty]),
		Evaluations:    pickOld(p.Evaluations, evalKey, k[SheetEvaluations]),
		Teams:          pickOld(p.Teams, teamKey, k[SheetTeams]),
		Targets:        pickOld(p.Targets, targetKey, k[SheetTargets]),
		Logs:           pickOld(p.Logs, logKey, k[SheetLogs]),
		Stations:       pickOld(p.Stations, stationKey, k[SheetStations]),
		Ratings:        pickOld(p.Ratings, ratingKey, k[SheetRatings]),
	}
}
