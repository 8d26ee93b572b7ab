package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// The single-point locate is the hottest path of the server, so it has
// its own:
//
//   - ServeHTTP hands GET /api/v1/locate straight to serveLocate, which
//     does what the front (ops.go) does for every route — authentication,
//     the rate limit, metrics, the log line — without the router and the
//     request copies the general path makes; the request timeout is left
//     out, as the answer never waits on anything;
//   - one query parser, parseLocateQuery, serves both that path and the
//     routed handler, so they accept and refuse exactly the same queries;
//   - the answer is most of the grid's card, which only changes with the
//     city: each snapshot keeps every grid's encoded card (masked and
//     personal, built on first use) and every station's encoded prefix, so
//     a request costs the lookup and a few appends into a pooled buffer;
//   - `fields=` asks for a compact answer of codes only (for geofencing
//     clients), and POST with application/x-ndjson streams many points,
//     each answered as a GET would be.
//
// With no token, nothing on this path allocates past what net/http makes
// for the request (BenchmarkLocateServe).

const locatePath = "/api/v1/locate"

type locateCache struct {
	sn       *Snapshot
	cards    [2][]atomic.Pointer[[]byte] // [personal] per grid: `"grid":{…},"community":…,"district":{…}`
	stations []atomic.Pointer[[]byte]    // per station: `{…,"point":[x,y],"distance_m":`
}

func init() {
	register(extension{
		name: "locate-cache",
		build: func(sn *Snapshot) (any, error) {
			c := &locateCache{sn: sn, stations: make([]atomic.Pointer[[]byte], len(sn.City.Stations))}
			for i := range c.cards {
				c.cards[i] = make([]atomic.Pointer[[]byte], len(sn.City.Grids))
			}
			return c, nil
		},
		routes: func(*Server, *mux.Router, *mux.Router) {},
	})
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (lc *locateCache) card(g int, personal bool) []byte {
	k := 0
	if personal {
		k = 1
	}
	if p := lc.cards[k][g].Load(); p != nil {
		return *p
	}
	c := lc.sn.City
	card := gridCard(c, &c.Grids[g], personal)
	b := []byte(`"grid":`)
	gb, _ := json.Marshal(card)
	b = append(b, gb...)
	for _, a := range []struct {
		key string
		v   Area
	}{{"community", card.Community}, {"street", card.Street}, {"district", card.District}} {
		ab, _ := json.Marshal(a.v)
		b = append(b, `,"`...)
		b = append(b, a.key...)
		b = append(b, `":`...)
		b = append(b, ab...)
	}
	lc.cards[k][g].Store(&b)
	return b
}

func (lc *locateCache) station(i int) []byte {
	if p := lc.stations[i].Load(); p != nil {
		return *p
	}
	st := lc.sn.City.Stations[i]
	b, _ := json.Marshal(StationAnswer{Code: st.Code, Name: st.Name, Kind: st.Kind, Status: st.Status,
		Stars: st.Stars, GridCode: st.GridCode, Point: [2]float64{st.Point[0], st.Point[1]}})
	// drop the trailing `0}` of distance_m: the request appends its own
	b = b[:len(b)-2]
	lc.stations[i].Store(&b)
	return b
}

func appendFloat(b []byte, f float64) []byte { return strconv.AppendFloat(b, f, 'f', -1, 64) }

// round1 rounds a distance to 0.1 m, as the answers give it.
func round1(d float64) float64 { return math.Round(d*10) / 10 }

// locateFields is the set of parts a compact answer carries (fields=);
// zero asks for the full card.
type locateFields uint8

const (
	fieldGrid locateFields = 1 << iota
	fieldCommunity
	fieldStreet
	fieldDistrict
	fieldStation
)

var fieldNames = []struct {
	name string
	f    locateFields
}{{"grid", fieldGrid}, {"community", fieldCommunity}, {"street", fieldStreet}, {"district", fieldDistrict}, {"station", fieldStation}}

// LocateFieldNames lists the values fields= takes (comma-separated), and
// "all", the full card.
func LocateFieldNames() []string {
	out := make([]string, 0, len(fieldNames)+1)
	for _, f := range fieldNames {
		out = append(out, f.name)
	}
	return append(out, "all")
}

func parseFields(v string) (locateFields, error) {
	if v == "" || v == "all" {
		return 0, nil
	}
	var fs locateFields
	for v != "" {
		var name string
		name, v, _ = strings.Cut(v, ",")
		found := false
		for _, f := range fieldNames {
			if name == f.name {
				fs |= f.f
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("fields: %q unknown (want all, or a comma list of %s)", name, strings.Join(LocateFieldNames()[:len(fieldNames)], ", "))
		}
	}
	return fs, nil
}

// locateQuery holds the parameters of GET /api/v1/locate as given.
type locateQuery struct {
	lon, lat, crs, fields string
}

// parseLocateQuery reads a raw query string the way url.ParseQuery does
// (pairs split at '&', keys and values unescaped, the first of repeated
// keys kept, unknown keys ignored), but refuses, rather than drops, what
// ParseQuery would drop: a ';' and malformed escapes. It allocates only
// to unescape.
func parseLocateQuery(raw string) (locateQuery, error) {
	var q locateQuery
	var seen [4]bool
	if strings.IndexByte(raw, ';') >= 0 {
		return q, errors.New("query: ';' is not a separator here; use '&'")
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			uk, err := url.QueryUnescape(k)
			if err != nil {
				return q, fmt.Errorf("query: bad escape in %q", k)
			}
			k = uk
		}
		var dst *string
		var i int
		switch k {
		case "lon":
			dst, i = &q.lon, 0
		case "lat":
			dst, i = &q.lat, 1
		case "crs":
			dst, i = &q.crs, 2
		case "fields":
			dst, i = &q.fields, 3
		default:
			continue
		}
		if strings.ContainsAny(v, "%+") {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				return q, fmt.Errorf("query: bad escape in %s=%q", k, v)
			}
			v = uv
		}
		if !seen[i] {
			*dst, seen[i] = v, true
		}
	}
	return q, nil
}

