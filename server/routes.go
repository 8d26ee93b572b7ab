package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data/privacy"
	"github.com/gridmap/gridmap/data/store"
)

// The route registry. Every endpoint of the server — /api/v1, Open311,
// OGC API Features, tiles and health — is one Route, registered once.
// From the registry the server builds both its router and the OpenAPI 3
// document it serves at /api, and the route guard enforces what a Route
// declares: the roles that may call it, its query parameters (unknown,
// repeated, malformed or oversized ones are a 400 naming the parameter),
// the length of its path parameters, the heavy-work queue and the request
// timeout. Tests walk the registry: every route × anonymous × each role of
// Roles, and a scan for personal data in every GET route's answer.
//
// To add a route, return it from your extension's routes function (see
// register in server.go):
//
//	register(extension{name: "people", routes: func(s *Server) []Route {
//		return []Route{{
//			Method: http.MethodGet, Path: "/api/v1/cadres/{id}", Tag: "People",
//			Summary: "One cadre",
//			Roles:   []string{RoleViewer, RoleOrganiser, RoleAdmin}, // nil: anonymous too
//			Params:  []Param{{Name: "id", In: "path", Desc: "the cadre id"}},
//			Errors:  []int{404},
//			Handler: s.handleCadre,
//		}}
//	}})
//
// and give the route×role test an example request for it
// (routeExamples in routes_test.go). Answer with writeJSON (or writeTyped,
// o311Write): the masking policy (data/privacy) is applied there for the
// caller's audience. Declare personal fields of your response types with
// privacy tags (`privacy:"name"`, "phone", "id", "text", "personal"),
// never mask by hand; a representation cached as bytes is built once per
// audience through privacy.Apply (see gridCard, ogcCollection.encoded).

// Route is one endpoint.
type Route struct {
	Method      string // GET (answers HEAD too), POST, PUT, PATCH, DELETE
	Path        string // mux template; {name:regexp} allowed
	Summary     string
	Description string
	Tag         string // groups routes in the OpenAPI document
	// Roles may call the route; nil or empty: anyone, anonymous included.
	Roles  []string
	Params []Param
	// Body describes the request body: its media types (the first is the
	// one documented first) and what it holds.
	Body *Body
	// OK is the success status (default 200); Media its media type
	// (default application/json); Schema its OpenAPI schema, if any.
	OK     int
	Media  string
	Schema obj
	// Also are other success statuses the route answers (a POST that
	// writes answers 201, and 200 when there was nothing to change).
	Also []int
	// Errors are the error statuses the route answers beyond the ones the
	// guard adds (400 for parameters, 401/403 for roles, 429 for queues).
	Errors []int
	// Heavy names the bounded fair queue the route's work waits in
	// (siting, batch, propose); "" runs at once.
	Heavy string
	// HeavyInHandler: the handler calls heavyWork itself, only for work
	// that must be done (not for a kept answer or a bad request).
	HeavyInHandler bool
	// Stream marks a long-lived answer (event stream, batch locate): no
	// request timeout.
	Stream bool
	// Auth is how the caller authenticates: "" a bearer token (or none);
	// "api_key" the handler checks Open311's api_key itself; "none" the
	// route ignores credentials and query parameters (health probes).
	Auth string
	// Unlimited: the per-caller rate limit does not apply (monitoring
	// scrapes).
	Unlimited bool
	// Format is the error body: "" the API's JSON, "ogc", "open311".
	Format string
	// Match narrows the route further (the OGC landing page shares "/"
	// with the frontend).
	Match   mux.MatcherFunc
	Handler http.HandlerFunc

	operationID string // the OpenAPI operationId, when not derived from method and path
}

// Body is a request body.
type Body struct {
	Media    []string
	Desc     string
	Required bool
	Schema   obj
}

// Param is a query, path or header parameter.
type Param struct {
	Name string
	In   string // "query" (default), "path" or "header"
	// Type is string (default), integer, number, boolean, list (a comma
	// list of strings), datetime (RFC 3339) or date (a calendar day,
	// yyyy-mm-dd, of the years 1949..2200).
	Type     string
	Desc     string
	Required bool
	Enum     []string // allowed values (each item, for a list)
	Min, Max float64  // bounds of a number or integer, when Min < Max
	MaxLen   int      // bytes of a value, or of each list item (default 256, path 128)
	MaxItems int      // items of a list (default 100)
	Clamp    bool     // a value over Max is not an error: Max applies (OGC's limit)
	Default  any
	// Free skips the guard's checks of the value (the handler parses it
	// and answers a 400 itself, as for OGC's bbox with its own rules).
	Free bool
}

