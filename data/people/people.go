// Package people holds the organisation department's rules over the
// people who serve the grids (data.Staff, data.Assignment), the 双报到
// units and their pairings with communities, the units' yearly
// commitments, yearly evaluations (考核) and leading cadres' contact
// points: plain Go over a data.City, no HTTP, no SQL.
//
// Check reports every rule the records break on a day (what `gridmap
// validate` and the API show). The edit functions (CreateStaff, Assign,
// Pair, Evaluate …) check one change against the city and return it as a
// Change — the whole records to write — or an *Error saying why it is
// refused; Change.Apply gives the city after it. ProposePairings finds the
// rebalanced pairing that moves the fewest pairs; Workload and Metrics
// draw the figures from the incidents.
package people

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Range bounds a count: Min ≤ n ≤ Max; Max 0 means no upper bound.
type Range struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Holds reports whether n lies in the range.
func (r Range) Holds(n int) bool { return n >= r.Min && (r.Max == 0 || n <= r.Max) }

func (r Range) String() string {
	if r.Max == 0 {
		return fmt.Sprintf("at least %d", r.Min)
	}
	if r.Min == r.Max {
		return fmt.Sprint(r.Min)
	}
	return fmt.Sprintf("%d–%d", r.Min, r.Max)
}

// Rules are the configurable limits.
type Rules struct {
	// MaxGridsPerCadre is the most grids one cadre may help at once.
	MaxGridsPerCadre int `json:"max_grids_per_cadre"`
	// WorkersPerGrid is how many responsible workers (定岗) a grid needs.
	MinWorkersPerGrid int `json:"min_workers_per_grid"`
	// DistrictUnits and MunicipalUnits bound the units of each level that
	// report to one community (the 1–2 rule).
	DistrictUnits  Range `json:"district_units_per_community"`
	MunicipalUnits Range `json:"municipal_units_per_community"`
	// MaxHouseholdsPerPerson marks a head or worker overloaded above it
	// (0: never).
	MaxHouseholdsPerPerson int `json:"max_households_per_person"`
}

// DefaultRules are the city's rules: a cadre helps at most 3 grids, every
// grid has a head and at least one responsible worker, 1–2 units of each
// level report to each community, and a head or worker serving more than
// 1,500 households is overloaded.
func DefaultRules() Rules {
	return Rules{MaxGridsPerCadre: 3, MinWorkersPerGrid: 1,
		DistrictUnits: Range{1, 2}, MunicipalUnits: Range{1, 2}, MaxHouseholdsPerPerson: 1500}
}

// Validate refuses rules that cannot hold.
func (r Rules) Validate() error {
	switch {
	case r.MaxGridsPerCadre < 1:
		return errors.New("max_grids_per_cadre must be at least 1")
	case r.MinWorkersPerGrid < 0:
		return errors.New("min_workers_per_grid must not be negative")
	case r.DistrictUnits.Min < 0 || (r.DistrictUnits.Max != 0 && r.DistrictUnits.Max < r.DistrictUnits.Min):
		return errors.New("district_units_per_community: want 0 ≤ min ≤ max")
	case r.MunicipalUnits.Min < 0 || (r.MunicipalUnits.Max != 0 && r.MunicipalUnits.Max < r.MunicipalUnits.Min):
		return errors.New("municipal_units_per_community: want 0 ≤ min ≤ max")
	case r.MaxHouseholdsPerPerson < 0:
		return errors.New("max_households_per_person must not be negative")
	}
	return nil
}

// The store's meta keys of the rules: MetaRules holds them whole (JSON);
// MetaMaxCadreGrids, the older key, the grid limit alone.
const (
	MetaRules         = "people.rules"
	MetaMaxCadreGrids = "people.max_grids_per_cadre"
)

