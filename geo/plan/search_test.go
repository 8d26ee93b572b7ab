package plan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// unbalancedPlan is the demo city with 15% of households moved (seed 1):
// grids with ragged outlines, the search's real input.
func unbalancedPlan(t testing.TB) *Plan {
	t.Helper()
	p := NewPlan(demoModel(t), nil)
	if _, err := p.Unbalance(0.15, 1); err != nil {
		t.Fatal(err)
	}
	return p
}

// walk makes up to n random allowed moves in s (by its local test), each
// also made in the plan-wide assign/count, and calls check before each.
func walk(s *commSearch, rng *rand.Rand, n int, assign []int32, count []int, check func()) {
	for k := 0; k < n; k++ {
		check()
		i := rng.IntN(len(s.a))
		nb := s.nbr[i][rng.IntN(4)]
		if nb < 0 || s.a[nb] == s.a[i] {
			continue
		}
		f, t := s.a[i], s.a[nb]
		if !s.canMove(i, f, t) {
			continue
		}
		d, pf, pt := s.moveDelta(i, f, t)
		s.apply(i, f, t, d, pf, pt)
		assign[s.glob[i]] = s.grid[t]
		count[s.grid[f]]--
		count[s.grid[t]]++
	}
}

// TestLocalMoveTest: the search's 3×3 test of a move agrees with the
// flood fill and ring walk (moveOK) on every possible move of every
// community, along random walks through layouts that only the local test
// chose.
func TestLocalMoveTest(t *testing.T) {
	p := unbalancedPlan(t)
	rng := rand.New(rand.NewPCG(1, 2))
	assign := append([]int32(nil), p.Assign...)
	count := make([]int, len(p.Grids))
	for _, g := range assign {
		count[g]++
	}
	checked, allowed := 0, 0
	for ci := range p.Model.Communities {
		s := p.newCommSearch(ci, ProposeOptions{Compact: 2, Disruption: 20})
		if s == nil {
			continue
		}
		steps := 12
		if ci%20 == 0 {
			steps = 300
		}
		walk(s, rng, steps, assign, count, func() {
			for i := range s.a {
				for _, nb := range s.nbr[i] {
					if nb < 0 || s.a[nb] == s.a[i] {
						continue
					}
					f, to := s.a[i], s.a[nb]
					local := s.canMove(i, f, to)
					global := p.moveOK(assign, s.glob[i], s.grid[to], count)
					checked++
					if local {
						allowed++
					}
					if local != global {
						t.Fatalf("community %s, compound %s from grid %s to %s: local test %v, rings %v",
							p.Model.Communities[ci].Code, p.Model.Blocks[s.glob[i]].Compound, p.Grids[s.grid[f]].Code, p.Grids[s.grid[to]].Code, local, global)
					}
				}
			}
		})
	}
	if checked < 100000 || allowed == 0 || allowed == checked {
		t.Fatalf("checked %d moves, %d allowed: the walk did not exercise both answers", checked, allowed)
	}
	t.Logf("%d moves checked, %d allowed", checked, allowed)
}

