package places

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Intervals are the visit intervals in days by service target kind.
type Intervals map[string]int

// DefaultIntervals are gridmap's default visit intervals: weekly for the
// lonely elderly, the severely disabled and vulnerable children, every two
// weeks for left-behind children.
var DefaultIntervals = Intervals{
	data.TargetLonelyElderly:    7,
	data.TargetSeverelyDisabled: 7,
	data.TargetLeftBehindChild:  14,
	data.TargetVulnerableChild:  7,
}

// MaxInterval is the longest visit interval allowed (days).
const MaxInterval = 90

// Validate checks that every kind has an interval of 1 to 90 days.
func (iv Intervals) Validate() error {
	for k, d := range iv {
		if !slices.Contains(data.TargetKinds, k) {
			return fieldErr(k, "not a service target kind (want one of lonely_elderly, severely_disabled, left_behind_child, vulnerable_child)")
		}
		if d < 1 || d > MaxInterval {
			return fieldErr(k, "interval %d out of range 1..%d days", d, MaxInterval)
		}
	}
	for _, k := range data.TargetKinds {
		if _, ok := iv[k]; !ok {
			return fieldErr(k, "missing")
		}
	}
	return nil
}

// Of returns the interval for a target: its own, else its kind's.
func (iv Intervals) Of(t *data.ServiceTarget) int {
	if t.IntervalDays > 0 {
		return t.IntervalDays
	}
	if d := iv[t.Kind]; d > 0 {
		return d
	}
	return DefaultIntervals[t.Kind]
}

// TargetKindNames and ServiceItemNames are the Chinese names.
var (
	TargetKindNames = map[string]string{
		data.TargetLonelyElderly:    "鳏寡孤独老人",
		data.TargetSeverelyDisabled: "重度残疾人",
		data.TargetLeftBehindChild:  "留守儿童",
		data.TargetVulnerableChild:  "困境儿童",
	}
	ServiceItemNames = map[string]string{
		data.ItemHome:      "居家环境",
		data.ItemCare:      "生活照料",
		data.ItemErrands:   "跑腿代办",
		data.ItemTutoring:  "托管教育",
		data.ItemHealth:    "健康关爱",
		data.ItemCompanion: "精神慰藉",
		data.ItemSafety:    "安全守护",
		data.ItemActivity:  "驿站活动",
	}
)

var (
	targetIDRe = regexp.MustCompile(`^T[0-9]{1,12}$`)
	logIDRe    = regexp.MustCompile(`^L[0-9]{1,14}$`)
)

// ValidateTeam checks a volunteer team against the city.
func ValidateTeam(t *data.VolunteerTeam, city *data.City) error {
	if city.Grid(t.GridCode) == nil {
		return fieldErr("grid_code", "no grid %q", t.GridCode)
	}
	if err := checkText("name", t.Name, 60, true); err != nil {
		return err
	}
	if err := checkText("leader", t.Leader, 30, true); err != nil {
		return err
	}
	if err := checkPhone("leader_phone", t.LeaderPhone, true); err != nil {
		return err
	}
	if err := checkDate("founded", t.Founded, false); err != nil {
		return err
	}
	if len(t.Members) == 0 || len(t.Members) > 200 {
		return fieldErr("members", "a team has 1 to 200 members; got %d", len(t.Members))
	}
	seen := map[string]bool{}
	leader := false
	for i, m := range t.Members {
		f := fmt.Sprintf("members[%d]", i)
		if err := checkText(f+".name", m.Name, 30, true); err != nil {
			return err
		}
		if seen[m.Name] {
			return fieldErr(f+".name", "%q listed twice", m.Name)
		}
		seen[m.Name] = true
		leader = leader || m.Name == t.Leader
		if err := checkPhone(f+".phone", m.Phone, false); err != nil {
			return err
		}
	}
	if !leader {
		return fieldErr("leader", "%q is not among the members", t.Leader)
	}
	return nil
}

// Buildings finds a city's buildings by code.
type Buildings map[string]*data.Building

