package people

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gridmap/gridmap/data"
)

var (
	phoneRe    = regexp.MustCompile(`^(\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$`)
	phoneInRe  = regexp.MustCompile(`1[3-9]\d{9}|0\d{2,3}-\d{7,8}`)
	idNumberRe = regexp.MustCompile(`\d{17}[\dXx]`)
)

func cleanText(field, v string, min, max int) (string, *Error) {
	v = strings.TrimSpace(v)
	n := utf8.RuneCountInString(v)
	if !utf8.ValidString(v) {
		return "", invalid(field, "not valid UTF-8 text")
	}
	if n < min {
		if min == 1 {
			return "", invalid(field, "required")
		}
		return "", invalid(field, "needs at least %d characters", min)
	}
	if n > max {
		return "", invalid(field, "longer than %d characters", max)
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0 {
		return "", invalid(field, "contains control characters")
	}
	return v, nil
}

// checkStaff checks one staff record's values against the city.
func checkStaff(c *data.City, s *data.Staff) *Error {
	var err *Error
	if s.Name, err = cleanText("name", s.Name, 1, 40); err != nil {
		return err
	}
	if strings.IndexFunc(s.Name, unicode.IsDigit) >= 0 {
		return invalid("name", "a name has no digits")
	}
	if !slices.Contains(data.StaffRoles, s.Role) {
		return invalid("role", "%q unknown (want one of %s)", s.Role, strings.Join(data.StaffRoles, ", "))
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"unit", &s.Unit, 80}, {"rank", &s.Rank, 20}, {"title", &s.Title, 40}, {"note", &s.Note, 500}} {
		if *f.v, err = cleanText(f.name, *f.v, 0, f.max); err != nil {
			return err
		}
	}
	s.Phone = strings.TrimSpace(s.Phone)
	if s.Phone != "" && !phoneRe.MatchString(s.Phone) {
		return invalid("phone", "%q is not a phone number (a mobile of 11 digits starting 13–19, or a landline such as 0632-1234567)", s.Phone)
	}
	if s.Role == data.StaffCadre && s.Unit == "" {
		return invalid("unit", "a cadre needs the work unit")
	}
	if s.CommunityCode != "" && c.Community(s.CommunityCode) == nil {
		return notFound("community_code", "no community %s", s.CommunityCode)
	}
	if s.Role == data.StaffSecretary {
		if s.StreetCode == "" {
			return invalid("street_code", "a street secretary needs the street")
		}
	}
	if s.StreetCode != "" && c.Street(s.StreetCode) == nil {
		return notFound("street_code", "no street %s", s.StreetCode)
	}
	if s.Joined.IsZero() {
		return invalid("joined", "required")
	}
	if !s.Retired.IsZero() && !s.Retired.After(s.Joined) {
		return invalid("retired", "%s is not after joining on %s", s.Retired.Format(time.DateOnly), s.Joined.Format(time.DateOnly))
	}
	return nil
}

func day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return data.Day(t)
}

// CreateStaff checks a new staff record and gives it the next id (prefix
// P); Joined defaults to today.
func CreateStaff(c *data.City, s data.Staff) (data.Staff, Change, error) {
	if s.ID != "" && c.StaffByID(s.ID) != nil {
		return data.Staff{}, Change{}, conflict("id", "staff %s exists", s.ID)
	}
	if s.ID == "" {
		s.ID = nextID("P", c.Staff, func(s *data.Staff) string { return s.ID })
	} else if err := checkID("id", s.ID); err != nil {
		return data.Staff{}, Change{}, err
	}
	if s.Joined.IsZero() {
		s.Joined = Today()
	}
	s.Joined, s.Retired = day(s.Joined), day(s.Retired)
	if !s.Retired.IsZero() {
		return data.Staff{}, Change{}, invalid("retired", "a new record is serving: retire it after")
	}
	if err := checkStaff(c, &s); err != nil {
		return data.Staff{}, Change{}, err
	}
	return s, Change{Staff: []data.Staff{s}}, nil
}

func checkID(field, id string) *Error {
	if id == "" || len(id) > 40 || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_')
	}) >= 0 {
		return invalid(field, "%q: an id is 1–40 letters, digits, - or _", id)
	}
	return nil
}

