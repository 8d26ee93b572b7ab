package people

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
)

// IncidentFact is what the figures need of one incident: where and when
// it was reported, whether it is still open, when it was resolved, its
// resolve deadline (SLA) and how often it was reopened.
type IncidentFact struct {
	GridCode   string
	StreetCode string
	Reported   time.Time
	Resolved   time.Time // zero while unresolved
	Due        time.Time // the resolve deadline; zero: none
	Open       bool
	Reopened   int
}

// Overdue reports whether the incident is open past its deadline at now.
func (f *IncidentFact) Overdue(now time.Time) bool {
	return f.Open && !f.Due.IsZero() && now.After(f.Due)
}

// OnTime reports whether the incident was resolved by its deadline.
func (f *IncidentFact) OnTime() bool {
	return !f.Resolved.IsZero() && (f.Due.IsZero() || !f.Resolved.After(f.Due))
}

// Figures are the incident figures of a grid, person or street.
type Figures struct {
	Incidents      int     `json:"incidents"`
	Open           int     `json:"open"`
	Overdue        int     `json:"overdue"`
	Resolved       int     `json:"resolved"`
	ResolvedOnTime int     `json:"resolved_on_time"`
	Reopened       int     `json:"reopened"`
	OnTimeShare    float64 `json:"on_time_share"` // of the resolved; 0 when none
	ReopenRate     float64 `json:"reopen_rate"`   // reopened incidents per resolved one
}

func (f *Figures) add(x *IncidentFact, now time.Time) {
	f.Incidents++
	if x.Open {
		f.Open++
		if x.Overdue(now) {
			f.Overdue++
		}
	}
	if !x.Resolved.IsZero() {
		f.Resolved++
		if x.OnTime() {
			f.ResolvedOnTime++
		}
		if x.Reopened > 0 {
			f.Reopened++
		}
	}
}

func (f *Figures) finish() {
	if f.Resolved > 0 {
		f.OnTimeShare = round3(float64(f.ResolvedOnTime) / float64(f.Resolved))
		f.ReopenRate = round3(float64(f.Reopened) / float64(f.Resolved))
	}
}

func (f *Figures) plus(o Figures) {
	f.Incidents += o.Incidents
	f.Open += o.Open
	f.Overdue += o.Overdue
	f.Resolved += o.Resolved
	f.ResolvedOnTime += o.ResolvedOnTime
	f.Reopened += o.Reopened
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// GridLoad is one grid's workload on a day.
type GridLoad struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Community  string `json:"community_code"`
	Street     string `json:"street_code"`
	Households int    `json:"households"`
	Population int    `json:"population"`
	Heads      int    `json:"heads"`
	Workers    int    `json:"workers"`
	Cadres     int    `json:"cadres"`
	Figures
	// Gap names what the grid lacks: "head", "worker", "head,worker" or "".
	Gap string `json:"gap"`
}

// PersonLoad is one serving person's workload on a day: the sums over the
// grids they hold a duty in.
type PersonLoad struct {
	StaffID    string   `json:"staff_id"`
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	Unit       string   `json:"unit"`
	Grids      []string `json:"grids"`
	Households int      `json:"households"`
	Population int      `json:"population"`
	Figures
	// Overloaded says why the person carries too much ("" when not): a
	// cadre over the limit of grids, a head or worker over the households.
	Overloaded string `json:"overloaded"`
}

// Workload computes every grid's and every serving person's workload on
// day d, from the incidents reported in the 365 days up to d (open and
// overdue counted at now).
func Workload(c *data.City, facts []IncidentFact, d, now time.Time, r Rules) ([]GridLoad, []PersonLoad) {
	d = data.Day(d)
	since := d.AddDate(-1, 0, 0)
	until := d.AddDate(0, 0, 1)
	grids := make([]GridLoad, len(c.Grids))
	at := make(map[string]int, len(c.Grids))
	for i := range c.Grids {
		g := &c.Grids[i]
		grids[i] = GridLoad{Code: g.Code, Name: g.Name, Community: g.CommunityCode, Street: g.StreetCode, Households: g.Households, Population: g.Population}
		at[g.Code] = i
	}
	for i := range facts {
		f := &facts[i]
		if j, ok := at[f.GridCode]; ok && !f.Reported.Before(since) && f.Reported.Before(until) {
			grids[j].add(f, now)
		} else if ok && f.Open {
			// Open incidents count whenever they were reported.
			grids[j].add(f, now)
		}
	}
	var people []PersonLoad
	pi := map[string]int{}
	for i := range c.Assignments {
		a := &c.Assignments[i]
		j, ok := at[a.GridCode]
		st := c.StaffByID(a.StaffID)
		if !ok || st == nil || !a.ActiveOn(d) || !st.Serving(d) {
			continue
		}
		switch a.Duty {
		case data.DutyHead:
			grids[j].Heads++
		case data.DutyWorker:
			grids[j].Workers++
		case data.DutyCadre:
			grids[j].Cadres++
		}
		k, seen := pi[st.ID]
		if !seen {
			k = len(people)
			pi[st.ID] = k
			people = append(people, PersonLoad{StaffID: st.ID, Name: st.Name, Role: st.Role, Unit: st.Unit})
		}
		p := &people[k]
		if slices.Contains(p.Grids, a.GridCode) {
			continue
		}
		p.Grids = append(p.Grids, a.GridCode)
		p.Households += grids[j].Households
		p.Population += grids[j].Population
		p.plus(grids[j].Figures)
	}
	for i := range grids {
		g := &grids[i]
		g.finish()
		var gap []string
		if g.Heads == 0 {
			gap = append(gap, "head")
		}
		if g.Workers < r.MinWorkersPerGrid {
			gap = append(gap, "worker")
		}
		g.Gap = strings.Join(gap, ",")
	}
	for i := range people {
		p := &people[i]
		p.finish()
		slices.Sort(p.Grids)
		switch {
		case p.Role == data.StaffCadre && len(p.Grids) > r.MaxGridsPerCadre:
			p.Overloaded = "grids"
		case p.Role != data.StaffCadre && r.MaxHouseholdsPerPerson > 0 && p.Households > r.MaxHouseholdsPerPerson:
			p.Overloaded = "households"
		}
	}
	slices.SortFunc(people, func(a, b PersonLoad) int { return strings.Compare(a.StaffID, b.StaffID) })
	return grids, people
}

