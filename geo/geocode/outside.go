package geocode

import (
	"strings"
	"unicode/utf8"
)

// Refusal outside the city. An address that names a province, prefecture
// or county of the national list that is not this city's, or a district,
// street or town that this city does not have, is answered not_found with
// reason ReasonOutsideCity and never with a grid: a wrong grid sent to a
// dispatcher is worse than none. Names this city has win over the national
// list where they overlap (北京路 is a road here, 市中区 a district here and
// in three other cities), and the province and city of this city
// (山东省枣庄市) are dropped by the normaliser before any of this.

// Reasons of a not_found answer.
const (
	ReasonOutsideCity = "outside_city"       // the address names a place outside this city
	ReasonNoMatch     = "no_match"           // nothing in the address is a known place
	ReasonNoCrossing  = "roads_do_not_cross" // the two roads of an intersection do not cross
	ReasonUnknownRoad = "unknown_road"       // a road of an intersection is not in this city
	ReasonOutsideGrid = "outside_grids"      // the offsets move the point out of every grid
)

// genericAreas end in 区 but name no administrative area (园区, 小区 …).
var genericAreas = []string{"小区", "社区", "园区", "景区", "校区", "厂区", "城区", "市区", "新区", "开发区", "高新区", "工业区", "生活区",
	"住宅区", "商业区", "家属区", "院区", "片区", "矿区", "营区", "东区", "西区", "南区", "北区", "中区", "一区", "二区", "三区", "A区", "B区", "C区"}

func isGenericArea(s string) bool {
	for _, w := range genericAreas {
		if s == w || strings.HasSuffix(s, w) && utf8.RuneCountInString(s) <= utf8.RuneCountInString(w)+1 {
			return true
		}
	}
	return false
}

// localDivision reports whether this city has an area of that name: one of
// its districts (with or without 区/市) or streets.
func (g *Gazetteer) localArea(s string) bool {
	ki, ok := g.byName[s]
	if !ok {
		return false
	}
	for _, r := range g.keys[ki].refs {
		if r.kind == KindDistrict || r.kind == KindStreet {
			return true
		}
	}
	return false
}

// longestLocalAt is the end (bytes) of the longest name of this city that
// starts at byte i of s, or -1.
func (g *Gazetteer) longestLocalAt(s string, i, maxEnd int) int {
	best := -1
	n := 0
	for j := i; j < len(s) && n < 24; {
		_, w := utf8.DecodeRuneInString(s[j:])
		j += w
		n++
		if n >= 2 {
			if _, ok := g.byName[s[i:j]]; ok {
				best = j
			}
		}
		if j >= maxEnd+24 {
			break
		}
	}
	return best
}

// outsideCity checks the address for places outside this city. raw is the
// normalised address with separators; names and ms are its parsed names
// and their local matches. It returns the message of a refusal, or "".
func (g *Gazetteer) outsideCity(raw string, p *Parsed, ms [][]match) string {
	t := divisions()
	// The administrative chain at the start: 广东省广州市天河区…, 广州天河…
	i := 0
	for step := 0; step < 5 && i < len(raw); step++ {
		for i < len(raw) {
			r, w := utf8.DecodeRuneInString(raw[i:])
			if r != sep {
				break
			}
			i += w
		}
		ds, end, short := t.longestAt(raw, i)
		if end < 0 {
			break
		}
		name := raw[i:end]
		if g.localArea(name) {
			i = end
			continue
		}
		if le := g.longestLocalAt(raw, i, end); le > end || (le == end && !short) {
			// This city's own name (北京路, 市中区, 香港街社区) at least as long.
			if le < 0 {
				le = end
			}
			i = le
			continue
		}
		if d, ok := t.firstOutside(ds, g); ok && !g.localTypo(ds, name) {
			return name + " is " + d + ", not in this city"
		}
		i = end
	}
	// Named areas anywhere: districts and streets this city does not have.
	for k, tok := range p.Names {
		if tok.Level != LevelDistrict && tok.Level != LevelStreet {
			continue
		}
		if _, exact := g.byName[tok.Text]; exact && hasArea(ms[k]) {
			continue
		}
		if tok.Level == LevelDistrict && isGenericArea(tok.Text) {
			continue
		}
		// 徐州市 is a prefecture as written, though one edit from 滕州市.
		if ds := t.match(tok.Text, false); len(ds) > 0 {
			if d, ok := t.firstOutside(ds, g); ok && !g.localTypo(ds, tok.Text) {
				return tok.Text + " is " + d + ", not in this city"
			}
			continue
		}
		if len(ms[k]) > 0 && hasArea(ms[k]) {
			continue
		}
		switch {
		case tok.Level == LevelStreet && len(ms[k]) == 0 && utf8.RuneCountInString(strings.TrimRight(tok.Text, "街道镇乡")) >= 2:
			return tok.Text + " is not a street (街道) of this city"
		case tok.Level == LevelDistrict && len(ms[k]) == 0 && utf8.RuneCountInString(tok.Text) >= 3 &&
			(k == 0 || strings.HasSuffix(tok.Text, "县") || strings.HasSuffix(tok.Text, "旗")):
			return tok.Text + " is not a district of this city"
		}
	}
	return ""
}

func hasArea(ms []match) bool {
	for _, m := range ms {
		switch m.kind {
		case KindDistrict, KindStreet, KindCommunity, KindCompound, KindStation, KindRoad, KindPOI:
			return true
		}
	}
	return false
}

// firstOutside returns where the first division of ds lies when none of
// them is in this city.
func (t *divisionTable) firstOutside(ds []int32, g *Gazetteer) (string, bool) {
	for _, di := range ds {
		d := &t.divs[di]
		if g.localArea(d.name) || g.ownDivision(d) {
			return "", false
		}
	}
	if len(ds) == 0 {
		return "", false
	}
	d := &t.divs[ds[0]]
	what := map[int8]string{divProvince: "a province", divPrefecture: "a prefecture", divCounty: "a county-level division", divTown: "a town or sub-district"}[d.level]
	where := d.path
	if len(ds) > 1 {
		where += " and elsewhere"
	}
	return what + " (" + where + ")", true
}

// ownDivision reports whether d is the province or the prefecture this
// city's districts belong to (their codes' first two and four digits).
func (g *Gazetteer) ownDivision(d *division) bool {
	if d.level != divProvince && d.level != divPrefecture || d.code == "" {
		return false
	}
	for _, x := range g.city.Districts {
		if strings.HasPrefix(x.Code, d.code) {
			return true
		}
	}
	return false
}

// localTypo reports whether a town name of the national list (文化街道) is
// one edit from a street of this city (文化路街道): a caller's slip, not
// another city. Counties and larger are taken as written.
func (g *Gazetteer) localTypo(ds []int32, name string) bool {
	t := divisions()
	for _, di := range ds {
		if t.divs[di].level != divTown {
			return false
		}
	}
	for _, m := range g.nearNames([]rune(name), LevelStreet, nil) {
		if m.kind == KindStreet {
			return true
		}
	}
	return false
}