// UpdateStaff checks an edited staff record. Its role may change only to
// one that fits the duties it holds now; its joining day may not move past
// its first assignment.
func UpdateStaff(c *data.City, s data.Staff) (data.Staff, Change, error) {
	old := c.StaffByID(s.ID)
	if old == nil {
		return data.Staff{}, Change{}, notFound("id", "no staff %s", s.ID)
	}
	if s.Joined.IsZero() {
		s.Joined = old.Joined
	}
	s.Joined = day(s.Joined)
	s.Retired = old.Retired // retiring is its own edit
	if err := checkStaff(c, &s); err != nil {
		return data.Staff{}, Change{}, err
	}
	for i := range c.Assignments {
		a := &c.Assignments[i]
		if a.StaffID != s.ID {
			continue
		}
		if a.From.Before(s.Joined) {
			return data.Staff{}, Change{}, conflict("joined", "assignment %s starts %s, before %s", a.ID, a.From.Format(time.DateOnly), s.Joined.Format(time.DateOnly))
		}
		if a.To.IsZero() && !DutyFits(s.Role, a.Duty) {
			return data.Staff{}, Change{}, conflict("role", "role %s does not fit the open %s assignment %s in grid %s: end it first", s.Role, a.Duty, a.ID, a.GridCode)
		}
	}
	if s.Role != data.StaffLeader {
		for i := range c.ContactPoints {
			if p := &c.ContactPoints[i]; p.StaffID == s.ID && p.To.IsZero() {
				return data.Staff{}, Change{}, conflict("role", "only a leading cadre keeps a contact point (%s is open): end it first", p.ID)
			}
		}
	}
	return s, Change{Staff: []data.Staff{s}}, nil
}

// RetireStaff retires a person from day d: the record stays (history),
// and every assignment and contact point still open on d ends on d.
func RetireStaff(c *data.City, id string, d time.Time) (Change, error) {
	st := c.StaffByID(id)
	if st == nil {
		return Change{}, notFound("id", "no staff %s", id)
	}
	d = day(d)
	if d.IsZero() {
		d = Today()
	}
	if !st.Retired.IsZero() {
		return Change{}, conflict("retired", "%s retired on %s", id, st.Retired.Format(time.DateOnly))
	}
	if !d.After(st.Joined) {
		return Change{}, invalid("day", "%s is not after joining on %s", d.Format(time.DateOnly), st.Joined.Format(time.DateOnly))
	}
	s := *st
	s.Retired = d
	ch := Change{Staff: []data.Staff{s}}
	for i := range c.Assignments {
		a := c.Assignments[i]
		if a.StaffID == id && (a.To.IsZero() || a.To.After(d)) {
			if !a.From.Before(d) {
				return Change{}, conflict("day", "assignment %s only starts on %s: end or move it first", a.ID, a.From.Format(time.DateOnly))
			}
			a.To = d
			ch.Assignments = append(ch.Assignments, a)
		}
	}
	for i := range c.ContactPoints {
		p := c.ContactPoints[i]
		if p.StaffID == id && (p.To.IsZero() || p.To.After(d)) {
			if !p.From.Before(d) {
				return Change{}, conflict("day", "contact point %s only starts on %s", p.ID, p.From.Format(time.DateOnly))
			}
			p.To = d
			ch.ContactPoints = append(ch.ContactPoints, p)
		}
	}
	return ch, nil
}

