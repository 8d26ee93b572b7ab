package geocode

import (
	"sort"
	"strings"
)

// Suggestion is one completion of what a caller has typed so far.
type Suggestion struct {
	Text     string `json:"text"` // what to put in the search box
	Kind     Kind   `json:"kind"`
	Name     string `json:"name"`
	Context  string `json:"context,omitempty"` // district, street, community
	GridCode string `json:"grid_code,omitempty"`
	Code     string `json:"code,omitempty"`
}

// Suggest completes a partly typed address: names that begin with the last
// part typed (or with the whole text), the places inside the areas already
// named first, at most limit (10 when limit ≤ 0). It never fails; text that
// normalises to nothing gets no suggestions.
func (g *Gazetteer) Suggest(text string, limit int) []Suggestion {
	if limit <= 0 {
		limit = 10
	}
	if len(text) > MaxQueryBytes {
		return []Suggestion{}
	}
	n := Normalize(text)
	if n == "" {
		return []Suggestion{}
	}
	p := parseNormalized(n)
	head, last := "", n
	var context []match
	if k := len(p.Names); k > 0 && strings.HasSuffix(n, p.Names[k-1].Text) {
		last = p.Names[k-1].Text
		head = strings.TrimSuffix(n, last)
		for _, t := range p.Names[:k-1] {
			if ki, ok := g.byName[t.Text]; ok {
				for _, r := range g.keys[ki].refs {
					context = append(context, match{r.kind, r.id, 1})
				}
			}
		}
	}
	out := g.prefixed(last, head, context, limit)
	if len(out) < limit && head != "" {
		// the whole text may be one name (光明路街道 typed after 光明路)
		out = append(out, g.prefixed(n, "", nil, limit-len(out))...)
	}
	if len(out) == 0 {
		// Nothing starts so: offer what the text as a whole may mean
		// (幸福小区3 → the buildings 3 of the compounds so named).
		if a, err := g.Geocode(text, limit); err == nil {
			for _, c := range a.Candidates {
				out = append(out, Suggestion{Text: c.Address, Kind: c.Kind, Name: c.Name,
					Context: c.District + c.Street + c.Community, GridCode: c.GridCode, Code: c.Code})
			}
		}
	}
	if out == nil {
		out = []Suggestion{}
	}
	return out
}

// prefixed lists names starting with prefix, those inside the context areas
// first, then shorter names and larger places first.
func (g *Gazetteer) prefixed(prefix, head string, context []match, limit int) []Suggestion {
	lo := sort.Search(len(g.sorted), func(i int) bool { return g.keys[g.sorted[i]].text >= prefix })
	type hit struct {
		ki   int32
		ref  nameRef
		rank int
	}
	var hits []hit
	for i := lo; i < len(g.sorted) && len(hits) < 2000; i++ {
		ki := g.sorted[i]
		k := &g.keys[ki]
		if !strings.HasPrefix(k.text, prefix) {
			break
		}
		for _, r := range k.refs {
			rank := len(k.runes)*4 + int(r.kind)
			if r.alias {
				rank += 2
			}
			if len(context) > 0 {
				if g.inContext(r, context) {
					rank -= 1000
				}
			}
			hits = append(hits, hit{ki, r, rank})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].rank < hits[b].rank })
	var out []Suggestion
	type place struct {
		k  Kind
		id int32
	}
	seen := map[place]bool{}
	for _, h := range hits {
		if len(out) >= limit {
			break
		}
		if seen[place{h.ref.kind, h.ref.id}] {
			continue // a compound by its name and its alias
		}
		seen[place{h.ref.kind, h.ref.id}] = true
		s := g.suggestion(h.ref, g.keys[h.ki].text)
		s.Text = head + s.Name
		out = append(out, s)
	}
	return out
}

func (g *Gazetteer) inContext(r nameRef, context []match) bool {
	var comm, street, dist int32 = -1, -1, -1
	switch r.kind {
	case KindCompound:
		comm, street, dist = g.hierarchyOfGrid(g.compGrid[r.id])
	case KindStation:
		comm, street, dist = g.hierarchyOfGrid(g.stationGrid[r.id])
	case KindGrid:
		comm, street, dist = g.hierarchyOfGrid(r.id)
	case KindCommunity:
		comm, street, dist = r.id, g.commStreet[r.id], g.commDist[r.id]
	case KindStreet:
		street, dist = r.id, g.streetDist[r.id]
	}
	for _, x := range context {
		switch {
		case x.kind == KindCommunity && x.id == comm,
			x.kind == KindStreet && x.id == street,
			x.kind == KindDistrict && x.id == dist:
			return true
		}
	}
	return false
}

func (g *Gazetteer) suggestion(r nameRef, name string) Suggestion {
	c := g.city
	s := Suggestion{Kind: r.kind, Name: name}
	ctx := func(gr int32) {
		comm, street, dist := g.hierarchyOfGrid(gr)
		var parts []string
		if dist >= 0 {
			parts = append(parts, c.Districts[dist].Name)
		}
		if street >= 0 {
			parts = append(parts, c.Streets[street].Name)
		}
		if comm >= 0 {
			parts = append(parts, g.commNames[comm])
		}
		s.Context = strings.Join(parts, "")
		if gr >= 0 {
			s.GridCode = c.Grids[gr].Code
		}
	}
	switch r.kind {
	case KindCompound:
		ctx(g.compGrid[r.id])
		s.Code = c.Compounds[r.id].Code
		if r.alias {
			s.Name = c.Compounds[r.id].Name
			s.Context += " (" + name + ")"
		}
	case KindStation:
		ctx(g.stationGrid[r.id])
		s.Code = c.Stations[r.id].Code
	case KindGrid:
		ctx(r.id)
		s.Code = c.Grids[r.id].Code
	case KindCommunity:
		s.Code = c.Communities[r.id].Code
		if st := g.commStreet[r.id]; st >= 0 {
			s.Context = c.Districts[g.streetDist[st]].Name + c.Streets[st].Name
		}
	case KindStreet:
		s.Code = c.Streets[r.id].Code
		if d := g.streetDist[r.id]; d >= 0 {
			s.Context = c.Districts[d].Name
		}
	case KindDistrict:
		s.Code = c.Districts[r.id].Code
		s.Name = c.Districts[r.id].Name
	case KindRoad:
		if r := g.ix.Locate(g.roads[r.id].mid); r.District >= 0 {
			s.Context = c.Districts[r.District].Name
		}
	}
	return s
}
