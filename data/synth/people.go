package synth

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
)

// ReferenceDay is the demo city's "today": its incidents run up to it and
// its people records are laid out as of it (history before, nothing
// after).
var ReferenceDay = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Published figures of the people records beyond CITY.md's table: the
// co-building commitments of two years, and the leading cadres who keep a
// community contact point.
const (
	Commitments    = 2083
	LeadingCadres  = 69
	maxDistrictPer = 2 // district-level units per community (the 1–2 rule)
)

// Deliberate violations of the people rules in every copy, for `gridmap
// validate` to report: one grid whose head retired unreplaced, one grid
// whose only worker moved away, one cadre helping four grids, one community
// with three district-level units and one with none.
const PeopleViolations = 5

// staffing turns the generated heads, teams, cadres and units into managed
// records with a history: who joined when, heads handing over, earlier
// pairings, two years of commitments, leading cadres' contact points, the
// streets' secretaries. It draws from its own random stream, so the rest
// of the city is the same with or without it. Every grid ends with a head
// and a responsible worker, every cadre within three grids and every
// community with 1–2 units of each level, except the deliberate
// violations. The generated Head, Team, Cadres and CommunityCodes stay as
// they were drawn; a store that loads the records derives them
// (data.City.DeriveStaffing).
func (g *cityGen) staffing() {
	rng := rand.New(rand.NewPCG(g.opt.Seed^0x5EED0F5EED, uint64(g.k)*0x9E3779B97F4A7C15+7))
	g.city.Index()
	s := &staffGen{g: g, rng: rng, c: g.city}
	s.heads()
	s.workers()
	s.cadres()
	s.leaders()
	s.units()
	s.commitments()
	s.violations()
}

type staffGen struct {
	g                *cityGen
	rng              *rand.Rand
	c                *data.City
	nAssign, nPair   int
	nStaff           map[byte]int
	gridsOfCommunity map[string][]int
}

func (s *staffGen) id(prefix byte) string {
	if s.nStaff == nil {
		s.nStaff = map[byte]int{}
	}
	s.nStaff[prefix]++
	return fmt.Sprintf("%c%04d%05d", prefix, s.g.k, s.nStaff[prefix])
}

// date draws a day between two years' first days.
func (s *staffGen) date(fromYear, toYear int) time.Time {
	from := time.Date(fromYear, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(toYear, 1, 1, 0, 0, 0, 0, time.UTC).Sub(from).Hours() / 24)
	return from.AddDate(0, 0, s.rng.IntN(days))
}

func (s *staffGen) assign(staff, grid, duty string, from, to time.Time, note string) {
	s.nAssign++
	s.c.Assignments = append(s.c.Assignments, data.Assignment{
		ID: fmt.Sprintf("A%04d%06d", s.g.k, s.nAssign), StaffID: staff, GridCode: grid, Duty: duty, From: from, To: to, Note: note})
}

func (s *staffGen) pair(unit, comm string, from, to time.Time, note string) {
	s.nPair++
	s.c.Pairings = append(s.c.Pairings, data.Pairing{
		ID: fmt.Sprintf("B%04d%05d", s.g.k, s.nPair), UnitCode: unit, CommunityCode: comm, From: from, To: to, Note: note})
}

// heads makes each grid's head a record, with a predecessor for about one
// grid in twelve (handed over on the day the present head started).
func (s *staffGen) heads() {
	for i := range s.c.Grids {
		gr := &s.c.Grids[i]
		joined := s.date(2019, 2025)
		start := joined.AddDate(0, s.rng.IntN(12), 0)
		if s.rng.IntN(12) == 0 {
			prev := s.id('H')
			pj := s.date(2016, 2019)
			s.c.Staff = append(s.c.Staff, data.Staff{ID: prev, Name: personName(s.rng), Role: data.StaffHead, Phone: phone(s.rng),
				Title: gr.Head.Title, CommunityCode: gr.CommunityCode, Joined: pj, Retired: start, Note: "已卸任"})
			s.assign(prev, gr.Code, data.DutyHead, pj, start, "")
		}
		id := s.id('H')
		s.c.Staff = append(s.c.Staff, data.Staff{ID: id, Name: gr.Head.Name, Role: data.StaffHead, Phone: gr.Head.Phone,
			Title: gr.Head.Title, CommunityCode: gr.CommunityCode, Joined: joined})
		s.assign(id, gr.Code, data.DutyHead, start, time.Time{}, "")
	}
}

