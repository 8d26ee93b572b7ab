package geocode

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
)

// evalCase is one address of the evaluation set with the grid it is in.
type evalCase struct {
	Query     string
	Grid      string // the building's grid
	Ambiguous bool   // the kept levels fit compounds in more than one grid
	Shape     string // which levels were kept, and the corruptions applied
}

// evalSet generates n addresses from the city's buildings, dropping levels,
// reordering them and corrupting them the way callers do (full-width and
// Chinese numerals, unit-word variants, one-character typos, aliases, noise
// words, prefixes, long administrative forms, traditional characters,
// punctuation). A share of them are made ambiguous on purpose: a compound
// name that repeats in other grids with nothing else to tell them apart.
// The label Ambiguous is computed, not assumed: it holds when the levels
// kept, read exactly, fit compounds in more than one grid.
func evalSet(g *Gazetteer, n int, seed uint64) []evalCase {
	c := g.city
	rng := rand.New(rand.NewPCG(seed, 0x9e0c0de))
	// compounds by name (and alias), for the ambiguity labels
	byName := map[string][]int32{}
	for i, cp := range c.Compounds {
		byName[cp.Name] = append(byName[cp.Name], int32(i))
		for _, a := range cp.Aliases {
			byName[a] = append(byName[a], int32(i))
		}
	}
	compIdx := map[string]int32{}
	for i, cp := range c.Compounds {
		compIdx[cp.Code] = int32(i)
	}
	out := make([]evalCase, 0, n)
	for len(out) < n {
		b := &c.Buildings[rng.IntN(len(c.Buildings))]
		ci := compIdx[b.CompoundCode]
		cp := &c.Compounds[ci]
		d, s, m := c.District(b.DistrictCode), c.Street(b.StreetCode), c.Community(b.CommunityCode)
		keepD, keepS, keepC, keepR, keepP := true, true, true, true, true
		var shape []string
		mode := rng.IntN(100)
		switch {
		case mode < 25: // full address, maybe without the district
			keepD = rng.IntN(2) == 0
			shape = append(shape, "full")
		case mode < 45: // community + compound
			keepD, keepS, keepR = rng.IntN(4) == 0, false, false
			shape = append(shape, "community+compound")
		case mode < 65: // road and number + compound
			keepD, keepS, keepC = false, false, false
			shape = append(shape, "road+compound")
		case mode < 75: // road and number only
			keepD, keepS, keepC, keepP = rng.IntN(3) == 0, false, false, false
			shape = append(shape, "road")
		case mode < 85: // street + compound
			keepD, keepC, keepR = false, false, false
			shape = append(shape, "street+compound")
		case mode < 92: // district + community + road
			keepS, keepP = false, false
			shape = append(shape, "community+road")
		default: // compound alone: ambiguous when the name repeats
			keepD, keepS, keepC, keepR = false, false, false, false
			shape = append(shape, "compound")
		}
		// Label: grids whose compounds fit the kept levels exactly.
		compName := cp.Name
		if keepP && len(cp.Aliases) > 0 && rng.IntN(5) == 0 {
			compName = cp.Aliases[0]
			shape = append(shape, "alias")
		}
		grids := map[string]bool{}
		var pool []int32
		if keepP {
			pool = byName[compName]
		} else {
			pool = make([]int32, len(c.Compounds))
			for i := range pool {
				pool[i] = int32(i)
			}
		}
		for _, oi := range pool {
			o := &c.Compounds[oi]
			bs := g.compBuildings[oi]
			if len(bs) == 0 {
				continue
			}
			ob := &c.Buildings[bs[0]]
			// Compare what the text says: names, not codes (two communities
			// may share a name).
			if keepD && c.District(ob.DistrictCode).Name != d.Name || keepS && c.Street(ob.StreetCode).Name != s.Name ||
				keepC && communityName(c.Community(o.CommunityCode).Name) != communityName(m.Name) ||
				keepR && (ob.Road != b.Road || ob.HouseNumber != b.HouseNumber) {
				continue
			}
			grids[o.GridCode] = true
		}
		// A road and number without a compound also fit the same number on
		// a road of the same name elsewhere, placed by interpolation.
		if keepR && !keepP {
			for gi, rg := range g.roads {
				if rg.name != b.Road {
					continue
				}
				pt, ok := g.housePoint(int32(gi), b.HouseNumber)
				if !ok {
					continue
				}
				loc := g.ix.Locate(pt)
				if loc.Grid < 0 {
					continue
				}
				og := &c.Grids[loc.Grid]
				if keepD && c.District(og.DistrictCode).Name != d.Name || keepS && c.Street(og.StreetCode).Name != s.Name ||
					keepC && communityName(c.Community(og.CommunityCode).Name) != communityName(m.Name) {
					continue
				}
				grids[og.Code] = true
			}
		}
		ambiguous := len(grids) > 1
		if !ambiguous && !grids[b.GridCode] {
			continue // cannot happen; keep the set honest anyway
		}

		// Pieces, each a name with its numbers.
		num := func(v int) string { return corruptNumber(rng, v) }
		type piece struct{ text string }
		var pieces []string
		if keepD {
			pieces = append(pieces, d.Name)
		}
		if keepS {
			sn := s.Name
			if rng.IntN(8) == 0 {
				sn = strings.TrimSuffix(sn, "街道") + "街道办事处"
				shape = append(shape, "long-street")
			}
			pieces = append(pieces, sn)
		}
		if keepC {
			cn := communityShortForm(m.Name)
			if rng.IntN(6) == 0 {
				cn = m.Name
				shape = append(shape, "long-community")
			}
			pieces = append(pieces, cn)
		}
		// Words that say near, not where: the grid stays the building's.
		// (对面, 东侧 … move the point: the forms set tests them.)
		noise := []string{"附近", "旁边", "门口", "一带", "周边", "这边"}
		if keepR {
			r := b.Road + num(b.HouseNumber) + "号"
			if rng.IntN(6) == 0 {
				r += noise[rng.IntN(len(noise))]
				shape = append(shape, "noise")
			}
			pieces = append(pieces, r)
		}
		if keepP {
			p := compName
			if rng.IntN(10) < 8 {
				p += num(b.Number) + []string{"号楼", "号楼", "栋", "幢", "座", "#", "号"}[rng.IntN(7)]
				if rng.IntN(3) == 0 {
					p += num(1+rng.IntN(max(1, b.Units))) + "单元"
					if rng.IntN(2) == 0 {
						p += num(100*(1+rng.IntN(max(1, b.Floors)))+1+rng.IntN(2)) + []string{"室", "户", ""}[rng.IntN(3)]
					}
				}
			}
			pieces = append(pieces, p)
		}
		// Corruptions.
		if len(pieces) > 1 && rng.IntN(5) == 0 {
			i := rng.IntN(len(pieces) - 1)
			pieces[i], pieces[i+1] = pieces[i+1], pieces[i]
			shape = append(shape, "swap")
		}
		if rng.IntN(7) == 0 {
			pieces = typo(rng, pieces)
			shape = append(shape, "typo")
		}
		sep := ""
		if rng.IntN(4) == 0 {
			sep = []string{" ", "，", ",", "  ", "、"}[rng.IntN(5)]
			shape = append(shape, "punct")
		}
		q := strings.Join(pieces, sep)
		switch rng.IntN(10) {
		case 0:
			q = "山东省枣庄市" + q
			shape = append(shape, "prefix")
		case 1:
			q = "枣庄市" + q
			shape = append(shape, "prefix")
		}
		if rng.IntN(8) == 0 {
			q += noise[rng.IntN(len(noise))]
			shape = append(shape, "noise")
		}
		if rng.IntN(20) == 0 {
			q = toTraditional(q)
			shape = append(shape, "traditional")
		}
		if rng.IntN(6) == 0 {
			q = toFullWidth(q)
			shape = append(shape, "fullwidth")
		}
		out = append(out, evalCase{Query: q, Grid: b.GridCode, Ambiguous: ambiguous, Shape: strings.Join(shape, ",")})
	}
	return out
}

