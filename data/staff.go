package data

import (
	"slices"
	"sort"
	"time"
)

// The people who serve the grids, as managed all year by the organisation
// department (组织部): staff records, their dated assignments to grids,
// the 双报到 units' dated pairings with communities, the units' yearly
// commitments, yearly evaluations, and leading cadres' contact points.
// They are the source of the Grid.Head, Grid.Team, Cadres and
// ReportingUnit.CommunityCodes a city shows: DeriveStaffing computes those
// as of a day. The rules over them live in package data/people.

// Staff roles.
const (
	StaffCadre     = "cadre"     // 下沉干部: a section-level cadre sunk to grids
	StaffHead      = "head"      // 网格长: a grid party branch secretary or party group leader
	StaffWorker    = "worker"    // 专职网格员: a full-time community worker fixed to grids
	StaffMember    = "member"    // 兼职委员: a part-time committee member
	StaffLeader    = "leader"    // 领导干部: a leading cadre with a community contact point
	StaffSecretary = "secretary" // 街道党工委书记: the party secretary of a street
)

// StaffRoles lists every staff role.
var StaffRoles = []string{StaffCadre, StaffHead, StaffWorker, StaffMember, StaffLeader, StaffSecretary}

// Staff is one person who serves: name, work unit, rank, phone, role.
// Name and Phone are personal data.
type Staff struct {
	ID            string
	Name          string
	Role          string // one of StaffRoles
	Unit          string // work unit (单位)
	Rank          string // 正科级, 副科级 …
	Phone         string
	Title         string    // 网格党支部书记, 专职网格员 …
	CommunityCode string    // the community a head, worker or member belongs to
	StreetCode    string    // the street a secretary leads
	Joined        time.Time // first day of service
	Retired       time.Time // first day no longer serving; zero while serving
	Note          string
}

// Serving reports whether the person serves on day d.
func (s *Staff) Serving(d time.Time) bool {
	return !d.Before(s.Joined) && (s.Retired.IsZero() || d.Before(s.Retired))
}

// Duties of an assignment to a grid.
const (
	DutyHead   = "head"   // 网格长
	DutyWorker = "worker" // 定岗网格员: a person responsible for the grid
	DutyCadre  = "cadre"  // 下沉帮包: a cadre helping the grid
)

// Duties lists every duty.
var Duties = []string{DutyHead, DutyWorker, DutyCadre}

// Assignment is one person's duty in one grid over a span of days: From is
// the first day, To the first day no longer served (zero: still serving).
// Ended assignments are kept: they answer who served a grid on a day.
type Assignment struct {
	ID       string
	StaffID  string
	GridCode string
	Duty     string
	From     time.Time
	To       time.Time
	Note     string
}

// ActiveOn reports whether the assignment holds on day d.
func (a *Assignment) ActiveOn(d time.Time) bool { return span(a.From, a.To, d) }

func span(from, to, d time.Time) bool {
	return !d.Before(from) && (to.IsZero() || d.Before(to))
}

// Reporting unit levels.
const (
	UnitMunicipal = "municipal" // 市直单位
	UnitDistrict  = "district"  // 区直单位
)

// Pairing is a 双报到 unit reporting to a community (结对共建) over a span
// of days, kept like an assignment when it ends.
type Pairing struct {
	ID            string
	UnitCode      string
	CommunityCode string
	From          time.Time
	To            time.Time
	Note          string
}

// ActiveOn reports whether the pairing holds on day d.
func (p *Pairing) ActiveOn(d time.Time) bool { return span(p.From, p.To, d) }

// Commitment statuses: 承诺 → 进行中 → 完成 or 未完成.
const (
	CommitPledged    = "pledged"     // 承诺
	CommitInProgress = "in_progress" // 进行中
	CommitDone       = "done"        // 完成
	CommitNotDone    = "not_done"    // 未完成
)

// Commitment is a unit's yearly pledge to a community (承诺事项).
type Commitment struct {
	ID            string
	UnitCode      string
	CommunityCode string
	Year          int
	Title         string // published: no personal data
	Status        string
	Evidence      []Evidence // notes on what was done; internal
	UpdatedAt     time.Time
}

// Evidence is one note on a commitment's progress.
type Evidence struct {
	At   time.Time
	By   string
	Text string
}

// Evaluation grades (考核等次).
const (
	GradeExcellent = "优秀"
	GradeGood      = "合格"
	GradeFair      = "一般"
	GradePoor      = "差"
)

// Grades lists the grades from best to worst.
var Grades = []string{GradeExcellent, GradeGood, GradeFair, GradePoor}

// Evaluation subjects.
const (
	SubjectPerson = "person"
	SubjectStreet = "street"
)