// Metrics are a person's or a street's evaluation figures for a year: the
// incidents reported that year in the grids the person served while they
// served them, or in the street.
func Metrics(c *data.City, facts []IncidentFact, subject, id string, year int, now time.Time) Figures {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	var f Figures
	switch subject {
	case data.SubjectStreet:
		for i := range facts {
			x := &facts[i]
			if x.StreetCode == id && inSpan(x.Reported, from, to) {
				f.add(x, now)
			}
		}
	case data.SubjectPerson:
		st := c.StaffByID(id)
		if st == nil {
			break
		}
		if st.Role == data.StaffSecretary {
			return Metrics(c, facts, data.SubjectStreet, st.StreetCode, year, now)
		}
		served := map[string][]span{}
		for i := range c.Assignments {
			a := &c.Assignments[i]
			if a.StaffID == id && overlaps(a.From, a.To, from, to) {
				served[a.GridCode] = append(served[a.GridCode], span{a.From, a.To})
			}
		}
		for i := range facts {
			x := &facts[i]
			if !inSpan(x.Reported, from, to) {
				continue
			}
			for _, s := range served[x.GridCode] {
				if inSpan(x.Reported, s.from, s.to) {
					f.add(x, now)
					break
				}
			}
		}
	}
	f.finish()
	return f
}

// inSpan reports whether t falls on a day in [from, to) (to zero: open).
func inSpan(t, from, to time.Time) bool {
	d := data.Day(t)
	return !d.Before(from) && (to.IsZero() || d.Before(to))
}

// Score is the evaluation score the metrics suggest, out of 100: 70 for
// the on-time share and 30 for the incidents that held (not reopened). A
// subject with no resolved incident scores 80.
func Score(f Figures) float64 {
	if f.Resolved == 0 {
		return 80
	}
	return round1(70*f.OnTimeShare + 30*(1-f.ReopenRate))
}

// GradeFor is the grade a score earns: 优秀 from 90, 合格 from 75, 一般
// from 60, else 差.
func GradeFor(score float64) string {
	switch {
	case score >= 90:
		return data.GradeExcellent
	case score >= 75:
		return data.GradeGood
	case score >= 60:
		return data.GradeFair
	}
	return data.GradePoor
}

