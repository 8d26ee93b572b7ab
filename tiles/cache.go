package tiles

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Encoded is one rendered tile ready to serve: the MVT bytes, their gzip
// form and a strong ETag for each. An empty tile has no bytes.
type Encoded struct {
	Raw      []byte
	Gzip     []byte
	ETag     string // of Raw
	GzipETag string // of Gzip
	// The ETags as header values, so serving a tile allocates no header.
	ETagValue, GzipETagValue []string
}

// GzipLevel is the compression of served tiles: the fastest, as a cold
// tile's gzip otherwise costs more than rendering it, for tiles about 15%
// larger than at the default level.
const GzipLevel = gzip.BestSpeed

// gzipWriters are reused: a deflate writer holds about 800 KB of state,
// which a cold tile list would otherwise allocate per tile and collect.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, GzipLevel)
	return zw
}}

// Encode gzips raw and computes the ETags, which hash the bytes and the
// version (the city's), so a new city never revalidates an old tile.
func Encode(raw []byte, version string) (*Encoded, error) {
	e := &Encoded{Raw: raw}
	if len(raw) > 0 {
		var buf bytes.Buffer
		buf.Grow(len(raw)/2 + 64)
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, err := zw.Write(raw)
		if err == nil {
			err = zw.Close()
		}
		zw.Reset(io.Discard)
		gzipWriters.Put(zw)
		if err != nil {
			return nil, err
		}
		e.Gzip = buf.Bytes()
	}
	sum := sha256.Sum256(raw)
	tag := hex.EncodeToString(sum[:12]) + "-" + version
	e.ETag = `"` + tag + `"`
	e.GzipETag = `"` + tag + `-gz"`
	e.ETagValue, e.GzipETagValue = []string{e.ETag}[:1:1], []string{e.GzipETag}[:1:1]
	return e, nil
}

// Cache is an LRU of encoded tiles bounded by bytes. The zero value is not
// usable; make one with NewCache. It is safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	max      int64
	size     int64
	ll       *list.List
	items    map[maptile.Tile]*list.Element
	hits     int64
	misses   int64
	inflight map[maptile.Tile]*call
}

type cacheEntry struct {
	key maptile.Tile
	val *Encoded
}

type call struct {
	done chan struct{}
	val  *Encoded
	err  error
}

// NewCache makes a cache holding up to maxBytes of tile bytes.
func NewCache(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, ll: list.New(), items: map[maptile.Tile]*list.Element{}, inflight: map[maptile.Tile]*call{}}
}

func entrySize(e *Encoded) int64 { return int64(len(e.Raw)+len(e.Gzip)) + 128 }

// Get returns the cached tile, if any, and marks it recently used.
func (c *Cache) Get(k maptile.Tile) (*Encoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		c.hits++
		return el.Value.(*cacheEntry).val, true
	}
	c.misses++
	return nil, false
}

// Add stores a tile, evicting the least recently used beyond the budget.
func (c *Cache) Add(k maptile.Tile, v *Encoded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(k, v)
}

func (c *Cache) add(k maptile.Tile, v *Encoded) {
	if el, ok := c.items[k]; ok {
		c.size -= entrySize(el.Value.(*cacheEntry).val)
		el.Value.(*cacheEntry).val = v
		c.size += entrySize(v)
		c.ll.MoveToFront(el)
	} else {
		c.items[k] = c.ll.PushFront(&cacheEntry{k, v})
		c.size += entrySize(v)
	}
	for c.size > c.max && c.ll.Len() > 0 {
		el := c.ll.Back()
		c.remove(el)
	}
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.ll.Remove(el)
	delete(c.items, e.key)
	c.size -= entrySize(e.val)
}

// GetOrRender returns the cached tile or renders it once with render, even
// when many callers ask for the same missing tile at the same time.
func (c *Cache) GetOrRender(k maptile.Tile, render func() (*Encoded, error)) (*Encoded, error) {
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		c.hits++
		c.mu.Unlock()
		return el.Value.(*cacheEntry).val, nil
	}
	c.misses++
	if cl, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.val, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[k] = cl
	c.mu.Unlock()

	func() {
		defer func() {
			if v := recover(); v != nil {
				cl.err = &renderPanic{v}
			}
		}()
		cl.val, cl.err = render()
	}()

	c.mu.Lock()
	delete(c.inflight, k)
	if cl.err == nil {
		c.add(k, cl.val)
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.val, cl.err
}

type renderPanic struct{ v any }

func (p *renderPanic) Error() string { return "tiles: render panicked" }

// Invalidate drops every cached tile, at every zoom, whose area with its
// buffer intersects the lon/lat bound b, and returns how many it dropped.
func (c *Cache) Invalidate(b orb.Bound) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, el := range c.items {
		if tileTouches(k, b) {
			c.remove(el)
			n++
		}
	}
	return n
}

// tileTouches reports whether tile k with its buffer intersects b.
func tileTouches(k maptile.Tile, b orb.Bound) bool {
	lo, hi := project(orb.Point{b.Min[0], b.Max[1]}), project(orb.Point{b.Max[0], b.Min[1]})
	n := float64(uint64(1) << k.Z)
	pad := float64(Buffer) / Extent
	x0, y0 := float64(k.X)-pad, float64(k.Y)-pad
	x1, y1 := float64(k.X+1)+pad, float64(k.Y+1)+pad
	return lo[0]*n <= x1 && hi[0]*n >= x0 && lo[1]*n <= y1 && hi[1]*n >= y0
}

// Len returns the number of cached tiles.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// Stats returns the bytes held, hits and misses.
func (c *Cache) Stats() (bytes, hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, c.hits, c.misses
}
