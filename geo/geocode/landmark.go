package geocode

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Landmarks: POIs and stations, found by their names (and the short forms
// callers use) anywhere in the address, before it is cut into levels, so
// 光明路小学 is a school and not 光明路 followed by 小学.

// addLandmarks registers the names of the POIs and stations and the
// everyday short forms derived from them.
func (g *Gazetteer) addLandmarks() {
	c := g.city
	var districtNames []string
	for _, d := range c.Districts {
		districtNames = append(districtNames, Normalize(d.Name))
	}
	g.poiGrid = make([]int32, len(c.POIs))
	g.poiShadowed = make([]bool, len(c.POIs))
	gridIdx := make(map[string]int32, len(c.Grids))
	for i, gr := range c.Grids {
		gridIdx[gr.Code] = int32(i)
	}
	for i := range c.POIs {
		p := &c.POIs[i]
		// The grid the POI stands in, by its point; its recorded grid when
		// the point is outside every grid.
		g.poiGrid[i] = -1
		if r := g.ix.Locate(p.Point); r.Grid >= 0 {
			g.poiGrid[i] = int32(r.Grid)
		} else if gi, ok := gridIdx[p.GridCode]; ok {
			g.poiGrid[i] = gi
		}
		if ki, ok := g.byName[Normalize(p.Name)]; ok {
			for _, r := range g.keys[ki].refs {
				if r.kind == KindStreet || r.kind == KindDistrict || r.kind == KindCommunity {
					g.poiShadowed[i] = true
				}
			}
		}
		names := append([]string{p.Name}, p.Aliases...)
		seen := map[string]bool{}
		for k, n := range names {
			for _, a := range append([]string{Normalize(n)}, poiAliases(Normalize(n), districtNames)...) {
				if a == "" || seen[a] || utf8.RuneCountInString(a) < 2 {
					continue
				}
				seen[a] = true
				g.addLandmarkName(a, KindPOI, i, k > 0 || a != Normalize(p.Name))
			}
		}
	}
	for i := range c.Stations {
		n := Normalize(c.Stations[i].Name)
		g.lmLast.add(last([]rune(n)))
		for _, a := range stationAliases(n) {
			if g.onlyKind(a, KindStation) {
				g.addLandmarkName(a, KindStation, i, true)
			}
		}
	}
}

func (g *Gazetteer) addLandmarkName(n string, k Kind, id int, alias bool) {
	g.addName(n, k, id, alias)
	rs := []rune(n)
	g.lmLast.add(rs[len(rs)-1])
	if len(rs) > g.lmMaxRunes {
		g.lmMaxRunes = len(rs)
	}
}

var (
	reMiddleSchool = regexp.MustCompile(`^(.*)第(\d+)中学$`)
	suffixSwaps    = [][2]string{
		{"中医医院", "中医院"}, {"人民政府", "政府"}, {"农贸市场", "菜市场"}, {"农贸市场", "市场"}, {"妇幼保健院", "妇幼"},
		{"社区卫生服务中心", "卫生服务中心"}, {"社区卫生服务中心", "社区医院"}, {"街道办事处", "街道办"},
		{"口站", "口公交站"}, {"口站", "口公交车站"}, {"口站", "口站台"}, {"口站", "口车站"},
	}
)

// poiAliases derives the short forms of a normalised POI name: without
// the district in front (市中区人民医院 → 人民医院), 中医院 for 中医医院,
// 政府 for 人民政府, 八中 for 第八中学, 公交站 for a stop's 站.
func poiAliases(n string, districts []string) []string {
	var out []string
	base := []string{n}
	for _, d := range districts {
		if strings.HasPrefix(n, d) && utf8.RuneCountInString(n)-utf8.RuneCountInString(d) >= 2 {
			base = append(base, strings.TrimPrefix(n, d))
		}
		if st := strings.TrimRight(d, "区市县"); st != d && utf8.RuneCountInString(st) >= 2 && strings.HasPrefix(n, st) && !strings.HasPrefix(n, d) {
			base = append(base, strings.TrimPrefix(n, st))
		}
	}
	if strings.HasPrefix(n, "市第") {
		base = append(base, strings.TrimPrefix(n, "市"))
	}
	for _, b := range base {
		out = append(out, b)
		for _, s := range suffixSwaps {
			if strings.HasSuffix(b, s[0]) {
				out = append(out, strings.TrimSuffix(b, s[0])+s[1])
			}
		}
		if m := reMiddleSchool.FindStringSubmatch(b); m != nil {
			if v, err := strconv.Atoi(m[2]); err == nil {
				out = append(out, m[1]+chineseNumber(v)+"中", m[1]+m[2]+"中")
			}
		}
	}
	return out[1:]
}

var reGridStation = regexp.MustCompile(`^(.*?)(社区)?(第)?(\d+)网格(红色驿站|驿站|党群驿站)$`)

// stationAliases derives the short forms of a normalised station name:
// 荆善社区服务中心 and 荆善党群服务中心 for 荆善社区党群服务中心; 薛庄社区3网格驿站,
// 薛庄3网格驿站, 薛庄社区第3网格驿站 … for 薛庄社区第3网格红色驿站.
func stationAliases(n string) []string {
	var out []string
	if b, ok := strings.CutSuffix(n, "党群服务中心"); ok && b != "" {
		stems := []string{b}
		if s, ok := strings.CutSuffix(b, "社区"); ok && utf8.RuneCountInString(s) >= 2 {
			stems = append(stems, s)
		}
		for _, s := range stems {
			for _, w := range []string{"党群服务中心", "服务中心", "党群服务站", "便民服务中心", "社区服务中心", "党群中心"} {
				if s+w != n {
					out = append(out, s+w)
				}
			}
		}
		return out
	}
	if m := reGridStation.FindStringSubmatch(n); m != nil && m[1] != "" {
		for _, comm := range []string{m[1] + "社区", m[1]} {
			for _, di := range []string{"第", ""} {
				for _, w := range []string{"红色驿站", "驿站", "党群驿站", "网格驿站", "红色网格驿站"} {
					word := "网格" + w
					if w == "网格驿站" || w == "红色网格驿站" {
						word = "网格" + strings.TrimPrefix(w, "网格")
						word = strings.Replace(word, "红色网格", "红色", 1)
					}
					a := comm + di + m[4] + word
					if a != n {
						out = append(out, a)
					}
				}
			}
		}
	}
	return out
}

// landmarkSpan is a landmark name found in an address: the byte range of
// the name in the text and the places it names.
type landmarkSpan struct {
	start, end int // bytes
	refs       []match
	shadowed   bool // the name is also an area's
}

// findLandmark finds the longest POI or station name in s (normalised,
// without separators), exactly or, failing that, one edit away.
//
// A name that is also an area's (光明路街道办事处 normalises to the street's
// name) is the landmark only when it ends the place part of the address
// and a gate or an offset follows (光明路街道办事处东门): otherwise it is the
// area.
func (g *Gazetteer) findLandmark(s string, tail bool) (landmarkSpan, bool) {
	if g.lmLast.empty() {
		return landmarkSpan{}, false
	}
	var pos [130]int // rune starts
	n := 0
	for i := range s {
		if n >= len(pos)-1 {
			return landmarkSpan{}, false
		}
		pos[n] = i
		n++
	}
	pos[n] = len(s)
	best := landmarkSpan{start: -1}
	bestLen := 0
	for e := 1; e <= n; e++ {
		r, _ := utf8.DecodeLastRuneInString(s[:pos[e]])
		if !g.lmLast.has(r) {
			continue
		}
		for st := max(0, e-g.lmMaxRunes); st <= e-2; st++ {
			if e-st <= bestLen {
				break
			}
			ki, ok := g.byName[s[pos[st]:pos[e]]]
			if !ok {
				continue
			}
			var refs []match
			shadowed := false
			for _, ref := range g.keys[ki].refs {
				if ref.kind == KindStreet || ref.kind == KindDistrict || ref.kind == KindCommunity {
					shadowed = true
				}
			}
			if shadowed && !(tail && pos[e] == len(s)) {
				continue
			}
			for _, ref := range g.keys[ki].refs {
				if ref.kind == KindPOI || ref.kind == KindStation {
					sim := 1.0
					if ref.alias {
						sim = 0.97
					}
					refs = append(refs, match{ref.kind, ref.id, sim})
				}
			}
			if len(refs) > 0 {
				best, bestLen = landmarkSpan{pos[st], pos[e], refs, shadowed}, e-st
				break
			}
		}
	}
	if best.start >= 0 {
		return best, true
	}
	// One edit away: spans of four to ten characters ending at a landmark
	// word's last character.
	// Only a name that ends the place part, and never an area's name.
	rs := []rune(s)
	if e := len(rs); e >= 4 && g.lmLast.has(rs[e-1]) {
		for l := min(10, e); l >= 4; l-- {
			var ms []match
			for _, m := range g.nearNames(rs[e-l:e], LevelUnknown, nil) {
				if m.kind == KindPOI && !g.poiShadowed[m.id] || m.kind == KindStation {
					ms = append(ms, m)
				}
			}
			if len(ms) > 0 {
				return landmarkSpan{len(string(rs[:e-l])), len(string(rs[:e])), ms, false}, true
			}
		}
	}
	return landmarkSpan{}, false
}

// poiGate is the point of the gate named (东门, 正门, 门口 …) of POI i, and
// whether the POI has that gate on record.
func (g *Gazetteer) poiGate(i int32, gate string) (orb.Point, string, bool) {
	p := &g.city.POIs[i]
	if len(p.Gates) == 0 {
		return p.Point, "", gate == "" || gate == "门口"
	}
	switch gate {
	case "", "门口", "正门", "大门", "正大门", "主门", "前门":
		return p.Gates[0].Point, p.Gates[0].Name, true
	case "后门":
		// the gate farthest from the main one
		best, bd := 0, -1.0
		for k, gt := range p.Gates {
			if d := planarDist(gt.Point, p.Gates[0].Point); d > bd {
				best, bd = k, d
			}
		}
		return p.Gates[best].Point, p.Gates[best].Name, best != 0
	case "侧门", "小门":
		if len(p.Gates) > 1 {
			return p.Gates[1].Point, p.Gates[1].Name, true
		}
		return p.Gates[0].Point, p.Gates[0].Name, false
	}
	want := strings.Replace(strings.Replace(gate, "大门", "门", 1), "侧门", "门", 1)
	for _, gt := range p.Gates {
		if Normalize(gt.Name) == want {
			return gt.Point, gt.Name, true
		}
	}
	// No such gate on record: that side of the plot, or the main gate.
	if b, _, ok := dirAt([]rune(want), 0); ok && len(p.Geom) > 0 {
		return outlinePoint(p.Geom, b, gateInset), "", false
	}
	return p.Gates[0].Point, p.Gates[0].Name, false
}

func planarDist(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

// onlyKind reports whether the name is free or names places of kind k only.
func (g *Gazetteer) onlyKind(n string, k Kind) bool {
	ki, ok := g.byName[n]
	if !ok {
		return true
	}
	for _, r := range g.keys[ki].refs {
		if r.kind != k {
			return false
		}
	}
	return true
}

// runeSet is a set of characters of the Basic Multilingual Plane.
type runeSet struct{ bits []uint64 }

func (s *runeSet) add(r rune) {
	if r < 0 || r > 0xFFFF {
		return
	}
	if s.bits == nil {
		s.bits = make([]uint64, 1024)
	}
	s.bits[r>>6] |= 1 << (r & 63)
}

func (s *runeSet) has(r rune) bool {
	return s.bits != nil && r >= 0 && r <= 0xFFFF && s.bits[r>>6]&(1<<(r&63)) != 0
}

func (s *runeSet) empty() bool { return s.bits == nil }
