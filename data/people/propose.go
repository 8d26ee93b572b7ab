package people

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
)

// PairingMove is one change of a proposal: a unit's pairing ends at From
// and a new one starts at To. From is empty for a unit that reported to no
// community; To is empty when no community has room for the pair.
type PairingMove struct {
	UnitCode string `json:"unit_code"`
	Unit     string `json:"unit"`
	Level    string `json:"level"`
	From     string `json:"from,omitempty"`
	FromName string `json:"from_name,omitempty"`
	To       string `json:"to,omitempty"`
	ToName   string `json:"to_name,omitempty"`
	Pairing  string `json:"pairing,omitempty"` // the pairing that ends
}

// Proposal is a rebalanced pairing: the fewest pair changes that bring
// every community within the rule's range of units of each level.
type Proposal struct {
	Day   time.Time     `json:"day"`
	Moves []PairingMove `json:"moves"`
	// LowerBound is a bound no rebalancing can beat: every pair above a
	// community's maximum (or outside its unit's district) must move, and
	// every missing pair must come from somewhere, one per change. Moves
	// equal to it prove the proposal minimal; the flow formulation makes it
	// minimal whatever the bound.
	LowerBound int `json:"lower_bound"`
	// Excess and Deficit count the pairs above the maxima and missing below
	// the minima before the proposal; Unplaced the pairs that find no room
	// and Unfilled the minima still missed after it (both 0 when the rule
	// can be met).
	Excess   int `json:"excess"`
	Deficit  int `json:"deficit"`
	Unplaced int `json:"unplaced"`
	Unfilled int `json:"unfilled"`
}

// ProposePairings computes, for both levels, the rebalanced pairing on day
// d that changes the fewest pairs: a min-cost flow from units to
// communities where keeping a pair costs 0 and any other placement 1, each
// unit keeps its number of pairs, the rule's minima are filled first (a
// unit reporting to no community may take one), and no community goes
// over its maximum. District-level units stay in their district.
func ProposePairings(c *data.City, d time.Time, r Rules) Proposal {
	d = data.Day(d)
	p := Proposal{Day: d, Moves: []PairingMove{}}
	type scope struct{ level, district string }
	unitsOf := map[scope][]*data.ReportingUnit{}
	var scopes []scope
	for i := range c.ReportingUnits {
		u := &c.ReportingUnits[i]
		s := scope{u.Level, ""}
		if u.Level == data.UnitDistrict {
			s.district = u.DistrictCode
		}
		if _, ok := unitsOf[s]; !ok {
			scopes = append(scopes, s)
		}
		unitsOf[s] = append(unitsOf[s], u)
	}
	slices.SortFunc(scopes, func(a, b scope) int {
		if a.level != b.level {
			return strings.Compare(a.level, b.level)
		}
		return strings.Compare(a.district, b.district)
	})
	for _, s := range scopes {
		var comms []*data.Community
		for i := range c.Communities {
			if cm := &c.Communities[i]; s.district == "" || cm.DistrictCode == s.district {
				comms = append(comms, cm)
			}
		}
		if len(comms) == 0 {
			continue
		}
		rebalance(c, d, r.Range(s.level), unitsOf[s], comms, &p)
	}
	return p
}

// rebalance solves one scope (a level, and for district units a district).
func rebalance(c *data.City, d time.Time, rg Range, units []*data.ReportingUnit, comms []*data.Community, p *Proposal) {
	ci := map[string]int{}
	for i, cm := range comms {
		ci[cm.Code] = i
	}
	type held struct {
		comm    int    // community index, -1 outside the scope
		code    string // community code
		pairing string
	}
	holds := make([][]held, len(units))
	count := make([]int, len(comms))
	seen := map[[2]string]bool{}
	for i := range c.Pairings {
		pr := &c.Pairings[i]
		if !pr.ActiveOn(d) {
			continue
		}
		for k, u := range units {
			if u.Code != pr.UnitCode || seen[[2]string{u.Code, pr.CommunityCode}] {
				continue
			}
			seen[[2]string{u.Code, pr.CommunityCode}] = true
			j, ok := ci[pr.CommunityCode]
			if !ok {
				j = -1
			} else {
				count[j]++
			}
			holds[k] = append(holds[k], held{j, pr.CommunityCode, pr.ID})
		}
	}
	hi := func(n int) int {
		if rg.Max == 0 {
			return 1 << 30
		}
		return rg.Max
	}
	outside := 0
	for k := range units {
		for _, h := range holds[k] {
			if h.comm < 0 {
				outside++
			}
		}
	}
	excess, deficit, surplus, pool := outside, 0, outside, 0
	for j := range comms {
		excess += max(0, count[j]-hi(j))
		deficit += max(0, rg.Min-count[j])
		surplus += max(0, count[j]-rg.Min)
	}
	for k := range units {
		if len(holds[k]) == 0 {
			pool++
		}
	}
	p.Excess += excess
	p.Deficit += deficit
	p.LowerBound += max(excess, min(deficit, surplus+pool))

	// The network: source, units, communities, sink.
	nu, nc := len(units), len(comms)
	src, sink := 0, 1+nu+nc
	big := 4 * (len(c.Pairings) + nu + nc + 1)
	g := newFlow(sink + 1)
	unitArc := make([][]int, nu) // per unit, the arc to each community
	for k := range units {
		if n := len(holds[k]); n > 0 {
			g.add(src, 1+k, n, -big) // the unit's pairs must be placed
		} else {
			g.add(src, 1+k, 1, 0) // a unit with none may take one
		}
		unitArc[k] = make([]int, nc)
		for j := range comms {
			cost := 1
			for _, h := range holds[k] {
				if h.comm == j {
					cost = 0
				}
			}
			unitArc[k][j] = g.add(1+k, 1+nu+j, 1, cost)
		}
	}
	for j := range comms {
		if rg.Min > 0 {
			g.add(1+nu+j, sink, rg.Min, -big) // fill the minimum first
		}
		if rest := hi(j) - rg.Min; rest > 0 {
			g.add(1+nu+j, sink, min(rest, nu*4+1), 0)
		}
	}
	g.run(src, sink)

	for k, u := range units {
		var to []int
		kept := map[int]bool{}
		for j := range comms {
			if g.flowOn(unitArc[k][j]) > 0 {
				kept[j] = true
				to = append(to, j)
			}
		}
		var from []held
		for _, h := range holds[k] {
			if h.comm >= 0 && kept[h.comm] {
				delete(kept, h.comm)
				to = slices.DeleteFunc(to, func(j int) bool { return j == h.comm })
				continue
			}
			from = append(from, h)
		}
		for len(from) > 0 || len(to) > 0 {
			m := PairingMove{UnitCode: u.Code, Unit: u.Name, Level: u.Level}
			if len(from) > 0 {
				m.From, m.Pairing = from[0].code, from[0].pairing
				if cm := c.Community(m.From); cm != nil {
					m.FromName = cm.Name
				}
				from = from[1:]
			}
			if len(to) > 0 {
				m.To, m.ToName = comms[to[0]].Code, comms[to[0]].Name
				to = to[1:]
			} else {
				p.Unplaced++
			}
			p.Moves = append(p.Moves, m)
		}
	}
	// Minima still missed.
	for j := range comms {
		in := 0
		for k := range units {
			in += g.flowOn(unitArc[k][j])
		}
		p.Unfilled += max(0, rg.Min-in)
	}
}