// Evaluate checks a yearly evaluation and fills its metrics from the
// incidents: the subject exists, the score is 0–100 (default: Score of the
// metrics), the grade is one of 优秀/合格/一般/差 (default: GradeFor the
// score). A subject has one record per year: evaluating again replaces it
// (same id). Refused by the seed's rule: a street secretary graded 优秀 in
// a year the street is graded 一般 or 差, and a street graded 一般 or 差
// while its secretary holds 优秀 that year.
func Evaluate(c *data.City, e data.Evaluation, facts []IncidentFact, now time.Time) (data.Evaluation, Change, error) {
	if e.Year < 2000 || e.Year > 2100 {
		return e, Change{}, invalid("year", "%d is out of range 2000..2100", e.Year)
	}
	var secretaryOf string // the street, when the subject is its secretary
	switch e.Subject {
	case data.SubjectPerson:
		st := c.StaffByID(e.SubjectID)
		if st == nil {
			return e, Change{}, notFound("subject_id", "no staff %s", e.SubjectID)
		}
		if st.Role == data.StaffSecretary {
			secretaryOf = st.StreetCode
		}
	case data.SubjectStreet:
		if c.Street(e.SubjectID) == nil {
			return e, Change{}, notFound("subject_id", "no street %s", e.SubjectID)
		}
	default:
		return e, Change{}, invalid("subject", "%q unknown (want person or street)", e.Subject)
	}
	f := Metrics(c, facts, e.Subject, e.SubjectID, e.Year, now)
	e.Incidents, e.OnTimeShare, e.ReopenRate = f.Resolved, f.OnTimeShare, f.ReopenRate
	if math.IsNaN(e.Score) || e.Score < 0 || e.Score > 100 {
		return e, Change{}, invalid("score", "%v is out of range 0..100", e.Score)
	}
	if e.Score == 0 {
		e.Score = Score(f)
	}
	if e.Grade == "" {
		e.Grade = GradeFor(e.Score)
	}
	if !slices.Contains(data.Grades, e.Grade) {
		return e, Change{}, invalid("grade", "%q unknown (want one of %s)", e.Grade, strings.Join(data.Grades, "、"))
	}
	var err *Error
	if e.Comment, err = cleanText("comment", e.Comment, 0, 1000); err != nil {
		return e, Change{}, err
	}
	// One record per subject and year.
	id := ""
	for i := range c.Evaluations {
		o := &c.Evaluations[i]
		if o.Year == e.Year && o.Subject == e.Subject && o.SubjectID == e.SubjectID {
			id = o.ID
		}
	}
	switch {
	case e.ID == "" && id != "":
		e.ID = id
	case e.ID == "":
		e.ID = nextID("E", c.Evaluations, func(e *data.Evaluation) string { return e.ID })
	case id != "" && e.ID != id:
		return e, Change{}, conflict("id", "the subject's %d evaluation is %s", e.Year, id)
	}
	if secretaryOf != "" && e.Grade == data.GradeExcellent {
		if g := gradeOf(c, data.SubjectStreet, secretaryOf, e.Year); g == data.GradeFair || g == data.GradePoor {
			return e, Change{}, conflict("grade", "the street %s is graded %s for %d: its secretary cannot be graded 优秀", secretaryOf, g, e.Year)
		}
	}
	if e.Subject == data.SubjectStreet && (e.Grade == data.GradeFair || e.Grade == data.GradePoor) {
		for i := range c.Staff {
			st := &c.Staff[i]
			if st.Role == data.StaffSecretary && st.StreetCode == e.SubjectID && gradeOf(c, data.SubjectPerson, st.ID, e.Year) == data.GradeExcellent {
				return e, Change{}, conflict("grade", "the street's secretary %s is graded 优秀 for %d: a street graded %s caps its secretary below 优秀; lower that grade first", st.ID, e.Year, e.Grade)
			}
		}
	}
	e.At = now.UTC().Truncate(time.Millisecond)
	return e, Change{Evaluations: []data.Evaluation{e}}, nil
}

func gradeOf(c *data.City, subject, id string, year int) string {
	for i := range c.Evaluations {
		if e := &c.Evaluations[i]; e.Year == year && e.Subject == subject && e.SubjectID == id {
			return e.Grade
		}
	}
	return ""
}

// EvaluateYear evaluates every street, then every person serving in the
// year, from the incidents: the suggested score and grade, a secretary's
// 优秀 capped to 合格 when the street is 一般 or 差 (the seed's rule, noted
// in the comment). Existing records of the year are replaced.
func EvaluateYear(c *data.City, facts []IncidentFact, year int, by string, now time.Time) (Change, int, int, error) {
	var all Change
	next := *c
	cur := &next
	evals := slices.Clone(c.Evaluations)
	at := make(map[string]int, len(evals))
	for i := range evals {
		at[evals[i].ID] = i
	}
	n, capped := 0, 0
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	var subjects []data.Evaluation
	for _, s := range c.Streets {
		subjects = append(subjects, data.Evaluation{Year: year, Subject: data.SubjectStreet, SubjectID: s.Code, By: by})
	}
	for _, s := range c.Staff {
		if s.Joined.Before(to) && (s.Retired.IsZero() || s.Retired.After(from)) && s.Role != data.StaffLeader {
			subjects = append(subjects, data.Evaluation{Year: year, Subject: data.SubjectPerson, SubjectID: s.ID, By: by})
		}
	}
	for _, e := range subjects {
		got, ch, err := Evaluate(cur, e, facts, now)
		if KindOf(err) == Conflict && got.Grade == data.GradeExcellent {
			e.Grade, e.Comment = data.GradeGood, "街道考核为一般或差，书记等次不得评为优秀"
			_, ch, err = Evaluate(cur, e, facts, now)
			capped++
		}
		if err != nil {
			return all, n, capped, fmt.Errorf("evaluate %s %s: %w", e.Subject, e.SubjectID, err)
		}
		all.Merge(ch)
		// Only the evaluations change: no need to derive the city again,
		// and they grow in place (a copy of c's, made once).
		for _, e := range ch.Evaluations {
			if i, ok := at[e.ID]; ok {
				evals[i] = e
			} else {
				at[e.ID] = len(evals)
				evals = append(evals, e)
			}
		}
		cur.Evaluations = evals
		n++
	}
	return all, n, capped, nil
}
