package server

// OGC API – Features – Part 1: Core (17-069r4, version 1.0.1), with the
// GeoJSON and OpenAPI 3.0 requirements classes, so that QGIS, GDAL's OAPIF
// driver and any other standard client read the city's layers directly:
//
//	GET /                                          landing page
//	GET /conformance                               conformance declaration
//	GET /api                                       OpenAPI 3.0 definition
//	GET /collections                               the spatial layers
//	GET /collections/{collectionId}                one layer's metadata
//	GET /collections/{collectionId}/items          GeoJSON, bbox/datetime/limit/offset
//	GET /collections/{collectionId}/items/{featureId}
//
// Only JSON is offered; a client that accepts nothing JSON-like gets 406.
// The landing page shares "/" with the embedded frontend: a request that
// prefers HTML (a browser) and names no f parameter gets the frontend.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
)

const ogcName = "ogc"

// Limits of the items page size (the standard's example values).
const (
	ogcDefaultLimit = 10
	ogcMaxLimit     = 10000
)

// Media types, CRS and conformance URIs used by the API.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	crs84        = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	trsGregorian = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
	confCore     = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	confGeoJSON  = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	confOAS30    = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
)

// ogcLayers are the layers published as collections: every layer with
// geometry, in nesting order.
var ogcLayers = data.SpatialLayers

var ogcTitles = map[string][2]string{
	data.LayerDistricts:   {"Districts (区)", "County-level districts of the city."},
	data.LayerStreets:     {"Streets (街道)", "Sub-districts; each lies in one district."},
	data.LayerCommunities: {"Communities (社区)", "Urban residents' communities; each lies in one street."},
	data.LayerGrids:       {"Grids (网格)", "Governance grids, a partition of the urban area; each lies in one community. Grid heads' names and phones are masked unless the caller holds a personal-data token."},
	data.LayerCompounds:   {"Compounds (小区)", "Residential compounds with their property service status."},
	data.LayerBuildings:   {"Buildings (楼栋)", "Residential buildings with their standard address and households."},
	data.LayerRoads:       {"Roads", "Road segments with house-number ranges."},
	data.LayerStations:    {"Stations (党群服务中心/网格驿站)", "Service stations: community centres and grid stations, built or planned."},
	data.LayerPOIs:        {"Points of interest", "Landmarks callers name: schools, hospitals, markets, parks, bus stops and government offices, each with its gates (main gate first) and the footprint of its plot (WKT)."},
	data.LayerIncidents:   {"Incidents", "Reported incidents with the grid they were routed to; datetime filters on reported_at."},
}

func init() {
	register(extension{name: ogcName, build: buildOGC, routes: ogcRoutes})
}

// ogcState is what the OGC API derives from one city: per collection an
// R-tree over feature bounds, the id lookup and the extents.
type ogcState struct {
	byName map[string]*ogcCollection
	order  []*ogcCollection
}

type ogcCollection struct {
	id, title, description string
	n                      int
	tree                   rtree.RTreeG[int32]
	byID                   map[string]int32
	extent                 orb.Bound // valid when hasExtent
	hasExtent              bool
	times                  []time.Time // per feature, for temporal layers
	interval               [2]time.Time
	// enc caches each feature's GeoJSON as anonymous callers see it,
	// filled on first use: the snapshot never changes, so neither does it.
	enc []atomic.Pointer[[]byte]
}

// encoded returns feature i as GeoJSON, from the cache unless the caller
// may see personal data.
func (col *ogcCollection) encoded(c *data.City, i int, personal bool) ([]byte, error) {
	if !personal {
		if b := col.enc[i].Load(); b != nil {
			return *b, nil
		}
	}
	f, err := features.Feature(c, col.id, i, features.Options{ShowPersonal: personal})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode %s feature %d: %w", col.id, i, err)
	}
	if !personal {
		col.enc[i].Store(&b)
	}
	return b, nil
}