// IndexBuildings indexes the buildings of c by code.
func IndexBuildings(c *data.City) Buildings {
	m := make(Buildings, len(c.Buildings))
	for i := range c.Buildings {
		m[c.Buildings[i].Code] = &c.Buildings[i]
	}
	return m
}

// ValidateTarget checks a service target against the city's buildings. Children
// (left-behind, vulnerable) are under 18 and the lonely elderly at least 60
// on the day they are first served.
func ValidateTarget(t *data.ServiceTarget, bs Buildings) error {
	if !targetIDRe.MatchString(t.ID) {
		return fieldErr("id", "%q is not a target id (T and digits)", t.ID)
	}
	if err := checkOneOf("kind", t.Kind, data.TargetKinds); err != nil {
		return err
	}
	if err := checkText("name", t.Name, 30, true); err != nil {
		return err
	}
	if err := checkOneOf("gender", t.Gender, []string{"男", "女"}); err != nil {
		return err
	}
	if err := checkPhone("phone", t.Phone, false); err != nil {
		return err
	}
	if err := checkText("guardian", t.Guardian, 30, false); err != nil {
		return err
	}
	if bs[t.BuildingCode] == nil {
		return fieldErr("building_code", "no building %q", t.BuildingCode)
	}
	if err := checkText("room", t.Room, 20, false); err != nil {
		return err
	}
	if len(t.Items) == 0 {
		return fieldErr("items", "at least one service item is needed")
	}
	seen := map[string]bool{}
	for _, it := range t.Items {
		if err := checkOneOf("items", it, data.ServiceItems); err != nil {
			return err
		}
		if seen[it] {
			return fieldErr("items", "%q listed twice", it)
		}
		seen[it] = true
	}
	if t.IntervalDays < 0 || t.IntervalDays > MaxInterval {
		return fieldErr("interval_days", "%d out of range 0..%d (0: the kind's default)", t.IntervalDays, MaxInterval)
	}
	if err := checkDate("since", t.Since, true); err != nil {
		return err
	}
	if err := checkDate("until", t.Until, false); err != nil {
		return err
	}
	if t.Until != "" && t.Until <= t.Since {
		return fieldErr("until", "%s is not after since (%s)", t.Until, t.Since)
	}
	since, _ := ParseDate(t.Since)
	if t.BirthYear < 1900 || t.BirthYear > since.Year() {
		return fieldErr("birth_year", "%d out of range 1900..%d", t.BirthYear, since.Year())
	}
	age := since.Year() - t.BirthYear
	switch t.Kind {
	case data.TargetLeftBehindChild, data.TargetVulnerableChild:
		if age >= 18 {
			return fieldErr("birth_year", "a %s is under 18; born %d, served from %s", t.Kind, t.BirthYear, t.Since)
		}
	case data.TargetLonelyElderly:
		if age < 60 {
			return fieldErr("birth_year", "the lonely elderly are 60 or older; born %d, served from %s", t.BirthYear, t.Since)
		}
	}
	return checkText("note", t.Note, maxNote, false)
}

// LogRefs answers what a service log refers to.
type LogRefs struct {
	Team    func(grid string) bool               // the grid has a team
	Target  func(id string) *data.ServiceTarget  // nil when unknown
	Station func(code string) *data.Station      // nil when unknown
	Now     time.Time                            // logs may not lie in the future
	GridOf  func(building string) (string, bool) // a building's grid
}

