package plan

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

// blockCentre is the centre of block b's cell.
func blockCentre(m *Model, b int32) orb.Point {
	c := m.Blocks[b].Cell
	return orb.Point{(c[0][0] + c[1][0] + c[2][0] + c[3][0]) / 4, (c[0][1] + c[1][1] + c[2][1] + c[3][1]) / 4}
}

// TestSplitAlongLine: a line drawn across a real demo-city grid, between
// two columns of its compounds, splits it into two valid grids; the
// compounds left of the line form the new grid. A line that misses the
// grid, or one with a bad point, is refused and changes nothing.
func TestSplitAlongLine(t *testing.T) {
	m := demoModel(t)
	p := NewPlan(m, nil)
	blocks := p.blocksByGrid()
	// a grid at least two compounds wide (in lattice I)
	g, lo := -1, 0
	for i := range p.Grids {
		if len(blocks[i]) < 4 || m.Communities[m.Blocks[blocks[i][0]].Community].Fixed != "" {
			continue
		}
		i0, i1 := 1<<30, -1<<30
		for _, b := range blocks[i] {
			i0, i1 = min(i0, m.Blocks[b].I), max(i1, m.Blocks[b].I)
		}
		if i1 > i0 {
			g, lo = i, i0
			break
		}
	}
	if g < 0 {
		t.Fatal("no grid two compounds wide")
	}
	// The line runs between column lo and lo+1, through the midpoints of
	// the shared cell edges, from one end of the grid to the other
	// (extended beyond it), south to north in lattice terms.
	var west, east []int32
	for _, b := range blocks[g] {
		if m.Blocks[b].I == lo {
			west = append(west, b)
		} else {
			east = append(east, b)
		}
	}
	var sw, nw orb.Point
	jmin, jmax := 1<<30, -1<<30
	for _, b := range west {
		bl := &m.Blocks[b]
		if bl.J < jmin {
			jmin, sw = bl.J, bl.Cell[1] // SE corner of the southernmost
		}
		if bl.J > jmax {
			jmax, nw = bl.J, bl.Cell[2] // NE corner of the northernmost
		}
	}
	dir := orb.Point{nw[0] - sw[0], nw[1] - sw[1]}
	line := [][2]float64{{sw[0] - 0.2*dir[0], sw[1] - 0.2*dir[1]}, {nw[0] + 0.2*dir[0], nw[1] + 0.2*dir[1]}}
	code := p.Grids[g].Code
	res, err := p.ApplyEdit(Edit{Kind: EditSplit, Grid: code, Line: line})
	if err != nil {
		t.Fatalf("split of %s along %v: %v", code, line, err)
	}
	if len(res.Created) != 1 {
		t.Fatalf("created %v", res.Created)
	}
	ng := len(p.Grids) - 1
	for _, b := range west {
		if int(p.Assign[b]) != ng {
			t.Errorf("compound %s (west of the line) stayed in %s", m.Blocks[b].Compound, code)
		}
	}
	for _, b := range east {
		if int(p.Assign[b]) != g {
			t.Errorf("compound %s (east of the line) left %s", m.Blocks[b].Compound, code)
		}
	}
	validateWhole(t, p)

	// Refusals leave the plan as it was.
	n := len(p.Edits)
	far := blockCentre(m, east[0])
	for _, tt := range []struct {
		name string
		line [][2]float64
	}{
		{"misses the grid", [][2]float64{{far[0] + 1, far[1]}, {far[0] + 1, far[1] + 0.01}}},
		{"one point", [][2]float64{{far[0], far[1]}}},
		{"not lon/lat", [][2]float64{{far[0], 200}, {far[0], far[1]}}},
	} {
		_, err := p.ApplyEdit(Edit{Kind: EditSplit, Grid: code, Line: tt.line})
		var r *Refusal
		if !errors.As(err, &r) || r.Reason != ReasonBadEdit {
			t.Errorf("%s: %v, want a bad_edit refusal", tt.name, err)
		}
	}
	if len(p.Edits) != n {
		t.Error("a refused split changed the plan")
	}
}

// TestMoveByBuilding: naming a building moves its compound.
func TestMoveByBuilding(t *testing.T) {
	m := demoModel(t)
	p := NewPlan(m, nil)
	_, grids := pickCommunity(t, p, 3)
	for _, pr := range neighbours(p, grids) {
		b, ok := movable(p, pr[0], pr[1])
		if !ok {
			continue
		}
		cp := m.Blocks[b].Compound
		var bld string
		for _, x := range m.City.Buildings {
			if x.CompoundCode == cp {
				bld = x.Code
				break
			}
		}
		res, err := p.ApplyEdit(Edit{Kind: EditMove, Buildings: []string{bld}, To: p.Grids[pr[1]].Code})
		if err != nil {
			t.Fatal(err)
		}
		if int(p.Assign[b]) != pr[1] || res.Moved != m.Blocks[b].Households {
			t.Errorf("building %s: compound %s in grid %d, moved %d households", bld, cp, p.Assign[b], res.Moved)
		}
		if _, err := p.ApplyEdit(Edit{Kind: EditMove, Buildings: []string{"nope"}, To: p.Grids[pr[0]].Code}); err == nil {
			t.Error("an unknown building was accepted")
		}
		validateWhole(t, p)
		return
	}
	t.Fatal("no movable compound")
}
