package coverage

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Site end to end (candidates trimmed to what the built stations leave
// uncovered, greedy, swaps, totals) against the same search on the
// untrimmed candidates and an exhaustive search over every pair of
// buildings, with reach from Reach itself.
func TestSiteAgainstExhaustivePairs(t *testing.T) {
	for _, tc := range []struct {
		seed      uint64
		buildings int
		stations  []int // buildings with a built grid station at their entrance
	}{
		{1, 40, []int{0}},
		{2, 50, []int{3, 17}},
		{3, 45, nil},
		{4, 60, []int{5}},
	} {
		c := smallCity(tc.seed, 6, 5, tc.buildings)
		for i, b := range tc.stations {
			c.Stations = append(c.Stations, data.Station{Code: string(rune('a' + i)), Kind: data.StationGrid, Status: data.StationBuilt, Point: c.Buildings[b].Entrance})
		}
		m := NewModel(c, Options{MaxSnap: 400})
		covered := make([]bool, len(c.Buildings))
		for _, s := range c.Stations {
			for _, r := range m.Reach(s.Point, 500) {
				covered[r.Building] = true
			}
		}
		reach := make([][]int32, len(c.Buildings))
		for i, b := range c.Buildings {
			for _, r := range m.Reach(b.Entrance, 500) {
				reach[i] = append(reach[i], r.Building)
			}
		}
		value := func(set ...int) int {
			cov := append([]bool(nil), covered...)
			v := 0
			for _, s := range set {
				for _, b := range reach[s] {
					if !cov[b] {
						cov[b] = true
						v += c.Buildings[b].Households
					}
				}
			}
			return v
		}
		base := 0
		for b, cv := range covered {
			if cv {
				base += c.Buildings[b].Households
			}
		}
		best := 0
		for i := range reach {
			for j := i + 1; j < len(reach); j++ {
				best = max(best, value(i, j))
			}
		}
		res, err := m.Site(context.Background(), SitingOptions{K: 2, Radius: 500, Candidates: CandidatesBuildings})
		if err != nil {
			t.Fatalf("seed %d: %v", tc.seed, err)
		}
		gain := 0
		for _, s := range res.Sites {
			gain += s.Gain
		}
		if res.Candidates != tc.buildings {
			t.Errorf("seed %d: %d candidates, want every building (%d)", tc.seed, res.Candidates, tc.buildings)
		}
		if res.Before.HouseholdsCovered != base || res.After.HouseholdsCovered != base+gain {
			t.Errorf("seed %d: before %d (want %d), after %d, gains %d", tc.seed, res.Before.HouseholdsCovered, base, res.After.HouseholdsCovered, gain)
		}
		// The trimmed candidates choose as the full lists would.
		w := make([]float64, len(c.Buildings))
		for i, b := range c.Buildings {
			w[i] = float64(b.Households)
		}
		full, _, err := maxCover(context.Background(), reach, w, covered, 2, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if want := value(full...); gain != want {
			t.Errorf("seed %d: siting gains %d households, on the untrimmed candidates %d", tc.seed, gain, want)
		}
		if float64(gain) < (1-1/math.E)*float64(best) {
			t.Errorf("seed %d: siting gains %d households, below (1-1/e) of the best pair %d", tc.seed, gain, best)
		}
		t.Logf("seed %d: gain %d, best pair %d", tc.seed, gain, best)
		if res.UpperBound < res.After.HouseholdsCovered || res.UpperBound < base+best {
			t.Errorf("seed %d: upper bound %d below the optimum %d", tc.seed, res.UpperBound, base+best)
		}
	}
}