// ValidateLog checks a service log: a service to a target is given by the
// team of the target's own grid; an activity is held at a station.
func ValidateLog(l *data.ServiceLog, refs LogRefs) error {
	if !logIDRe.MatchString(l.ID) {
		return fieldErr("id", "%q is not a log id (L and digits)", l.ID)
	}
	if !refs.Team(l.GridCode) {
		return fieldErr("grid_code", "grid %q has no volunteer team", l.GridCode)
	}
	if l.Item == data.ItemActivity {
		if l.StationCode == "" {
			return fieldErr("station_code", "an activity is held at a station")
		}
		if l.TargetID != "" {
			return fieldErr("target_id", "an activity serves no one target; log a service item instead")
		}
	} else {
		if err := checkOneOf("item", l.Item, data.ServiceItems); err != nil {
			return err
		}
		if l.TargetID == "" {
			return fieldErr("target_id", "a service item is given to a target")
		}
	}
	if l.TargetID != "" {
		t := refs.Target(l.TargetID)
		if t == nil {
			return fieldErr("target_id", "no service target %q", l.TargetID)
		}
		if g, ok := refs.GridOf(t.BuildingCode); !ok || g != l.GridCode {
			return fieldErr("grid_code", "target %s lives in grid %s, not %s", t.ID, g, l.GridCode)
		}
		if d := Day(l.At); d < t.Since || (t.Until != "" && d >= t.Until) {
			return fieldErr("at", "target %s is served from %s to %s; %s is outside", t.ID, t.Since, orOpen(t.Until), d)
		}
	}
	if l.StationCode != "" && refs.Station(l.StationCode) == nil {
		return fieldErr("station_code", "no station %q", l.StationCode)
	}
	if l.At.IsZero() || l.At.Year() < 2000 {
		return fieldErr("at", "a time from 2000 on is needed")
	}
	if !refs.Now.IsZero() && l.At.After(refs.Now.Add(time.Hour)) {
		return fieldErr("at", "%s lies in the future", l.At.Format(time.RFC3339))
	}
	if l.Minutes < 1 || l.Minutes > 1440 {
		return fieldErr("minutes", "%d out of range 1..1440", l.Minutes)
	}
	if len(l.Volunteers) == 0 || len(l.Volunteers) > 50 {
		return fieldErr("volunteers", "1 to 50 volunteers serve; got %d", len(l.Volunteers))
	}
	for i, v := range l.Volunteers {
		if err := checkText(fmt.Sprintf("volunteers[%d]", i), v, 30, true); err != nil {
			return err
		}
	}
	return checkText("note", l.Note, maxNote, false)
}

func orOpen(d string) string {
	if d == "" {
		return "now"
	}
	return d
}

// Active reports whether the target is served on day.
func Active(t *data.ServiceTarget, day string) bool {
	return t.Since <= day && (t.Until == "" || day < t.Until)
}

// TargetCoverage is one target's state on a day: whether its grid has a
// team, its last visit, when the next falls due, and whether it is late.
type TargetCoverage struct {
	TargetID      string     `json:"target_id"`
	Kind          string     `json:"kind"`
	BuildingCode  string     `json:"building_code"`
	GridCode      string     `json:"grid_code"`
	CommunityCode string     `json:"community_code"`
	Team          bool       `json:"has_team"`
	IntervalDays  int        `json:"interval_days"`
	LastVisit     *time.Time `json:"last_visit"`
	Visits        int        `json:"visits"` // in the last interval × 4
	Due           time.Time  `json:"due"`
	Overdue       bool       `json:"overdue"`
	DaysOverdue   int        `json:"days_overdue,omitempty"`
	// Covered: the target has a team and is not overdue.
	Covered bool `json:"covered"`
}

// CoverageSummary totals the coverage of a set of targets.
type CoverageSummary struct {
	Targets  int            `json:"targets"`
	WithTeam int            `json:"with_team"`
	NoTeam   int            `json:"without_team"`
	Overdue  int            `json:"overdue"`
	Covered  Rate           `json:"covered"`
	ByKind   map[string]int `json:"by_kind"`
}

// GridServices are a grid's service figures, the finest a map may show.
type GridServices struct {
	GridCode string         `json:"grid_code"`
	Team     bool           `json:"has_team"`
	Members  int            `json:"volunteers"`
	Targets  int            `json:"targets"`
	Overdue  int            `json:"overdue"`
	ByKind   map[string]int `json:"by_kind"`
	Logs90   int            `json:"services_90d"`
}

