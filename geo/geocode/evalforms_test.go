package geocode

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
)

// The forms set: addresses the way a hotline takes them — intersections,
// intersections and landmarks with offsets, landmarks with gates, stations
// by their short names, bus stops, and addresses in other cities. The
// truth is computed from the city's records, not from the geocoder: a
// crossing is a node two differently named road segments share, a point
// moved by an offset is moved here by its own arithmetic, and a grid is the
// one the locate index puts the point in.

// Forms of the set, in report order.
const (
	formIntersection       = "intersection"
	formIntersectionOffset = "intersection+offset"
	formLandmark           = "landmark"
	formLandmarkGate       = "landmark+gate"
	formLandmarkOffset     = "landmark+offset"
	formStationShort       = "station short name"
	formBusStop            = "bus stop"
	formOtherCity          = "other city"
)

var formOrder = []string{formIntersection, formIntersectionOffset, formLandmark, formLandmarkGate, formLandmarkOffset, formStationShort, formBusStop, formOtherCity}

type formCase struct {
	Query     string
	Form      string
	Grid      string // "" for other-city cases: the answer must be a refusal
	Ambiguous bool
}

type crossTruth struct {
	a, b string
	pt   orb.Point
	dist string // district code
}

func evalForms(g *Gazetteer, perForm int, seed uint64) []formCase {
	c := g.city
	rng := rand.New(rand.NewPCG(seed, 0xf0f0))
	locate := func(p orb.Point) string {
		r := g.ix.Locate(p)
		switch {
		case r.Grid >= 0:
			return c.Grids[r.Grid].Code
		case r.Nearest >= 0:
			return c.Grids[r.Nearest].Code
		}
		return ""
	}
	// Crossings from the records: nodes shared by roads of two names.
	type end struct{ name, class string }
	nodes := map[int64][]end{}
	nodePt := map[int64]orb.Point{}
	for _, r := range c.Roads {
		nodes[r.FromNode] = append(nodes[r.FromNode], end{r.Name, r.Class})
		nodes[r.ToNode] = append(nodes[r.ToNode], end{r.Name, r.Class})
		nodePt[r.FromNode], nodePt[r.ToNode] = r.Geom[0], r.Geom[len(r.Geom)-1]
	}
	ids := make([]int64, 0, len(nodes))
	for n := range nodes {
		ids = append(ids, n)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	var crosses []crossTruth
	byPair := map[[2]string][]int{}
	for _, n := range ids {
		names := map[string]bool{}
		for _, e := range nodes[n] {
			names[e.name] = true
		}
		if len(names) != 2 {
			continue
		}
		var ab []string
		for nm := range names {
			ab = append(ab, nm)
		}
		sort.Strings(ab)
		pt := nodePt[n]
		r := g.ix.Locate(pt)
		d := ""
		if gi := r.Nearest; gi >= 0 {
			d = c.Grids[gi].DistrictCode
		}
		byPair[[2]string{ab[0], ab[1]}] = append(byPair[[2]string{ab[0], ab[1]}], len(crosses))
		crosses = append(crosses, crossTruth{ab[0], ab[1], pt, d})
	}
	var out []formCase
	conns := []string{"与", "和", "跟", "同", "交", "、", "/", " ", "", "，", "与", "和"}
	ends := []string{"交叉口", "路口", "十字路口", "交汇处", "", "交叉路口", "的路口", "交界处", "口", "交口", "附近", "十字路口附近"}
	offsetText := func(b float64, d int) (string, float64) {
		dirs := map[float64][]string{0: {"北"}, 90: {"东"}, 180: {"南"}, 270: {"西"}, 45: {"东北"}, 135: {"东南"}, 225: {"西南"}, 315: {"西北"}}
		w := dirs[b][0]
		num := strconv.Itoa(d)
		if rng.IntN(5) == 0 {
			num = chineseNumeral(d)
		}
		unit := []string{"米", "米", "m", "米左右", "米处", "多米"}[rng.IntN(6)]
		dist := float64(d)
		if unit == "多米" {
			dist *= 1.1
		}
		switch rng.IntN(8) {
		case 0:
			return "往" + w + num + unit, dist
		case 1:
			return "向" + w + "走" + num + unit, dist
		case 2:
			return w + "侧约" + num + unit, dist
		case 3:
			return "以" + w + num + unit, dist
		case 4:
			return w + "边" + num + unit, dist
		case 5:
			return "往" + w + "大概" + num + unit, dist
		case 6:
			return "，" + w + " " + num + unit, dist
		}
		return "朝" + w + "方向" + num + unit, dist
	}
	districtName := func(code string) string {
		if d := c.District(code); d != nil {
			return d.Name
		}
		return ""
	}
	// Intersections, with and without offsets.
	for n := 0; n < 2*perForm && len(crosses) > 0; n++ {
		x := crosses[rng.IntN(len(crosses))]
		a, b := x.a, x.b
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		pre := ""
		same := byPair[[2]string{x.a, x.b}]
		if rng.IntN(3) == 0 {
			pre = districtName(x.dist)
			var kept []int
			for _, i := range same {
				if crosses[i].dist == x.dist {
					kept = append(kept, i)
				}
			}
			same = kept
		}
		q := pre + a + conns[rng.IntN(len(conns))] + b + ends[rng.IntN(len(ends))]
		pt := x.pt
		form := formIntersection
		if n%2 == 1 {
			form = formIntersectionOffset
			if rng.IntN(4) == 0 {
				corner := []float64{45, 135, 225, 315}[rng.IntN(4)]
				w := map[float64]string{45: "东北角", 135: "东南角", 225: "西南角", 315: "西北角"}[corner]
				q += w
				pt = move(pt, corner, DefaultOffsetM)
			} else {
				bearing := float64(45 * rng.IntN(8))
				txt, d := offsetText(bearing, 30+10*rng.IntN(28))
				q += txt
				pt = move(pt, bearing, d)
			}
		}
		grids := map[string]bool{}
		for _, i := range same {
			p := crosses[i].pt
			if form == formIntersectionOffset {
				p = orb.Point{p[0] + pt[0] - x.pt[0], p[1] + pt[1] - x.pt[1]}
			}
			grids[locate(p)] = true
		}
		out = append(out, formCase{Query: dress(rng, q), Form: form, Grid: locate(pt), Ambiguous: len(grids) > 1})
	}
	// Landmarks: POIs by name, alias or the name without its district,
	// with a gate, with an offset.
	type lmForm struct {
		text string
		pois []int
	}
	forms := map[string][]int{}
	var distNames []string
	for _, d := range c.Districts {
		distNames = append(distNames, d.Name)
	}
	distNames = append(distNames, "枣庄市", "枣庄")
	written := func(p *data.POI) []string {
		ws := append([]string{p.Name}, p.Aliases...)
		for _, d := range distNames {
			if s, ok := strings.CutPrefix(p.Name, d); ok && len([]rune(s)) >= 3 && !strings.HasPrefix(s, "立") {
				ws = append(ws, s)
			}
		}
		return ws
	}
	for i := range c.POIs {
		for _, w := range written(&c.POIs[i]) {
			forms[w] = append(forms[w], i)
		}
	}
	poiGridOf := func(i int) string { return locate(c.POIs[i].Point) }
	for n := 0; n < 3*perForm; n++ {
		i := rng.IntN(len(c.POIs))
		p := &c.POIs[i]
		if p.Kind == data.POIBusStop || strings.HasSuffix(p.Name, "办事处") {
			n--
			continue
		}
		ws := written(p)
		w := ws[rng.IntN(len(ws))]
		same := forms[w]
		q := w
		if dn := districtName(c.Grid(p.GridCode).DistrictCode); rng.IntN(4) == 0 && !strings.HasPrefix(w, dn) && len(forms[dn+w]) == 0 {
			// (市中区 + 妇幼保健院 would name another POI: not this way)
			d := c.Grid(p.GridCode).DistrictCode
			q = districtName(d) + q
			var kept []int
			for _, j := range same {
				if c.Grid(c.POIs[j].GridCode).DistrictCode == d {
					kept = append(kept, j)
				}
			}
			same = kept
		}
		grids := map[string]bool{}
		for _, j := range same {
			grids[poiGridOf(j)] = true
		}
		form, pt, truth := formLandmark, p.Point, poiGridOf(i)
		gate := -1
		switch n % 3 {
		case 1:
			form = formLandmarkGate
			gate = rng.IntN(len(p.Gates))
			gw := p.Gates[gate].Name
			if gate == 0 && rng.IntN(2) == 0 {
				gw = []string{"门口", "正门", "大门", "正门口"}[rng.IntN(4)]
			}
			q += []string{"", "的", " "}[rng.IntN(3)] + gw
		case 2:
			form = formLandmarkOffset
			bearing := float64(45 * rng.IntN(8))
			txt, d := offsetText(bearing, 30+10*rng.IntN(28))
			if rng.IntN(2) == 0 && len(p.Gates) > 0 {
				gate = rng.IntN(len(p.Gates))
				q += p.Gates[gate].Name
				pt = p.Gates[gate].Point
			}
			q += txt
			pt = move(pt, bearing, d)
			truth = locate(pt)
			grids = map[string]bool{}
			for _, j := range same {
				o := c.POIs[j].Point
				if gate >= 0 {
					o = c.POIs[j].Gates[0].Point
					for _, gt := range c.POIs[j].Gates {
						if gt.Name == p.Gates[gate].Name {
							o = gt.Point
						}
					}
				}
				grids[locate(move(o, bearing, d))] = true
			}
		}
		// No 山东省枣庄市 in front: 枣庄市 + 第三中学 names the city's school.
		out = append(out, formCase{Query: dressNoPrefix(rng, q), Form: form, Grid: truth, Ambiguous: len(grids) > 1})
	}
	// Stations by their short names.
	// Stations of one community name, kind and grid number in different
	// grids are ambiguous said short (two 振兴社区 in the city).
	stationKey := func(s *data.Station) string {
		cm := c.Community(s.CommunityCode)
		k := strings.TrimSuffix(communityName(cm.Name), "社区") + s.Kind
		if s.Kind == data.StationGrid {
			k += strconv.Itoa(c.Grid(s.GridCode).Seq)
		}
		return k
	}
	stationGrids := map[string]map[string]bool{}
	for i := range c.Stations {
		k := stationKey(&c.Stations[i])
		if stationGrids[k] == nil {
			stationGrids[k] = map[string]bool{}
		}
		stationGrids[k][c.Stations[i].GridCode] = true
	}
	for n := 0; n < perForm; n++ {
		s := &c.Stations[rng.IntN(len(c.Stations))]
		q := shortStation(rng, s.Name)
		out = append(out, formCase{Query: dress(rng, q), Form: formStationShort, Grid: s.GridCode, Ambiguous: len(stationGrids[stationKey(s)]) > 1})
	}
	// Bus stops.
	var stops []int
	for i, p := range c.POIs {
		if p.Kind == data.POIBusStop {
			stops = append(stops, i)
		}
	}
	for n := 0; n < perForm && len(stops) > 0; n++ {
		p := &c.POIs[stops[rng.IntN(len(stops))]]
		q := strings.TrimSuffix(p.Name, "站") + []string{"站", "公交站", "公交车站", "站台", "站"}[rng.IntN(5)]
		out = append(out, formCase{Query: dress(rng, q), Form: formBusStop, Grid: locate(p.Point)})
	}
	out = append(out, otherCityCases(g, rng, perForm)...)
	return out
}

// shortStation writes a station's name the short ways callers say it.
func shortStation(rng *rand.Rand, name string) string {
	if b, ok := strings.CutSuffix(name, "党群服务中心"); ok {
		stem := strings.TrimSuffix(b, "社区")
		return []string{b + "服务中心", stem + "党群服务中心", b + "党群服务站", b + "的党群服务中心", stem + "社区服务中心", b + "便民服务中心"}[rng.IntN(6)]
	}
	i := strings.Index(name, "社区第")
	j := strings.Index(name, "网格")
	if i < 0 || j < 0 {
		return name
	}
	comm := name[:i]
	num, _ := strconv.Atoi(name[i+len("社区第") : j])
	ns := strconv.Itoa(num)
	if rng.IntN(3) == 0 {
		ns = chineseNumeral(num)
	}
	c2 := []string{comm + "社区", comm}[rng.IntN(2)]
	di := []string{"第", ""}[rng.IntN(2)]
	w := []string{"驿站", "红色驿站", "网格驿站"}[rng.IntN(3)]
	if w == "网格驿站" {
		return c2 + di + ns + "网格驿站"
	}
	return c2 + di + ns + "网格" + w
}

// otherCityCases are addresses in other provinces, prefectures and
// counties, and in this prefecture's towns outside the city's grids,
// written with this city's road and compound names to make refusal hard.
func otherCityCases(g *Gazetteer, rng *rand.Rand, n int) []formCase {
	t := divisions()
	c := g.city
	var provs, prefs, counties, towns []int32
	for i, d := range t.divs {
		switch {
		case d.level == divProvince && d.name != "山东省":
			provs = append(provs, int32(i))
		case d.level == divPrefecture && d.name != "枣庄市":
			prefs = append(prefs, int32(i))
		case d.level == divCounty && !strings.HasPrefix(d.code, "3704") && d.code != "" && !g.localArea(d.name) && !g.localArea(strings.TrimRight(d.name, "区县市")):
			counties = append(counties, int32(i))
		case d.level == divTown && strings.HasPrefix(d.code, "3704"):
			if _, ok := g.byName[Normalize(d.name)]; !ok {
				towns = append(towns, int32(i))
			}
		}
	}
	var out []formCase
	for k := 0; k < n; k++ {
		b := &c.Buildings[rng.IntN(len(c.Buildings))]
		local := b.Road + strconv.Itoa(b.HouseNumber) + "号"
		if rng.IntN(2) == 0 {
			local += c.Compound(b.CompoundCode).Name + strconv.Itoa(b.Number) + "号楼"
		}
		var q string
		switch rng.IntN(6) {
		case 0: // 广东省广州市天河区…
			cty := t.divs[counties[rng.IntN(len(counties))]]
			q = cty.path + local
		case 1: // 广州天河区…
			cty := t.divs[counties[rng.IntN(len(counties))]]
			q = strings.TrimSuffix(pathWithoutProvince(cty.path, cty.name), "") + cty.name + local
		case 2: // 徐州市…
			q = t.divs[prefs[rng.IntN(len(prefs))]].name + local
		case 3: // 江苏省…
			q = t.divs[provs[rng.IntN(len(provs))]].name + local
		case 4: // 朝阳区… (a county alone)
			q = t.divs[counties[rng.IntN(len(counties))]].name + local
		default: // 滕州市龙阳镇… (this prefecture, outside the grids)
			tw := t.divs[towns[rng.IntN(len(towns))]]
			q = strings.TrimPrefix(tw.path, "山东省") + local
		}
		out = append(out, formCase{Query: dress(rng, q), Form: formOtherCity})
	}
	return out
}

// pathWithoutProvince is the prefecture's short name of a county's path
// (广州 for 广东省广州市天河区), or "" for a municipality's district.
func pathWithoutProvince(path, county string) string {
	p := strings.TrimSuffix(path, county)
	for _, s := range provinceSuffixes {
		if i := strings.Index(p, s); i >= 0 {
			p = p[i+len(s):]
			break
		}
	}
	return shortPrefecture(p)
}

func dressNoPrefix(rng *rand.Rand, q string) string {
	if strings.HasPrefix(q, "山东省枣庄市") {
		return q
	}
	if d := dress(rng, q); !strings.HasPrefix(d, "山东省枣庄市") {
		return d
	}
	return q
}

// dress writes a query the ways callers' text arrives: spaces and
// punctuation, full-width characters, traditional characters.
func dress(rng *rand.Rand, q string) string {
	switch rng.IntN(10) {
	case 0:
		q = toFullWidth(q)
	case 1:
		q = toTraditional(q)
	case 2:
		q = strings.ReplaceAll(q, "号", "号 ")
	case 3:
		q = "山东省枣庄市" + q
	}
	if rng.IntN(8) == 0 {
		q += []string{"。", "！", "?", " "}[rng.IntN(4)]
	}
	return q
}

type formRow struct {
	n, clear, right, ambig, ambigTold, confident, confidentWrong, notFound, refused int
}

type formsReport struct {
	rows     map[string]*formRow
	examples []string
}

func runForms(g *Gazetteer, set []formCase) *formsReport {
	r := &formsReport{rows: map[string]*formRow{}}
	for _, f := range formOrder {
		r.rows[f] = &formRow{}
	}
	for _, fc := range set {
		row := r.rows[fc.Form]
		row.n++
		a, err := g.Geocode(fc.Query, 5)
		status, grid, conf, reason := StatusNotFound, "", 0.0, ""
		if err == nil {
			status, reason = a.Status, a.Reason
			if b := a.Best(); b != nil {
				grid, conf = b.GridCode, b.Confidence
			}
		}
		if status == StatusNotFound {
			row.notFound++
		}
		if fc.Form == formOtherCity {
			if status == StatusNotFound && reason == ReasonOutsideCity {
				row.refused++
			} else if len(r.examples) < 60 {
				r.examples = append(r.examples, fmt.Sprintf("NOT-REFUSED %q: %s %s %s %.2f %s", fc.Query, status, reason, grid, conf, msgOf(a)))
			}
			if grid != "" && conf >= 0.9 {
				row.confident++
				row.confidentWrong++
			}
			continue
		}
		if conf >= 0.9 {
			row.confident++
			if grid != fc.Grid {
				row.confidentWrong++
				r.examples = append(r.examples, fmt.Sprintf("CONFIDENT-WRONG %q [%s] want %s got %s %.2f", fc.Query, fc.Form, fc.Grid, grid, conf))
			}
		}
		if fc.Ambiguous {
			row.ambig++
			if status == StatusAmbiguous {
				row.ambigTold++
			}
			continue
		}
		row.clear++
		if grid == fc.Grid {
			row.right++
		} else if len(r.examples) < 60 {
			r.examples = append(r.examples, fmt.Sprintf("WRONG %q [%s] want %s got %s %.2f %s %s", fc.Query, fc.Form, fc.Grid, grid, conf, status, msgOf(a)))
		}
	}
	return r
}

func msgOf(a *Answer) string {
	if a == nil {
		return ""
	}
	return a.Message
}

func (r *formsReport) String() string {
	var sb strings.Builder
	pct := func(a, b int) string {
		if b == 0 {
			return "     -"
		}
		return fmt.Sprintf("%6.2f%%", 100*float64(a)/float64(b))
	}
	fmt.Fprintf(&sb, "%-21s %6s %14s %18s %16s %10s\n", "form", "cases", "right grid", "ambiguous told", "confident wrong", "refused")
	for _, f := range formOrder {
		x := r.rows[f]
		right, refused := pct(x.right, x.clear), "     -"
		if f == formOtherCity {
			right, refused = "     -", pct(x.refused, x.n)
		}
		fmt.Fprintf(&sb, "%-21s %6d %7s %6s %8d/%-5d %8s %10d/%-5d %s\n", f, x.n, right, fmt.Sprintf("(%d)", x.clear), x.ambigTold, x.ambig, "", x.confidentWrong, x.confident, refused)
	}
	return sb.String()
}