// Assign checks a new assignment and gives it the next id (prefix A);
// From defaults to today. When replaces names an assignment of the same
// grid and duty, that one ends on the new one's first day in the same
// change (a head handing over, a worker replaced). Refused: an unknown
// person or grid, a duty that does not fit the role, a span outside the
// person's service, the same duty twice, a second head, or a cadre over
// the limit of grids on any day of the span.
func Assign(c *data.City, a data.Assignment, r Rules, replaces string) (data.Assignment, Change, error) {
	var ch Change
	st := c.StaffByID(a.StaffID)
	if st == nil {
		return a, ch, notFound("staff_id", "no staff %s", a.StaffID)
	}
	if c.Grid(a.GridCode) == nil {
		return a, ch, notFound("grid_code", "no grid %s", a.GridCode)
	}
	if a.Duty == "" {
		a.Duty = defaultDuty(st.Role)
	}
	if !slices.Contains(data.Duties, a.Duty) {
		return a, ch, invalid("duty", "%q unknown (want one of %s)", a.Duty, strings.Join(data.Duties, ", "))
	}
	if !DutyFits(st.Role, a.Duty) {
		return a, ch, invalid("duty", "a %s cannot hold duty %s", st.Role, a.Duty)
	}
	if a.From.IsZero() {
		a.From = Today()
	}
	a.From, a.To = day(a.From), day(a.To)
	if !a.To.IsZero() && !a.To.After(a.From) {
		return a, ch, invalid("to", "%s is not after from %s", a.To.Format(time.DateOnly), a.From.Format(time.DateOnly))
	}
	var err *Error
	if a.Note, err = cleanText("note", a.Note, 0, 500); err != nil {
		return a, ch, err
	}
	if a.From.Before(st.Joined) {
		return a, ch, conflict("from", "%s joined on %s", st.ID, st.Joined.Format(time.DateOnly))
	}
	if !st.Retired.IsZero() && (a.To.IsZero() || a.To.After(st.Retired)) {
		return a, ch, conflict("to", "%s retired on %s", st.ID, st.Retired.Format(time.DateOnly))
	}
	if a.ID == "" {
		a.ID = nextID("A", c.Assignments, func(a *data.Assignment) string { return a.ID })
	} else if findAssignment(c, a.ID) != nil {
		return a, ch, conflict("id", "assignment %s exists", a.ID)
	} else if err := checkID("id", a.ID); err != nil {
		return a, ch, err
	}
	var ended *data.Assignment
	if replaces != "" {
		old := findAssignment(c, replaces)
		switch {
		case old == nil:
			return a, ch, notFound("replaces", "no assignment %s", replaces)
		case old.GridCode != a.GridCode || old.Duty != a.Duty:
			return a, ch, invalid("replaces", "%s is a %s assignment in grid %s, not %s in %s", replaces, old.Duty, old.GridCode, a.Duty, a.GridCode)
		case !old.ActiveOn(a.From) || !old.From.Before(a.From):
			return a, ch, conflict("replaces", "%s does not hold on %s, or starts that day", replaces, a.From.Format(time.DateOnly))
		}
		e := *old
		e.To = a.From
		ended = &e
		ch.Assignments = append(ch.Assignments, e)
	}
	load := []span{}
	for i := range c.Assignments {
		o := &c.Assignments[i]
		if ended != nil && o.ID == ended.ID {
			o = ended
		}
		if !overlaps(o.From, o.To, a.From, a.To) {
			continue
		}
		if o.StaffID == a.StaffID && o.GridCode == a.GridCode && o.Duty == a.Duty {
			return a, Change{}, conflict("staff_id", "%s already holds this duty in grid %s (assignment %s)", a.StaffID, a.GridCode, o.ID)
		}
		if a.Duty == data.DutyHead && o.Duty == data.DutyHead && o.GridCode == a.GridCode {
			if s := c.StaffByID(o.StaffID); s != nil && overlaps(o.From, o.To, s.Joined, s.Retired) {
				return a, Change{}, conflict("grid_code", "grid %s already has a head from %s (assignment %s): replace it (replaces=%s) or end it first", a.GridCode, o.From.Format(time.DateOnly), o.ID, o.ID)
			}
		}
		if a.Duty == data.DutyCadre && o.Duty == data.DutyCadre && o.StaffID == a.StaffID {
			load = append(load, span{o.From, o.To})
		}
	}
	if n := maxOverlap(load, a.From, a.To) + 1; a.Duty == data.DutyCadre && n > r.MaxGridsPerCadre {
		return a, Change{}, conflict("staff_id", "%s would help %d grids at once (limit %d)", a.StaffID, n, r.MaxGridsPerCadre)
	}
	ch.Assignments = append(ch.Assignments, a)
	return a, ch, nil
}

func defaultDuty(role string) string {
	switch role {
	case data.StaffCadre:
		return data.DutyCadre
	case data.StaffHead:
		return data.DutyHead
	}
	return data.DutyWorker
}

type span struct{ from, to time.Time }