// Coverage tells, for every target served at now, its team and its
// visits: a target is due a visit IntervalDays after its last one (or after
// it was first served, when never visited), and overdue once now passes
// that. Results are in target id order.
func Coverage(bs Buildings, p *data.Places, iv Intervals, now time.Time) ([]TargetCoverage, CoverageSummary) {
	day := Day(now)
	teams := map[string]bool{}
	for i := range p.Teams {
		if len(p.Teams[i].Members) > 0 {
			teams[p.Teams[i].GridCode] = true
		}
	}
	type visits struct {
		last time.Time
		n    []time.Time
	}
	seen := map[string]*visits{}
	for i := range p.Logs {
		l := &p.Logs[i]
		if l.TargetID == "" || l.At.After(now) {
			continue
		}
		v := seen[l.TargetID]
		if v == nil {
			v = &visits{}
			seen[l.TargetID] = v
		}
		if l.At.After(v.last) {
			v.last = l.At
		}
		v.n = append(v.n, l.At)
	}
	sum := CoverageSummary{ByKind: map[string]int{}}
	var out []TargetCoverage
	for i := range p.Targets {
		t := &p.Targets[i]
		if !Active(t, day) {
			continue
		}
		tc := TargetCoverage{TargetID: t.ID, Kind: t.Kind, BuildingCode: t.BuildingCode, IntervalDays: iv.Of(t)}
		if b := bs[t.BuildingCode]; b != nil {
			tc.GridCode, tc.CommunityCode = b.GridCode, b.CommunityCode
		}
		tc.Team = teams[tc.GridCode]
		from, _ := ParseDate(t.Since)
		if v := seen[t.ID]; v != nil {
			last := v.last
			tc.LastVisit = &last
			from = last
			window := now.AddDate(0, 0, -4*tc.IntervalDays)
			for _, at := range v.n {
				if at.After(window) {
					tc.Visits++
				}
			}
		}
		tc.Due = from.AddDate(0, 0, tc.IntervalDays)
		if now.After(tc.Due) {
			tc.Overdue = true
			tc.DaysOverdue = int(now.Sub(tc.Due).Hours()/24) + 1
		}
		tc.Covered = tc.Team && !tc.Overdue
		sum.Targets++
		sum.ByKind[t.Kind]++
		if tc.Team {
			sum.WithTeam++
		} else {
			sum.NoTeam++
		}
		if tc.Overdue {
			sum.Overdue++
		}
		if tc.Covered {
			sum.Covered.Num++
		}
		out = append(out, tc)
	}
	sum.Covered = rate(sum.Covered.Num, sum.Targets)
	sort.Slice(out, func(i, j int) bool { return out[i].TargetID < out[j].TargetID })
	return out, sum
}

// Overdue returns the overdue targets of a coverage list, the longest
// overdue first.
func Overdue(tc []TargetCoverage) []TargetCoverage {
	var out []TargetCoverage
	for _, t := range tc {
		if t.Overdue || !t.Team {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DaysOverdue != out[j].DaysOverdue {
			return out[i].DaysOverdue > out[j].DaysOverdue
		}
		return out[i].TargetID < out[j].TargetID
	})
	return out
}

// ByGrid aggregates services per grid, every grid of the city included:
// what a map may show of the targets.
func ByGrid(c *data.City, p *data.Places, tc []TargetCoverage, now time.Time) []GridServices {
	idx := make(map[string]int, len(c.Grids))
	out := make([]GridServices, len(c.Grids))
	for i, g := range c.Grids {
		idx[g.Code] = i
		out[i] = GridServices{GridCode: g.Code, ByKind: map[string]int{}}
	}
	for i := range p.Teams {
		if j, ok := idx[p.Teams[i].GridCode]; ok {
			out[j].Members = len(p.Teams[i].Members)
			out[j].Team = out[j].Members > 0
		}
	}
	for _, t := range tc {
		if j, ok := idx[t.GridCode]; ok {
			out[j].Targets++
			out[j].ByKind[t.Kind]++
			if t.Overdue {
				out[j].Overdue++
			}
		}
	}
	from := now.AddDate(0, 0, -90)
	for i := range p.Logs {
		l := &p.Logs[i]
		if l.At.After(from) && !l.At.After(now) {
			if j, ok := idx[l.GridCode]; ok {
				out[j].Logs90++
			}
		}
	}
	return out
}
