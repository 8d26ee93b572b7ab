package geocode

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

func TestGeocodeStandardAddresses(t *testing.T) {
	g := demoGazetteer(t)
	c := g.city
	for i := 0; i < len(c.Buildings); i += 97 {
		b := &c.Buildings[i]
		addr := features.Address(c, b)
		a, err := g.Geocode(addr, 3)
		if err != nil {
			t.Fatalf("%q: %v", addr, err)
		}
		best := a.Best()
		if a.Status != StatusOK || best == nil || best.GridCode != b.GridCode || best.Code != b.Code || best.Confidence < 0.9 {
			t.Errorf("%q: %s %+v, want building %s in %s", addr, a.Status, best, b.Code, b.GridCode)
		}
	}
}

func TestGeocodeCases(t *testing.T) {
	g := demoGazetteer(t)
	c := g.city
	// A building whose compound's alias is unique in its street and whose
	// gate address is unique in the city (the cases below expect one answer).
	aliasN, gateN := map[string]int{}, map[string]int{}
	for _, x := range c.Compounds {
		if len(x.Aliases) == 0 {
			continue
		}
		aliasN[c.Community(x.CommunityCode).StreetCode+x.Aliases[0]]++
		aliasN[c.Community(x.CommunityCode).StreetCode+x.Name]++
	}
	roadDistricts := map[string]map[string]bool{}
	for i := range c.Buildings {
		x := &c.Buildings[i]
		if x.Number == 1 {
			gateN[x.Road+strconv.Itoa(x.HouseNumber)]++
		}
		if roadDistricts[x.Road] == nil {
			roadDistricts[x.Road] = map[string]bool{}
		}
		roadDistricts[x.Road][x.DistrictCode] = true
	}
	b := &c.Buildings[500]
	for i := 500; i < len(c.Buildings); i++ {
		x := &c.Buildings[i]
		if cp := c.Compound(x.CompoundCode); len(cp.Aliases) > 0 && aliasN[x.StreetCode+cp.Aliases[0]] == 1 && gateN[x.Road+strconv.Itoa(x.HouseNumber)] == 1 && len(roadDistricts[x.Road]) == 1 {
			b = x
			break
		}
	}
	cp := c.Compound(b.CompoundCode)
	comm := communityName(c.Community(b.CommunityCode).Name)
	street := c.Street(b.StreetCode).Name
	tests := []struct {
		name, q string
		status  string
		grid    string
		minConf float64
	}{
		{"community + compound + building", comm + cp.Name + strconv.Itoa(b.Number) + "号楼", StatusOK, b.GridCode, 0.9},
		{"any order", strconv.Itoa(b.Number) + "栋 " + cp.Name + "，" + comm, StatusOK, b.GridCode, 0.9},
		{"gate address", b.Road + strconv.Itoa(b.HouseNumber) + "号", StatusOK, b.GridCode, 0},
		{"gate address in numerals", b.Road + chineseNumeral(b.HouseNumber) + "号", StatusOK, b.GridCode, 0},
		{"street + alias", street + cp.Aliases[0], "", b.GridCode, 0},
		{"full-width", toFullWidth(b.Road + strconv.Itoa(b.HouseNumber) + "号"), StatusOK, b.GridCode, 0},
		{"traditional", toTraditional(comm + cp.Name), StatusOK, b.GridCode, 0.9},
		{"noise", b.Road + strconv.Itoa(b.HouseNumber) + "号对面", StatusOK, b.GridCode, 0},
		{"unknown place", "火星基地", StatusNotFound, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := g.Geocode(tt.q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if tt.status != "" && a.Status != tt.status {
				t.Errorf("%q: status %s (%s), want %s", tt.q, a.Status, a.Message, tt.status)
			}
			if tt.grid != "" && (a.Best() == nil || a.Best().GridCode != tt.grid) {
				t.Errorf("%q: best %+v, want grid %s", tt.q, a.Best(), tt.grid)
			}
			if b := a.Best(); b != nil && b.Confidence < tt.minConf {
				t.Errorf("%q: confidence %v < %v", tt.q, b.Confidence, tt.minConf)
			}
			for _, cd := range a.Candidates {
				if cd.Confidence < 0 || cd.Confidence > 1 || math.IsNaN(cd.Confidence) {
					t.Errorf("confidence %v out of [0,1]", cd.Confidence)
				}
			}
		})
	}
}

