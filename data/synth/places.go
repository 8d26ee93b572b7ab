package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
)

// PlacesAsOf is the default day the generated places records run up to
// (Options.PlacesAsOf): the service logs, station activities and ratings
// of the last weeks and months lie just before it; property and station
// records all lie before it. A generated city records it in its meta as
// "places_as_of". A later day keeps the demo's visits and activities
// recent (make run generates up to the day it runs).
const PlacesAsOf = "2026-12-01"

// PlacesBase is the base day the city reports its property gains against
// (early 2020).
const PlacesBase = "2020-01-01"

// Assumed shares of the demo city, stated because the city's own figures
// could not be found: on PlacesBase, 62% of compounds professionally
// managed, 18% with an owners' committee, 28% of the serving property
// companies with a party organisation; now the Options' rates (88%, 72%,
// 93% by default). Complaints weigh heavily on compounds without
// professional management (complaintWeight).
const (
	baseProfessional = 0.62
	baseCommittee    = 0.18
	basePartyOrg     = 0.28
)

// complaintWeight is how much more often a household of a compound in each
// state complains than one of a professionally managed compound.
var complaintWeight = map[string]float64{
	data.PropertyManaged: 1, data.PropertySelf: 3, data.PropertyNone: 7, data.PropertyAbandoned: 9,
}

var companyCores = []string{
	"鲁南", "金鼎", "城建", "安居", "龙庭", "银座", "恒信", "嘉和", "福泰", "君山", "华宇", "丰源", "泰和", "瑞祥",
	"鑫源", "和美", "锦绣", "宏达", "盛世", "康居", "青檀", "光明", "运河", "荆河", "善国", "榴园", "翼云", "冠世",
	"万和", "民生", "惠民", "安泰", "德润", "诚信", "同创", "凤鸣", "东方", "金桥", "新城", "祥和", "仁和", "汇泉",
}
var companySuffixes = []string{"物业服务有限公司", "物业管理有限公司", "物业有限公司"}
var districtShort = map[string]string{
	"370402": "市中区", "370403": "薛城区", "370404": "峄城区", "370405": "台儿庄区", "370406": "山亭区", "370481": "滕州市",
}

// placesGen draws the places records of one copy from its own random
// stream, so the rest of the city is the same with or without them.
type placesGen struct {
	g    *cityGen
	rng  *rand.Rand
	asOf time.Time
	pl   *data.Places

	estates   []*estateRec
	companies []companyRec
	// state per compound: the property records in force, by compound index
	hh      []int            // households per compound
	nextLog int              // the last service log number drawn
	prop    *places.Property // the property records, once drawn
}

type estateRec struct {
	compounds []int // indexes into city.Compounds
	district  string
	hh        int
}

type companyRec struct {
	code, district string
	weight         float64
}

func (g *cityGen) places() error {
	if g.k > 0 {
		// The --scale copies beyond the reference city carry the layers
		// only: their places records would triple the file of a capacity
		// test that measures the layers.
		return nil
	}
	pg := &placesGen{
		g:    g,
		rng:  rand.New(rand.NewPCG(g.opt.Seed^0x9ACE5EED, uint64(g.k)*0x2545F4914F6CDD1D+7)),
		asOf: mustDay(g.opt.PlacesAsOf),
		pl:   &g.city.Places,
	}
	// The rules of package places look codes up: index the city drawn so far
	// (its codes are final; City indexes it again at the end).
	if err := g.city.Index(); err != nil {
		return fmt.Errorf("places: %w", err)
	}
	pg.groupEstates()
	pg.makeCompanies()
	pg.property()
	pg.evaluations()
	pg.volunteers()
	pg.stations()
	pg.complaints()
	return nil
}

func (pg *placesGen) asOfDay() string { return places.Day(pg.asOf) }