// ogcItem returns the id (as features.Feature sets it), geometry and
// instant of feature i of a layer, straight from the model.
func ogcItem(c *data.City, layer string, i int) (string, orb.Geometry, time.Time) {
	switch layer {
	case data.LayerDistricts:
		return c.Districts[i].Code, c.Districts[i].Geom, time.Time{}
	case data.LayerStreets:
		return c.Streets[i].Code, c.Streets[i].Geom, time.Time{}
	case data.LayerCommunities:
		return c.Communities[i].Code, c.Communities[i].Geom, time.Time{}
	case data.LayerGrids:
		return c.Grids[i].Code, c.Grids[i].Geom, time.Time{}
	case data.LayerCompounds:
		return c.Compounds[i].Code, c.Compounds[i].Geom, time.Time{}
	case data.LayerBuildings:
		return c.Buildings[i].Code, c.Buildings[i].Geom, time.Time{}
	case data.LayerRoads:
		return strconv.FormatInt(c.Roads[i].ID, 10), c.Roads[i].Geom, time.Time{}
	case data.LayerStations:
		return c.Stations[i].Code, c.Stations[i].Point, time.Time{}
	case data.LayerPOIs:
		return c.POIs[i].Code, c.POIs[i].Point, time.Time{}
	case data.LayerIncidents:
		return c.Incidents[i].ID, c.Incidents[i].Point, c.Incidents[i].ReportedAt
	}
	return "", nil, time.Time{}
}

// buildOGC indexes every collection of a new city: bounds into an R-tree,
// ids into a map, extents and the incidents' time range.
func buildOGC(sn *Snapshot) (any, error) {
	c := sn.City
	st := &ogcState{byName: make(map[string]*ogcCollection, len(ogcLayers))}
	for _, layer := range ogcLayers {
		n, err := features.Count(c, layer)
		if err != nil {
			return nil, err
		}
		t := ogcTitles[layer]
		col := &ogcCollection{id: layer, title: t[0], description: t[1], n: n, byID: make(map[string]int32, n), enc: make([]atomic.Pointer[[]byte], n)}
		if layer == data.LayerIncidents {
			col.times = make([]time.Time, n)
		}
		for i := 0; i < n; i++ {
			id, g, at := ogcItem(c, layer, i)
			if _, dup := col.byID[id]; !dup { // the first of duplicate ids wins
				col.byID[id] = int32(i)
			}
			if col.times != nil {
				col.times[i] = at
				if !at.IsZero() {
					if col.interval[0].IsZero() || at.Before(col.interval[0]) {
						col.interval[0] = at
					}
					if at.After(col.interval[1]) {
						col.interval[1] = at
					}
				}
			}
			if g == nil {
				continue
			}
			b := g.Bound()
			if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] { // empty geometry
				continue
			}
			col.tree.Insert(b.Min, b.Max, int32(i))
			if col.hasExtent {
				col.extent = col.extent.Union(b)
			} else {
				col.extent, col.hasExtent = b, true
			}
		}
		st.byName[layer] = col
		st.order = append(st.order, col)
	}
	return st, nil
}

func ogcRoutes(s *Server, root, _ *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	root.HandleFunc("/", s.ogcLanding).Methods(get...).MatcherFunc(s.wantsLanding)
	root.HandleFunc("/conformance", s.ogcConformance).Methods(get...)
	root.HandleFunc("/api", s.ogcAPIDoc).Methods(get...)
	root.HandleFunc("/collections", s.ogcCollections).Methods(get...)
	root.HandleFunc("/collections/{collectionId}", s.ogcCollection).Methods(get...)
	root.HandleFunc("/collections/{collectionId}/items", s.ogcItems).Methods(get...)
	root.HandleFunc("/collections/{collectionId}/items/{featureId}", s.ogcFeature).Methods(get...)
}