func communityShortForm(name string) string { return communityName(name) }

// corruptNumber writes v as digits (mostly) or Chinese numerals.
func corruptNumber(rng *rand.Rand, v int) string {
	if rng.IntN(6) == 0 {
		return chineseNumeral(v)
	}
	return strconv.Itoa(v)
}

// chineseNumeral writes v the way it is said: 3 三, 12 十二, 23 二十三, 105
// 一百零五, 302 三百零二.
func chineseNumeral(v int) string {
	digits := []rune("零一二三四五六七八九")
	if v < 0 || v > 9999 {
		return strconv.Itoa(v)
	}
	if v < 10 {
		return string(digits[v])
	}
	units := []rune("千百十")
	vals := []int{1000, 100, 10}
	var sb strings.Builder
	zero := false
	started := false
	for i, u := range vals {
		d := v / u % 10
		if d == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			sb.WriteRune('零')
			zero = false
		}
		if !(u == 10 && d == 1 && !started) {
			sb.WriteRune(digits[d])
		}
		sb.WriteRune(units[i])
		started = true
	}
	if d := v % 10; d > 0 {
		if zero {
			sb.WriteRune('零')
		}
		sb.WriteRune(digits[d])
	}
	return sb.String()
}

var typoPool = []rune("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严")

// typo changes one character of one name piece: a substitution, a deletion
// or a doubled character, never in the numbers.
func typo(rng *rand.Rand, pieces []string) []string {
	for tries := 0; tries < 10; tries++ {
		i := rng.IntN(len(pieces))
		rs := []rune(pieces[i])
		// the name part: up to the first digit or Chinese numeral count
		end := 0
		for end < len(rs) && !isDigit(rs[end]) && rs[end] != '#' && !isCnNumeral(rs[end]) {
			end++
		}
		if end < 4 {
			continue
		}
		j := rng.IntN(end - 1) // keep the last character of the name
		switch rng.IntN(3) {
		case 0:
			rs[j] = typoPool[rng.IntN(len(typoPool))]
		case 1:
			rs = append(rs[:j], rs[j+1:]...)
		default:
			rs = append(rs[:j+1], rs[j:]...)
		}
		out := append([]string(nil), pieces...)
		out[i] = string(rs)
		return out
	}
	return pieces
}