// Evaluation is one yearly evaluation (考核) of a person or a street: the
// metrics drawn from the incidents of the grids served that year, a score
// out of 100 and a grade.
type Evaluation struct {
	ID          string
	Year        int
	Subject     string // SubjectPerson or SubjectStreet
	SubjectID   string // staff id or street code
	Incidents   int    // incidents the metrics count
	OnTimeShare float64
	ReopenRate  float64
	Score       float64
	Grade       string
	Comment     string
	At          time.Time
	By          string
}

// ContactPoint is a leading cadre's community contact point (联系点).
type ContactPoint struct {
	ID            string
	StaffID       string
	CommunityCode string
	From          time.Time
	To            time.Time
	Note          string
}

// ActiveOn reports whether the contact point holds on day d.
func (p *ContactPoint) ActiveOn(d time.Time) bool { return span(p.From, p.To, d) }

// Day returns the calendar day of t in China Standard Time, as midnight
// UTC: the form every date of the people records takes.
func Day(t time.Time) time.Time {
	y, m, d := t.In(cst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var cst = time.FixedZone("CST", 8*3600)

// HasStaff reports whether the city's people are managed records (then
// DeriveStaffing computes what the grids show) rather than only the
// generated heads, teams and cadres of an older file.
func (c *City) HasStaff() bool { return len(c.Staff) > 0 }

// StaffByID returns the staff record with the id, or nil. It is safe for
// concurrent readers; the lookup is indexed after Index or DeriveStaffing.
func (c *City) StaffByID(id string) *Staff {
	if i, ok := c.staffIdx[id]; ok && i < len(c.Staff) && c.Staff[i].ID == id {
		return &c.Staff[i]
	}
	for i := range c.Staff {
		if c.Staff[i].ID == id {
			return &c.Staff[i]
		}
	}
	return nil
}

func (c *City) indexStaff() {
	c.staffIdx = make(map[string]int, len(c.Staff))
	for i := range c.Staff {
		c.staffIdx[c.Staff[i].ID] = i
	}
}

// DeriveStaffing sets what the city shows of its people from the managed
// records as of day d: each grid's Head and Team (its workers), the
// Cadres with the grids they help, and each reporting unit's
// CommunityCodes. It changes the Grids and ReportingUnits elements in
// place (clone them first when another reader holds them). A city without
// staff records keeps what it has.
func (c *City) DeriveStaffing(d time.Time) {
	if !c.HasStaff() {
		return
	}
	d = Day(d)
	c.indexStaff()
	gi := make(map[string]int, len(c.Grids))
	for i := range c.Grids {
		gi[c.Grids[i].Code] = i
		c.Grids[i].Head = Person{}
		c.Grids[i].Team = nil
	}
	cadreGrids := map[string][]string{}
	as := slices.Clone(c.Assignments)
	sort.SliceStable(as, func(a, b int) bool {
		if !as[a].From.Equal(as[b].From) {
			return as[a].From.Before(as[b].From)
		}
		return as[a].ID < as[b].ID
	})
	for i := range as {
		a := &as[i]
		if !a.ActiveOn(d) {
			continue
		}
		st := c.StaffByID(a.StaffID)
		j, ok := gi[a.GridCode]
		if st == nil || !ok || !st.Serving(d) {
			continue
		}
		p := Person{Name: st.Name, Phone: st.Phone, Title: st.Title}
		switch a.Duty {
		case DutyHead:
			if p.Title == "" {
				p.Title = "网格长"
			}
			if c.Grids[j].Head.Name == "" {
				c.Grids[j].Head = p
			}
		case DutyWorker:
			c.Grids[j].Team = append(c.Grids[j].Team, p)
		case DutyCadre:
			cadreGrids[st.ID] = append(cadreGrids[st.ID], a.GridCode)
		}
	}
	c.Cadres = nil
	for i := range c.Staff {
		st := &c.Staff[i]
		if st.Role != StaffCadre || !st.Serving(d) {
			continue
		}
		c.Cadres = append(c.Cadres, Cadre{ID: st.ID, Name: st.Name, Unit: st.Unit, Rank: st.Rank, Phone: st.Phone, GridCodes: cadreGrids[st.ID]})
	}
	ui := make(map[string]int, len(c.ReportingUnits))
	for i := range c.ReportingUnits {
		ui[c.ReportingUnits[i].Code] = i
		c.ReportingUnits[i].CommunityCodes = nil
	}
	for i := range c.Pairings {
		p := &c.Pairings[i]
		if j, ok := ui[p.UnitCode]; ok && p.ActiveOn(d) {
			c.ReportingUnits[j].CommunityCodes = append(c.ReportingUnits[j].CommunityCodes, p.CommunityCode)
		}
	}
	c.cadresByGrid = make(map[string][]int, len(c.Grids))
	for i, cd := range c.Cadres {
		for _, g := range cd.GridCodes {
			c.cadresByGrid[g] = append(c.cadresByGrid[g], i)
		}
	}
}