// wantsLanding keeps "/" for the frontend when a browser asks for HTML;
// API clients (GDAL sends Accept: application/json) and f=json get the
// landing page.
func (s *Server) wantsLanding(r *http.Request, _ *mux.RouteMatch) bool {
	if s.cfg.Assets == nil {
		return true
	}
	if f := r.URL.Query().Get("f"); f != "" {
		return !strings.EqualFold(f, "html")
	}
	return !strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (s *Server) ogcState() *ogcState {
	st, _ := s.Current().Ext(ogcName).(*ogcState)
	return st
}

// ogcLink is a link object of the standard (RFC 8288 in JSON).
type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// baseURL is the absolute URL of the API root as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// ogcError writes an exception body that both the OGC schema (code,
// description) and the rest of the API (error, status) understand.
func ogcError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"code": strings.ReplaceAll(http.StatusText(status), " ", ""), "description": msg,
		"error": msg, "status": status,
	})
}

// ogcNegotiate checks the f parameter and the Accept header against the
// media types a resource offers (all JSON) and returns the one to send.
// It answers 406 itself when none is acceptable.
func ogcNegotiate(w http.ResponseWriter, r *http.Request, offered ...string) (string, bool) {
	switch f := strings.ToLower(r.URL.Query().Get("f")); f {
	case "":
		// the Accept header decides
	case "json":
		if offered[0] == mediaGeoJSON && slices.Contains(offered, mediaJSON) {
			return mediaJSON, true
		}
		return offered[0], true
	case "geojson":
		if slices.Contains(offered, mediaGeoJSON) {
			return mediaGeoJSON, true
		}
		ogcError(w, http.StatusNotAcceptable, fmt.Sprintf("format f=geojson is not offered here; use f=json (offered: %s)", strings.Join(offered, ", ")))
		return "", false
	default:
		if !slices.Contains(offered, f) {
			ogcError(w, http.StatusNotAcceptable, fmt.Sprintf("format f=%s is not offered; use f=json (offered: %s)", f, strings.Join(offered, ", ")))
			return "", false
		}
		return f, true
	}
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return offered[0], true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q <= 0 {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			return offered[0], true
		}
		for _, o := range offered {
			if base, _, _ := strings.Cut(o, ";"); base == mt {
				return o, true
			}
		}
	}
	ogcError(w, http.StatusNotAcceptable, fmt.Sprintf("cannot serve %q; offered: %s (HTML is not offered)", accept, strings.Join(offered, ", ")))
	return "", false
}

// marshalJSON encodes without escaping &, < and > so links stay readable.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeTyped(w http.ResponseWriter, ctype string, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		ogcError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) ogcLanding(w http.ResponseWriter, r *http.Request) {
	ct, ok := ogcNegotiate(w, r, mediaJSON)
	if !ok {
		return
	}
	base := baseURL(r)
	writeTyped(w, ct, map[string]any{
		"title":       "gridmap",
		"description": "The city's nested boundaries (district, street, community, grid), compounds, buildings, roads, service stations and incidents, served as OGC API – Features.",
		"links": []ogcLink{
			{base + "/", "self", mediaJSON, "This document"},
			{base + "/api", "service-desc", mediaOpenAPI, "The API definition (OpenAPI 3.0)"},
			{base + "/conformance", "conformance", mediaJSON, "Conformance classes implemented by this server"},
			{base + "/collections", "data", mediaJSON, "The feature collections"},
		},
	})
}

func (s *Server) ogcConformance(w http.ResponseWriter, r *http.Request) {
	ct, ok := ogcNegotiate(w, r, mediaJSON)
	if !ok {
		return
	}
	writeTyped(w, ct, map[string]any{"conformsTo": []string{confCore, confGeoJSON, confOAS30}})
}