func mustDay(s string) time.Time {
	t, err := places.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// between draws a day in [from, to), skewed towards from by power p ≥ 1.
func (pg *placesGen) between(from, to string, p float64) string {
	a, b := mustDay(from), mustDay(to)
	days := int(b.Sub(a).Hours() / 24)
	if days <= 0 {
		return from
	}
	return places.Day(a.AddDate(0, 0, int(math.Pow(pg.rng.Float64(), p)*float64(days))))
}

func addMonths(day string, m int) string { return places.Day(mustDay(day).AddDate(0, m, 0)) }

// groupEstates groups the compounds (phases) into estates: the same name
// without its phase in the same community.
func (pg *placesGen) groupEstates() {
	c := pg.g.city
	pg.hh = make([]int, len(c.Compounds))
	idx := make(map[string]int, len(c.Compounds))
	for i := range c.Compounds {
		idx[c.Compounds[i].Code] = i
	}
	for i := range c.Buildings {
		pg.hh[idx[c.Buildings[i].CompoundCode]] += c.Buildings[i].Households
	}
	byKey := map[string]*estateRec{}
	for i := range c.Compounds {
		cp := &c.Compounds[i]
		name := cp.Name
		for _, ph := range phaseNames {
			name = strings.TrimSuffix(name, ph)
		}
		key := cp.CommunityCode + "|" + name
		e := byKey[key]
		if e == nil {
			e = &estateRec{district: cp.CommunityCode[:data.DistrictCodeLen]}
			byKey[key] = e
			pg.estates = append(pg.estates, e)
		}
		e.compounds = append(e.compounds, i)
		e.hh += pg.hh[i]
	}
}

// makeCompanies creates about one company per 19 estates, each registered
// in a district in proportion to its estates, with sizes of a long tail.
func (pg *placesGen) makeCompanies() {
	n := max(6, len(pg.estates)/19)
	districts := []string{}
	per := map[string]float64{}
	for _, e := range pg.estates {
		if per[e.district] == 0 {
			districts = append(districts, e.district)
		}
		per[e.district]++
	}
	w := make([]float64, len(districts))
	for i, d := range districts {
		w[i] = per[d]
	}
	counts := largestRemainder(w, n, 1)
	used := map[string]bool{}
	seq := 0
	for di, d := range districts {
		for x := 0; x < counts[di]; x++ {
			var name string
			for try := 0; ; try++ {
				prefix := "枣庄"
				if short := districtShort[d]; short != "" && pg.rng.IntN(2) == 0 {
					prefix = short
				}
				name = prefix + companyCores[pg.rng.IntN(len(companyCores))] + companySuffixes[pg.rng.IntN(len(companySuffixes))]
				if try > 50 {
					name = fmt.Sprintf("%s%d", name[:len(name)-len("有限公司")], try) + "有限公司"
				}
				if !used[name] {
					break
				}
			}
			used[name] = true
			seq++
			code := fmt.Sprintf("PC%04d%03d", pg.g.k, seq)
			pg.companies = append(pg.companies, companyRec{code: code, district: d, weight: 1 / math.Pow(float64(1+pg.rng.IntN(n)), 0.9)})
			pg.pl.Companies = append(pg.pl.Companies, data.PropertyCompany{
				Code: code, Name: name, DistrictCode: d,
				CreditCode: fmt.Sprintf("913704%02d%s", pg.rng.IntN(100), creditTail(pg.rng)),
				Hotline:    fmt.Sprintf("0632-%07d", 3000000+pg.rng.IntN(7000000)),
			})
		}
	}
}

const creditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func creditTail(rng *rand.Rand) string {
	var b strings.Builder
	for i := 0; i < 10; i++ {
		b.WriteByte(creditChars[rng.IntN(len(creditChars))])
	}
	return b.String()
}

// pickCompany draws a company for an estate: four in five from its own
// district, by size.
func (pg *placesGen) pickCompany(district string) string {
	local := pg.rng.IntN(5) > 0
	total := 0.0
	for _, c := range pg.companies {
		if !local || c.district == district {
			total += c.weight
		}
	}
	x := pg.rng.Float64() * total
	for _, c := range pg.companies {
		if local && c.district != district {
			continue
		}
		if x -= c.weight; x <= 0 {
			return c.code
		}
	}
	return pg.companies[len(pg.companies)-1].code
}

// event is one change to a compound's property state.
type event struct {
	day   string
	apply func(s *data.PropertyRecord)
}

// property draws every compound's history from its first record to now:
// the estate's status and company, and the compound's owners' committee.
func (pg *placesGen) property() {
	c := pg.g.city
	n := len(c.Compounds)
	events := make([][]event, n)
	first := make([]string, n)
	status := make([]string, n) // now

	// Status now, by estates in random order, to the options' share.
	perm := shuffled(pg.rng, len(pg.estates))
	pro := int(math.Round(pg.g.opt.PropertyRate * float64(n)))
	done := 0
	var proEstates, otherEstates []int
	for _, ei := range perm {
		if done < pro {
			proEstates = append(proEstates, ei)
			done += len(pg.estates[ei].compounds)
		} else {
			otherEstates = append(otherEstates, ei)
		}
	}
	// Of the professionally managed now: some always were (to the base
	// share), a few are new estates, the rest were converted since 2020.
	baseShare := baseProfessional / pg.g.opt.PropertyRate
	baseDone, baseWant := 0, int(baseShare*float64(done))
	for _, ei := range proEstates {
		e := pg.estates[ei]
		company := pg.pickCompany(e.district)
		set := func(st, co string) func(*data.PropertyRecord) {
			return func(r *data.PropertyRecord) { r.Status, r.CompanyCode = st, co }
		}
		var start string
		var evs []event
		switch {
		case baseDone < baseWant:
			baseDone += len(e.compounds)
			start = pg.between("2015-01-01", "2019-12-01", 1)
			evs = append(evs, event{start, set(data.PropertyManaged, company)})
			if pg.rng.IntN(10) == 0 { // changed company once
				evs = append(evs, event{pg.between("2021-01-01", "2026-10-01", 1), set(data.PropertyManaged, pg.pickCompany(e.district))})
			}
		case pg.rng.IntN(30) == 0: // a new estate, managed from delivery
			start = pg.between("2021-03-01", "2025-12-01", 1)
			evs = append(evs, event{start, set(data.PropertyManaged, company)})
		default:
			start = pg.between("2015-01-01", "2019-12-01", 1)
			was := []string{data.PropertyNone, data.PropertyNone, data.PropertyNone, data.PropertyNone, data.PropertyNone,
				data.PropertyAbandoned, data.PropertyAbandoned, data.PropertyAbandoned, data.PropertySelf, data.PropertySelf}[pg.rng.IntN(10)]
			evs = append(evs, event{start, set(was, "")}, event{pg.between("2020-02-01", "2026-10-01", 1.8), set(data.PropertyManaged, company)})
		}
		for _, ci := range e.compounds {
			first[ci], events[ci], status[ci] = start, append([]event(nil), evs...), data.PropertyManaged
		}
	}
	// The others: half self-managed, a third without any service, the
	// rest abandoned (most of them by a company that left since 2020).
	rest := n - done
	selfWant, noneWant := rest/2, rest/3
	selfDone, noneDone := 0, 0
	for _, ei := range otherEstates {
		e := pg.estates[ei]
		start := pg.between("2015-01-01", "2019-12-01", 1)
		var evs []event
		var st string
		set := func(st, co string) func(*data.PropertyRecord) {
			return func(r *data.PropertyRecord) { r.Status, r.CompanyCode = st, co }
		}
		switch {
		case selfDone < selfWant:
			st, selfDone = data.PropertySelf, selfDone+len(e.compounds)
			if pg.rng.IntN(5) == 0 {
				evs = append(evs, event{start, set(data.PropertyNone, "")}, event{pg.between("2020-03-01", "2025-06-01", 1), set(st, "")})
			} else {
				evs = append(evs, event{start, set(st, "")})
			}
		case noneDone < noneWant:
			st, noneDone = data.PropertyNone, noneDone+len(e.compounds)
			evs = append(evs, event{start, set(st, "")})
		default:
			st = data.PropertyAbandoned
			if pg.rng.IntN(5) < 3 {
				evs = append(evs, event{start, set(data.PropertyManaged, pg.pickCompany(e.district))},
					event{pg.between("2020-06-01", "2026-06-01", 1), set(st, "")})
			} else {
				evs = append(evs, event{start, set(st, "")})
			}
		}
		for _, ci := range e.compounds {
			first[ci], events[ci], status[ci] = start, append([]event(nil), evs...), st
		}
	}
	pg.committees(events, first, status)
	for ci := range c.Compounds {
		evs := events[ci]
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].day < evs[b].day })
		state := data.PropertyRecord{CompoundCode: c.Compounds[ci].Code}
		for k, ev := range evs {
			ev.apply(&state)
			state.From = ev.day
			if state.Status != data.PropertyManaged {
				state.CompanyCode = ""
			}
			if k+1 < len(evs) && evs[k+1].day == ev.day {
				continue
			}
			r := state
			r.Members = append([]data.CommitteeMember(nil), state.Members...)
			pg.pl.Property = append(pg.pl.Property, r)
		}
	}
	pg.partyOrgs()
	pg.prop = places.NewProperty(pg.pl)
	pg.project()
}