func (p Param) in() string {
	if p.In == "" {
		return "query"
	}
	return p.In
}

// registry returns every route of the server, in routing order.
func (s *Server) registry() []Route {
	var all []Route
	all = append(all, s.coreRoutes()...)
	for _, e := range extensions {
		if e.routes != nil {
			all = append(all, e.routes(s)...)
		}
	}
	return all
}

// Routes returns the server's route registry (for tools and tests).
func (s *Server) Routes() []Route { return slices.Clone(s.table) }

// buildRouter makes the router from the registry.
func (s *Server) buildRouter() (*mux.Router, error) {
	r := mux.NewRouter()
	r.Use(routeLabel)
	seen := map[string]bool{}
	s.table = s.registry()
	for i := range s.table {
		rt := &s.table[i]
		if rt.Method == "" || rt.Path == "" || rt.Handler == nil || rt.Summary == "" {
			return nil, fmt.Errorf("route %s %s: method, path, summary and handler are required", rt.Method, rt.Path)
		}
		key := rt.Method + " " + rt.Path
		if seen[key] {
			return nil, fmt.Errorf("route %s registered twice", key)
		}
		seen[key] = true
		if len(rt.Params) > 64 {
			return nil, fmt.Errorf("route %s: %d parameters, at most 64", key, len(rt.Params))
		}
		for _, role := range rt.Roles {
			if !slices.Contains(Roles, role) {
				return nil, fmt.Errorf("route %s: unknown role %q", key, role)
			}
		}
		methods := []string{rt.Method}
		if rt.Method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		m := r.Handle(rt.Path, s.guard(rt)).Methods(methods...)
		if rt.Match != nil {
			m.MatcherFunc(rt.Match)
		}
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, open311Prefix+"/"):
			o311Error(w, r, http.StatusNotFound, "no such resource: "+r.URL.Path+" (resources end in .json or .xml)")
		case strings.HasPrefix(r.URL.Path, "/tiles/"):
			writeError(w, http.StatusNotFound, "no such tile: want /tiles/{z}/{x}/{y}.mvt or /tiles/{layer}/{z}/{x}/{y}.mvt")
		default:
			writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
		}
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "method " + r.Method + " not allowed on " + r.URL.Path
		if strings.HasPrefix(r.URL.Path, open311Prefix+"/") {
			o311Error(w, r, http.StatusMethodNotAllowed, msg)
			return
		}
		writeError(w, http.StatusMethodNotAllowed, msg)
	})
	if s.cfg.Assets != nil {
		r.PathPrefix("/").Handler(http.FileServerFS(s.cfg.Assets))
	}
	return r, nil
}

// fail writes an error in the route's format.
func (rt *Route) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	switch rt.Format {
	case "ogc":
		ogcError(w, status, msg)
	case "open311":
		o311Error(w, r, status, msg)
	default:
		writeError(w, status, msg)
	}
}

type audienceKey struct{}

// audience is the masking audience of a request, set by the guard.
func audience(r *http.Request) privacy.Audience {
	if a, ok := r.Context().Value(audienceKey{}).(privacy.Audience); ok {
		return a
	}
	return privacy.Anonymous
}

// audienceOf maps a caller to the masking policy's audience: the
// personal-data roles see everything, other tokens are viewers, no token
// is anonymous.
func audienceOf(p *Principal) privacy.Audience {
	switch {
	case p == nil:
		return privacy.Anonymous
	case slices.Contains(personalRoles, p.Role):
		return privacy.Personal
	}
	return privacy.Viewer
}

