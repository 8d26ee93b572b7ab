package geo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/paulmach/orb"
	"github.com/tidwall/gjson"
)

// CSVHeader is the header line LocateCSV writes.
const CSVHeader = "id,grid_code,community_code,street_code,district_code,match,distance_m"

// MatchError marks a batch row or feature that could not be read.
const MatchError = "error"

// BatchOptions tune LocateCSV and LocateGeoJSON. The zero value reads WGS84
// with one worker per core and the index's MaxDistance.
type BatchOptions struct {
	// CRS of the input: "" or "wgs84", or "gcj02" (converted to WGS84
	// before locating; output codes are unaffected).
	CRS string
	// MaxDistance overrides the index's reach for "nearest" answers in
	// metres when non-zero; negative turns nearest answers off.
	MaxDistance float64
	// Workers locating rows in parallel; 0 means GOMAXPROCS.
	Workers int
	// Errors, when set, receives one line per malformed row or feature,
	// "line N: reason" (CSV, N counting from 1 with the header) or
	// "feature N: reason" (GeoJSON, N counting from 1), in input order.
	Errors io.Writer
	// ChunkBytes is the size of the pieces of input handed to workers
	// (default 256 KiB).
	ChunkBytes int
}

// BatchStats counts the answers of a batch.
type BatchStats struct {
	Rows    int64 // rows or features read (blank lines and the header excluded)
	Inside  int64
	Nearest int64
	None    int64
	Errors  int64 // malformed rows or features
}

func (s *BatchStats) add(o *BatchStats) {
	s.Rows += o.Rows
	s.Inside += o.Inside
	s.Nearest += o.Nearest
	s.None += o.None
	s.Errors += o.Errors
}

func (o *BatchOptions) crs() (gcj bool, err error) {
	switch strings.ToLower(o.CRS) {
	case "", "wgs84", "epsg:4326", "crs84":
		return false, nil
	case "gcj02", "gcj-02":
		return true, nil
	}
	return false, fmt.Errorf("geo: unknown crs %q (want wgs84 or gcj02)", o.CRS)
}

// LocateCSV reads CSV rows "id,lon,lat" from r and writes
// "id,grid_code,community_code,street_code,district_code,match,distance_m"
// to w, one row per input row and in input order, after a header line. An
// input header (a first line whose second and third fields name longitude
// and latitude, such as "id,lon,lat") is skipped; blank lines are skipped.
//
// Rows are located in parallel, in chunks, by opt.Workers goroutines. For
// match "inside" the codes are those of the grid's record; for "nearest"
// grid_code is the nearest grid (within reach, never containing the point)
// and distance_m its distance in metres, and the other codes name the
// outlines that contain the point, if any; for "none" only those outline
// codes are given. distance_m is "0" inside and empty for "none".
//
// A malformed row (wrong number of fields, a coordinate that is not a
// finite number in range) does not stop the batch: it is written as
// "id,,,,,error," and, when opt.Errors is set, reported there as
// "line N: reason". LocateCSV stops at the first read or write error, or
// when ctx is done, and returns it with the counts so far.
func LocateCSV(ctx context.Context, r io.Reader, w io.Writer, ix *Index, opt BatchOptions) (BatchStats, error) {
	var total BatchStats
	gcj, err := opt.crs()
	if err != nil {
		return total, err
	}
	if ix == nil {
		return total, errors.New("geo: nil index")
	}
	maxM := ix.MaxDistance
	if opt.MaxDistance != 0 {
		maxM = opt.MaxDistance
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunkSize := opt.ChunkBytes
	if chunkSize <= 0 {
		chunkSize = 256 << 10
	}
	codes := ix.csvCodes()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type chunk struct {
		seq   int
		line  int // line number of the first line in in
		in    []byte
		out   []byte
		errs  []byte
		stats BatchStats
	}
	var pool sync.Pool
	get := func() *chunk {
		if c, ok := pool.Get().(*chunk); ok {
			return c
		}
		return &chunk{in: make([]byte, 0, chunkSize+1024), out: make([]byte, 0, chunkSize*2)}
	}
	inflight := make(chan struct{}, 4*workers) // bounds the chunks in memory
	work := make(chan *chunk, workers)
	done := make(chan *chunk, 4*workers)

	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.out, c.errs, c.stats = c.out[:0], c.errs[:0], BatchStats{}
				locateCSVChunk(c.in, c.line, ix, codes, gcj, maxM, &c.out, &c.errs, &c.stats)
				done <- c
			}
		}()
	}

	// The writer puts chunks back in order.
	var writeErr atomic.Pointer[error]
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		err := writeOrdered(w, CSVHeader+"\n", "", done, opt.Errors, inflight, func(c *chunk) (int, []byte, []byte, *BatchStats) {
			return c.seq, c.out, c.errs, &c.stats
		}, func(c *chunk) { pool.Put(c) }, &total, cancel)
		if err != nil {
			writeErr.Store(&err)
		}
	}()

	readErr := func() error {
		br := bufio.NewReaderSize(r, 64<<10)
		line, seq := 1, 0
		// Skip a header line.
		if b, _ := br.Peek(4096); len(b) > 0 {
			if nl := bytes.IndexByte(b, '\n'); nl >= 0 && isCSVHeader(b[:nl+1]) {
				br.Discard(nl + 1)
				line++
			} else if nl < 0 && len(b) < 4096 && isCSVHeader(b) {
				br.Discard(len(b))
				line++
			}
		}
		for eof := false; !eof; {
			c := get()
			c.in = c.in[:0]
			// Whole lines, at least chunkSize bytes unless the input ends.
			for len(c.in) < chunkSize || c.in[len(c.in)-1] != '\n' {
				b, err := br.ReadSlice('\n')
				c.in = append(c.in, b...)
				if err == nil || errors.Is(err, bufio.ErrBufferFull) {
					continue
				}
				if err == io.EOF {
					eof = true
					break
				}
				return err
			}
			if len(c.in) == 0 {
				pool.Put(c)
				break
			}
			if c.in[len(c.in)-1] != '\n' {
				c.in = append(c.in, '\n')
			}
			c.seq, c.line = seq, line
			line += bytes.Count(c.in, []byte{'\n'})
			seq++
			select {
			case inflight <- struct{}{}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			work <- c
		}
		return nil
	}()
	close(work)
	wg.Wait()
	close(done)
	<-writerDone
	if p := writeErr.Load(); p != nil {
		return total, *p
	}
	if readErr != nil {
		return total, readErr
	}
	return total, ctx.Err()
}