// A compound name that repeats in other streets, given alone, is reported
// as ambiguous with a hint, never answered confidently.
func TestGeocodeAmbiguous(t *testing.T) {
	g := demoGazetteer(t)
	c := g.city
	grids := map[string]map[string]bool{}
	for _, cp := range c.Compounds {
		if grids[cp.Name] == nil {
			grids[cp.Name] = map[string]bool{}
		}
		grids[cp.Name][cp.GridCode] = true
	}
	n := 0
	for name, gs := range grids {
		if len(gs) < 2 {
			continue
		}
		a, err := g.Geocode(name+"1号楼", 5)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != StatusAmbiguous || a.Best().Confidence > AmbiguousCap || !strings.Contains(a.Message, "give the") {
			t.Errorf("%s (in %d grids): %s %v %q", name, len(gs), a.Status, a.Best().Confidence, a.Message)
		}
		if n++; n > 50 {
			break
		}
	}
	if n == 0 {
		t.Fatal("no repeated compound names in the demo city")
	}
}

// House numbers that are no compound's gate are placed along the road.
func TestGeocodeInterpolation(t *testing.T) {
	g := demoGazetteer(t)
	found := 0
	for gi := range g.roads {
		r := &g.city.Roads[g.roads[gi].segs[0]]
		n := r.LeftFrom + 2 // odd, inside the first segment's range
		if _, gate := g.gates[gateKey{int32(gi), int32(n)}]; gate || r.LeftFrom == 0 {
			continue
		}
		pt, ok := g.housePoint(int32(gi), n)
		if !ok {
			t.Fatalf("%s %d: no point", r.Name, n)
		}
		// On the left of the segment's direction: a positive cross product.
		a, b := r.Geom[0], r.Geom[len(r.Geom)-1]
		if cross := (b[0]-a[0])*(pt[1]-a[1]) - (b[1]-a[1])*(pt[0]-a[0]); cross <= 0 {
			t.Errorf("%s %d: point %v not on the left of %v→%v", r.Name, n, pt, a, b)
		}
		loc := g.ix.Locate(pt)
		if loc.Grid < 0 || len(g.keys[g.byName[r.Name]].refs) != 1 {
			continue // outside the core, or a road name that repeats elsewhere
		}
		ans, err := g.Geocode(r.Name+strconv.Itoa(n)+"号", 3)
		if err != nil {
			t.Fatal(err)
		}
		if best := ans.Best(); best == nil || best.Kind != KindHouse || best.GridCode != g.city.Grids[loc.Grid].Code {
			t.Errorf("%s%d号: %s %+v, want an interpolated house in %s", r.Name, n, ans.Status, best, g.city.Grids[loc.Grid].Code)
		}
		found++
		if found > 20 {
			break
		}
	}
	if found == 0 {
		t.Error("no interpolated house number located")
	}
}