// maxOverlap is the most spans holding on one day of [from, to).
func maxOverlap(ss []span, from, to time.Time) int {
	best := 0
	// The count only rises at a span's start (or at from).
	points := []time.Time{from}
	for _, s := range ss {
		if s.from.After(from) {
			points = append(points, s.from)
		}
	}
	for _, p := range points {
		if !to.IsZero() && !p.Before(to) {
			continue
		}
		n := 0
		for _, s := range ss {
			if !p.Before(s.from) && (s.to.IsZero() || p.Before(s.to)) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// EndAssignment ends an assignment on day d (the first day no longer
// served).
func EndAssignment(c *data.City, id string, d time.Time) (data.Assignment, Change, error) {
	a := findAssignment(c, id)
	if a == nil {
		return data.Assignment{}, Change{}, notFound("id", "no assignment %s", id)
	}
	d = day(d)
	if d.IsZero() {
		d = Today()
	}
	e := *a
	switch {
	case !a.To.IsZero() && !d.Before(a.To):
		return e, Change{}, conflict("to", "%s already ended on %s", id, a.To.Format(time.DateOnly))
	case !d.After(a.From):
		return e, Change{}, invalid("to", "%s is not after its first day %s", d.Format(time.DateOnly), a.From.Format(time.DateOnly))
	}
	e.To = d
	return e, Change{Assignments: []data.Assignment{e}}, nil
}

// ServedOn answers who served a grid on day d: the assignments holding
// that day, heads first.
func ServedOn(c *data.City, grid string, d time.Time) []data.Assignment {
	d = data.Day(d)
	var out []data.Assignment
	for i := range c.Assignments {
		if a := &c.Assignments[i]; a.GridCode == grid && a.ActiveOn(d) {
			if st := c.StaffByID(a.StaffID); st != nil && st.Serving(d) {
				out = append(out, *a)
			}
		}
	}
	order := map[string]int{data.DutyHead: 0, data.DutyWorker: 1, data.DutyCadre: 2}
	slices.SortStableFunc(out, func(x, y data.Assignment) int {
		if order[x.Duty] != order[y.Duty] {
			return order[x.Duty] - order[y.Duty]
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
}

// History returns every assignment of a grid, newest first.
func History(c *data.City, grid string) []data.Assignment {
	var out []data.Assignment
	for i := range c.Assignments {
		if c.Assignments[i].GridCode == grid {
			out = append(out, c.Assignments[i])
		}
	}
	slices.SortStableFunc(out, func(x, y data.Assignment) int { return y.From.Compare(x.From) })
	return out
}

// CreateUnit checks a new 双报到 unit; its code is given (R…) or the next
// of its level.
func CreateUnit(c *data.City, u data.ReportingUnit) (data.ReportingUnit, Change, error) {
	if u.Code == "" {
		p := "RM"
		if u.Level == data.UnitDistrict {
			p = "RD"
		}
		u.Code = nextID(p, c.ReportingUnits, func(u *data.ReportingUnit) string { return u.Code })
	} else if findUnit(c, u.Code) != nil {
		return u, Change{}, conflict("code", "unit %s exists", u.Code)
	} else if err := checkID("code", u.Code); err != nil {
		return u, Change{}, err
	}
	if err := checkUnit(c, &u); err != nil {
		return u, Change{}, err
	}
	u.CommunityCodes = nil
	return u, Change{Units: []data.ReportingUnit{u}}, nil
}

// UpdateUnit checks an edited unit; its level and district may change
// only while it has no open pairing.
func UpdateUnit(c *data.City, u data.ReportingUnit) (data.ReportingUnit, Change, error) {
	old := findUnit(c, u.Code)
	if old == nil {
		return u, Change{}, notFound("code", "no unit %s", u.Code)
	}
	if err := checkUnit(c, &u); err != nil {
		return u, Change{}, err
	}
	if u.Level != old.Level || u.DistrictCode != old.DistrictCode {
		for i := range c.Pairings {
			if p := &c.Pairings[i]; p.UnitCode == u.Code && p.To.IsZero() {
				return u, Change{}, conflict("level", "the unit has the open pairing %s: end it before changing level or district", p.ID)
			}
		}
	}
	u.CommunityCodes = nil
	return u, Change{Units: []data.ReportingUnit{u}}, nil
}

func checkUnit(c *data.City, u *data.ReportingUnit) *Error {
	var err *Error
	if u.Name, err = cleanText("name", u.Name, 2, 80); err != nil {
		return err
	}
	switch u.Level {
	case data.UnitMunicipal:
		if u.DistrictCode != "" {
			return invalid("district_code", "a municipal unit has no district")
		}
	case data.UnitDistrict:
		if c.District(u.DistrictCode) == nil {
			return invalid("district_code", "a district-level unit needs its district (one of the city's district codes)")
		}
	default:
		return invalid("level", "%q unknown (want municipal or district)", u.Level)
	}
	if u.Members < 0 || u.Members > 100000 {
		return invalid("members", "%d is out of range 0..100000", u.Members)
	}
	if u.Secretary, err = cleanText("secretary", u.Secretary, 0, 40); err != nil {
		return err
	}
	if u.Note, err = cleanText("note", u.Note, 0, 500); err != nil {
		return err
	}
	u.Phone = strings.TrimSpace(u.Phone)
	if u.Phone != "" && !phoneRe.MatchString(u.Phone) {
		return invalid("phone", "%q is not a phone number", u.Phone)
	}
	return nil
}

// Pair checks a new pairing of a unit with a community (prefix B): the
// unit and community exist, a district-level unit stays in its district,
// the pair is not open already, and the community does not go over the
// rule's most units of the level.
func Pair(c *data.City, p data.Pairing, r Rules) (data.Pairing, Change, error) {
	u := findUnit(c, p.UnitCode)
	if u == nil {
		return p, Change{}, notFound("unit_code", "no unit %s", p.UnitCode)
	}
	cm := c.Community(p.CommunityCode)
	if cm == nil {
		return p, Change{}, notFound("community_code", "no community %s", p.CommunityCode)
	}
	if u.Level == data.UnitDistrict && cm.DistrictCode != u.DistrictCode {
		return p, Change{}, conflict("community_code", "%s is a unit of district %s; %s lies in %s", u.Name, u.DistrictCode, cm.Name, cm.DistrictCode)
	}
	if p.From.IsZero() {
		p.From = Today()
	}
	p.From, p.To = day(p.From), day(p.To)
	if !p.To.IsZero() && !p.To.After(p.From) {
		return p, Change{}, invalid("to", "%s is not after from %s", p.To.Format(time.DateOnly), p.From.Format(time.DateOnly))
	}
	var err *Error
	if p.Note, err = cleanText("note", p.Note, 0, 500); err != nil {
		return p, Change{}, err
	}
	if p.ID == "" {
		p.ID = nextID("B", c.Pairings, func(p *data.Pairing) string { return p.ID })
	} else if err := checkID("id", p.ID); err != nil {
		return p, Change{}, err
	}
	var others []span
	for i := range c.Pairings {
		o := &c.Pairings[i]
		if o.ID == p.ID {
			return p, Change{}, conflict("id", "pairing %s exists", p.ID)
		}
		if !overlaps(o.From, o.To, p.From, p.To) {
			continue
		}
		if o.UnitCode == p.UnitCode && o.CommunityCode == p.CommunityCode {
			return p, Change{}, conflict("community_code", "%s already reports to %s (pairing %s)", u.Name, cm.Name, o.ID)
		}
		if ou := findUnit(c, o.UnitCode); o.CommunityCode == p.CommunityCode && ou != nil && ou.Level == u.Level {
			others = append(others, span{o.From, o.To})
		}
	}
	rg := r.Range(u.Level)
	if n := maxOverlap(others, p.From, p.To) + 1; rg.Max > 0 && n > rg.Max {
		return p, Change{}, conflict("community_code", "%s would have %d %s-level units (the rule: %s): rebalance with a proposal, or end a pairing first", cm.Name, n, u.Level, rg)
	}
	return p, Change{Pairings: []data.Pairing{p}}, nil
}

// EndPairing ends a pairing on day d.
func EndPairing(c *data.City, id string, d time.Time) (data.Pairing, Change, error) {
	var p *data.Pairing
	for i := range c.Pairings {
		if c.Pairings[i].ID == id {
			p = &c.Pairings[i]
		}
	}
	if p == nil {
		return data.Pairing{}, Change{}, notFound("id", "no pairing %s", id)
	}
	d = day(d)
	if d.IsZero() {
		d = Today()
	}
	e := *p
	switch {
	case !p.To.IsZero() && !d.Before(p.To):
		return e, Change{}, conflict("to", "%s already ended on %s", id, p.To.Format(time.DateOnly))
	case !d.After(p.From):
		return e, Change{}, invalid("to", "%s is not after its first day %s", d.Format(time.DateOnly), p.From.Format(time.DateOnly))
	}
	e.To = d
	return e, Change{Pairings: []data.Pairing{e}}, nil
}

// SetContactPoint gives a leading cadre a community contact point (prefix
// K) from its first day; the leader's open contact point, if any, ends
// that day (one community each).
func SetContactPoint(c *data.City, p data.ContactPoint) (data.ContactPoint, Change, error) {
	st := c.StaffByID(p.StaffID)
	if st == nil {
		return p, Change{}, notFound("staff_id", "no staff %s", p.StaffID)
	}
	if st.Role != data.StaffLeader {
		return p, Change{}, invalid("staff_id", "%s is a %s: only a leading cadre keeps a contact point", st.ID, st.Role)
	}
	if c.Community(p.CommunityCode) == nil {
		return p, Change{}, notFound("community_code", "no community %s", p.CommunityCode)
	}
	if p.From.IsZero() {
		p.From = Today()
	}
	p.From, p.To = day(p.From), time.Time{}
	if p.From.Before(st.Joined) || (!st.Retired.IsZero() && !p.From.Before(st.Retired)) {
		return p, Change{}, conflict("from", "%s does not serve on %s", st.ID, p.From.Format(time.DateOnly))
	}
	var err *Error
	if p.Note, err = cleanText("note", p.Note, 0, 500); err != nil {
		return p, Change{}, err
	}
	if p.ID == "" {
		p.ID = nextID("K", c.ContactPoints, func(p *data.ContactPoint) string { return p.ID })
	} else if err := checkID("id", p.ID); err != nil {
		return p, Change{}, err
	}
	var ch Change
	for i := range c.ContactPoints {
		o := c.ContactPoints[i]
		if o.ID == p.ID {
			return p, Change{}, conflict("id", "contact point %s exists", p.ID)
		}
		if o.StaffID != p.StaffID || !(o.To.IsZero() || o.To.After(p.From)) {
			continue
		}
		if o.CommunityCode == p.CommunityCode {
			return p, Change{}, conflict("community_code", "%s already keeps this contact point (%s)", st.ID, o.ID)
		}
		if !o.From.Before(p.From) {
			return p, Change{}, conflict("from", "the contact point %s starts on %s, not before", o.ID, o.From.Format(time.DateOnly))
		}
		o.To = p.From
		ch.ContactPoints = append(ch.ContactPoints, o)
	}
	ch.ContactPoints = append(ch.ContactPoints, p)
	return p, ch, nil
}

// EndContactPoint ends a contact point on day d.
func EndContactPoint(c *data.City, id string, d time.Time) (data.ContactPoint, Change, error) {
	for i := range c.ContactPoints {
		if p := c.ContactPoints[i]; p.ID == id {
			d = day(d)
			if d.IsZero() {
				d = Today()
			}
			if !p.To.IsZero() && !d.Before(p.To) {
				return p, Change{}, conflict("to", "%s already ended on %s", id, p.To.Format(time.DateOnly))
			}
			if !d.After(p.From) {
				return p, Change{}, invalid("to", "%s is not after its first day %s", d.Format(time.DateOnly), p.From.Format(time.DateOnly))
			}
			p.To = d
			return p, Change{ContactPoints: []data.ContactPoint{p}}, nil
		}
	}
	return data.ContactPoint{}, Change{}, notFound("id", "no contact point %s", id)
}

func findAssignment(c *data.City, id string) *data.Assignment {
	for i := range c.Assignments {
		if c.Assignments[i].ID == id {
			return &c.Assignments[i]
		}
	}
	return nil
}

func findUnit(c *data.City, code string) *data.ReportingUnit {
	for i := range c.ReportingUnits {
		if c.ReportingUnits[i].Code == code {
			return &c.ReportingUnits[i]
		}
	}
	return nil
}