// TestSearchSums: after a random walk the incremental households, areas,
// perimeters, Polsby-Popper scores and cost equal a recount, and the
// scores equal those of the derived rings.
func TestSearchSums(t *testing.T) {
	p := unbalancedPlan(t)
	m := p.Model
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ci := range []int{0, 17, 101, 205} {
		s := p.newCommSearch(ci, ProposeOptions{Compact: 2, Disruption: 20})
		if s == nil {
			t.Fatalf("community %d: no search", ci)
		}
		assign := append([]int32(nil), p.Assign...)
		count := make([]int, len(p.Grids))
		walk(s, rng, 2000, assign, count, func() {})
		gh := append([]int(nil), s.gh...)
		per := append([]int64(nil), s.gper...)
		pp := append([]float64(nil), s.pp...)
		cost, ppSum := s.cost, s.ppSum
		s.recount()
		for g := range gh {
			if gh[g] != s.gh[g] || per[g] != s.gper[g] || pp[g] != s.pp[g] {
				t.Errorf("community %d grid %d: incremental %d hh, perimeter %d, PP %v; recount %d, %d, %v", ci, g, gh[g], per[g], pp[g], s.gh[g], s.gper[g], s.pp[g])
			}
		}
		if math.Abs(cost-s.cost) > 1e-6 || math.Abs(ppSum-s.ppSum) > 1e-9 {
			t.Errorf("community %d: incremental cost %v, ΣPP %v; recount %v, %v", ci, cost, ppSum, s.cost, s.ppSum)
		}
		cm := &m.Communities[ci]
		for g := range s.grid {
			var bl []int32
			for i, a := range s.a {
				if a == int32(g) {
					bl = append(bl, s.glob[i])
				}
			}
			ring, err := m.ring(bl, func(b int32) bool { return assign[b] == s.grid[g] })
			if err != nil {
				t.Fatalf("community %d grid %d: %v", ci, g, err)
			}
			_, want, _ := compactness(orb.Polygon{ring}, cm.Lat)
			if math.Abs(want-s.pp[g]) > 1e-6 {
				t.Errorf("community %d grid %d: PP %v, ring %v", ci, g, s.pp[g], want)
			}
		}
	}
}

// TestDeterministicMaths: e^−x and the cosine of our own are close to
// the math package's (they exist to give the same bits everywhere).
func TestDeterministicMaths(t *testing.T) {
	for _, x := range []float64{0, 1e-9, 0.3, 0.5, 1, 2.5, 7, 13.37, 25, 39.9} {
		if got, want := expNeg(x), math.Exp(-x); math.Abs(got-want) > 1e-13*want {
			t.Errorf("expNeg(%v) = %v, want %v", x, got, want)
		}
	}
	for _, x := range []float64{40, 1e9, math.Inf(1), math.NaN()} {
		if got := expNeg(x); got != 0 {
			t.Errorf("expNeg(%v) = %v, want 0", x, got)
		}
	}
	if expNeg(-1) != 1 {
		t.Error("expNeg of a negative is not 1")
	}
	for _, lat := range []float64{0, 23.5, 34.8, 45, 60, 80} {
		mx, my := localScale(lat)
		wx, wy := geo.MetresPerDegree(lat)
		if math.Abs(mx/my-wx/wy) > 1e-3*wx/wy {
			t.Errorf("localScale(%v) ratio %v, want %v", lat, mx/my, wx/wy)
		}
	}
	for i := 1; i < len(tempLevels); i++ {
		if !(tempLevels[i] < tempLevels[i-1]) {
			t.Fatalf("schedule does not fall at level %d", i)
		}
	}
	if math.Abs(tempLevels[0]-tempStart) > 1e-12 || math.Abs(tempLevels[255]-tempEnd) > 1e-9 {
		t.Errorf("schedule runs %v → %v, want %v → %v", tempLevels[0], tempLevels[255], tempStart, tempEnd)
	}
}

// TestSimplePoint: the 3×3 rules on hand-drawn neighbourhoods (E, NE, N,
// NW, W, SW, S, SE).
func TestSimplePoint(t *testing.T) {
	b := func(s string) *[8]bool {
		var x [8]bool
		for i := range x {
			x[i] = s[i] == '1'
		}
		return &x
	}
	cases := []struct {
		name        string
		nbhd        string
		remove, add bool
	}{
		{"end of a bar", "10000000", true, true},
		{"middle of a bar", "10001000", false, false}, // removing cuts the bar; adding joins two parts (a loop)
		{"corner of a block", "11100000", true, true},
		{"inside", "11111111", false, false},
		{"edge of a block", "11111000", true, true},
		{"all but a corner", "11111110", false, true}, // removing pinches at SE; adding leaves a square less a corner
		{"diagonal only", "01000000", false, false},
		{"side and far diagonal", "10010000", true, false}, // adding would pinch at NW
	}
	for _, c := range cases {
		if got := simpleRemove(b(c.nbhd)); got != c.remove {
			t.Errorf("%s: remove %v, want %v", c.name, got, c.remove)
		}
		if got := simpleAdd(b(c.nbhd)); got != c.add {
			t.Errorf("%s: add %v, want %v", c.name, got, c.add)
		}
	}
}