func TestGeocodeHostile(t *testing.T) {
	g := demoGazetteer(t)
	for name, in := range hostileInputs {
		t.Run(name, func(t *testing.T) {
			a, err := g.Geocode(in, 5)
			if err != nil {
				if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if a.Status == "" || a.Candidates == nil {
				t.Errorf("answer without status or candidates: %+v", a)
			}
			_ = g.Suggest(in, 10)
		})
	}
	for _, p := range []orb.Point{{math.NaN(), 1}, {1, math.Inf(1)}, {181, 0}, {0, -91}} {
		if _, err := g.Reverse(p); !errors.Is(err, ErrBadPoint) {
			t.Errorf("Reverse(%v): %v, want ErrBadPoint", p, err)
		}
	}
}

func TestReverse(t *testing.T) {
	g := demoGazetteer(t)
	c := g.city
	for i := 0; i < len(c.Buildings); i += 1001 {
		b := &c.Buildings[i]
		r, err := g.Reverse(b.Entrance)
		if err != nil {
			t.Fatal(err)
		}
		if r.BuildingCode != b.Code || r.Address != features.Address(c, b) || r.DistanceM > 1 {
			t.Errorf("reverse at %s: %+v", b.Code, r)
		}
		// The address reads back to the same building.
		a, err := g.Geocode(r.Address, 1)
		if err != nil || a.Best() == nil || a.Best().Code != b.Code {
			t.Errorf("round trip of %q: %+v %v", r.Address, a, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	g := demoGazetteer(t)
	c := g.city
	cp := c.Compounds[10]
	prefix := string([]rune(cp.Name)[:2])
	got := g.Suggest(prefix, 10)
	if len(got) == 0 {
		t.Fatalf("no suggestions for %q", prefix)
	}
	seen := map[string]bool{}
	for _, s := range got {
		if !strings.HasPrefix(s.Text, prefix) {
			t.Errorf("%q does not start with %q", s.Text, prefix)
		}
		if s.Code != "" && seen[string(rune(s.Kind))+s.Code] {
			t.Errorf("%s %s suggested twice", s.Kind, s.Code)
		}
		seen[string(rune(s.Kind))+s.Code] = true
	}
	// After a community, its compounds come first.
	comm := communityName(c.Community(cp.CommunityCode).Name)
	got = g.Suggest(comm+prefix, 3)
	if len(got) == 0 || !strings.HasPrefix(got[0].Text, comm) || !strings.Contains(got[0].Context, comm) {
		t.Errorf("Suggest(%q) = %+v, want the community's compounds first", comm+prefix, got)
	}
	if s := g.Suggest("，。", 5); len(s) != 0 {
		t.Errorf("punctuation: %v", s)
	}
}

// FuzzGeocode runs whole queries, matching and ranking included: any input
// gives an error of its own kind or a well-formed answer.
func FuzzGeocode(f *testing.F) {
	for _, s := range []string{"市中区光明路街道青檀社区幸福小区3号楼2单元", "光明路12号", "幸福小区三号楼", "枣庄市中区青檀路东首 幸福苑3#",
		"香港街社区第1网格红色驿站", "文化陆168号幸福小区", "幸福小去", "3-2-301", "\xff", "", "，。"} {
		f.Add(s)
	}
	g := demoGazetteer(f)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := g.Geocode(s, 5)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Geocode(%q): %v", s, err)
			}
			return
		}
		switch a.Status {
		case StatusOK, StatusAmbiguous:
			if len(a.Candidates) == 0 {
				t.Fatalf("Geocode(%q): %s without candidates", s, a.Status)
			}
		case StatusNotFound:
		default:
			t.Fatalf("Geocode(%q): status %q", s, a.Status)
		}
		for _, c := range a.Candidates {
			if !(c.Confidence >= 0 && c.Confidence <= 1) {
				t.Fatalf("Geocode(%q): confidence %v", s, c.Confidence)
			}
		}
		_ = g.Suggest(s, 5)
	})
}

func TestDistances(t *testing.T) {
	r := func(s string) []rune { return []rune(s) }
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"幸福小区", "幸福小区", 0}, {"幸福小区", "幸富小区", 1}, {"幸福小区", "幸福区", 1}, {"幸福小区", "幸福小小区", 1},
		{"幸福小区", "和谐小区", 2}, {"", "路", 1},
	} {
		if got := editDistance(r(tt.a), r(tt.b), 5); got != tt.want {
			t.Errorf("editDistance(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	for _, tt := range []struct {
		pat, text string
		want      int
	}{
		{"幸福小区", "青檀社区幸福小区3号楼", 0}, {"幸福小区", "青檀社区幸富小区", 1}, {"青檀社区", "青檀社去幸福小区", 1},
		{"幸福小区", strings.Repeat("光", 100) + "幸福小区", 0}, {"幸福小区", "和谐", 4},
	} {
		if got := substringDistance(r(tt.pat), r(tt.text), 3); got != tt.want {
			t.Errorf("substringDistance(%s, %s) = %d, want %d", tt.pat, tt.text, got, tt.want)
		}
	}
}

func TestSuggestWholeAddress(t *testing.T) {
	g := demoGazetteer(t)
	b := &g.city.Buildings[42]
	q := g.city.Compound(b.CompoundCode).Name + strconv.Itoa(b.Number)
	got := g.Suggest(q, 5)
	found := false
	for _, s := range got {
		if s.Code == b.Code {
			found = true
		}
	}
	if !found {
		t.Errorf("Suggest(%q) = %+v, want building %s among them", q, got, b.Code)
	}
}

func TestEmptyCity(t *testing.T) {
	c := &data.City{}
	c.Index()
	ix, err := geo.NewIndex(c)
	if err != nil {
		t.Skipf("no index of an empty city: %v", err)
	}
	g, err := New(c, ix)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := g.Geocode("幸福小区3号楼", 5); err != nil || a.Status != StatusNotFound {
		t.Errorf("empty city: %+v %v", a, err)
	}
	if s := g.Suggest("幸", 5); len(s) != 0 {
		t.Errorf("empty city suggests %v", s)
	}
	if r, err := g.Reverse(orb.Point{117.5, 34.8}); err != nil || r.Address != "" || r.GridCode != "" {
		t.Errorf("empty city reverse: %+v %v", r, err)
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("New(nil, nil) succeeded")
	}
}