// committees gives the options' share of compounds an owners' committee
// now, most likely where a company or the owners manage, and dates them so
// that the base day holds the base share; committees past their five-year
// term were re-elected with a new list.
func (pg *placesGen) committees(events [][]event, first, status []string) {
	n := len(events)
	want := int(math.Round(pg.g.opt.OwnersCommitteeRate * float64(n)))
	weight := map[string]float64{data.PropertyManaged: 1, data.PropertySelf: 0.9, data.PropertyNone: 0.12, data.PropertyAbandoned: 0.1}
	type key struct {
		k float64
		i int
	}
	keys := make([]key, n)
	for i := range keys {
		keys[i] = key{math.Pow(pg.rng.Float64(), 1/weight[status[i]]), i}
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].k > keys[b].k || (keys[a].k == keys[b].k && keys[a].i < keys[b].i) })
	baseWant := int(baseCommittee * float64(n))
	base := 0
	for x := 0; x < want && x < n; x++ {
		ci := keys[x].i
		var formed string
		if base < baseWant && first[ci] < "2019-06-01" {
			formed = pg.between(max(first[ci], "2012-01-01"), "2019-12-01", 1)
			base++
		} else {
			formed = pg.between(max(first[ci], "2020-03-01"), "2026-10-01", 1.2)
		}
		comply := 0.96
		if formed < "2020-01-01" {
			comply = 0.55
		}
		elected := pg.members(nil, comply)
		events[ci] = append(events[ci], event{formed, func(r *data.PropertyRecord) { r.Committee, r.Members = true, elected }})
		prev := elected
		for term := addMonths(formed, 60+pg.rng.IntN(4)); term < pg.asOfDay(); term = addMonths(term, 60) {
			m := pg.members(prev, 0.95)
			events[ci] = append(events[ci], event{term, func(r *data.PropertyRecord) { r.Members = m }})
			prev = m
		}
	}
}