// ogcCollectionDoc is the metadata of one collection.
func ogcCollectionDoc(base string, col *ogcCollection) map[string]any {
	href := base + "/collections/" + url.PathEscape(col.id)
	doc := map[string]any{
		"id":          col.id,
		"title":       col.title,
		"description": col.description,
		"itemType":    "feature",
		"crs":         []string{crs84},
		"links": []ogcLink{
			{href, "self", mediaJSON, "This collection"},
			{href + "/items", "items", mediaGeoJSON, col.title + " as GeoJSON"},
		},
	}
	extent := map[string]any{}
	if col.hasExtent {
		b := col.extent
		extent["spatial"] = map[string]any{"bbox": [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, "crs": crs84}
	}
	if col.times != nil {
		iv := []any{nil, nil}
		if !col.interval[0].IsZero() {
			iv = []any{col.interval[0].UTC().Format(time.RFC3339), col.interval[1].UTC().Format(time.RFC3339)}
		}
		extent["temporal"] = map[string]any{"interval": [][]any{iv}, "trs": trsGregorian}
	}
	if len(extent) > 0 {
		doc["extent"] = extent
	}
	return doc
}

func (s *Server) ogcCollections(w http.ResponseWriter, r *http.Request) {
	ct, ok := ogcNegotiate(w, r, mediaJSON)
	if !ok {
		return
	}
	base := baseURL(r)
	st := s.ogcState()
	cols := make([]map[string]any, 0, len(st.order))
	for _, col := range st.order {
		cols = append(cols, ogcCollectionDoc(base, col))
	}
	writeTyped(w, ct, map[string]any{
		"links":       []ogcLink{{base + "/collections", "self", mediaJSON, "The feature collections"}},
		"collections": cols,
	})
}

// collection finds the route's collection or answers 404.
func (s *Server) collection(w http.ResponseWriter, r *http.Request) (*ogcState, *ogcCollection) {
	st := s.ogcState()
	id := mux.Vars(r)["collectionId"]
	col := st.byName[id]
	if col == nil {
		ogcError(w, http.StatusNotFound, fmt.Sprintf("no collection %q (collections: %s)", id, strings.Join(ogcLayers, ", ")))
	}
	return st, col
}

func (s *Server) ogcCollection(w http.ResponseWriter, r *http.Request) {
	_, col := s.collection(w, r)
	if col == nil {
		return
	}
	ct, ok := ogcNegotiate(w, r, mediaJSON)
	if !ok {
		return
	}
	writeTyped(w, ct, ogcCollectionDoc(baseURL(r), col))
}

// itemsParams are the query parameters the items resource knows; any
// other is refused with 400 (/req/core/query-param-unknown).
var itemsParams = []string{"f", "bbox", "bbox-crs", "datetime", "limit", "offset"}

// itemsQuery is a parsed items request.
type itemsQuery struct {
	limit, offset int
	bbox          *orb.Bound
	from, to      time.Time // zero: open end
	hasTime       bool
}

func parseItemsQuery(q url.Values) (itemsQuery, error) {
	iq := itemsQuery{limit: ogcDefaultLimit}
	for k := range q {
		if !slices.Contains(itemsParams, k) {
			return iq, fmt.Errorf("unknown query parameter %q (known: %s)", k, strings.Join(itemsParams, ", "))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return iq, fmt.Errorf("limit: %q is not an integer ≥ 1", v)
		}
		// A limit over the maximum is not an error: the maximum applies.
		iq.limit = min(n, ogcMaxLimit)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return iq, fmt.Errorf("offset: %q is not an integer in 0..%d", v, math.MaxInt32)
		}
		iq.offset = n
	}
	if v := q.Get("bbox-crs"); v != "" && v != crs84 && !strings.EqualFold(v, "[OGC:CRS84]") {
		return iq, fmt.Errorf("bbox-crs: %q is not supported (only %s)", v, crs84)
	}
	if v := q.Get("bbox"); v != "" {
		b, err := parseOGCBBox(v)
		if err != nil {
			return iq, err
		}
		iq.bbox = &b
	}
	if v := q.Get("datetime"); v != "" {
		from, to, err := parseDatetime(v)
		if err != nil {
			return iq, err
		}
		iq.from, iq.to, iq.hasTime = from, to, true
	}
	return iq, nil
}

// parseOGCBBox reads a 2D bbox, or a 3D one whose heights are dropped.
func parseOGCBBox(v string) (orb.Bound, error) {
	if parts := strings.Split(v, ","); len(parts) == 6 {
		v = strings.Join([]string{parts[0], parts[1], parts[3], parts[4]}, ",")
	}
	return ParseBBox(v)
}