// RulesFromMeta reads the city's rules from its meta table: the defaults,
// over them the older grid-limit key, over both the rules kept whole. A
// value that does not parse or cannot hold is an error (the defaults are
// returned beside it).
func RulesFromMeta(meta map[string]string) (Rules, error) {
	r := DefaultRules()
	if v := meta[MetaMaxCadreGrids]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return DefaultRules(), fmt.Errorf("meta %s: %q is not a number of grids", MetaMaxCadreGrids, v)
		}
		r.MaxGridsPerCadre = n
	}
	if v := meta[MetaRules]; v != "" {
		var err error
		if r, err = r.With([]byte(v)); err != nil {
			return DefaultRules(), fmt.Errorf("meta %s: %w", MetaRules, err)
		}
	}
	if err := r.Validate(); err != nil {
		return DefaultRules(), fmt.Errorf("meta %s: %w", MetaRules, err)
	}
	return r, nil
}

// With returns r with the fields a JSON object sets (the others keep r's
// values), checked: an unknown field, a value of the wrong type or
// trailing data are an error, and rules that cannot hold an *Error of kind
// Invalid.
func (r Rules) With(body []byte) (Rules, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	n := r
	if err := dec.Decode(&n); err != nil {
		return r, err
	}
	if dec.More() {
		return r, errors.New("trailing data after the rules")
	}
	if err := n.Validate(); err != nil {
		return r, &Error{Kind: Invalid, Field: "rules", Reason: err.Error()}
	}
	return n, nil
}

// SetRules checks new rules and returns the change that puts them in
// force in place of the current ones (an empty change when they are the
// same).
func SetRules(current, r Rules) (Change, error) {
	if err := r.Validate(); err != nil {
		return Change{}, &Error{Kind: Invalid, Field: "rules", Reason: err.Error()}
	}
	if r == current {
		return Change{}, nil
	}
	return Change{Rules: &r}, nil
}

// Range returns the bound on units of a level per community.
func (r Rules) Range(level string) Range {
	if level == data.UnitMunicipal {
		return r.MunicipalUnits
	}
	return r.DistrictUnits
}

// Error kinds: what an edit's refusal means to a client.
const (
	Invalid  = "invalid"   // a value is malformed or out of range
	Conflict = "conflict"  // the change breaks a rule against the records
	NotFound = "not_found" // a record it names does not exist
)