// members draws an owners' committee of 5, 7 or 9, keeping up to three of
// prev (re-elected), whose party members reach 60% with probability comply.
func (pg *placesGen) members(prev []data.CommitteeMember, comply float64) []data.CommitteeMember {
	size := []int{5, 5, 5, 5, 5, 7, 7, 7, 9, 9}[pg.rng.IntN(10)]
	need := (size*3 + 4) / 5 // ceil(60%)
	party := need + pg.rng.IntN(size-need+1)
	if pg.rng.Float64() >= comply {
		party = max(0, need-1-pg.rng.IntN(2))
	}
	out := make([]data.CommitteeMember, 0, size)
	seen := map[string]bool{}
	for _, m := range prev {
		if len(out) == 3 {
			break
		}
		out = append(out, m)
		seen[m.Name] = true
	}
	for len(out) < size {
		name := personName(pg.rng)
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, data.CommitteeMember{Name: name, Phone: phone(pg.rng)})
	}
	for i := range out {
		out[i].PartyMember = i < party
		out[i].Role = "委员"
	}
	pg.rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	out[0].Role = "主任"
	if size > 5 {
		out[1].Role = "副主任"
	}
	return out
}

// partyOrgs gives the options' share of the companies serving compounds
// now a party organisation, the base share of them already before 2020.
func (pg *placesGen) partyOrgs() {
	prop := places.NewProperty(pg.pl)
	day := places.Day(pg.asOf.AddDate(0, 0, -1))
	serving := map[string]int{}
	for i := range pg.g.city.Compounds {
		if r, ok := prop.At(pg.g.city.Compounds[i].Code, day); ok && r.Status == data.PropertyManaged {
			serving[r.CompanyCode]++
		}
	}
	var now []string
	for _, c := range pg.companies {
		if serving[c.code] > 0 {
			now = append(now, c.code)
		}
	}
	// Larger companies first, with some noise.
	type key struct {
		k    float64
		code string
	}
	keys := make([]key, len(now))
	for i, c := range now {
		keys[i] = key{math.Pow(pg.rng.Float64(), 1/math.Sqrt(float64(serving[c]))), c}
	}
	sort.Slice(keys, func(a, b int) bool {
		return keys[a].k > keys[b].k || (keys[a].k == keys[b].k && keys[a].code < keys[b].code)
	})
	want := int(math.Round(pg.g.opt.PartyOrgRate * float64(len(now))))
	baseWant := int(math.Round(basePartyOrg * float64(len(now))))
	has := map[string]string{} // code → formed
	for x := 0; x < want; x++ {
		if x < baseWant {
			has[keys[x].code] = pg.between("2015-06-01", "2019-12-01", 1)
		} else {
			has[keys[x].code] = pg.between("2020-02-01", "2026-10-01", 1.6)
		}
	}
	for _, c := range pg.companies {
		pg.pl.CompanyRecords = append(pg.pl.CompanyRecords, data.CompanyRecord{CompanyCode: c.code, From: "2015-01-01", PartyOrg: data.PartyOrgNone})
		formed, ok := has[c.code]
		if !ok && serving[c.code] == 0 && pg.rng.IntN(2) == 0 {
			formed, ok = pg.between("2016-01-01", "2024-01-01", 1), true
		}
		if !ok {
			continue
		}
		form, members := data.PartyOrgJoint, 1+pg.rng.IntN(4)
		name := "物业企业联合党支部"
		if serving[c.code] >= 12 || pg.rng.IntN(3) == 0 {
			form, members, name = data.PartyOrgIndependent, 3+pg.rng.IntN(20), "党支部"
		}
		for _, co := range pg.pl.Companies {
			if co.Code == c.code {
				if form == data.PartyOrgIndependent {
					name = strings.TrimSuffix(co.Name, "有限公司") + name
				} else {
					name = districtShort[c.district] + name
				}
			}
		}
		pg.pl.CompanyRecords = append(pg.pl.CompanyRecords, data.CompanyRecord{CompanyCode: c.code, From: formed, PartyOrg: form, PartyOrgName: name, PartyMembers: members})
	}
}

// project sets each compound's current fields from its records in force.
func (pg *placesGen) project() {
	prop := pg.prop
	day := places.Day(pg.asOf.AddDate(0, 0, -1))
	names := map[string]string{}
	for _, co := range pg.pl.Companies {
		names[co.Code] = co.Name
	}
	for i := range pg.g.city.Compounds {
		cp := &pg.g.city.Compounds[i]
		r, _ := prop.At(cp.Code, day)
		cp.PropertyStatus, cp.PropertyCompany = r.Status, names[r.CompanyCode]
		cp.OwnersCommittee = r.Committee
		cp.PartyOrg = r.Status == data.PropertyManaged && prop.HasPartyOrg(r.CompanyCode, day)
	}
}

