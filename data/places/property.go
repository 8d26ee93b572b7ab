package places

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gridmap/gridmap/data"
)

// FieldError is a validation error that names the field at fault, so an
// importer can point at the row and the column.
type FieldError struct {
	Field string // the record's field, as named in JSON and in the CSV headers
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, a ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// FieldOf returns the field named by err, or "".
func FieldOf(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// Committee sizes: an owners' committee has five to eleven members, an
// odd number (the rule of the provincial property regulations).
const (
	CommitteeMin = 5
	CommitteeMax = 11
)

// PartyShareMin is the least share of party members an owners' committee
// should have (60%): CheckCommittee tests it exactly, in integers.
const PartyShareMin = 0.6

// CommitteeRoles lists the roles in an owners' committee.
var CommitteeRoles = []string{"主任", "副主任", "委员"}

const maxNote = 500

// Property indexes dated property and company records for queries on any
// day. It is immutable once built and safe for concurrent use.
type Property struct {
	compounds map[string][]data.PropertyRecord // by compound, ascending From
	records   map[string][]data.CompanyRecord  // by company, ascending From
	companies map[string]*data.PropertyCompany
	order     []string            // company codes in input order
	byCompany map[string][]string // compounds any record of which names the company
}

// NewProperty indexes the property records of p. Records of one subject
// on one day: the last one given wins.
func NewProperty(p *data.Places) *Property {
	x := &Property{
		compounds: map[string][]data.PropertyRecord{},
		records:   map[string][]data.CompanyRecord{},
		companies: map[string]*data.PropertyCompany{},
		byCompany: map[string][]string{},
	}
	for i := range p.Companies {
		c := &p.Companies[i]
		if _, ok := x.companies[c.Code]; !ok {
			x.order = append(x.order, c.Code)
		}
		x.companies[c.Code] = c
	}
	for _, r := range p.Property {
		x.compounds[r.CompoundCode] = append(x.compounds[r.CompoundCode], r)
	}
	for k, l := range x.compounds {
		x.compounds[k] = dedupe(l, propFrom)
		seen := map[string]bool{}
		for _, r := range x.compounds[k] {
			if r.CompanyCode != "" && !seen[r.CompanyCode] {
				seen[r.CompanyCode] = true
				x.byCompany[r.CompanyCode] = append(x.byCompany[r.CompanyCode], k)
			}
		}
	}
	for _, r := range p.CompanyRecords {
		x.records[r.CompanyCode] = append(x.records[r.CompanyCode], r)
	}
	for k, l := range x.records {
		x.records[k] = dedupe(l, compFrom)
	}
	return x
}

// dedupe sorts records by day, keeping the last given of each day.
func dedupe[T any](l []T, from func(*T) string) []T {
	sort.SliceStable(l, func(i, j int) bool { return from(&l[i]) < from(&l[j]) })
	out := l[:0]
	for i := range l {
		if n := len(out); n > 0 && from(&out[n-1]) == from(&l[i]) {
			out[n-1] = l[i]
			continue
		}
		out = append(out, l[i])
	}
	return out
}

// at returns the latest record on or before day.
func at[T any](l []T, day string, from func(*T) string) (T, bool) {
	i := sort.Search(len(l), func(i int) bool { return from(&l[i]) > day })
	if i == 0 {
		var zero T
		return zero, false
	}
	return l[i-1], true
}

func propFrom(r *data.PropertyRecord) string { return r.From }
func compFrom(r *data.CompanyRecord) string  { return r.From }

// At returns the compound's property record in force on day.
func (p *Property) At(compound, day string) (data.PropertyRecord, bool) {
	return at(p.compounds[compound], day, propFrom)
}

// History returns the compound's property records, oldest first.
func (p *Property) History(compound string) []data.PropertyRecord {
	return slices.Clone(p.compounds[compound])
}

// Company returns the company with the code, or nil.
func (p *Property) Company(code string) *data.PropertyCompany { return p.companies[code] }

// Companies returns every company in input order.
func (p *Property) Companies() []*data.PropertyCompany {
	out := make([]*data.PropertyCompany, len(p.order))
	for i, c := range p.order {
		out[i] = p.companies[c]
	}
	return out
}

// CompanyAt returns the company's record in force on day.
func (p *Property) CompanyAt(code, day string) (data.CompanyRecord, bool) {
	return at(p.records[code], day, compFrom)
}

// CompanyHistory returns the company's records, oldest first.
func (p *Property) CompanyHistory(code string) []data.CompanyRecord {
	return slices.Clone(p.records[code])
}

// HasPartyOrg reports whether the company has a party organisation of its
// own or a joint one on day.
func (p *Property) HasPartyOrg(code, day string) bool {
	r, ok := p.CompanyAt(code, day)
	return ok && (r.PartyOrg == data.PartyOrgIndependent || r.PartyOrg == data.PartyOrgJoint)
}

// Served returns the compounds the company serves on day, by code.
func (p *Property) Served(code, day string) []string {
	var out []string
	for _, cp := range p.byCompany[code] {
		if r, ok := at(p.compounds[cp], day, propFrom); ok && r.Status == data.PropertyManaged && r.CompanyCode == code {
			out = append(out, cp)
		}
	}
	sort.Strings(out)
	return out
}

// Share is the party-member share of an owners' committee.
type Share struct {
	Members int     `json:"members"`
	Party   int     `json:"party_members"`
	Share   float64 `json:"share"`
	// OK is true when party members are at least 60% of the members; an
	// empty committee is not OK.
	OK bool `json:"meets_60pct"`
}

// CheckCommittee measures the party-member share of a committee.
func CheckCommittee(members []data.CommitteeMember) Share {
	s := Share{Members: len(members)}
	for _, m := range members {
		if m.PartyMember {
			s.Party++
		}
	}
	if s.Members > 0 {
		s.Share = round4(float64(s.Party) / float64(s.Members))
		s.OK = s.Party*5 >= s.Members*3 // ≥ 60% exactly, in integers
	}
	return s
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,19}$`)

func checkText(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return fieldErr(field, "required")
	}
	if !utf8.ValidString(v) {
		return fieldErr(field, "not valid UTF-8")
	}
	if utf8.RuneCountInString(v) > max {
		return fieldErr(field, "longer than %d characters", max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return fieldErr(field, "holds a control or bidi-override character (U+%04X)", r)
		}
	}
	return nil
}

func checkPhone(field, v string, required bool) error {
	if v == "" {
		if required {
			return fieldErr(field, "required")
		}
		return nil
	}
	if !phoneRe.MatchString(v) {
		return fieldErr(field, "%q is not a phone number", v)
	}
	return nil
}

func checkDate(field, v string, required bool) error {
	if v == "" {
		if required {
			return fieldErr(field, "required")
		}
		return nil
	}
	if _, err := ParseDate(v); err != nil {
		return fieldErr(field, "%v", err)
	}
	return nil
}

func checkOneOf(field, v string, set []string) error {
	if !slices.Contains(set, v) {
		return fieldErr(field, "%q is not one of %s", v, strings.Join(set, ", "))
	}
	return nil
}

var companyCodeRe = regexp.MustCompile(`^PC[0-9]{4,8}$`)
var creditCodeRe = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)

// ValidateCompany checks a company's fields.
func ValidateCompany(c *data.PropertyCompany, city *data.City) error {
	if !companyCodeRe.MatchString(c.Code) {
		return fieldErr("code", "%q is not a company code (PC and 4 to 8 digits)", c.Code)
	}
	if err := checkText("name", c.Name, 100, true); err != nil {
		return err
	}
	if c.CreditCode != "" && !creditCodeRe.MatchString(c.CreditCode) {
		return fieldErr("credit_code", "%q is not an 18-character unified social credit code", c.CreditCode)
	}
	if c.DistrictCode != "" && city != nil && city.District(c.DistrictCode) == nil {
		return fieldErr("district_code", "no district %q", c.DistrictCode)
	}
	return checkPhone("hotline", c.Hotline, false)
}

// ValidateCompanyRecord checks a company record; known reports whether a
// company code exists.
func ValidateCompanyRecord(r *data.CompanyRecord, known func(string) bool) error {
	if !known(r.CompanyCode) {
		return fieldErr("company_code", "no company %q", r.CompanyCode)
	}
	if err := checkDate("from", r.From, true); err != nil {
		return err
	}
	if err := checkOneOf("party_org", r.PartyOrg, data.PartyOrgForms); err != nil {
		return err
	}
	if err := checkText("party_org_name", r.PartyOrgName, 100, false); err != nil {
		return err
	}
	if r.PartyOrg == data.PartyOrgNone && r.PartyOrgName != "" {
		return fieldErr("party_org_name", "set, but the company has no party organisation")
	}
	if r.PartyMembers < 0 || r.PartyMembers > 100000 {
		return fieldErr("party_members", "%d out of range 0..100000", r.PartyMembers)
	}
	return checkText("note", r.Note, maxNote, false)
}

// ValidatePropertyRecord checks a compound's property record against the
// city and the known companies.
func ValidatePropertyRecord(r *data.PropertyRecord, city *data.City, known func(string) bool) error {
	if city.Compound(r.CompoundCode) == nil {
		return fieldErr("compound_code", "no compound %q", r.CompoundCode)
	}
	if err := checkDate("from", r.From, true); err != nil {
		return err
	}
	if err := checkOneOf("status", r.Status, data.PropertyStatuses); err != nil {
		return err
	}
	switch {
	case r.Status == data.PropertyManaged && r.CompanyCode == "":
		return fieldErr("company_code", "required for a professionally managed compound (status managed)")
	case r.Status == data.PropertyManaged && !known(r.CompanyCode):
		return fieldErr("company_code", "no company %q", r.CompanyCode)
	case r.Status != data.PropertyManaged && r.CompanyCode != "":
		return fieldErr("company_code", "set, but status %q has no serving company", r.Status)
	}
	if !r.Committee {
		if len(r.Members) > 0 {
			return fieldErr("members", "listed, but no owners' committee is established")
		}
	} else {
		if err := validateMembers(r.Members); err != nil {
			return err
		}
	}
	return checkText("note", r.Note, maxNote, false)
}

func validateMembers(ms []data.CommitteeMember) error {
	n := len(ms)
	if n < CommitteeMin || n > CommitteeMax || n%2 == 0 {
		return fieldErr("members", "an owners' committee has %d to %d members, an odd number; got %d", CommitteeMin, CommitteeMax, n)
	}
	chairs := 0
	seen := map[string]bool{}
	for i, m := range ms {
		f := fmt.Sprintf("members[%d]", i)
		if err := checkText(f+".name", m.Name, 30, true); err != nil {
			return err
		}
		if seen[m.Name] {
			return fieldErr(f+".name", "%q listed twice", m.Name)
		}
		seen[m.Name] = true
		if err := checkOneOf(f+".role", m.Role, CommitteeRoles); err != nil {
			return err
		}
		if m.Role == "主任" {
			chairs++
		}
		if err := checkPhone(f+".phone", m.Phone, false); err != nil {
			return err
		}
	}
	if chairs != 1 {
		return fieldErr("members", "an owners' committee has one 主任; got %d", chairs)
	}
	return nil
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }
