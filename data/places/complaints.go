package places

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// IsPropertyCategory reports whether an incident category is a property
// complaint: "property" itself or any "property.…" category.
func IsPropertyCategory(cat string) bool {
	return cat == "property" || strings.HasPrefix(cat, "property.")
}

// How a complaint was tied to its compound.
const (
	LinkPoint   = "point"   // its point lies in the compound's outline
	LinkAddress = "address" // its address resolves to the compound
	LinkNone    = "none"    // neither: counted, but in no compound
)

// Resolver turns a free-text address into the code of the compound it
// names; ok is false unless the match is confident. The geocoder provides
// one; nil resolves nothing.
type Resolver func(address string) (compound string, ok bool)

// Linker ties incidents to compounds: first by point-in-compound (the
// compounds of the incident's grid, then every compound whose bounds hold
// the point), then by address. It is safe for concurrent use.
type Linker struct {
	city    *data.City
	byGrid  map[string][]int
	bounds  []orb.Bound
	resolve Resolver
}

// NewLinker prepares a linker over c.
func NewLinker(c *data.City, resolve Resolver) *Linker {
	l := &Linker{city: c, byGrid: map[string][]int{}, bounds: make([]orb.Bound, len(c.Compounds)), resolve: resolve}
	for i := range c.Compounds {
		cp := &c.Compounds[i]
		l.byGrid[cp.GridCode] = append(l.byGrid[cp.GridCode], i)
		l.bounds[i] = cp.Geom.Bound()
	}
	return l
}

func (l *Linker) inside(i int, p orb.Point) bool {
	return l.bounds[i].Contains(p) && planar.PolygonContains(l.city.Compounds[i].Geom, p)
}

// CompoundAt returns the compound whose outline holds p, trying the
// compounds of grid first.
func (l *Linker) CompoundAt(p orb.Point, grid string) (string, bool) {
	if !validPoint(p) {
		return "", false
	}
	for _, i := range l.byGrid[grid] {
		if l.inside(i, p) {
			return l.city.Compounds[i].Code, true
		}
	}
	for i := range l.city.Compounds {
		if l.city.Compounds[i].GridCode != grid && l.inside(i, p) {
			return l.city.Compounds[i].Code, true
		}
	}
	return "", false
}

func validPoint(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && (p[0] != 0 || p[1] != 0)
}

// Link returns the compound of an incident and how it was found.
func (l *Linker) Link(inc *data.Incident) (compound, method string) {
	if c, ok := l.CompoundAt(inc.Point, inc.GridCode); ok {
		return c, LinkPoint
	}
	if l.resolve != nil && strings.TrimSpace(inc.Address) != "" {
		if c, ok := l.resolve(inc.Address); ok && l.city.Compound(c) != nil {
			return c, LinkAddress
		}
	}
	return "", LinkNone
}

// Complaint is a property complaint tied to its compound, with the
// compound's property service on the day it was reported.
type Complaint struct {
	IncidentID     string    `json:"incident_id"`
	Category       string    `json:"category"`
	Status         string    `json:"status"`
	ReportedAt     time.Time `json:"reported_at"`
	CompoundCode   string    `json:"compound_code,omitempty"`
	Method         string    `json:"link"`
	PropertyStatus string    `json:"property_status,omitempty"`
	CompanyCode    string    `json:"company_code,omitempty"`
	GridCode       string    `json:"grid_code,omitempty"`
	CommunityCode  string    `json:"community_code,omitempty"`
	StreetCode     string    `json:"street_code,omitempty"`
	DistrictCode   string    `json:"district_code,omitempty"`
}