// evaluations scores the companies serving three compounds or more and
// one managed compound in 25 each year from 2021, and names the best of
// those that qualify benchmarks.
func (pg *placesGen) evaluations() {
	c := pg.g.city
	prop := pg.prop
	for year := 2021; year <= 2025; year++ {
		end := places.YearEnd(year)
		served := map[string]int{}
		var managed []string
		for i := range c.Compounds {
			if r, ok := prop.At(c.Compounds[i].Code, end); ok && r.Status == data.PropertyManaged {
				served[r.CompanyCode]++
				managed = append(managed, c.Compounds[i].Code)
			}
		}
		var evs []data.PropertyEvaluation
		for _, co := range pg.companies {
			if served[co.code] < 3 {
				continue
			}
			mean := 80.0
			if prop.HasPartyOrg(co.code, end) {
				mean = 85
			}
			evs = append(evs, data.PropertyEvaluation{Year: year, Kind: data.EvalCompany, SubjectCode: co.code, Score: score(pg.rng, mean)})
		}
		for _, x := range shuffled(pg.rng, len(managed))[:len(managed)/25] {
			evs = append(evs, data.PropertyEvaluation{Year: year, Kind: data.EvalProject, SubjectCode: managed[x], Score: score(pg.rng, 84)})
		}
		// Benchmarks: the best-scored that qualify, about one in twelve
		// companies and one in eight projects.
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].Score > evs[b].Score })
		quota := map[string]int{data.EvalCompany: max(1, len(served)/12), data.EvalProject: max(1, len(managed)/25/8)}
		for i := range evs {
			e := &evs[i]
			if quota[e.Kind] == 0 || e.Score < places.BenchmarkScore {
				continue
			}
			e.Benchmark = true
			if places.CheckEvaluation(e, c, prop) != nil {
				e.Benchmark = false
				continue
			}
			quota[e.Kind]--
			e.Note = map[string]string{data.EvalCompany: data.TitleBenchmarkCompany, data.EvalProject: data.TitleBenchmarkProject}[e.Kind]
		}
		sort.SliceStable(evs, func(a, b int) bool {
			if evs[a].Kind != evs[b].Kind {
				return evs[a].Kind < evs[b].Kind
			}
			return evs[a].SubjectCode < evs[b].SubjectCode
		})
		pg.pl.Evaluations = append(pg.pl.Evaluations, evs...)
	}
}

func score(rng *rand.Rand, mean float64) float64 {
	s := mean + rng.NormFloat64()*6
	return math.Round(max(50, min(99.5, s))*2) / 2
}

// volunteers fills every grid's team from its volunteer count (a few
// grids have none yet), the residents the teams serve, and eight weeks of
// service logs: visits at about each target's interval, a few targets let
// slip.
func (pg *placesGen) volunteers() {
	c := pg.g.city
	noTeam := map[int]bool{}
	for _, x := range shuffled(pg.rng, len(c.Grids))[:max(1, len(c.Grids)/200)] {
		noTeam[x] = true
	}
	teamOf := map[string]*data.VolunteerTeam{}
	for gi := range c.Grids {
		gr := &c.Grids[gi]
		if noTeam[gi] {
			gr.VolunteerTeam, gr.Volunteers = "", 0
			continue
		}
		t := data.VolunteerTeam{GridCode: gr.Code, Name: gr.VolunteerTeam, Founded: pg.between("2019-03-01", "2021-07-01", 1)}
		seen := map[string]bool{}
		for len(t.Members) < gr.Volunteers {
			name := personName(pg.rng)
			if seen[name] {
				continue
			}
			seen[name] = true
			t.Members = append(t.Members, data.Volunteer{Name: name, Phone: phone(pg.rng), PartyMember: pg.rng.IntN(100) < 85})
		}
		t.Members[0].PartyMember = true
		t.Leader, t.LeaderPhone = t.Members[0].Name, t.Members[0].Phone
		pg.pl.Teams = append(pg.pl.Teams, t)
	}
	for i := range pg.pl.Teams {
		teamOf[pg.pl.Teams[i].GridCode] = &pg.pl.Teams[i]
	}
	// Buildings by grid, for where targets live.
	byGrid := map[string][]int{}
	for i := range c.Buildings {
		byGrid[c.Buildings[i].GridCode] = append(byGrid[c.Buildings[i].GridCode], i)
	}
	kinds := []string{data.TargetLonelyElderly, data.TargetSeverelyDisabled, data.TargetLeftBehindChild, data.TargetVulnerableChild}
	kindW := []float64{0.42, 0.36, 0.10, 0.12}
	itemsOf := map[string][]string{
		data.TargetLonelyElderly:    {data.ItemCare, data.ItemHome, data.ItemCompanion, data.ItemHealth, data.ItemSafety, data.ItemErrands},
		data.TargetSeverelyDisabled: {data.ItemCare, data.ItemHome, data.ItemErrands, data.ItemHealth, data.ItemSafety},
		data.TargetLeftBehindChild:  {data.ItemTutoring, data.ItemCompanion, data.ItemSafety},
		data.TargetVulnerableChild:  {data.ItemTutoring, data.ItemCompanion, data.ItemCare, data.ItemSafety},
	}
	nt, nl := 0, 0
	windowStart := pg.asOf.AddDate(0, 0, -56)
	for gi := range c.Grids {
		gr := &c.Grids[gi]
		bl := byGrid[gr.Code]
		if len(bl) == 0 {
			continue
		}
		team := teamOf[gr.Code]
		for x := poisson(pg.rng, 4.2); x > 0; x-- {
			b := &c.Buildings[bl[pg.rng.IntN(len(bl))]]
			kind := kinds[pick(pg.rng, kindW)]
			nt++
			t := data.ServiceTarget{ID: fmt.Sprintf("T%04d%06d", pg.g.k, nt), Kind: kind, Name: personName(pg.rng),
				Gender: []string{"男", "女"}[pg.rng.IntN(2)], Phone: phone(pg.rng), BuildingCode: b.Code,
				Room:  fmt.Sprintf("%d单元%d%02d", 1+pg.rng.IntN(max(1, b.Units)), 1+pg.rng.IntN(max(1, b.Floors)), 1+pg.rng.IntN(3)),
				Since: pg.between("2019-06-01", "2026-10-01", 1)}
			sinceYear := mustDay(t.Since).Year()
			switch kind {
			case data.TargetLonelyElderly:
				t.BirthYear = sinceYear - 62 - pg.rng.IntN(30)
			case data.TargetSeverelyDisabled:
				t.BirthYear = sinceYear - 8 - pg.rng.IntN(70)
				t.Guardian = personName(pg.rng)
				if pg.rng.IntN(20) == 0 {
					t.IntervalDays = 3
				}
			default:
				t.BirthYear = sinceYear - 3 - pg.rng.IntN(13)
				t.Guardian = personName(pg.rng)
			}
			all := itemsOf[kind]
			for _, i := range shuffled(pg.rng, len(all))[:2+pg.rng.IntN(2)] {
				t.Items = append(t.Items, all[i])
			}
			if t.Since < "2025-06-01" && pg.rng.IntN(14) == 0 {
				t.Until = pg.between(max(addMonths(t.Since, 3), "2025-06-01"), "2026-11-01", 1)
			}
			pg.pl.Targets = append(pg.pl.Targets, t)
			if team == nil {
				continue
			}
			// Visits through the window, at 50–85% of the interval (a visit's
			// hour moves within its day); one in sixteen targets is let slip
			// for a while before now.
			iv := places.DefaultIntervals.Of(&t)
			stop := pg.asOf
			if pg.rng.IntN(16) == 0 {
				stop = pg.asOf.AddDate(0, 0, -iv-1-pg.rng.IntN(2*iv+1))
			}
			at := windowStart.Add(time.Duration(pg.rng.Float64()*float64(iv)*24) * time.Hour)
			for at.Before(stop) {
				day := places.Day(at)
				if day >= t.Since && (t.Until == "" || day < t.Until) {
					nl++
					pg.pl.Logs = append(pg.pl.Logs, data.ServiceLog{ID: fmt.Sprintf("L%04d%08d", pg.g.k, nl), GridCode: gr.Code, TargetID: t.ID,
						Item: t.Items[pg.rng.IntN(len(t.Items))], At: workTime(pg.rng, at), Minutes: 30 + 10*pg.rng.IntN(10),
						Volunteers: pg.serving(team)})
				}
				at = at.Add(time.Duration((0.5+0.35*pg.rng.Float64())*float64(iv)*24) * time.Hour)
			}
		}
	}
	pg.nextLog = nl
}