// isCSVHeader reports whether a first line is a header naming longitude
// and latitude in its second and third fields.
func isCSVHeader(b []byte) bool {
	f := strings.Split(strings.TrimRight(string(b), "\r\n"), ",")
	if len(f) != 3 {
		return false
	}
	name := func(s string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(s), `"`)) }
	switch name(f[1]) {
	case "lon", "lng", "long", "longitude", "x":
	default:
		return false
	}
	switch name(f[2]) {
	case "lat", "latitude", "y":
		return true
	}
	return false
}

// csvCodes returns, per grid, "grid,community,street,district" from the
// grid's record, built once per index.
func (ix *Index) csvCodes() *gridCodes {
	ix.codesOnce.Do(func() {
		gc := &gridCodes{off: make([]int32, len(ix.city.Grids)+1)}
		for i := range ix.city.Grids {
			g := &ix.city.Grids[i]
			gc.buf = appendCSVField(gc.buf, g.Code)
			gc.buf = append(gc.buf, ',')
			gc.buf = appendCSVField(gc.buf, g.CommunityCode)
			gc.buf = append(gc.buf, ',')
			gc.buf = appendCSVField(gc.buf, g.StreetCode)
			gc.buf = append(gc.buf, ',')
			gc.buf = appendCSVField(gc.buf, g.DistrictCode)
			gc.off[i+1] = int32(len(gc.buf))
		}
		ix.codes = gc
	})
	return ix.codes
}

type gridCodes struct {
	buf []byte
	off []int32
}

func (g *gridCodes) of(i int) []byte { return g.buf[g.off[i]:g.off[i+1]] }