// Error is a refused edit: its kind, the field at fault and the reason.
type Error struct {
	Kind   string `json:"kind"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Reason
	}
	return e.Reason
}

func invalid(field, format string, a ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Reason: fmt.Sprintf(format, a...)}
}

func conflict(field, format string, a ...any) *Error {
	return &Error{Kind: Conflict, Field: field, Reason: fmt.Sprintf(format, a...)}
}

func notFound(field, format string, a ...any) *Error {
	return &Error{Kind: NotFound, Field: field, Reason: fmt.Sprintf(format, a...)}
}

// KindOf returns the kind of an edit's error ("" for other errors).
func KindOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// Change is what one edit writes: whole records, added or replacing the
// record of the same id (code for units). Nothing is ever deleted: ended
// assignments, pairings and contact points keep their history, retired
// staff their record.
type Change struct {
	Staff         []data.Staff         `json:"staff,omitempty"`
	Assignments   []data.Assignment    `json:"assignments,omitempty"`
	Units         []data.ReportingUnit `json:"units,omitempty"`
	Pairings      []data.Pairing       `json:"pairings,omitempty"`
	Commitments   []data.Commitment    `json:"commitments,omitempty"`
	Evaluations   []data.Evaluation    `json:"evaluations,omitempty"`
	ContactPoints []data.ContactPoint  `json:"contact_points,omitempty"`
	// Rules, when set, become the city's people rules (kept in the store's
	// meta table under MetaRules).
	Rules *Rules `json:"rules,omitempty"`
}

// Empty reports whether the change writes nothing.
func (ch Change) Empty() bool {
	return ch.Rules == nil && len(ch.Staff)+len(ch.Assignments)+len(ch.Units)+len(ch.Pairings)+len(ch.Commitments)+len(ch.Evaluations)+len(ch.ContactPoints) == 0
}

// Meta is what the change writes to the store's meta table: the rules, or
// nothing.
func (ch Change) Meta() map[string]string {
	if ch.Rules == nil {
		return nil
	}
	b, _ := json.Marshal(ch.Rules)
	return map[string]string{MetaRules: string(b)}
}

// Merge adds o's records to ch (later records of one id win in Apply).
func (ch *Change) Merge(o Change) {
	ch.Staff = append(ch.Staff, o.Staff...)
	ch.Assignments = append(ch.Assignments, o.Assignments...)
	ch.Units = append(ch.Units, o.Units...)
	ch.Pairings = append(ch.Pairings, o.Pairings...)
	ch.Commitments = append(ch.Commitments, o.Commitments...)
	ch.Evaluations = append(ch.Evaluations, o.Evaluations...)
	ch.ContactPoints = append(ch.ContactPoints, o.ContactPoints...)
	if o.Rules != nil {
		ch.Rules = o.Rules
	}
}

// Summary names what the change writes, for the audit trail.
func (ch Change) Summary() map[string]int {
	m := map[string]int{}
	add := func(k string, n int) {
		if n > 0 {
			m[k] = n
		}
	}
	add(data.LayerStaff, len(ch.Staff))
	add(data.LayerAssignments, len(ch.Assignments))
	add(data.LayerReportingUnits, len(ch.Units))
	add(data.LayerPairings, len(ch.Pairings))
	add(data.LayerCommitments, len(ch.Commitments))
	add(data.LayerEvaluations, len(ch.Evaluations))
	add(data.LayerContactPoints, len(ch.ContactPoints))
	if ch.Rules != nil {
		m["rules"] = 1
	}
	return m
}

// Apply returns the city after the change, as of day d: a shallow copy of
// c whose people records carry the change and whose grids, cadres and
// units show them (data.City.DeriveStaffing). c is not modified; the
// geometry is shared.
func (ch Change) Apply(c *data.City, d time.Time) *data.City {
	n := *c
	n.Staff = upsert(c.Staff, ch.Staff, func(s *data.Staff) string { return s.ID })
	n.Assignments = upsert(c.Assignments, ch.Assignments, func(a *data.Assignment) string { return a.ID })
	n.ReportingUnits = upsert(c.ReportingUnits, ch.Units, func(u *data.ReportingUnit) string { return u.Code })
	n.Pairings = upsert(c.Pairings, ch.Pairings, func(p *data.Pairing) string { return p.ID })
	n.Commitments = upsert(c.Commitments, ch.Commitments, func(x *data.Commitment) string { return x.ID })
	n.Evaluations = upsert(c.Evaluations, ch.Evaluations, func(e *data.Evaluation) string { return e.ID })
	n.ContactPoints = upsert(c.ContactPoints, ch.ContactPoints, func(p *data.ContactPoint) string { return p.ID })
	if kv := ch.Meta(); kv != nil {
		n.Meta = maps.Clone(c.Meta)
		if n.Meta == nil {
			n.Meta = map[string]string{}
		}
		maps.Copy(n.Meta, kv)
	}
	n.Grids = slices.Clone(c.Grids)
	n.ReportingUnits = slices.Clone(n.ReportingUnits)
	n.DeriveStaffing(d)
	return &n
}

// upsert returns base with each of add replacing the element of the same
// key or appended; base is not modified.
func upsert[T any](base, add []T, key func(*T) string) []T {
	if len(add) == 0 {
		return base
	}
	out := slices.Clone(base)
	at := make(map[string]int, len(out))
	for i := range out {
		at[key(&out[i])] = i
	}
	for i := range add {
		k := key(&add[i])
		if j, ok := at[k]; ok {
			out[j] = add[i]
		} else {
			at[k] = len(out)
			out = append(out, add[i])
		}
	}
	return out
}

// Today is the day the records are read at when no day is given.
func Today() time.Time { return data.Day(time.Now()) }

// nextID returns prefix + a number one past the largest used with that
// prefix among ids.
func nextID[T any](prefix string, recs []T, id func(*T) string, taken ...string) string {
	max := 0
	scan := func(s string) {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			n := 0
			for _, r := range rest {
				if r < '0' || r > '9' {
					return
				}
				n = n*10 + int(r-'0')
				if n > 1e9 {
					return
				}
			}
			if n > max {
				max = n
			}
		}
	}
	for i := range recs {
		scan(id(&recs[i]))
	}
	for _, t := range taken {
		scan(t)
	}
	return fmt.Sprintf("%s%06d", prefix, max+1)
}
