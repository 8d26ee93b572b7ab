package coverage

import (
	"container/heap"
	"math"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Network is the walkable road graph of a city: nodes where segments meet,
// segments with their length in metres, and an R-tree to snap points onto
// the nearest segment.
type Network struct {
	nodes  []orb.Point
	segs   []segment
	adj    [][]int32 // node → incident segments
	tree   rtree.RTreeG[int32]
	nodeID map[int64]int32
}

type segment struct {
	a, b   int32
	geom   orb.LineString
	length float64
}

// Access is how a point joins the network: the segment it snaps to, the
// distances along that segment to its two end nodes, and the straight walk
// from the point to the segment.
type Access struct {
	Seg      int32
	ToA, ToB float64 // metres along the segment from the snap point to a and b
	Snap     float64 // metres from the point to the snap point
	Along    float64 // metres from a to the snap point
	Snapped  bool
}

// NewNetwork builds the graph of the roads. Segments sharing a node id are
// connected.
func NewNetwork(roads []data.Road) *Network {
	n := &Network{nodeID: make(map[int64]int32, len(roads))}
	node := func(id int64, p orb.Point) int32 {
		if i, ok := n.nodeID[id]; ok {
			return i
		}
		i := int32(len(n.nodes))
		n.nodeID[id] = i
		n.nodes = append(n.nodes, p)
		n.adj = append(n.adj, nil)
		return i
	}
	for _, r := range roads {
		if len(r.Geom) < 2 {
			continue
		}
		a := node(r.FromNode, r.Geom[0])
		b := node(r.ToNode, r.Geom[len(r.Geom)-1])
		length := 0.0
		for i := 1; i < len(r.Geom); i++ {
			length += geo.Distance(r.Geom[i-1], r.Geom[i])
		}
		s := int32(len(n.segs))
		n.segs = append(n.segs, segment{a: a, b: b, geom: r.Geom, length: length})
		n.adj[a] = append(n.adj[a], s)
		n.adj[b] = append(n.adj[b], s)
		bd := r.Geom.Bound()
		n.tree.Insert(bd.Min, bd.Max, s)
	}
	return n
}

// Nodes and Segments count the graph.
func (n *Network) Nodes() int    { return len(n.nodes) }
func (n *Network) Segments() int { return len(n.segs) }

// Snap joins p to the nearest segment within maxM metres.
func (n *Network) Snap(p orb.Point, maxM float64) Access {
	best := Access{Seg: -1, Snap: math.Inf(1)}
	kx, ky := geo.MetresPerDegree(p[1])
	dLon, dLat := maxM/kx, maxM/ky
	n.tree.Search([2]float64{p[0] - dLon, p[1] - dLat}, [2]float64{p[0] + dLon, p[1] + dLat}, func(_, _ [2]float64, s int32) bool {
		sg := &n.segs[s]
		along := 0.0
		for i := 1; i < len(sg.geom); i++ {
			a, b := sg.geom[i-1], sg.geom[i]
			ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
			bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
			dx, dy := bx-ax, by-ay
			l2 := dx*dx + dy*dy
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
			}
			cx, cy := ax+t*dx, ay+t*dy
			d := math.Hypot(cx, cy)
			segLen := math.Sqrt(l2)
			if d < best.Snap {
				best = Access{Seg: s, Snap: d, Along: along + t*segLen, Snapped: true}
			}
			along += segLen
		}
		return true
	})
	if !best.Snapped || best.Snap > maxM {
		return Access{Seg: -1}
	}
	sg := &n.segs[best.Seg]
	// Scale the planar position to the segment's geodesic length.
	total := 0.0
	for i := 1; i < len(sg.geom); i++ {
		a, b := sg.geom[i-1], sg.geom[i]
		total += math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*ky)
	}
	if total > 0 {
		best.Along *= sg.length / total
	}
	best.ToA, best.ToB = best.Along, sg.length-best.Along
	return best
}

// dijkstra holds reusable buffers for bounded shortest-path searches.
type dijkstra struct {
	dist    []float64
	touched []int32
	pq      nodeHeap
	// segMark[s] == stamp marks segment s as visited by the current
	// search's caller (Reach); a new stamp clears every mark at once.
	segMark []uint32
	stamp   uint32
}

// nextStamp starts a new set of segment marks over n segments.
func (d *dijkstra) nextStamp(n int) uint32 {
	if len(d.segMark) != n {
		d.segMark = make([]uint32, n)
		d.stamp = 0
	}
	d.stamp++
	if d.stamp == 0 { // wrapped: clear the old marks
		clear(d.segMark)
		d.stamp = 1
	}
	return d.stamp
}

func newDijkstra(n int) *dijkstra {
	d := &dijkstra{dist: make([]float64, n)}
	for i := range d.dist {
		d.dist[i] = math.Inf(1)
	}
	return d
}

func (d *dijkstra) reset() {
	for _, i := range d.touched {
		d.dist[i] = math.Inf(1)
	}
	d.touched = d.touched[:0]
	d.pq = d.pq[:0]
}

func (d *dijkstra) relax(i int32, v float64) {
	if v < d.dist[i] {
		if math.IsInf(d.dist[i], 1) {
			d.touched = append(d.touched, i)
		}
		d.dist[i] = v
		heap.Push(&d.pq, nodeDist{i, v})
	}
}

// run settles every node within limit metres of the access point; the
// distances stay in d.dist for the nodes in d.touched.
func (d *dijkstra) run(n *Network, from Access, limit float64) {
	d.reset()
	if from.Seg < 0 {
		return
	}
	sg := &n.segs[from.Seg]
	d.relax(sg.a, from.Snap+from.ToA)
	d.relax(sg.b, from.Snap+from.ToB)
	for d.pq.Len() > 0 {
		x := heap.Pop(&d.pq).(nodeDist)
		if x.d > d.dist[x.n] || x.d > limit {
			continue
		}
		for _, s := range n.adj[x.n] {
			e := &n.segs[s]
			o := e.a
			if o == x.n {
				o = e.b
			}
			if v := x.d + e.length; v <= limit {
				d.relax(o, v)
			}
		}
	}
}

// to returns the network distance from the search's origin to an access
// point, given the origin's own access (for the same-segment case).
func (d *dijkstra) to(n *Network, from, to Access) float64 {
	if to.Seg < 0 || from.Seg < 0 {
		return math.Inf(1)
	}
	sg := &n.segs[to.Seg]
	best := math.Min(d.dist[sg.a]+to.ToA, d.dist[sg.b]+to.ToB) + to.Snap
	if from.Seg == to.Seg {
		best = math.Min(best, from.Snap+math.Abs(from.Along-to.Along)+to.Snap)
	}
	return best
}

type nodeDist struct {
	n int32
	d float64
}

type nodeHeap []nodeDist

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(nodeDist)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