// Change turns the proposal into the records to write on its day: each
// moved pairing ends and its new pairing starts (ids from prefix B).
func (p *Proposal) Change(c *data.City) Change {
	var ch Change
	used := []string{}
	byID := map[string]data.Pairing{}
	for i := range c.Pairings {
		byID[c.Pairings[i].ID] = c.Pairings[i]
	}
	for _, m := range p.Moves {
		if m.Pairing != "" {
			old := byID[m.Pairing]
			old.To = p.Day
			old.Note = strings.TrimSpace(old.Note + " 调整结对: " + orDash(m.To))
			ch.Pairings = append(ch.Pairings, old)
		}
		if m.To != "" {
			id := nextID("B", c.Pairings, func(p *data.Pairing) string { return p.ID }, used...)
			used = append(used, id)
			note := "调整结对"
			if m.From != "" {
				note += ", 原 " + m.From
			}
			ch.Pairings = append(ch.Pairings, data.Pairing{ID: id, UnitCode: m.UnitCode, CommunityCode: m.To, From: p.Day, Note: note})
		}
	}
	return ch
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Summary says in one line what the proposal does.
func (p *Proposal) Summary() string {
	return fmt.Sprintf("%d move(s), lower bound %d; excess %d, deficit %d before; %d unplaced, %d minima unfilled after",
		len(p.Moves), p.LowerBound, p.Excess, p.Deficit, p.Unplaced, p.Unfilled)
}

// flow is a small min-cost flow network solved by successive shortest
// paths (Bellman–Ford with a queue, as costs may be negative), stopping
// when no path of negative cost is left: a min-cost flow of any amount.
type flow struct {
	head []int
	arcs []arc
}

type arc struct {
	to, next, cap, cost int
}

func newFlow(n int) *flow {
	f := &flow{head: make([]int, n)}
	for i := range f.head {
		f.head[i] = -1
	}
	return f
}

// add adds an arc and its residual twin, returning the arc's index.
func (f *flow) add(from, to, cap, cost int) int {
	f.arcs = append(f.arcs, arc{to, f.head[from], cap, cost})
	f.head[from] = len(f.arcs) - 1
	f.arcs = append(f.arcs, arc{from, f.head[to], 0, -cost})
	f.head[to] = len(f.arcs) - 1
	return len(f.arcs) - 2
}

// flowOn is the flow an arc carries.
func (f *flow) flowOn(a int) int { return f.arcs[a^1].cap }

func (f *flow) run(s, t int) {
	n := len(f.head)
	dist := make([]int, n)
	prev := make([]int, n)
	inq := make([]bool, n)
	const inf = 1 << 60
	for {
		for i := range dist {
			dist[i], prev[i] = inf, -1
		}
		dist[s] = 0
		q := []int{s}
		inq[s] = true
		for len(q) > 0 {
			u := q[0]
			q = q[1:]
			inq[u] = false
			for a := f.head[u]; a >= 0; a = f.arcs[a].next {
				e := &f.arcs[a]
				if e.cap > 0 && dist[u]+e.cost < dist[e.to] {
					dist[e.to] = dist[u] + e.cost
					prev[e.to] = a
					if !inq[e.to] {
						inq[e.to] = true
						q = append(q, e.to)
					}
				}
			}
		}
		if dist[t] >= 0 {
			return
		}
		push := inf
		for v := t; v != s; v = f.arcs[prev[v]^1].to {
			push = min(push, f.arcs[prev[v]].cap)
		}
		for v := t; v != s; v = f.arcs[prev[v]^1].to {
			f.arcs[prev[v]].cap -= push
			f.arcs[prev[v]^1].cap += push
		}
	}
}