// guard wraps a route's handler with what the route declares.
func (s *Server) guard(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := s.ops
		ctx := r.Context()
		info, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
		p, ok := s.admit(w, r, rt)
		if !ok {
			return
		}
		if p != nil {
			ctx = context.WithValue(ctx, principalKey{}, p)
			if info != nil {
				info.principal = p
			}
		}
		aud := audienceOf(p)
		ctx = context.WithValue(ctx, audienceKey{}, aud)
		ctx = context.WithValue(ctx, routeKey{}, rt)
		if sw := findStatusWriter(w); sw != nil {
			sw.audience = aud
		}
		if !rt.permit(w, r, p) {
			return
		}
		if msg := rt.checkParams(r); msg != "" {
			rt.failParams(w, r, msg)
			return
		}
		if !rt.Stream && o.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.timeout)
			defer cancel()
		}
		r = r.WithContext(ctx)
		if rt.Heavy != "" && !rt.HeavyInHandler {
			release, ok := s.heavyWork(w, r, rt)
			if !ok {
				return
			}
			defer release()
		}
		rt.Handler(w, r)
	})
}

// admit authenticates the caller of r and applies the rate limit the
// route is under (none for a route with Auth "none" or Unlimited); when
// it refuses (a bad token, the store down, the limit exceeded) it has
// written the answer in the route's format and returns false. The route
// guard and the direct routes (serveDirect) both admit through it.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, rt *Route) (*Principal, bool) {
	if rt.Auth == "none" {
		return nil, true
	}
	o := s.ops
	p, err := s.authenticate(r)
	if err != nil {
		if errors.Is(err, errBadToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gridmap", error="invalid_token"`)
			rt.fail(w, r, http.StatusUnauthorized, err.Error())
			return nil, false
		}
		if errors.Is(err, store.ErrUnavailable) {
			unavailable(w, err)
			return nil, false
		}
		var te interface{ Timeout() bool }
		if errors.As(err, &te) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			w.Header().Set("Retry-After", "1")
			rt.fail(w, r, http.StatusServiceUnavailable, "token check: "+err.Error())
			return nil, false
		}
		rt.fail(w, r, http.StatusUnauthorized, err.Error())
		return nil, false
	}
	lim := o.anonLimit
	if p != nil {
		lim = o.limiter
	}
	if lim != nil && !rt.Unlimited {
		key := "ip:" + remoteHost(r)
		if p != nil {
			key = "token:" + p.TokenID
		}
		if ok, wait := lim.allow(key, time.Now()); !ok {
			o.metrics.rateLimited.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			rt.fail(w, r, http.StatusTooManyRequests, "rate limit exceeded; retry later")
			return p, false
		}
	}
	return p, true
}

// permit checks the caller against the route's roles; when it refuses
// (401 without a token, 403 for another role) it has written the answer.
func (rt *Route) permit(w http.ResponseWriter, r *http.Request, p *Principal) bool {
	if len(rt.Roles) == 0 || rt.Auth != "" {
		return true
	}
	if p == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridmap"`)
		rt.fail(w, r, http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
		return false
	}
	if !slices.Contains(rt.Roles, p.Role) {
		rt.fail(w, r, http.StatusForbidden, fmt.Sprintf("role %s may not do this (needs %s)", p.Role, strings.Join(rt.Roles, " or ")))
		return false
	}
	return true
}

// failParams answers a failed parameter check (msg from checkParams,
// checkQuery or checkPath): a 404 for a path naming nothing that exists,
// else a 400. It returns the status.
func (rt *Route) failParams(w http.ResponseWriter, r *http.Request, msg string) int {
	if m, ok := strings.CutPrefix(msg, notFoundPrefix); ok {
		rt.fail(w, r, http.StatusNotFound, m)
		return http.StatusNotFound
	}
	rt.fail(w, r, http.StatusBadRequest, msg)
	return http.StatusBadRequest
}

// heavyWork waits for a slot of the route's heavy queue; when none is to
// be had it answers 429 with Retry-After itself and returns false.
// Handlers of HeavyInHandler routes call it once they know the work is
// needed (a siting that is not kept yet).
func (s *Server) heavyWork(w http.ResponseWriter, r *http.Request, rt *Route) (release func(), ok bool) {
	release, wait, ok := s.heavy.acquire(r.Context(), rt.Heavy, PrincipalFrom(r.Context()), remoteHost(r))
	if !ok {
		s.writeBusy(w, r, rt, wait)
		return nil, false
	}
	return release, true
}