// parseDatetime reads an RFC 3339 instant or a closed or half-bounded
// interval ("a/b", "../b", "a/..") into inclusive bounds; zero is open.
func parseDatetime(v string) (from, to time.Time, err error) {
	instant := func(s string, end bool) (time.Time, error) {
		if s == "" || s == ".." {
			return time.Time{}, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			if end {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			return t, nil
		}
		return time.Time{}, fmt.Errorf("datetime: %q is not an RFC 3339 date-time", s)
	}
	a, b, interval := strings.Cut(v, "/")
	if !interval {
		if v == ".." {
			return from, to, errors.New("datetime: \"..\" alone is not an instant")
		}
		if from, err = instant(v, false); err != nil {
			return
		}
		if to, err = instant(v, true); err != nil {
			return
		}
		return from, to, nil
	}
	if from, err = instant(a, false); err != nil {
		return
	}
	if to, err = instant(b, true); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, errors.New("datetime: interval ends before it starts")
	}
	return from, to, nil
}

// matches returns the indexes of the features the query selects, in
// layer order, or nil with all=true when it selects every feature.
func (col *ogcCollection) matches(c *data.City, iq itemsQuery) (idx []int32, all bool) {
	timed := iq.hasTime && col.times != nil
	if iq.bbox == nil && !timed {
		return nil, true
	}
	keep := func(i int32) bool {
		if !timed {
			return true
		}
		t := col.times[i]
		return !t.IsZero() && (iq.from.IsZero() || !t.Before(iq.from)) && (iq.to.IsZero() || !t.After(iq.to))
	}
	if iq.bbox == nil {
		for i := 0; i < col.n; i++ {
			if keep(int32(i)) {
				idx = append(idx, int32(i))
			}
		}
		return idx, false
	}
	b := *iq.bbox
	col.tree.Search(b.Min, b.Max, func(min, max [2]float64, i int32) bool {
		if keep(i) {
			if _, g, _ := ogcItem(c, col.id, int(i)); meetsBound(g, orb.Bound{Min: min, Max: max}, b) {
				idx = append(idx, i)
			}
		}
		return true
	})
	slices.Sort(idx)
	return idx, false
}