// Complaints links the property complaints among incs. A complaint in a
// compound is counted in the compound's community (which may differ from
// the incident's routing when it was linked by address); one linked to no
// compound keeps the areas of its routing.
func (l *Linker) Complaints(incs []data.Incident, prop *Property) []Complaint {
	var out []Complaint
	for i := range incs {
		n := &incs[i]
		if !IsPropertyCategory(n.Category) {
			continue
		}
		c := Complaint{IncidentID: n.ID, Category: n.Category, Status: n.Status, ReportedAt: n.ReportedAt,
			GridCode: n.GridCode, CommunityCode: n.CommunityCode, StreetCode: n.StreetCode, DistrictCode: n.DistrictCode}
		c.CompoundCode, c.Method = l.Link(n)
		if cp := l.city.Compound(c.CompoundCode); cp != nil {
			c.GridCode, c.CommunityCode = cp.GridCode, cp.CommunityCode
			if cm := l.city.Community(cp.CommunityCode); cm != nil {
				c.StreetCode, c.DistrictCode = cm.StreetCode, cm.DistrictCode
			}
			if prop != nil {
				if r, ok := prop.At(cp.Code, Day(n.ReportedAt)); ok {
					c.PropertyStatus, c.CompanyCode = r.Status, r.CompanyCode
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// Complaint report levels beyond the area levels.
const (
	LevelCompound = "compound"
	LevelCompany  = "company"
	LevelStatus   = "property_status" // by the compound's property status when reported
)

// MonthCount is the complaints of one calendar month (yyyy-mm, CST).
type MonthCount struct {
	Month string `json:"month"`
	Count int    `json:"count"`
}

// ComplaintFigures are the complaints of one compound, company, area or
// property status: the year to End and the year before, the change
// between them, and a monthly trend.
type ComplaintFigures struct {
	Level string `json:"level"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	// Count is the complaints reported in the twelve months before End,
	// Prior those of the twelve months before that.
	Count int `json:"count"`
	Prior int `json:"prior"`
	// YoY is (Count − Prior) / Prior to four decimals; nil when Prior is 0.
	YoY *float64 `json:"yoy"`
	// Households served (compounds, areas, statuses); Per1000 is Count per
	// 1,000 households.
	Households int            `json:"households,omitempty"`
	Per1000    float64        `json:"per_1000_households,omitempty"`
	ByCategory map[string]int `json:"by_category"`
	Monthly    []MonthCount   `json:"monthly"`
}

// ComplaintQuery selects a complaint report.
type ComplaintQuery struct {
	Level  string    // LevelCompound, LevelCompany, LevelStatus or an area level
	End    time.Time // the report's year ends just before End
	Months int       // months of trend before End (default 12, at most 60)
}

// ComplaintReport counts complaints at the query's level, most first.
// Complaints linked to no compound count at area levels only; at the
// company level a complaint counts for the company serving its compound on
// the day it was reported.
func ComplaintReport(c *data.City, prop *Property, cs []Complaint, q ComplaintQuery) ([]ComplaintFigures, error) {
	if q.Months == 0 {
		q.Months = 12
	}
	if q.Months < 1 || q.Months > 60 {
		return nil, fmt.Errorf("months %d out of range 1..60", q.Months)
	}
	end := q.End.In(CST)
	yearStart, priorStart := end.AddDate(-1, 0, 0), end.AddDate(-2, 0, 0)
	// Trend months: the calendar months of the q.Months before End's month
	// (End's own month included when End is not its first instant).
	last := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, CST)
	if !end.Equal(last) {
		last = last.AddDate(0, 1, 0)
	}
	first := last.AddDate(0, -q.Months, 0)
	months := make([]string, q.Months)
	for i := range months {
		months[i] = first.AddDate(0, i, 0).Format("2006-01")
	}
	key := func(x *Complaint) (string, bool) {
		switch q.Level {
		case LevelCompound:
			return x.CompoundCode, x.CompoundCode != ""
		case LevelCompany:
			return x.CompanyCode, x.CompanyCode != ""
		case LevelStatus:
			return x.PropertyStatus, x.PropertyStatus != ""
		case LevelCommunity:
			return x.CommunityCode, x.CommunityCode != ""
		case LevelStreet:
			return x.StreetCode, x.StreetCode != ""
		case LevelDistrict:
			return x.DistrictCode, x.DistrictCode != ""
		case LevelCity:
			return "", true
		}
		return "", false
	}
	switch q.Level {
	case LevelCompound, LevelCompany, LevelStatus, LevelCommunity, LevelStreet, LevelDistrict, LevelCity:
	default:
		return nil, fmt.Errorf("level %q is not one of compound, company, property_status, community, street, district, city", q.Level)
	}
	acc := map[string]*ComplaintFigures{}
	monthIdx := map[string]int{}
	for i, m := range months {
		monthIdx[m] = i
	}
	for i := range cs {
		x := &cs[i]
		k, ok := key(x)
		if !ok {
			continue
		}
		f := acc[k]
		if f == nil {
			f = &ComplaintFigures{Level: q.Level, Code: k, ByCategory: map[string]int{}, Monthly: make([]MonthCount, len(months))}
			for j, m := range months {
				f.Monthly[j].Month = m
			}
			acc[k] = f
		}
		t := x.ReportedAt
		switch {
		case !t.Before(yearStart) && t.Before(end):
			f.Count++
			f.ByCategory[x.Category]++
		case !t.Before(priorStart) && t.Before(yearStart):
			f.Prior++
		}
		if j, ok := monthIdx[t.In(CST).Format("2006-01")]; ok && t.Before(end) {
			f.Monthly[j].Count++
		}
	}
	hh := householdsBy(c, prop, q.Level, Day(end.Add(-time.Nanosecond)))
	out := make([]ComplaintFigures, 0, len(acc))
	for _, f := range acc {
		f.Name = nameOf(c, prop, q.Level, f.Code)
		if f.Prior > 0 {
			y := round4(float64(f.Count-f.Prior) / float64(f.Prior))
			f.YoY = &y
		}
		if h := hh[f.Code]; h > 0 {
			f.Households = h
			f.Per1000 = math.Round(float64(f.Count)/float64(h)*1000*100) / 100
		}
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Code < out[j].Code
	})
	return out, nil
}

// householdsBy totals households per key of the level, for the rate per
// 1,000 households; statuses and companies as they stand on day.
func householdsBy(c *data.City, prop *Property, level, day string) map[string]int {
	out := map[string]int{}
	comp := map[string]int{}
	for i := range c.Buildings {
		comp[c.Buildings[i].CompoundCode] += c.Buildings[i].Households
	}
	for i := range c.Compounds {
		cp := &c.Compounds[i]
		h := comp[cp.Code]
		switch level {
		case LevelCompound:
			out[cp.Code] += h
		case LevelCompany, LevelStatus:
			if prop == nil {
				continue
			}
			if r, ok := prop.At(cp.Code, day); ok {
				if level == LevelStatus {
					out[r.Status] += h
				} else if r.CompanyCode != "" {
					out[r.CompanyCode] += h
				}
			}
		case LevelCommunity:
			out[cp.CommunityCode] += h
		case LevelStreet, LevelDistrict:
			if cm := c.Community(cp.CommunityCode); cm != nil {
				if level == LevelStreet {
					out[cm.StreetCode] += h
				} else {
					out[cm.DistrictCode] += h
				}
			}
		case LevelCity:
			out[""] += h
		}
	}
	return out
}

// StatusNames are the Chinese names of the property states.
var StatusNames = map[string]string{
	data.PropertyManaged:   "专业化物业",
	data.PropertySelf:      "自管",
	data.PropertyNone:      "无物业",
	data.PropertyAbandoned: "弃管",
}

func nameOf(c *data.City, prop *Property, level, code string) string {
	switch level {
	case LevelCompound:
		if cp := c.Compound(code); cp != nil {
			return cp.Name
		}
	case LevelCompany:
		if prop != nil {
			if co := prop.Company(code); co != nil {
				return co.Name
			}
		}
	case LevelStatus:
		return StatusNames[code]
	default:
		return (&Rater{City: c}).areaName(level, code)
	}
	return ""
}

// LinkSummary counts complaints by how they were linked.
func LinkSummary(cs []Complaint) map[string]int {
	out := map[string]int{LinkPoint: 0, LinkAddress: 0, LinkNone: 0}
	for i := range cs {
		out[cs[i].Method]++
	}
	return out
}