// errBusy is heavy work refused by its queue: retry after wait.
type errBusy struct{ wait time.Duration }

func (e *errBusy) Error() string { return "busy" }

// writeBusy answers 429 with Retry-After for a refused heavy request.
func (s *Server) writeBusy(w http.ResponseWriter, r *http.Request, rt *Route, wait time.Duration) {
	s.ops.metrics.rateLimited.Add(1)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
	rt.fail(w, r, http.StatusTooManyRequests, "busy: too many "+rt.Heavy+" requests from you or waiting; retry later")
}

type routeKey struct{}

// currentRoute is the registry entry serving the request.
func currentRoute(r *http.Request) *Route {
	rt, _ := r.Context().Value(routeKey{}).(*Route)
	if rt == nil {
		return &Route{}
	}
	return rt
}

// notFoundPrefix marks a parameter check that is a 404 (a path naming
// nothing that exists), not a 400.
const notFoundPrefix = "404:"

// templateVar matches {name} and {name:regexp} in a mux template.
var templateVar = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*)?\}`)

// checkParams checks a request's query and path parameters against the
// route's declaration; "" means they pass.
func (rt *Route) checkParams(r *http.Request) string {
	if msg := rt.checkQuery(r.URL.RawQuery); msg != "" {
		return msg
	}
	if rt.Auth == "none" {
		return ""
	}
	for name, v := range mux.Vars(r) {
		if msg := rt.checkPath(name, v); msg != "" {
			return msg
		}
	}
	return ""
}

// checkQuery checks a raw query string against the route's query
// parameters: no unknown, repeated, malformed or oversized one, every
// required one given. "" means it passes. It allocates nothing for a
// query that passes without %-escapes, so the direct routes use it too.
func (rt *Route) checkQuery(raw string) string {
	if rt.Auth == "none" {
		return "" // health probes ignore what they are sent
	}
	if len(raw) > maxQueryBytes {
		return fmt.Sprintf("query string longer than %d bytes", maxQueryBytes)
	}
	var given, nonEmpty uint64 // bit i: rt.Params[i]
	for raw != "" {
		name, value, rest, ok, err := nextQueryPair(raw)
		if err != nil {
			return err.Error()
		}
		raw = rest
		if !ok {
			continue
		}
		i := rt.paramIndex(name, "query")
		if i < 0 {
			return fmt.Sprintf("unknown query parameter %s (known: %s)", echo(name), strings.Join(rt.paramNames("query"), ", "))
		}
		if given&(1<<i) != 0 {
			return fmt.Sprintf("query parameter %s given more than once; give it once", name)
		}
		given |= 1 << i
		if value != "" {
			nonEmpty |= 1 << i
		}
		if msg := rt.Params[i].check(value); msg != "" {
			return msg
		}
	}
	for i := range rt.Params {
		if p := &rt.Params[i]; p.in() == "query" && p.Required && nonEmpty&(1<<i) == 0 {
			return "query parameter " + p.Name + " is required"
		}
	}
	return ""
}

// checkPath checks the value of one path parameter; "" means it passes.
func (rt *Route) checkPath(name, v string) string {
	if i := rt.paramIndex(name, "path"); i >= 0 {
		return rt.Params[i].check(v)
	}
	p := Param{Name: name, In: "path"}
	return p.check(v)
}

// paramIndex is the index in Params of the parameter name in in, or -1.
func (rt *Route) paramIndex(name, in string) int {
	for i := range rt.Params {
		if rt.Params[i].Name == name && rt.Params[i].in() == in {
			return i
		}
	}
	return -1
}

func (rt *Route) paramNames(in string) []string {
	var out []string
	for _, p := range rt.Params {
		if p.in() == in {
			out = append(out, p.Name)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// check checks one value of the parameter; "" means it passes. It
// allocates nothing for a value that passes.
func (p *Param) check(v string) string {
	limit := p.MaxLen
	if limit == 0 {
		limit = maxParamBytes
		if p.in() == "path" {
			limit = maxPathBytes
		}
	}
	if p.Type == "list" {
		maxItems := p.MaxItems
		if maxItems == 0 {
			maxItems = maxListItems
		}
		if n := strings.Count(v, ",") + 1; n > maxItems {
			return fmt.Sprintf("%s: %d items, at most %d", p.what(), n, maxItems)
		}
		for rest := v; ; {
			it, more, found := strings.Cut(rest, ",")
			if msg := p.checkOne(strings.TrimSpace(it), limit); msg != "" {
				return msg
			}
			if !found {
				return ""
			}
			rest = more
		}
	}
	return p.checkOne(v, limit)
}

// what names the parameter in an error message.
func (p *Param) what() string { return p.in() + " parameter " + p.Name }

func (p *Param) checkOne(v string, limit int) string {
	if len(v) > limit && !(p.Free && p.MaxLen == 0) {
		return fmt.Sprintf("%s: %d bytes, at most %d", p.what(), len(v), limit)
	}
	if !utf8.ValidString(v) {
		return p.what() + ": not valid UTF-8"
	}
	if _, err := checkText(p.Name, v, limit, false); err != nil {
		return p.what() + ": " + err.Error()
	}
	if p.Free || v == "" {
		return ""
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
		if p.in() == "path" {
			return notFoundPrefix + fmt.Sprintf("no %s %s (known: %s)", p.Name, echo(v), strings.Join(p.Enum, ", "))
		}
		return fmt.Sprintf("%s: %s is not one of %s", p.what(), echo(v), strings.Join(p.Enum, ", "))
	}
	bounded := p.Min < p.Max
	switch p.Type {
	case "integer":
		n, err := parseInteger(v)
		if err != nil {
			return fmt.Sprintf("%s: %s is not a plain decimal integer", p.what(), echo(v))
		}
		if bounded && (float64(n) < p.Min || float64(n) > p.Max && !p.Clamp) {
			return fmt.Sprintf("%s: %d out of range %v..%v", p.what(), n, p.Min, p.Max)
		}
	case "number":
		f, err := parseDecimal(v)
		if err != nil {
			return fmt.Sprintf("%s: %s is not a plain decimal number", p.what(), echo(v))
		}
		if bounded && (f < p.Min || f > p.Max) {
			return fmt.Sprintf("%s: %v out of range %v..%v", p.what(), f, p.Min, p.Max)
		}
	case "boolean":
		if v != "true" && v != "false" {
			return p.what() + ": want true or false"
		}
	case "datetime":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return p.what() + ": want an RFC 3339 time such as 2026-11-26T08:00:00+08:00"
		}
	case "date":
		if !isDay(v) {
			return fmt.Sprintf("%s: %s is not a day yyyy-mm-dd of the years %d..%d", p.what(), echo(v), minDayYear, maxDayYear)
		}
	}
	return ""
}

// Common parameters.
var (
	pFormat = Param{Name: "format", In: "path", Enum: []string{"json", "xml"}, Desc: "json or xml"}
	pBBox   = Param{Name: "bbox", Type: "list", MaxItems: 4, MaxLen: 32, Desc: "minLon,minLat,maxLon,maxLat (WGS84)"}
	pLimit  = func(def, max int) Param {
		p := Param{Name: "limit", Type: "integer", Min: 1, Max: float64(max), Desc: "page size"}
		if def > 0 {
			p.Default = def
		} else {
			p.Desc = "page size (default: all)"
		}
		return p
	}
	pOffset = Param{Name: "offset", Type: "integer", Min: 0, Max: 1 << 31, Default: 0, Desc: "items to skip"}
	pLon    = Param{Name: "lon", Type: "number", Min: -180, Max: 180, Required: true, Desc: "longitude"}
	pLat    = Param{Name: "lat", Type: "number", Min: -90, Max: 90, Required: true, Desc: "latitude"}
	pFields = Param{Name: "fields", Type: "list", Enum: LocateFieldNames(), MaxItems: len(fieldNames), MaxLen: 16,
		Desc: "a compact answer of codes only: all (the full card, the default), or a comma list of grid, community, street, district, station"}
	pCRS = Param{Name: "crs", Enum: []string{"wgs84", "WGS84", "epsg:4326", "EPSG:4326", "gcj02", "GCJ02", "gcj-02", "GCJ-02"}, Desc: "the coordinates' CRS (default wgs84)"}
)