// serving picks one or two volunteers of the team.
func (pg *placesGen) serving(t *data.VolunteerTeam) []string {
	a := t.Members[pg.rng.IntN(len(t.Members))].Name
	if pg.rng.IntN(3) == 0 && len(t.Members) > 1 {
		if b := t.Members[pg.rng.IntN(len(t.Members))].Name; b != a {
			return []string{a, b}
		}
	}
	return []string{a}
}

// workTime moves t to a working hour of its day, to the minute.
func workTime(rng *rand.Rand, t time.Time) time.Time {
	d := t.In(places.CST)
	return time.Date(d.Year(), d.Month(), d.Day(), 8+rng.IntN(10), rng.IntN(60), 0, 0, places.CST)
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func pick(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	x := rng.Float64() * total
	for i, v := range w {
		if x -= v; x <= 0 {
			return i
		}
	}
	return len(w) - 1
}

// Opening hours that meet each star level's hours (and, from four stars,
// weekend) criteria.
var hoursFor = [][]string{
	1: {"1-5 09:00-11:30,15:00-17:00", "1-5 08:30-11:30,14:30-16:30"},
	2: {"1-5 09:00-12:00,14:30-17:30", "1-5 08:30-11:30,14:00-17:30"},
	3: {"1-5 08:30-17:30", "1-5 08:30-12:00,14:00-18:30"},
	4: {"1-5 08:30-12:00,14:00-18:00; 6 09:00-12:00", "1-5 08:30-17:30; 6 09:00-11:30"},
	5: {"1-5 08:30-17:30; 6-7 09:00-11:30", "1-5 08:00-18:00; 6 09:00-17:00"},
}

// activitiesFor is the range of activities in 90 days a station of each
// level holds.
var activitiesFor = [][2]int{0: {0, 1}, 1: {1, 3}, 2: {3, 6}, 3: {4, 8}, 4: {9, 14}, 5: {16, 24}}

// stations gives every station its lifecycle, hours, functions and area
// to match its stars, its rating history and its activities of the last
// 120 days; about one rated station in 25 has let a criterion lapse and
// awaits its downgrade.
func (pg *placesGen) stations() {
	c := pg.g.city
	teamOf := map[string]*data.VolunteerTeam{}
	for i := range pg.pl.Teams {
		teamOf[pg.pl.Teams[i].GridCode] = &pg.pl.Teams[i]
	}
	for si := range c.Stations {
		st := &c.Stations[si]
		stars := st.Stars
		rec := func(from, status string) data.StationRecord {
			return data.StationRecord{StationCode: st.Code, From: from, Status: status}
		}
		switch {
		case st.Kind == data.StationCommunityCentre:
			r := rec(pg.between("2017-06-01", "2020-06-01", 1), data.StationBuilt)
			r.Hours = hoursFor[5][pg.rng.IntN(2)]
			r.Functions = append([]string(nil), data.StationFunctions...)
			r.AreaM2 = 200 + 10*pg.rng.IntN(40)
			pg.pl.Stations = append(pg.pl.Stations, r)
		case st.Status == data.StationBuilt:
			built := pg.between("2025-01-01", "2025-12-31", 1)
			if pg.rng.IntN(10) < 3 {
				built = pg.between("2021-01-01", "2024-12-31", 1)
			}
			uc := addMonths(built, -1-pg.rng.IntN(4))
			pg.pl.Stations = append(pg.pl.Stations, rec(addMonths(uc, -3-pg.rng.IntN(7)), data.StationPlanned), rec(uc, data.StationUnderConstruction))
			r := rec(built, data.StationBuilt)
			r.Hours = hoursFor[max(1, stars)][pg.rng.IntN(2)]
			nf := map[int]int{1: 2 + pg.rng.IntN(2), 2: 3 + pg.rng.IntN(2)}[stars]
			if stars >= 3 {
				nf = 5
			}
			for _, i := range shuffled(pg.rng, 5)[:nf] {
				r.Functions = append(r.Functions, data.StationFunctions[i])
			}
			sort.Slice(r.Functions, func(a, b int) bool {
				return indexOf(data.StationFunctions, r.Functions[a]) < indexOf(data.StationFunctions, r.Functions[b])
			})
			r.AreaM2 = map[bool]int{true: 60 + 5*pg.rng.IntN(20), false: 30 + 5*pg.rng.IntN(12)}[stars == 5]
			pg.pl.Stations = append(pg.pl.Stations, r)
		default: // planned this year; a quarter already under construction
			p := pg.between("2026-01-05", "2026-07-01", 1)
			pg.pl.Stations = append(pg.pl.Stations, rec(p, data.StationPlanned))
			if pg.rng.IntN(4) == 0 {
				pg.pl.Stations = append(pg.pl.Stations, rec(pg.between(addMonths(p, 1), "2026-11-30", 1), data.StationUnderConstruction))
				st.Status = data.StationUnderConstruction
			}
			continue
		}
		// Ratings: an award two months after opening, then a yearly
		// re-inspection, reaching the station's stars. About one rated
		// station in 25 has let a criterion lapse since and awaits its
		// downgrade: its activities fell, its hours were cut, or its
		// re-inspection is overdue.
		last := pg.pl.Stations[len(pg.pl.Stations)-1]
		var hist []string
		for d := addMonths(last.From, 2); d < pg.asOfDay(); d = addMonths(d, 12) {
			hist = append(hist, d)
		}
		if len(hist) == 0 {
			hist = []string{places.Day(pg.asOf.AddDate(0, 0, -7))}
		}
		lapse, mode := stars >= 2 && pg.rng.IntN(25) == 0, pg.rng.IntN(3)
		if lapse {
			// The lapse comes after the last inspection, which met the
			// criteria then: an overdue one is over a year old (13
			// months), and the activities or the hours fell in the last
			// 120 days, after it.
			cut := places.Day(pg.asOf.AddDate(0, 0, -120))
			if mode == 2 {
				cut = places.Day(pg.asOf.AddDate(0, -13, 0))
			}
			var kept []string
			for _, d := range hist {
				if d < cut {
					kept = append(kept, d)
				}
			}
			if len(kept) > 0 {
				hist = kept
			} else {
				lapse = false
			}
		}
		for x, d := range hist {
			s := stars
			if x < len(hist)-1 && s > 1 && pg.rng.IntN(2) == 0 {
				s-- // a star less in earlier years
			}
			var crit []string
			for _, cr := range places.Criteria {
				if cr.Check == "inspection" && cr.Level <= s {
					crit = append(crit, cr.ID)
				}
			}
			t := mustDay(d).Add(10 * time.Hour)
			pg.pl.Ratings = append(pg.pl.Ratings, data.StarRating{StationCode: st.Code, At: t, Stars: s, Kind: data.RatingAward, Criteria: crit,
				Actor: "组织部星级评定组", Note: fmt.Sprintf("%d年度星级评定", t.Year())})
		}
		if lapse && mode == 1 {
			cut := last
			cut.From = pg.between(places.Day(pg.asOf.AddDate(0, -3, 0)), pg.asOfDay(), 1)
			cut.Hours = hoursFor[map[bool]int{true: 3, false: stars - 1}[stars == 5]][0]
			cut.Note = "调整开放时间"
			if cut.From > last.From {
				pg.pl.Stations = append(pg.pl.Stations, cut)
			}
		}
		team := teamOf[st.GridCode]
		if team == nil {
			continue
		}
		// Activities: n in the last 88 days, and a third as many in the
		// month before that.
		span := activitiesFor[stars]
		n := span[0] + pg.rng.IntN(span[1]-span[0]+1)
		if lapse && mode == 0 {
			thr := map[int]int{2: 3, 3: 3, 4: 8, 5: 15}[stars]
			n = max(0, thr-1-pg.rng.IntN(2))
		}
		for x := 0; x < n+n/3; x++ {
			back := 1 + pg.rng.Float64()*87
			if x >= n {
				back = 92 + pg.rng.Float64()*28
			}
			t := workTime(pg.rng, pg.asOf.Add(-time.Duration(back*24*float64(time.Hour))))
			pg.nextLog++
			pg.pl.Logs = append(pg.pl.Logs, data.ServiceLog{ID: fmt.Sprintf("L%04d%08d", pg.g.k, pg.nextLog), GridCode: st.GridCode, StationCode: st.Code,
				Item: data.ItemActivity, At: t, Minutes: 60 + 30*pg.rng.IntN(4), Volunteers: pg.serving(team),
				Note: []string{"政策宣讲", "党员学习日", "便民理发", "义诊", "文艺演出", "民意恳谈会", "法律咨询", "书画活动"}[pg.rng.IntN(8)]})
		}
	}
	sort.SliceStable(pg.pl.Logs, func(a, b int) bool { return pg.pl.Logs[a].ID < pg.pl.Logs[b].ID })
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

// complaints moves the property complaints among the generated incidents
// to where they come from: compounds chosen by their households weighted
// by their property state on the day (complaintWeight), over two years —
// about 55% in the year before the incidents' year, which makes the
// year-on-year change a fall of about a tenth or more (−11% on the seed-1
// city). Each is reported at a building's door,
// so it links to its compound by point.
func (pg *placesGen) complaints() {
	c := pg.g.city
	prop := pg.prop
	kinds := map[string]incidentKind{}
	for _, k := range incidentKinds {
		kinds[k.category] = k
	}
	compIdx := map[string]int{}
	for i := range c.Compounds {
		compIdx[c.Compounds[i].Code] = i
	}
	bldgs := make([][]int, len(c.Compounds))
	for i := range c.Buildings {
		bldgs[compIdx[c.Buildings[i].CompoundCode]] = append(bldgs[compIdx[c.Buildings[i].CompoundCode]], i)
	}
	// Cumulative weights per day are costly; use the states of two days,
	// one in each year.
	weights := func(day string) []float64 {
		w := make([]float64, len(c.Compounds))
		for i := range c.Compounds {
			if r, ok := prop.At(c.Compounds[i].Code, day); ok {
				w[i] = float64(pg.hh[i]) * complaintWeight[r.Status]
			}
		}
		return cumulative(w)
	}
	cur, prior := weights("2026-05-01"), weights("2025-05-01")
	moved := false
	for n := range c.Incidents {
		inc := &c.Incidents[n]
		if !places.IsPropertyCategory(inc.Category) {
			continue
		}
		w := cur
		if pg.rng.Float64() < 0.545 {
			inc.ReportedAt = inc.ReportedAt.AddDate(-1, 0, 0)
			inc.UpdatedAt = inc.ReportedAt.Add(time.Duration(1+pg.rng.IntN(96)) * time.Hour)
			inc.Status = data.StatusClosed
			w = prior
			moved = true
		}
		ci := searchCumulative(w, pg.rng.Float64())
		bl := bldgs[ci]
		if len(bl) == 0 {
			continue
		}
		b := &c.Buildings[bl[pg.rng.IntN(len(bl))]]
		cp := &c.Compounds[ci]
		kind := kinds[inc.Category]
		inc.Point = b.Entrance
		inc.Description = fmt.Sprintf("%s%d号楼附近%s", cp.Name, b.Number, kind.what)
		inc.Address = fmt.Sprintf("%s%d号%s%d号楼", b.Road, b.HouseNumber, cp.Name, b.Number)
		inc.GridCode, inc.CommunityCode, inc.StreetCode, inc.DistrictCode = b.GridCode, b.CommunityCode, b.StreetCode, b.DistrictCode
	}
	if moved {
		sort.SliceStable(c.Incidents, func(a, b int) bool { return c.Incidents[a].ReportedAt.Before(c.Incidents[b].ReportedAt) })
		for n := range c.Incidents {
			c.Incidents[n].ID = fmt.Sprintf("I%04d%06d", pg.g.k, n+1)
		}
	}
}

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		out[i] = s
	}
	return out
}

// searchCumulative returns the index whose share of the cumulative weights
// holds u in [0, 1).
func searchCumulative(cum []float64, u float64) int {
	x := u * cum[len(cum)-1]
	i := sort.Search(len(cum), func(i int) bool { return cum[i] > x })
	return min(i, len(cum)-1)
}