// workers makes the community workers records and fixes each to a grid
// (定岗网格): the full-time workers stay where the generator put them; the
// part-time members first go to the grids left without anyone, nearest
// first (same community, then street, then district), the rest where
// they were.
func (s *staffGen) workers() {
	gs := s.c.Grids
	type member struct {
		p    data.Person
		grid int
	}
	var ft, pt []member
	for i := range gs {
		for _, p := range gs[i].Team {
			if p.Title == "专职网格员" {
				ft = append(ft, member{p, i})
			} else {
				pt = append(pt, member{p, i})
			}
		}
	}
	covered := make([]int, len(gs))
	for _, m := range ft {
		covered[m.grid]++
	}
	// Part-time members on grids with company can move.
	for x := range pt {
		covered[pt[x].grid]++
	}
	for gi := range gs {
		if covered[gi] > 0 {
			continue
		}
		best, bestScore := -1, -1
		for x, m := range pt {
			if covered[m.grid] < 2 {
				continue
			}
			a, b := &gs[m.grid], &gs[gi]
			score := 1
			switch {
			case a.CommunityCode == b.CommunityCode:
				score = 4
			case a.StreetCode == b.StreetCode:
				score = 3
			case a.DistrictCode == b.DistrictCode:
				score = 2
			}
			if score > bestScore {
				best, bestScore = x, score
			}
		}
		if best < 0 {
			continue
		}
		covered[pt[best].grid]--
		pt[best].grid = gi
		covered[gi]++
	}
	add := func(prefix byte, m member, role string) {
		id := s.id(prefix)
		gr := &gs[m.grid]
		joined := s.date(2018, 2026)
		if joined.After(ReferenceDay) {
			joined = ReferenceDay.AddDate(0, -2, 0)
		}
		s.c.Staff = append(s.c.Staff, data.Staff{ID: id, Name: m.p.Name, Role: role, Phone: m.p.Phone, Title: m.p.Title,
			Unit: communityShort(s.g.communityName(gr.CommunityCode)) + "居委会", CommunityCode: gr.CommunityCode, Joined: joined})
		s.assign(id, gr.Code, data.DutyWorker, joined, time.Time{}, "")
	}
	for _, m := range ft {
		add('W', m, data.StaffWorker)
	}
	for _, m := range pt {
		add('M', m, data.StaffMember)
	}
}

func (g *cityGen) communityName(code string) string {
	for i := range g.city.Communities {
		if g.city.Communities[i].Code == code {
			return g.city.Communities[i].Name
		}
	}
	return ""
}

// cadres makes the sunk cadres records (their ids are kept), helping
// their grids since they were sent down.
func (s *staffGen) cadres() {
	for _, cd := range s.c.Cadres {
		joined := s.date(2021, 2026)
		if joined.After(ReferenceDay) {
			joined = ReferenceDay.AddDate(0, -3, 0)
		}
		s.c.Staff = append(s.c.Staff, data.Staff{ID: cd.ID, Name: cd.Name, Role: data.StaffCadre, Unit: cd.Unit, Rank: cd.Rank,
			Phone: cd.Phone, Title: "下沉干部", Joined: joined})
		for _, gc := range cd.GridCodes {
			s.assign(cd.ID, gc, data.DutyCadre, joined, time.Time{}, "")
		}
	}
}

// leaders adds the leading cadres, one community contact point each, and
// each street's party secretary.
func (s *staffGen) leaders() {
	cs := s.c.Communities
	for x, ci := range shuffled(s.rng, len(cs)) {
		if x >= LeadingCadres {
			break
		}
		cm := cs[ci]
		unit, rank := "枣庄市委", "副厅级"
		if x%3 != 0 {
			unit, rank = s.g.districtName(cm.DistrictCode)+"委", "正处级"
		}
		id := s.id('L')
		joined := s.date(2020, 2025)
		s.c.Staff = append(s.c.Staff, data.Staff{ID: id, Name: personName(s.rng), Role: data.StaffLeader, Unit: unit, Rank: rank,
			Phone: phone(s.rng), Title: "联系点领导", Joined: joined})
		s.c.ContactPoints = append(s.c.ContactPoints, data.ContactPoint{ID: fmt.Sprintf("K%04d%04d", s.g.k, x+1), StaffID: id,
			CommunityCode: cm.Code, From: joined})
	}
	for _, st := range s.c.Streets {
		s.c.Staff = append(s.c.Staff, data.Staff{ID: s.id('S'), Name: personName(s.rng), Role: data.StaffSecretary,
			Unit: st.Name + "党工委", Rank: "正处级", Phone: phone(s.rng), Title: "街道党工委书记", StreetCode: st.Code,
			Joined: s.date(2019, 2025)})
	}
}