func (s *Server) ogcItems(w http.ResponseWriter, r *http.Request) {
	sn := s.Current()
	_, col := s.collection(w, r)
	if col == nil {
		return
	}
	ct, ok := ogcNegotiate(w, r, mediaGeoJSON, mediaJSON)
	if !ok {
		return
	}
	q := r.URL.Query()
	iq, err := parseItemsQuery(q)
	if err != nil {
		ogcError(w, http.StatusBadRequest, err.Error())
		return
	}
	idx, all := col.matches(sn.City, iq)
	matched := col.n
	if !all {
		matched = len(idx)
	}
	lo := min(iq.offset, matched)
	hi := min(lo+iq.limit, matched)
	at := func(k int) int {
		if all {
			return k
		}
		return int(idx[k])
	}
	personal := s.personal(r)
	var buf bytes.Buffer
	buf.Grow((hi - lo) * 1024)
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for k := lo; k < hi; k++ {
		b, err := col.encoded(sn.City, at(k), personal)
		if err != nil {
			ogcError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if k > lo {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	base := baseURL(r)
	path := base + r.URL.EscapedPath()
	page := func(offset int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("limit", strconv.Itoa(iq.limit))
		v.Set("offset", strconv.Itoa(offset))
		return path + "?" + v.Encode()
	}
	self := path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	links := []ogcLink{
		{self, "self", ct, "This page"},
		{base + "/collections/" + url.PathEscape(col.id), "collection", mediaJSON, col.title},
	}
	if hi < matched {
		links = append(links, ogcLink{page(hi), "next", ct, "Next page"})
	}
	if lo > 0 {
		links = append(links, ogcLink{page(max(0, lo-iq.limit)), "prev", ct, "Previous page"})
	}
	lb, _ := marshalJSON(links)
	fmt.Fprintf(&buf, `],"numberMatched":%d,"numberReturned":%d,"timeStamp":%q,"links":%s}`,
		matched, hi-lo, time.Now().UTC().Format(time.RFC3339), lb)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

func (s *Server) ogcFeature(w http.ResponseWriter, r *http.Request) {
	sn := s.Current()
	_, col := s.collection(w, r)
	if col == nil {
		return
	}
	ct, ok := ogcNegotiate(w, r, mediaGeoJSON, mediaJSON)
	if !ok {
		return
	}
	for k := range r.URL.Query() {
		if k != "f" {
			ogcError(w, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q (known: f)", k))
			return
		}
	}
	id := mux.Vars(r)["featureId"]
	i, found := col.byID[id]
	if !found {
		ogcError(w, http.StatusNotFound, fmt.Sprintf("no feature %q in collection %q", id, col.id))
		return
	}
	f, err := features.Feature(sn.City, col.id, int(i), features.Options{ShowPersonal: s.personal(r)})
	if err != nil {
		ogcError(w, http.StatusInternalServerError, err.Error())
		return
	}
	base := baseURL(r)
	href := base + "/collections/" + url.PathEscape(col.id)
	f.ExtraMembers = map[string]any{"links": []ogcLink{
		{href + "/items/" + url.PathEscape(id), "self", ct, "This feature"},
		{href, "collection", mediaJSON, col.title},
	}}
	writeTyped(w, ct, f)
}

// geometryMeetsBound reports whether a geometry and a box, both closed
// sets, share a point: the exact test behind the bbox parameter, so a
// grid whose bounds overlap the box but whose outline does not is left out.
func geometryMeetsBound(g orb.Geometry, b orb.Bound) bool {
	if g == nil {
		return false
	}
	return meetsBound(g, g.Bound(), b)
}

// meetsBound is geometryMeetsBound for a geometry whose bounds gb are known.
func meetsBound(g orb.Geometry, gb, b orb.Bound) bool {
	if !b.Intersects(gb) {
		return false
	}
	if b.Contains(gb.Min) && b.Contains(gb.Max) {
		return true
	}
	switch g := g.(type) {
	case orb.Point:
		return b.Contains(g)
	case orb.MultiPoint:
		return slices.ContainsFunc(g, b.Contains)
	case orb.LineString:
		return pathMeetsBound(g, b)
	case orb.MultiLineString:
		return slices.ContainsFunc(g, func(l orb.LineString) bool { return pathMeetsBound(l, b) })
	case orb.Ring:
		return polygonMeetsBound(orb.Polygon{g}, b)
	case orb.Polygon:
		return polygonMeetsBound(g, b)
	case orb.MultiPolygon:
		return slices.ContainsFunc(g, func(p orb.Polygon) bool { return polygonMeetsBound(p, b) })
	case orb.Collection:
		return slices.ContainsFunc(g, func(x orb.Geometry) bool { return geometryMeetsBound(x, b) })
	case orb.Bound:
		return true
	}
	return true
}

func pathMeetsBound(ls []orb.Point, b orb.Bound) bool {
	for i, p := range ls {
		if b.Contains(p) || i > 0 && segmentMeetsBound(ls[i-1], p, b) {
			return true
		}
	}
	return false
}

func polygonMeetsBound(p orb.Polygon, b orb.Bound) bool {
	if len(p) == 0 {
		return false
	}
	for _, r := range p {
		if pathMeetsBound(r, b) {
			return true
		}
	}
	// No ring meets the box: either the box lies inside the polygon (and
	// outside its holes) or outside it; one corner tells which.
	return planar.PolygonContains(p, b.Min)
}

// segmentMeetsBound clips segment pq to the box (Liang–Barsky).
func segmentMeetsBound(p, q orb.Point, b orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := q[0]-p[0], q[1]-p[1]
	for _, e := range [4][2]float64{
		{-dx, p[0] - b.Min[0]}, {dx, b.Max[0] - p[0]},
		{-dy, p[1] - b.Min[1]}, {dy, b.Max[1] - p[1]},
	} {
		pk, qk := e[0], e[1]
		if pk == 0 {
			if qk < 0 {
				return false
			}
			continue
		}
		t := qk / pk
		if pk < 0 {
			t0 = max(t0, t)
		} else {
			t1 = min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}