func appendCSVField[S string | []byte](b []byte, s S) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\r' || c == '\n' {
			plain = false
			break
		}
	}
	if plain {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// locateCSVChunk locates the whole lines of in, the first being line number
// line, appending output rows to out and error lines to errs.
func locateCSVChunk(in []byte, line int, ix *Index, codes *gridCodes, gcj bool, maxM float64, out, errs *[]byte, st *BatchStats) {
	o := *out
	for len(in) > 0 {
		nl := bytes.IndexByte(in, '\n')
		var row []byte
		if nl < 0 {
			row, in = in, nil
		} else {
			row, in = in[:nl], in[nl+1:]
		}
		if len(row) > 0 && row[len(row)-1] == '\r' {
			row = row[:len(row)-1]
		}
		if len(bytes.TrimSpace(row)) == 0 {
			line++
			continue
		}
		st.Rows++
		id, p, msg := parseCSVRow(row)
		if msg != "" {
			st.Errors++
			o = appendCSVField(o, id)
			o = append(o, ",,,,,error,\n"...)
			*errs = append(*errs, "line "...)
			*errs = strconv.AppendInt(*errs, int64(line), 10)
			*errs = append(*errs, ": "...)
			*errs = append(*errs, msg...)
			*errs = append(*errs, '\n')
			line++
			continue
		}
		line++
		if gcj {
			p = GCJ02ToWGS84(p)
		}
		r := ix.LocateWithin(p, maxM)
		o = appendCSVField(o, id)
		o = append(o, ',')
		switch r.Match {
		case MatchInside:
			st.Inside++
			o = append(o, codes.of(r.Grid)...)
			o = append(o, ",inside,0\n"...)
			continue
		case MatchNearest:
			st.Nearest++
			o = appendCSVField(o, ix.city.Grids[r.Nearest].Code)
		default:
			st.None++
		}
		o = append(o, ',')
		if r.Community >= 0 {
			o = appendCSVField(o, ix.city.Communities[r.Community].Code)
		}
		o = append(o, ',')
		if r.Street >= 0 {
			o = appendCSVField(o, ix.city.Streets[r.Street].Code)
		}
		o = append(o, ',')
		if r.District >= 0 {
			o = appendCSVField(o, ix.city.Districts[r.District].Code)
		}
		o = append(o, ',')
		o = append(o, r.Match...)
		o = append(o, ',')
		if r.Match == MatchNearest {
			o = strconv.AppendFloat(o, r.DistanceM, 'f', 1, 64)
		}
		o = append(o, '\n')
	}
	*out = o
}

// MaxBatchIDBytes caps the id of a batch row: a longer one makes the row
// an error, and only its first bytes are echoed back.
const MaxBatchIDBytes = 256

// clipEcho cuts a caller's bytes that an answer echoes to a short prefix.
func clipEcho(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return append(b[:n:n], "…"...)
}

// parseCSVRow splits "id,lon,lat" (the id may be quoted) and checks the
// coordinates and the id's length; msg is empty when the row is good.
func parseCSVRow(row []byte) (id []byte, p orb.Point, msg string) {
	id, p, msg = splitCSVRow(row)
	if len(id) > MaxBatchIDBytes {
		return clipEcho(id, 32), p, fmt.Sprintf("id longer than %d bytes (%d)", MaxBatchIDBytes, len(id))
	}
	return id, p, msg
}

func splitCSVRow(row []byte) (id []byte, p orb.Point, msg string) {
	var rest []byte
	if len(row) > 0 && row[0] == '"' {
		var b []byte
		i := 1
		for {
			j := bytes.IndexByte(row[i:], '"')
			if j < 0 {
				return nil, p, "unterminated quoted id"
			}
			b = append(b, row[i:i+j]...)
			i += j + 1
			if i < len(row) && row[i] == '"' {
				b = append(b, '"')
				i++
				continue
			}
			break
		}
		id = b
		if i < len(row) && row[i] != ',' {
			return id, p, "text after quoted id"
		}
		rest = row[min(i+1, len(row)):]
		if i >= len(row) {
			return id, p, "want 3 fields id,lon,lat, got 1"
		}
	} else {
		c := bytes.IndexByte(row, ',')
		if c < 0 {
			return row, p, "want 3 fields id,lon,lat, got 1"
		}
		id, rest = row[:c], row[c+1:]
	}
	c := bytes.IndexByte(rest, ',')
	if c < 0 {
		return id, p, "want 3 fields id,lon,lat, got 2"
	}
	lonB, latB := rest[:c], rest[c+1:]
	if bytes.IndexByte(latB, ',') >= 0 {
		return id, p, fmt.Sprintf("want 3 fields id,lon,lat, got %d", 3+bytes.Count(latB, []byte{','}))
	}
	lon, ok1 := parseCoord(lonB)
	lat, ok2 := parseCoord(latB)
	switch {
	case !ok1:
		return id, p, fmt.Sprintf("lon %q is not a number", clipEcho(lonB, 32))
	case !ok2:
		return id, p, fmt.Sprintf("lat %q is not a number", clipEcho(latB, 32))
	case !(lon >= -180 && lon <= 180):
		return id, p, fmt.Sprintf("lon %s out of range [-180, 180]", clipEcho(lonB, 32))
	case !(lat >= -90 && lat <= 90):
		return id, p, fmt.Sprintf("lat %s out of range [-90, 90]", clipEcho(latB, 32))
	}
	return id, orb.Point{lon, lat}, ""
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseCoord parses a decimal number, trimming spaces. Plain decimals with
// at most 15 significant digits take an exact fast path (an integer below
// 2^53 divided by an exact power of ten rounds correctly, as strconv
// would); anything else goes to strconv.ParseFloat. NaN and infinities are
// rejected.
func parseCoord(b []byte) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	s := b
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var m uint64
	digits, frac := 0, -1
	fast := len(s) > 0
	for i, ch := range s {
		switch {
		case ch >= '0' && ch <= '9':
			m = m*10 + uint64(ch-'0')
			if m != 0 {
				digits++
			}
			if frac >= 0 {
				frac++
			}
		case ch == '.' && frac < 0 && i+1 < len(s):
			frac = 0
		default:
			fast = false
		}
		if !fast || digits > 15 {
			fast = false
			break
		}
	}
	if fast && (frac != 0) && frac <= 22 {
		v := float64(m)
		if frac > 0 {
			v /= pow10[frac]
		}
		if neg {
			v = -v
		}
		return v, true
	}
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// LocateGeoJSON reads a GeoJSON FeatureCollection of Point features from r
// and streams a FeatureCollection to w: one feature per input feature, in
// order, with the input id, point (as given, in the input CRS) and
// properties, and the properties grid_code, community_code, street_code,
// district_code, match and distance_m added (replacing input properties of
// those names), with the meanings of LocateCSV; absent codes and distances
// are null. A feature that is not a Point with finite, in-range coordinates
// is written with a null geometry, "match":"error" and an "error" property,
// reported to opt.Errors as "feature N: reason", and the stream goes on.
// JSON that cannot be parsed stops the stream: the output collection is
// closed so it stays valid JSON, and the error is returned. One goroutine
// splits the input into features; opt.Workers decode, locate and encode
// them.
func LocateGeoJSON(ctx context.Context, r io.Reader, w io.Writer, ix *Index, opt BatchOptions) (BatchStats, error) {
	var total BatchStats
	gcj, err := opt.crs()
	if err != nil {
		return total, err
	}
	if ix == nil {
		return total, errors.New("geo: nil index")
	}
	maxM := ix.MaxDistance
	if opt.MaxDistance != 0 {
		maxM = opt.MaxDistance
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	const batch = 512
	type chunk struct {
		seq, first int    // first is the number of the first feature, from 1
		arena      []byte // the raw features, back to back
		ends       []int  // feature k is arena[ends[k-1]:ends[k]]
		out, errs  []byte
		stats      BatchStats
	}
	inflight := make(chan struct{}, 4*workers)
	work := make(chan *chunk, workers)
	done := make(chan *chunk, 4*workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				for k, end := range c.ends {
					raw := c.arena[:end]
					if k > 0 {
						raw = c.arena[c.ends[k-1]:end]
					}
					if c.first+k > 1 {
						c.out = append(c.out, ',')
					}
					var msg string
					c.out, msg = appendLocatedFeature(c.out, raw, ix, gcj, maxM, &c.stats)
					if msg != "" {
						c.errs = fmt.Appendf(c.errs, "feature %d: %s\n", c.first+k, msg)
					}
				}
				done <- c
			}
		}()
	}
	var writeErr atomic.Pointer[error]
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		err := writeOrdered(w, `{"type":"FeatureCollection","features":[`, "]}\n", done, opt.Errors, inflight, func(c *chunk) (int, []byte, []byte, *BatchStats) {
			return c.seq, c.out, c.errs, &c.stats
		}, nil, &total, cancel)
		if err != nil {
			writeErr.Store(&err)
		}
	}()

	readErr := func() error {
		sc := &jsonScanner{r: r, buf: make([]byte, 0, 256<<10)}
		if err := sc.expect('{'); err != nil {
			return err
		}
		seq, n := 0, 0
		sawFeatures := false
		c := &chunk{}
		send := func() error {
			select {
			case inflight <- struct{}{}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			work <- c
			seq++
			c = &chunk{seq: seq, first: n + 1}
			return nil
		}
		for first := true; ; first = false {
			b, err := sc.next()
			if err != nil {
				return err
			}
			if b == '}' && first {
				break
			}
			if b != '"' {
				return sc.syntax(fmt.Errorf("want a member name, got %q", b))
			}
			key, err := sc.value(b, nil)
			if err != nil {
				return err
			}
			if err := sc.expect(':'); err != nil {
				return err
			}
			if string(key) == `"features"` {
				sawFeatures = true
				c.seq, c.first = seq, n+1
				if err := sc.expect('['); err != nil {
					return err
				}
				b, err := sc.next()
				for err == nil && b != ']' {
					if c.arena, err = sc.value(b, c.arena); err != nil {
						break
					}
					c.ends = append(c.ends, len(c.arena))
					n++
					if len(c.ends) == batch {
						if err = send(); err != nil {
							break
						}
					}
					if b, err = sc.next(); err == nil && b == ',' {
						b, err = sc.next()
					} else if err == nil && b != ']' {
						err = sc.syntax(fmt.Errorf("want ',' or ']' after a feature, got %q", b))
					}
				}
				if len(c.ends) > 0 {
					if serr := send(); serr != nil && err == nil {
						err = serr
					}
				}
				if err != nil {
					return err
				}
			} else {
				vb, err := sc.next()
				if err != nil {
					return err
				}
				v, err := sc.value(vb, nil)
				if err != nil {
					return err
				}
				if !json.Valid(v) {
					return sc.syntax(fmt.Errorf("invalid value of %s", key))
				}
				if string(key) == `"type"` && string(v) != `"FeatureCollection"` {
					return sc.syntax(fmt.Errorf("type %s, want FeatureCollection", v))
				}
			}
			b, err = sc.next()
			if err != nil {
				return err
			}
			if b == '}' {
				break
			}
			if b != ',' {
				return sc.syntax(fmt.Errorf("want ',' or '}', got %q", b))
			}
		}
		if b, err := sc.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
			if err != nil {
				return err
			}
			return sc.syntax(fmt.Errorf("text after the collection: %q", b))
		}
		if !sawFeatures {
			return sc.syntax(errors.New(`no "features" member`))
		}
		return nil
	}()
	close(work)
	wg.Wait()
	close(done)
	<-writerDone
	if p := writeErr.Load(); p != nil {
		return total, *p
	}
	if readErr != nil {
		return total, readErr
	}
	return total, ctx.Err()
}

