package data

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

//go:embed rules/default.json
var defaultRules []byte

// DefaultRulesJSON returns the built-in routing rules file.
func DefaultRulesJSON() []byte { return slices.Clone(defaultRules) }

// DefaultRules returns the built-in routing rules.
func DefaultRules() *Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("data: built-in rules: " + err.Error())
	}
	return r
}

// Rules are the operator-editable routing rules: which departments each
// incident category goes to when the whistle is blown, and the SLA
// deadlines after which an incident is escalated to its street.
type Rules struct {
	Version     int          `json:"version"`
	Comment     string       `json:"comment,omitempty"`
	DefaultSLA  SLA          `json:"default_sla"`
	Departments []Department `json:"departments"`
	Categories  []Category   `json:"categories"`
}

// Department is a department that may be whistled: one of the "1+6+N".
type Department struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"` // "1" (the street's squad), "6" or "N"
}

// Category is an incident sub-category in a module.
type Category struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Module      string   `json:"module"`
	Group       string   `json:"group,omitempty"`
	Departments []string `json:"departments"`
	SLA         *SLA     `json:"sla,omitempty"`
}

// SLA holds the deadlines counted from the report.
type SLA struct {
	Accept  Duration `json:"accept"`
	Resolve Duration `json:"resolve"`
}

// Duration is a time.Duration written as "90m" or "72h" in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"2h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseRules reads and checks a rules file: known modules, unique codes,
// departments that exist, positive deadlines with accept before resolve.
// Unknown fields are refused so a typo does not silently drop a rule.
func ParseRules(b []byte) (*Rules, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Rules
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks the rules; see ParseRules.
func (r *Rules) Validate() error {
	var errs []error
	checkSLA := func(what string, s SLA) {
		if s.Accept <= 0 || s.Resolve <= 0 || s.Accept > s.Resolve {
			errs = append(errs, fmt.Errorf("%s: SLA needs accept > 0 and resolve ≥ accept", what))
		}
	}
	checkSLA("default_sla", r.DefaultSLA)
	deps := map[string]bool{}
	for _, d := range r.Departments {
		if d.Code == "" || strings.ContainsAny(d.Code, " ,") {
			errs = append(errs, fmt.Errorf("department %q: bad code", d.Code))
		}
		if deps[d.Code] {
			errs = append(errs, fmt.Errorf("department %q twice", d.Code))
		}
		deps[d.Code] = true
	}
	cats := map[string]bool{}
	for _, c := range r.Categories {
		if c.Code == "" || strings.ContainsAny(c.Code, " ,") {
			errs = append(errs, fmt.Errorf("category %q: bad code", c.Code))
		}
		if cats[c.Code] {
			errs = append(errs, fmt.Errorf("category %q twice", c.Code))
		}
		cats[c.Code] = true
		if !slices.Contains(Modules, c.Module) {
			errs = append(errs, fmt.Errorf("category %q: module %q is not one of %v", c.Code, c.Module, Modules))
		}
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("category %q: no name", c.Code))
		}
		for _, d := range c.Departments {
			if !deps[d] {
				errs = append(errs, fmt.Errorf("category %q: unknown department %q", c.Code, d))
			}
		}
		if c.SLA != nil {
			checkSLA("category "+c.Code, *c.SLA)
		}
	}
	if len(r.Categories) == 0 {
		errs = append(errs, errors.New("no categories"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	return nil
}

// Category returns the category with the code, or nil.
func (r *Rules) Category(code string) *Category {
	for i := range r.Categories {
		if r.Categories[i].Code == code {
			return &r.Categories[i]
		}
	}
	return nil
}

// KnownDepartment reports whether code names a department of the rules.
func (r *Rules) KnownDepartment(code string) bool {
	for _, d := range r.Departments {
		if d.Code == code {
			return true
		}
	}
	return false
}

// DepartmentsFor returns the departments a category goes to.
func (r *Rules) DepartmentsFor(category string) []string {
	if c := r.Category(category); c != nil {
		return slices.Clone(c.Departments)
	}
	return nil
}

// SLAFor returns the deadlines of a category, or the default ones.
func (r *Rules) SLAFor(category string) SLA {
	if c := r.Category(category); c != nil && c.SLA != nil {
		return *c.SLA
	}
	return r.DefaultSLA
}

// Route fills in what the rules decide for a new incident reported at
// time at: its module and its SLA deadlines. The category's departments
// are named by the dispatch transition (DepartmentsFor), not here.
func (r *Rules) Route(rec *IncidentRecord, at time.Time) error {
	c := r.Category(rec.Category)
	if c == nil {
		return fmt.Errorf("unknown category %q", rec.Category)
	}
	rec.Module = c.Module
	sla := r.SLAFor(c.Code)
	rec.AcceptDue = at.Add(time.Duration(sla.Accept))
	rec.ResolveDue = at.Add(time.Duration(sla.Resolve))
	return nil
}