// units pairs the units with communities: the municipal units as the
// generator drew them (two communities each, so 1–2 per community), the
// district-level units two per community of their district, in order;
// the units beyond that room report outside the mapped urban area (to
// villages) and have no pairing here. About one unit in ten had an
// earlier pairing, ended when the pairings were balanced on 2024-03-01.
func (s *staffGen) units() {
	balanced := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	byDistrict := map[string][]string{}
	for _, cm := range s.c.Communities {
		byDistrict[cm.DistrictCode] = append(byDistrict[cm.DistrictCode], cm.Code)
	}
	perDistrict := map[string]int{}
	for i := range s.c.ReportingUnits {
		u := &s.c.ReportingUnits[i]
		if u.Level == data.UnitDistrict && len(u.CommunityCodes) > 0 {
			if cm := s.c.Community(u.CommunityCodes[0]); cm != nil {
				u.DistrictCode = cm.DistrictCode
			}
		}
		u.Secretary, u.Phone = personName(s.rng), phone(s.rng)
		var comms []string
		if u.Level == data.UnitMunicipal {
			comms = u.CommunityCodes
		} else {
			list := byDistrict[u.DistrictCode]
			n := perDistrict[u.DistrictCode]
			perDistrict[u.DistrictCode]++
			if n < maxDistrictPer*len(list) {
				comms = []string{list[n%len(list)]}
			}
		}
		for _, cc := range comms {
			if s.rng.IntN(10) == 0 {
				all := byDistrict[u.DistrictCode]
				if u.Level == data.UnitMunicipal {
					all = s.allCommunities()
				}
				if old := all[s.rng.IntN(len(all))]; old != cc {
					s.pair(u.Code, old, time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), balanced, "2024年报到社区调整")
				}
			}
			s.pair(u.Code, cc, balanced, time.Time{}, "")
		}
	}
}

func (s *staffGen) allCommunities() []string {
	out := make([]string, len(s.c.Communities))
	for i, cm := range s.c.Communities {
		out[i] = cm.Code
	}
	return out
}

// Commitment subjects: what a unit pledges to a community.
var commitmentKinds = []string{
	"开展义诊进社区活动", "修缮小区健身器材", "粉刷老旧小区楼道", "结对帮扶困难家庭", "开展法律咨询服务", "开展垃圾分类宣传",
	"增设小区路灯", "疏通小区排水管网", "开设四点半课堂", "组织在职党员志愿服务", "整治小区停车秩序", "开展消防安全培训",
	"建设口袋公园", "组织志愿者上门为老年人理发", "开展反诈宣传", "慰问社区退役军人", "资助社区图书角", "维修破损道路",
	"开展文明城市创建志愿服务", "给独居老人安装烟感报警器",
}

// commitments writes two years of pledges (2,083 in all) of the paired
// units to their communities: last year's all finished, this year's
// under way as of ReferenceDay.
func (s *staffGen) commitments() {
	type pairing struct{ unit, comm string }
	var open []pairing
	for _, p := range s.c.Pairings {
		if p.To.IsZero() {
			open = append(open, pairing{p.UnitCode, p.CommunityCode})
		}
	}
	if len(open) == 0 {
		return
	}
	names := map[string]string{}
	for _, cm := range s.c.Communities {
		names[cm.Code] = communityShort(cm.Name)
	}
	base := map[pairing]int{}
	for _, p := range open {
		if _, ok := base[p]; !ok {
			base[p] = s.rng.IntN(len(commitmentKinds))
		}
	}
	year1 := Commitments / 2
	for n := 0; n < Commitments; n++ {
		year := ReferenceDay.Year() - 1
		if n >= year1 {
			year = ReferenceDay.Year()
		}
		p := open[n%len(open)]
		// Each pairing's pledges differ: successive kinds from a drawn start.
		kind := commitmentKinds[(base[p]+n/len(open))%len(commitmentKinds)]
		x := data.Commitment{ID: fmt.Sprintf("Y%04d%05d", s.g.k, n+1), UnitCode: p.unit, CommunityCode: p.comm, Year: year,
			Title: "为" + names[p.comm] + kind}
		pledged := time.Date(year, 3, 1+s.rng.IntN(28), 9, 0, 0, 0, time.UTC)
		at := pledged
		step := func(status, text string, days int) {
			at = at.AddDate(0, 0, days)
			if at.After(ReferenceDay) {
				at = ReferenceDay.Add(-time.Hour)
			}
			x.Status = status
			if text != "" {
				x.Evidence = append(x.Evidence, data.Evidence{At: at, By: "组织部", Text: text})
			}
		}
		x.Status = data.CommitPledged
		r := s.rng.IntN(100)
		switch {
		case year < ReferenceDay.Year() && r < 92, year == ReferenceDay.Year() && r < 55:
			step(data.CommitInProgress, "已启动，制定实施方案", 20+s.rng.IntN(60))
			step(data.CommitDone, "已完成，社区验收并公示", 60+s.rng.IntN(120))
		case year < ReferenceDay.Year():
			step(data.CommitInProgress, "已启动", 20+s.rng.IntN(60))
			step(data.CommitNotDone, "资金未落实，转入下一年度", 90+s.rng.IntN(120))
		case r < 90:
			step(data.CommitInProgress, "正在实施", 20+s.rng.IntN(90))
		}
		x.UpdatedAt = at
		s.c.Commitments = append(s.c.Commitments, x)
	}
	sort.SliceStable(s.c.Commitments, func(a, b int) bool { return s.c.Commitments[a].ID < s.c.Commitments[b].ID })
}

// violations breaks the rules on purpose, PeopleViolations times.
func (s *staffGen) violations() {
	c := s.c
	if len(c.Grids) < 4 || len(c.Communities) < 3 {
		return
	}
	gone := ReferenceDay.AddDate(0, -1, 0)
	// 1. A grid whose head retired and was not replaced.
	g1 := c.Grids[s.rng.IntN(len(c.Grids))].Code
	for i := range c.Assignments {
		if a := &c.Assignments[i]; a.GridCode == g1 && a.Duty == data.DutyHead && a.To.IsZero() {
			a.To = gone
			if st := staffOf(c, a.StaffID); st != nil {
				if !gone.After(st.Joined) || !gone.After(a.From) {
					st.Joined, a.From = gone.AddDate(-1, 0, 0), gone.AddDate(-1, 0, 0)
				}
				st.Retired, st.Note = gone, "已退休，待补选"
			}
		}
	}
	// 2. A grid whose only worker moved on (still serving, no grid).
	count := map[string]int{}
	for _, a := range c.Assignments {
		if a.Duty == data.DutyWorker && a.To.IsZero() {
			count[a.GridCode]++
		}
	}
	for i := range c.Assignments {
		if a := &c.Assignments[i]; a.Duty == data.DutyWorker && a.To.IsZero() && count[a.GridCode] == 1 && a.GridCode != g1 && a.From.Before(gone) {
			a.To, a.Note = gone, "调离，岗位待补"
			break
		}
	}
	// 3. A cadre helping four grids: three more of its community.
	for i := range c.Staff {
		st := &c.Staff[i]
		if st.Role != data.StaffCadre {
			continue
		}
		var held []string
		for _, a := range c.Assignments {
			if a.StaffID == st.ID {
				held = append(held, a.GridCode)
			}
		}
		if len(held) != 1 {
			continue
		}
		g := c.Grid(held[0])
		var more []string
		for _, o := range c.Grids {
			if o.CommunityCode == g.CommunityCode && o.Code != g.Code {
				more = append(more, o.Code)
			}
		}
		if len(more) < 3 {
			continue
		}
		for _, gc := range more[:3] {
			s.assign(st.ID, gc, data.DutyCadre, gone, time.Time{}, "临时增派")
		}
		break
	}
	// 4 and 5. One community's two district-level units both move to
	// another community of the district: one has none, the other 3… but
	// only one of them moves on, so: A keeps 0, B gets 3 (one arrives),
	// and the other leaves the map.
	var a, b string
	for i := range c.Communities {
		for j := range c.Communities {
			if i != j && c.Communities[i].DistrictCode == c.Communities[j].DistrictCode && a == "" {
				a, b = c.Communities[i].Code, c.Communities[j].Code
			}
		}
	}
	moved := 0
	for i := range c.Pairings {
		p := &c.Pairings[i]
		u := unitOf(c, p.UnitCode)
		if p.CommunityCode != a || !p.To.IsZero() || u == nil || u.Level != data.UnitDistrict {
			continue
		}
		p.To, p.Note = gone, "调整报到"
		if moved == 0 {
			s.pair(p.UnitCode, b, gone, time.Time{}, "调整报到")
		}
		moved++
	}
}

func staffOf(c *data.City, id string) *data.Staff {
	for i := range c.Staff {
		if c.Staff[i].ID == id {
			return &c.Staff[i]
		}
	}
	return nil
}

func unitOf(c *data.City, code string) *data.ReportingUnit {
	for i := range c.ReportingUnits {
		if c.ReportingUnits[i].Code == code {
			return &c.ReportingUnits[i]
		}
	}
	return nil
}