// ours are the properties LocateGeoJSON sets.
var ours = [...]string{"grid_code", "community_code", "street_code", "district_code", "match", "distance_m", "error"}

// appendLocatedFeature appends the output feature for one raw input
// feature; msg is empty unless the feature is malformed.
func appendLocatedFeature(b []byte, raw []byte, ix *Index, gcj bool, maxM float64, st *BatchStats) (_ []byte, msg string) {
	st.Rows++
	var p orb.Point
	var f, id, geom, props gjson.Result
	var coords [2]gjson.Result
	ncoord := 0
	if !gjson.ValidBytes(raw) {
		msg = "not valid JSON"
	} else {
		f = gjson.ParseBytes(raw)
		var typ gjson.Result
		f.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "type":
				typ = v
			case "id":
				id = v
			case "geometry":
				geom = v
			case "properties":
				props = v
			}
			return true
		})
		var gtyp, gcoords gjson.Result
		if geom.IsObject() {
			geom.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "type":
					gtyp = v
				case "coordinates":
					gcoords = v
				}
				return true
			})
			gcoords.ForEach(func(_, v gjson.Result) bool {
				if ncoord < 2 {
					coords[ncoord] = v
				}
				ncoord++
				return true
			})
		}
		switch {
		case !f.IsObject():
			msg = "not a GeoJSON feature"
		case typ.Str != "Feature" || typ.Type != gjson.String:
			msg = fmt.Sprintf("type %s, want \"Feature\"", clipEcho([]byte(orNothing(typ.Raw)), 32))
		case props.Exists() && props.Type != gjson.Null && !props.IsObject():
			msg = "properties is not an object"
		case !geom.Exists() || geom.Type == gjson.Null:
			msg = "no geometry"
		case !geom.IsObject() || gtyp.Type != gjson.String:
			msg = "geometry is not a GeoJSON geometry"
		case gtyp.Str != "Point":
			msg = fmt.Sprintf("geometry type %q, want Point", clipEcho([]byte(gtyp.Str), 32))
		case !gcoords.IsArray() || ncoord < 2 || ncoord > 3:
			msg = "coordinates are not [lon, lat]"
		case coords[0].Type != gjson.Number || coords[1].Type != gjson.Number:
			msg = "coordinates are not numbers"
		case !(coords[0].Num >= -180 && coords[0].Num <= 180):
			msg = fmt.Sprintf("lon %s out of range [-180, 180]", clipEcho([]byte(coords[0].Raw), 32))
		case !(coords[1].Num >= -90 && coords[1].Num <= 90):
			msg = fmt.Sprintf("lat %s out of range [-90, 90]", clipEcho([]byte(coords[1].Raw), 32))
		}
		p = orb.Point{coords[0].Num, coords[1].Num}
	}
	if len(id.Raw) > MaxBatchIDBytes+2 {
		if msg == "" {
			msg = fmt.Sprintf("id longer than %d bytes (%d)", MaxBatchIDBytes, len(id.Raw))
		}
		id = gjson.Result{}
	}
	b = append(b, `{"type":"Feature",`...)
	if id.Type == gjson.String || id.Type == gjson.Number {
		b = append(b, `"id":`...)
		b = append(b, id.Raw...)
		b = append(b, ',')
	}
	b = append(b, `"geometry":`...)
	if msg == "" {
		b = append(b, geom.Raw...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"properties":{`...)
	if props.IsObject() {
		props.ForEach(func(k, v gjson.Result) bool {
			for _, o := range ours {
				if k.Str == o {
					return true
				}
			}
			b = append(b, k.Raw...)
			b = append(b, ':')
			b = append(b, v.Raw...)
			b = append(b, ',')
			return true
		})
	}
	code := func(b []byte, key, v string) []byte {
		b = append(b, key...)
		if v == "" {
			return append(b, "null"...)
		}
		return appendJSONString(b, v)
	}
	if msg != "" {
		st.Errors++
		b = append(b, `"grid_code":null,"community_code":null,"street_code":null,"district_code":null,"match":"error","distance_m":null,"error":`...)
		b = appendJSONString(b, msg)
		return append(b, "}}"...), msg
	}
	if gcj {
		p = GCJ02ToWGS84(p)
	}
	r := ix.LocateWithin(p, maxM)
	c := ix.city
	var gc, cc, sc, dc string
	switch r.Match {
	case MatchInside:
		st.Inside++
		g := &c.Grids[r.Grid]
		gc, cc, sc, dc = g.Code, g.CommunityCode, g.StreetCode, g.DistrictCode
	case MatchNearest:
		st.Nearest++
		gc = c.Grids[r.Nearest].Code
	default:
		st.None++
	}
	if r.Match != MatchInside {
		if r.Community >= 0 {
			cc = c.Communities[r.Community].Code
		}
		if r.Street >= 0 {
			sc = c.Streets[r.Street].Code
		}
		if r.District >= 0 {
			dc = c.Districts[r.District].Code
		}
	}
	b = code(b, `"grid_code":`, gc)
	b = code(b, `,"community_code":`, cc)
	b = code(b, `,"street_code":`, sc)
	b = code(b, `,"district_code":`, dc)
	b = append(b, `,"match":"`...)
	b = append(b, r.Match...)
	b = append(b, `","distance_m":`...)
	switch r.Match {
	case MatchInside:
		b = append(b, '0')
	case MatchNearest:
		b = strconv.AppendFloat(b, r.DistanceM, 'f', 1, 64)
	default:
		b = append(b, "null"...)
	}
	return append(b, "}}"...), ""
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func orNothing(raw string) string {
	if raw == "" {
		return "missing"
	}
	return raw
}

// jsonScanner splits a JSON text into values without decoding them, so
// that one goroutine can cut a FeatureCollection into features at memory
// speed and leave the parsing to the workers.
type jsonScanner struct {
	r   io.Reader
	buf []byte // unread input is buf[pos:]
	pos int
	off int64 // input offset of buf[0]
	err error // the read error, once hit
}

func (s *jsonScanner) syntax(err error) error {
	return fmt.Errorf("geo: GeoJSON at byte %d: %w", s.off+int64(s.pos), err)
}

// more reads more input, keeping nothing before pos; false at the end.
func (s *jsonScanner) more() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.off += int64(s.pos)
		s.buf, s.pos = s.buf[:n], 0
	}
	if len(s.buf) == cap(s.buf) {
		s.buf = slices.Grow(s.buf, cap(s.buf)+4096)
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.err = err
		return n > 0
	}
	return true
}

func (s *jsonScanner) endErr() error {
	if s.err == nil || s.err == io.EOF {
		return s.syntax(io.ErrUnexpectedEOF)
	}
	return s.err
}

// next consumes and returns the next byte that is not white space.
func (s *jsonScanner) next() (byte, error) {
	for {
		for s.pos < len(s.buf) {
			b := s.buf[s.pos]
			s.pos++
			if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
				return b, nil
			}
		}
		if !s.more() {
			return 0, s.endErr()
		}
	}
}