// locateRequest is a parsed, valid single-point request.
type locateRequest struct {
	p      orb.Point // WGS84
	q      LocateQuery
	fields locateFields
}

// readLocate validates a query: a 400's message, or the request.
func readLocate(lq locateQuery) (locateRequest, error) {
	fields, err := parseFields(lq.fields)
	if err != nil {
		return locateRequest{}, err
	}
	p, crs, err := ParsePoint(lq.lon, lq.lat, lq.crs)
	if err != nil {
		return locateRequest{}, err
	}
	// ParsePoint accepted both, so they parse.
	lon, _ := strconv.ParseFloat(lq.lon, 64)
	lat, _ := strconv.ParseFloat(lq.lat, 64)
	return locateRequest{p: p, q: LocateQuery{Lon: lon, Lat: lat, CRS: crs}, fields: fields}, nil
}

// handleLocate is the routed GET /api/v1/locate (ServeHTTP normally takes
// the fast way, serveLocate; both answer alike).
func (s *Server) handleLocate(w http.ResponseWriter, r *http.Request) {
	s.answerLocate(w, r.URL.RawQuery, s.personal(r))
}

// answerLocate parses the query and writes the answer; it returns the
// status written.
func (s *Server) answerLocate(w http.ResponseWriter, rawQuery string, personal bool) int {
	lq, err := parseLocateQuery(rawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return http.StatusBadRequest
	}
	lr, err := readLocate(lq)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return http.StatusBadRequest
	}
	bp := bufPool.Get().(*[]byte)
	b := s.Current().appendLocate((*bp)[:0], lr, personal)
	b = append(b, '\n')
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = contentLength(len(b))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b
		bufPool.Put(bp)
	}
	return http.StatusOK
}

// Header values shared by every answer (full slices: an append copies).
var contentTypeJSON = []string{"application/json; charset=utf-8"}[:1:1]

// contentLengths holds the Content-Length values of the sizes answers
// usually have, so setting one allocates nothing.
var contentLengths = func() [][]string {
	out := make([][]string, 8192)
	for i := range out {
		out[i] = []string{strconv.Itoa(i)}[:1:1]
	}
	return out
}()

func contentLength(n int) []string {
	if n < len(contentLengths) {
		return contentLengths[n]
	}
	return []string{strconv.Itoa(n)}
}

// serveLocate is GET /api/v1/locate without the router.
func (s *Server) serveLocate(w http.ResponseWriter, r *http.Request) {
	s.serveDirect(w, r, locatePath, func(w http.ResponseWriter, p *Principal) int {
		return s.answerLocate(w, r.URL.RawQuery, personalRole(p))
	})
}

