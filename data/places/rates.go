package places

import (
	"fmt"
	"math"
	"sort"

	"github.com/gridmap/gridmap/data"
)

// Area levels the rates are computed at.
const (
	LevelCommunity = "community"
	LevelStreet    = "street"
	LevelDistrict  = "district"
	LevelCity      = "city"
)

// Levels lists the area levels, finest first.
var Levels = []string{LevelCommunity, LevelStreet, LevelDistrict, LevelCity}

// Rate is a share with the counts it is made of.
type Rate struct {
	Num int `json:"numerator"`
	Den int `json:"denominator"`
	// Value is Num/Den to four decimals; 0 when Den is 0.
	Value float64 `json:"value"`
}

func rate(num, den int) Rate {
	r := Rate{Num: num, Den: den}
	if den > 0 {
		r.Value = round4(float64(num) / float64(den))
	}
	return r
}

// AreaRates are the three rates (三率) of one area on one day. Let C be the
// area's compounds (by the city's layout) that have a property record on or
// before the day, each in the state of its latest such record:
//
//   - Committee (业委会组建率): compounds of C with an owners' committee
//     established / |C|;
//   - Professional (专业化物业服务覆盖率): compounds of C with status managed
//     (专业化物业) / |C|;
//   - PartyOrg (物业企业党组织覆盖率): the distinct property companies serving
//     at least one compound of C that day whose own record in force has a
//     party organisation, independent (单独组建) or joint (联合组建) / those
//     companies. A company without a record that day counts as having none.
//
// Beside them: CommitteeParty, committees whose members are at least 60%
// party members / committees of C; and the household-weighted share of
// professional service. Compounds of the area with no record yet are
// counted in Unrecorded and in no rate.
type AreaRates struct {
	Level        string `json:"level"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Day          string `json:"day"`
	Compounds    int    `json:"compounds"`
	Unrecorded   int    `json:"compounds_unrecorded"`
	Committee    Rate   `json:"committee_rate"`
	Professional Rate   `json:"professional_rate"`
	PartyOrg     Rate   `json:"party_org_rate"`
	// CommitteeParty counts committees meeting the 60% party-member share.
	CommitteeParty Rate `json:"committee_party_rate"`
	// Households of C, and of its professionally managed compounds.
	Households Rate `json:"households_professional"`
	// ByStatus counts the compounds of C by property status.
	ByStatus map[string]int `json:"by_status"`
}

// Rater computes rates over a city and its property records.
type Rater struct {
	City *data.City
	Prop *Property
	hh   map[string]int // households per compound
}

// NewRater prepares rates over c and p.
func NewRater(c *data.City, p *Property) *Rater {
	hh := make(map[string]int, len(c.Compounds))
	for i := range c.Buildings {
		hh[c.Buildings[i].CompoundCode] += c.Buildings[i].Households
	}
	return &Rater{City: c, Prop: p, hh: hh}
}

// areaOf returns the compound's area code at level, and its name.
func (r *Rater) areaOf(cp *data.Compound, level string) (code string, ok bool) {
	cm := r.City.Community(cp.CommunityCode)
	if cm == nil {
		return "", false
	}
	switch level {
	case LevelCommunity:
		return cm.Code, true
	case LevelStreet:
		return cm.StreetCode, true
	case LevelDistrict:
		return cm.DistrictCode, true
	case LevelCity:
		return "", true
	}
	return "", false
}

func (r *Rater) areaName(level, code string) string {
	switch level {
	case LevelCommunity:
		if a := r.City.Community(code); a != nil {
			return a.Name
		}
	case LevelStreet:
		if a := r.City.Street(code); a != nil {
			return a.Name
		}
	case LevelDistrict:
		if a := r.City.District(code); a != nil {
			return a.Name
		}
	case LevelCity:
		return "全市"
	}
	return ""
}

type rateAcc struct {
	out       AreaRates
	companies map[string]bool // company → has party org that day
	hhAll     int
	hhPro     int
	comm      int
	commOK    int
	committee int
	pro       int
}

// Rates computes the rates of every area of the level on day (yyyy-mm-dd),
// in code order; at LevelCity there is one area with an empty code.
func (r *Rater) Rates(level, day string) ([]AreaRates, error) {
	if _, err := ParseDate(day); err != nil {
		return nil, fmt.Errorf("day: %w", err)
	}
	valid := false
	for _, l := range Levels {
		valid = valid || l == level
	}
	if !valid {
		return nil, fmt.Errorf("level %q is not one of community, street, district, city", level)
	}
	accs := map[string]*rateAcc{}
	get := func(code string) *rateAcc {
		a := accs[code]
		if a == nil {
			a = &rateAcc{out: AreaRates{Level: level, Code: code, Name: r.areaName(level, code), Day: day, ByStatus: map[string]int{}}, companies: map[string]bool{}}
			accs[code] = a
		}
		return a
	}
	// Every area of the level appears, even one without compounds.
	switch level {
	case LevelCommunity:
		for _, c := range r.City.Communities {
			get(c.Code)
		}
	case LevelStreet:
		for _, c := range r.City.Streets {
			get(c.Code)
		}
	case LevelDistrict:
		for _, c := range r.City.Districts {
			get(c.Code)
		}
	case LevelCity:
		get("")
	}
	for i := range r.City.Compounds {
		cp := &r.City.Compounds[i]
		code, ok := r.areaOf(cp, level)
		if !ok {
			continue
		}
		a := get(code)
		rec, ok := r.Prop.At(cp.Code, day)
		if !ok {
			a.out.Unrecorded++
			continue
		}
		a.out.Compounds++
		a.out.ByStatus[rec.Status]++
		h := r.hh[cp.Code]
		a.hhAll += h
		if rec.Committee {
			a.committee++
			if CheckCommittee(rec.Members).OK {
				a.commOK++
			}
		}
		if rec.Status == data.PropertyManaged {
			a.pro++
			a.hhPro += h
			if _, seen := a.companies[rec.CompanyCode]; !seen {
				a.companies[rec.CompanyCode] = r.Prop.HasPartyOrg(rec.CompanyCode, day)
			}
		}
	}
	out := make([]AreaRates, 0, len(accs))
	for _, a := range accs {
		party := 0
		for _, has := range a.companies {
			if has {
				party++
			}
		}
		a.out.Committee = rate(a.committee, a.out.Compounds)
		a.out.Professional = rate(a.pro, a.out.Compounds)
		a.out.PartyOrg = rate(party, len(a.companies))
		a.out.CommitteeParty = rate(a.commOK, a.committee)
		a.out.Households = rate(a.hhPro, a.hhAll)
		out = append(out, a.out)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// RateChange is an area's rates on a base day and on a later day, with the
// change of each in percentage points.
type RateChange struct {
	Level string    `json:"level"`
	Code  string    `json:"code"`
	Name  string    `json:"name"`
	Base  AreaRates `json:"base"`
	At    AreaRates `json:"at"`
	// Changes in percentage points (at − base) × 100, to two decimals.
	CommitteePP    float64 `json:"committee_change_pp"`
	ProfessionalPP float64 `json:"professional_change_pp"`
	PartyOrgPP     float64 `json:"party_org_change_pp"`
}

// Changes computes the rates of every area on base and on day, and the
// change between them.
func (r *Rater) Changes(level, base, day string) ([]RateChange, error) {
	b, err := r.Rates(level, base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	a, err := r.Rates(level, day)
	if err != nil {
		return nil, err
	}
	out := make([]RateChange, len(a))
	for i := range a { // both in code order over the same areas
		out[i] = RateChange{Level: level, Code: a[i].Code, Name: a[i].Name, Base: b[i], At: a[i],
			CommitteePP:    pp(a[i].Committee, b[i].Committee),
			ProfessionalPP: pp(a[i].Professional, b[i].Professional),
			PartyOrgPP:     pp(a[i].PartyOrg, b[i].PartyOrg),
		}
	}
	return out, nil
}

// pp is the change from b to a in percentage points, from the exact
// fractions, to two decimals.
func pp(a, b Rate) float64 { return math.Round((frac(a)-frac(b))*10000) / 100 }

func frac(r Rate) float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}