func (s *jsonScanner) expect(want byte) error {
	b, err := s.next()
	if err != nil {
		return err
	}
	if b != want {
		return s.syntax(fmt.Errorf("want %q, got %q", want, b))
	}
	return nil
}

// value appends to out the JSON value whose first byte, already consumed,
// is first. Objects and arrays are matched by depth only (the workers and
// json.Valid check them fully); strings honour escapes.
func (s *jsonScanner) value(first byte, out []byte) ([]byte, error) {
	out = append(out, first)
	switch first {
	case '{', '[', '"':
		depth, inStr, esc := 1, false, false
		if first == '"' {
			depth, inStr = 0, true
		}
		for {
			start := s.pos
			for s.pos < len(s.buf) {
				b := s.buf[s.pos]
				s.pos++
				if inStr {
					switch {
					case esc:
						esc = false
					case b == '\\':
						esc = true
					case b == '"':
						inStr = false
						if depth == 0 {
							return append(out, s.buf[start:s.pos]...), nil
						}
					}
					continue
				}
				switch b {
				case '"':
					inStr = true
				case '{', '[':
					depth++
				case '}', ']':
					if depth--; depth == 0 {
						return append(out, s.buf[start:s.pos]...), nil
					}
				}
			}
			out = append(out, s.buf[start:s.pos]...)
			if !s.more() {
				return out, s.endErr()
			}
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 'f', 'n':
		for {
			start := s.pos
			for s.pos < len(s.buf) {
				switch s.buf[s.pos] {
				case ',', '}', ']', ' ', '\t', '\n', '\r':
					return append(out, s.buf[start:s.pos]...), nil
				}
				s.pos++
			}
			out = append(out, s.buf[start:s.pos]...)
			if !s.more() {
				if s.err == io.EOF {
					return out, nil
				}
				return out, s.err
			}
		}
	}
	return out, s.syntax(fmt.Errorf("unexpected %q", first))
}

// writeOrdered drains done, writing head, then each chunk's output in
// sequence order (chunks arrive in any order), then tail, and forwarding
// each chunk's row errors to errw. It frees one inflight slot per chunk,
// adds the chunks' counts into total and hands each chunk to release
// (when set). The first write error cancels the batch; the writer keeps
// draining, so the workers never block, and returns that error.
func writeOrdered[C any](w io.Writer, head, tail string, done <-chan C, errw io.Writer, inflight <-chan struct{},
	part func(C) (seq int, out, errs []byte, st *BatchStats), release func(C), total *BatchStats,
	cancel context.CancelCauseFunc) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var werr error
	write := func(f func() error) {
		if werr == nil {
			if werr = f(); werr != nil {
				cancel(werr) // stop the reader at once
			}
		}
	}
	write(func() error { _, err := bw.WriteString(head); return err })
	pending := map[int]C{}
	next := 0
	for c := range done {
		seq, _, _, _ := part(c)
		pending[seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			_, out, errs, st := part(c)
			write(func() error { _, err := bw.Write(out); return err })
			if len(errs) > 0 && errw != nil {
				write(func() error { _, err := errw.Write(errs); return err })
			}
			total.add(st)
			if release != nil {
				release(c)
			}
			<-inflight
		}
	}
	write(func() error { _, err := bw.WriteString(tail); return err })
	write(bw.Flush)
	return werr
}