func toFullWidth(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFEE0
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func toTraditional(s string) string {
	rev := map[rune]rune{}
	for t, s := range tradToSimp {
		rev[s] = t
	}
	var sb strings.Builder
	for _, r := range s {
		if t, ok := rev[r]; ok {
			r = t
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// evalReport runs the set and sums up.
type evalReport struct {
	Total, Clear, ClearRight         int
	Confident, ConfidentWrong        int
	Ambig, AmbigReported, AmbigRight int
	AmbigConfident                   int
	NotFound, Errors                 int
	WrongByShape                     map[string]int
	AmbigHints                       map[string]int // what ambiguous answers asked for
	Shapes                           map[string]int // levels kept and corruptions, over the set
	Examples                         []string
}

func runEval(g *Gazetteer, set []evalCase) *evalReport {
	r := &evalReport{WrongByShape: map[string]int{}, AmbigHints: map[string]int{}, Shapes: map[string]int{}}
	for _, ec := range set {
		r.Total++
		for _, s := range strings.Split(ec.Shape, ",") {
			r.Shapes[s]++
		}
		a, err := g.Geocode(ec.Query, 5)
		grid, conf, status := "", 0.0, StatusNotFound
		if err != nil {
			r.Errors++
		} else {
			status = a.Status
			if b := a.Best(); b != nil {
				grid, conf = b.GridCode, b.Confidence
			}
		}
		if status == StatusNotFound {
			r.NotFound++
		}
		if conf >= 0.9 {
			r.Confident++
			if grid != ec.Grid {
				r.ConfidentWrong++
				if len(r.Examples) < 40 {
					r.Examples = append(r.Examples, fmt.Sprintf("CONFIDENT-WRONG %q [%s] want %s got %s %.2f", ec.Query, ec.Shape, ec.Grid, grid, conf))
				}
			}
		}
		if ec.Ambiguous {
			r.Ambig++
			if status == StatusAmbiguous {
				r.AmbigReported++
				hint := a.Message
				if i := strings.LastIndex(hint, "— "); i >= 0 {
					hint = hint[i+len("— "):]
				}
				r.AmbigHints[hint]++
			} else if len(r.Examples) < 80 {
				r.Examples = append(r.Examples, fmt.Sprintf("AMBIGUOUS-ANSWERED %q [%s] want %s got %s %.2f %s", ec.Query, ec.Shape, ec.Grid, grid, conf, status))
			}
			if conf >= 0.9 {
				r.AmbigConfident++
			}
			if grid == ec.Grid {
				r.AmbigRight++
			}
			continue
		}
		r.Clear++
		if grid == ec.Grid {
			r.ClearRight++
		} else {
			for _, s := range strings.Split(ec.Shape, ",") {
				r.WrongByShape[s]++
			}
			if len(r.Examples) < 80 {
				msg := ""
				if a != nil {
					msg = a.Status + " " + a.Message
				}
				r.Examples = append(r.Examples, fmt.Sprintf("WRONG %q [%s] want %s got %s %.2f %s", ec.Query, ec.Shape, ec.Grid, grid, conf, msg))
			}
		}
	}
	return r
}

func (r *evalReport) String() string {
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "addresses:                      %d (%d with one answer, %d ambiguous by construction)\n", r.Total, r.Clear, r.Ambig)
	fmt.Fprintf(&sb, "levels kept and corruptions:    %v\n", r.Shapes)
	fmt.Fprintf(&sb, "top-1 grid accuracy:            %.2f%% (%d/%d of the unambiguous)\n", pct(r.ClearRight, r.Clear), r.ClearRight, r.Clear)
	fmt.Fprintf(&sb, "wrong grid at confidence ≥ 0.9: %.3f%% (%d/%d confident answers)\n", pct(r.ConfidentWrong, r.Confident), r.ConfidentWrong, r.Confident)
	fmt.Fprintf(&sb, "ambiguous inputs:               %d: %.1f%% reported ambiguous, %.2f%% answered with confidence ≥ 0.9, %.1f%% had the right grid first anyway\n",
		r.Ambig, pct(r.AmbigReported, r.Ambig), pct(r.AmbigConfident, r.Ambig), pct(r.AmbigRight, r.Ambig))
	hints := make([]string, 0, len(r.AmbigHints))
	for h := range r.AmbigHints {
		hints = append(hints, h)
	}
	sort.Slice(hints, func(i, j int) bool { return r.AmbigHints[hints[i]] > r.AmbigHints[hints[j]] })
	for _, h := range hints {
		fmt.Fprintf(&sb, "    %5d told: %s\n", r.AmbigHints[h], h)
	}
	fmt.Fprintf(&sb, "not found / errors:             %d / %d\n", r.NotFound, r.Errors)
	if len(r.WrongByShape) > 0 {
		fmt.Fprintf(&sb, "wrong answers by shape:         %v\n", r.WrongByShape)
	}
	return sb.String()
}

var _ = data.LayerGrids