// serveDirect serves a hot route without the router and the request
// copies of the general path: the front's checks and records (admit,
// metrics under route, the log line, panics caught), then serve, which
// returns the status it wrote. The request timeout is left out: a direct
// route never waits on anything.
func (s *Server) serveDirect(w http.ResponseWriter, r *http.Request, route string, serve func(http.ResponseWriter, *Principal) int) {
	start := time.Now()
	code := http.StatusInternalServerError
	var p *Principal
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in handler", "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
		d := time.Since(start)
		s.ops.metrics.observe(route, r.Method, code, d)
		s.logRequest(r.Context(), r, route, code, 0, d, p)
	}()
	if r.Header["Authorization"] != nil || s.ops.anonLimit != nil {
		so := &statusOnly{ResponseWriter: w, code: http.StatusOK}
		var ok bool
		if p, ok = s.admit(so, r); !ok {
			code = so.code
			return
		}
	}
	code = serve(w, p)
}

// statusOnly records the status an admit refusal writes.
type statusOnly struct {
	http.ResponseWriter
	code int
}

func (w *statusOnly) WriteHeader(c int) {
	w.code = c
	w.ResponseWriter.WriteHeader(c)
}

// appendLocate appends the JSON answer to one point (no newline): the full
// card, or the compact answer of lr.fields. The bytes decode to exactly
// what Locate gives.
func (sn *Snapshot) appendLocate(b []byte, lr locateRequest, personal bool) []byte {
	res := sn.Index.Locate(lr.p)
	if lr.fields != 0 {
		return sn.appendCompact(b, res, lr)
	}
	lc, _ := sn.Ext("locate-cache").(*locateCache)
	if lc == nil || res.Match != geo.MatchInside {
		ans := Locate(sn.Index, lr.p, personal)
		ans.Query = lr.q
		j, _ := json.Marshal(ans)
		return append(b, j...)
	}
	p, q := lr.p, lr.q
	b = append(b, `{"query":{"lon":`...)
	b = appendFloat(b, q.Lon)
	b = append(b, `,"lat":`...)
	b = appendFloat(b, q.Lat)
	b = append(b, `,"crs":"`...)
	b = append(b, q.CRS...)
	b = append(b, `"},"point_wgs84":[`...)
	b = appendFloat(b, p[0])
	b = append(b, ',')
	b = appendFloat(b, p[1])
	b = append(b, `],"match":"inside","distance_m":0,`...)
	b = append(b, lc.card(res.Grid, personal)...)
	b = append(b, `,"nearest_station":`...)
	if hit, ok := sn.Index.NearestStation(p); ok {
		b = append(b, lc.station(hit.Index)...)
		b = appendFloat(b, round1(hit.DistanceM))
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

// appendCompact appends the compact answer: the match, the distance when
// it is a nearest grid's, and the codes asked for (null when none).
//
//	{"match":"inside","grid":"370402001013007"}
//	{"match":"nearest","distance_m":12.5,"grid":null,"nearest_grid":"370402001013008"}
func (sn *Snapshot) appendCompact(b []byte, res geo.Result, lr locateRequest) []byte {
	c := sn.City
	b = append(b, `{"match":"`...)
	b = append(b, res.Match...)
	b = append(b, '"')
	if res.Match == geo.MatchNearest {
		b = append(b, `,"distance_m":`...)
		b = appendFloat(b, round1(res.DistanceM))
	}
	var grid, community, street, district string
	switch {
	case res.Match == geo.MatchInside:
		g := &c.Grids[res.Grid]
		grid, community, street, district = g.Code, g.CommunityCode, g.StreetCode, g.DistrictCode
	default:
		if res.Community >= 0 {
			community = c.Communities[res.Community].Code
		}
		if res.Street >= 0 {
			street = c.Streets[res.Street].Code
		}
		if res.District >= 0 {
			district = c.Districts[res.District].Code
		}
	}
	if lr.fields&fieldGrid != 0 {
		b = appendCode(b, "grid", grid)
		if res.Match == geo.MatchNearest {
			b = appendCode(b, "nearest_grid", c.Grids[res.Nearest].Code)
		}
	}
	if lr.fields&fieldCommunity != 0 {
		b = appendCode(b, "community", community)
	}
	if lr.fields&fieldStreet != 0 {
		b = appendCode(b, "street", street)
	}
	if lr.fields&fieldDistrict != 0 {
		b = appendCode(b, "district", district)
	}
	if lr.fields&fieldStation != 0 {
		b = append(b, `,"station":`...)
		if hit, ok := sn.Index.NearestStation(lr.p); ok {
			b = append(b, `{"code":"`...)
			b = append(b, c.Stations[hit.Index].Code...)
			b = append(b, `","distance_m":`...)
			b = appendFloat(b, round1(hit.DistanceM))
			b = append(b, '}')
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// appendCode appends `,"key":"v"`, or null for an empty v. Codes are
// digits and letters: nothing to escape.
func appendCode(b []byte, key, v string) []byte {
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	if v == "" {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}
