package server

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/privacy"
	"github.com/gridmap/gridmap/data/store"
)

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under
// /open311/v2/: service discovery, the service list (one service per
// incident category of the rules), service definitions, POST and GET
// service requests, and tokens. Every resource comes as .xml or .json;
// errors are a list of {code, description} in the same format.
//
// A service request is an incident: service_request_id is the incident id
// and also the token (requests are created synchronously). Statuses map
// to the spec's two: resolved, closed, rejected and duplicate are
// "closed", the rest "open"; status_notes carries the incident's own
// state. POST needs api_key: a dispatcher or admin token.

const open311Prefix = "/open311/v2"

// cityZone is the time zone Open311 datetimes are written in (China
// Standard Time; the spec wants an offset or Z).
var cityZone = time.FixedZone("CST", 8*3600)

func init() {
	register(extension{name: "open311", routes: open311Routes})
}

func open311Routes(s *Server) []Route {
	f := ".{format:json|xml}"
	jur := Param{Name: "jurisdiction_id", MaxLen: 100, Desc: "ignored: this server serves one jurisdiction"}
	key := Param{Name: "api_key", MaxLen: 200, Desc: "a gridmap token; on GET it sets what the caller may see"}
	get := func(path, summary, desc string, params []Param, errs []int, h http.HandlerFunc) Route {
		return Route{Method: http.MethodGet, Path: open311Prefix + path + f, Tag: "Open311", Summary: summary, Description: desc,
			Format: "open311", Media: "application/json", Params: append([]Param{pFormat, jur, key}, params...), Errors: errs, Handler: h}
	}
	return []Route{
		get("/discovery", "Service discovery", "", nil, nil, s.o311Discovery),
		get("/services", "The service list: one service per incident category", "", nil, nil, s.o311Services),
		get("/services/{code}", "A service definition", "", []Param{{Name: "code", In: "path", MaxLen: 64, Desc: "service_code"}}, []int{404}, s.o311Service),
		{Method: http.MethodPost, Path: open311Prefix + "/requests" + f, Tag: "Open311", Summary: "Create a service request (an incident)",
			Description: "Form fields api_key (a dispatcher or admin token), service_code, lat and long or address_string, description, first_name, last_name, phone; email, device_id, account_id, media_url and attribute[] are accepted and ignored.",
			Roles:       incidentWriter, Auth: "api_key", Format: "open311", OK: http.StatusCreated, Errors: []int{404, 413, 503},
			Params:  []Param{pFormat, jur, key, {Name: "Idempotency-Key", In: "header", MaxLen: 200, Desc: "makes a retry give the first answer"}},
			Body:    &Body{Media: []string{"application/x-www-form-urlencoded"}, Required: true, Desc: "the request's fields"},
			Handler: s.o311PostRequest},
		get("/requests", "Service requests",
			"service_request_id (a comma list; overrides the rest), service_code (comma list), status (open, closed), start_date and end_date (at most 90 days apart; default the last 90 days). At most 1,000, newest first. Anonymous callers get no description or address; viewers get them masked.",
			[]Param{{Name: "service_request_id", Type: "list", MaxItems: 1000, MaxLen: 64, Desc: "request ids"},
				{Name: "service_code", Type: "list", MaxItems: 200, MaxLen: 64, Desc: "service codes"},
				{Name: "status", Type: "list", Enum: []string{"open", "closed"}, MaxItems: 2, Desc: "open or closed"},
				{Name: "start_date", Type: "datetime", Desc: "W3C datetime"}, {Name: "end_date", Type: "datetime", Desc: "W3C datetime"}},
			[]int{503}, s.o311Requests),
		get("/requests/{id}", "One service request", "", []Param{{Name: "id", In: "path", MaxLen: 64, Desc: "service_request_id"}}, []int{404, 503}, s.o311Request),
		get("/tokens/{id}", "The request a token stands for", "", []Param{{Name: "id", In: "path", MaxLen: 64, Desc: "token"}}, []int{404, 503}, s.o311Token),
	}
}

func o311Format(r *http.Request) string {
	if f := mux.Vars(r)["format"]; f != "" {
		return f
	}
	if strings.HasSuffix(r.URL.Path, ".xml") {
		return "xml"
	}
	return "json"
}

// o311Write writes v as JSON, or as XML under the spec's root element, as
// the masking policy lets the request's audience see it.
func o311Write(w http.ResponseWriter, r *http.Request, status int, v any) {
	v = privacy.Apply(v, responseAudience(w))
	if o311Format(r) == "xml" {
		b, err := xml.Marshal(v)
		if err != nil {
			http.Error(w, "xml: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(xml.Header))
		w.Write(b)
		return
	}
	var jv any = v
	if j, ok := v.(interface{ jsonValue() any }); ok {
		jv = j.jsonValue()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(jv)
}

type o311Err struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type o311Errors struct {
	XMLName xml.Name  `json:"-" xml:"errors"`
	Errors  []o311Err `xml:"error"`
}

func (e o311Errors) jsonValue() any { return e.Errors }

func o311Error(w http.ResponseWriter, r *http.Request, code int, desc string) {
	o311Write(w, r, code, o311Errors{Errors: []o311Err{{code, desc}}})
}

// Discovery (http://wiki.open311.org/Service_Discovery).
type o311Endpoint struct {
	Specification string    `json:"specification" xml:"specification"`
	URL           string    `json:"url" xml:"url"`
	Changeset     time.Time `json:"changeset" xml:"changeset"`
	Type          string    `json:"type" xml:"type"`
	Formats       []string  `json:"formats" xml:"formats>format"`
}

type o311DiscoveryDoc struct {
	XMLName    xml.Name       `json:"-" xml:"discovery"`
	Changeset  time.Time      `json:"changeset" xml:"changeset"`
	Contact    string         `json:"contact" xml:"contact"`
	KeyService string         `json:"key_service" xml:"key_service"`
	Endpoints  []o311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

func o311BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + open311Prefix
}

func (s *Server) o311Discovery(w http.ResponseWriter, r *http.Request) {
	ch := s.Current().Loaded.In(cityZone).Truncate(time.Second)
	o311Write(w, r, http.StatusOK, o311DiscoveryDoc{
		Changeset: ch, Contact: "city social governance command centre (市社会治理指挥中心)",
		KeyService: "API keys are gridmap tokens of the dispatcher role, issued by the administrator (gridmap token create)",
		Endpoints: []o311Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: o311BaseURL(r), Changeset: ch,
			Type: "production", Formats: []string{"text/xml", "application/json"}}},
	})
}

type o311ServiceJSON struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type o311ServiceList struct {
	XMLName  xml.Name          `json:"-" xml:"services"`
	Services []o311ServiceJSON `xml:"service"`
}

func (l o311ServiceList) jsonValue() any { return l.Services }

func o311Service(c data.Category, rules *data.Rules) o311ServiceJSON {
	names := make([]string, 0, len(c.Departments))
	for _, d := range c.Departments {
		for _, dep := range rules.Departments {
			if dep.Code == d {
				names = append(names, dep.Name)
			}
		}
	}
	return o311ServiceJSON{
		ServiceCode: c.Code, ServiceName: c.Name,
		Description: fmt.Sprintf("%s — %s module; goes to the grid team, then %s", c.Name, c.Module, strings.Join(names, "、")),
		Metadata:    false, Type: "realtime", Keywords: strings.Join([]string{c.Module, c.Group}, ","), Group: c.Module,
	}
}

func (s *Server) o311Services(w http.ResponseWriter, r *http.Request) {
	rules := s.ops.rules.Load()
	l := o311ServiceList{Services: []o311ServiceJSON{}}
	for _, c := range rules.Categories {
		l.Services = append(l.Services, o311Service(c, rules))
	}
	o311Write(w, r, http.StatusOK, l)
}

type o311Definition struct {
	XMLName     xml.Name `json:"-" xml:"service_definition"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	Attributes  []any    `json:"attributes" xml:"attributes"`
}

// o311Service is a service definition: the categories take no extra
// attributes (metadata is false), so the list is empty.
func (s *Server) o311Service(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	if s.ops.rules.Load().Category(code) == nil {
		o311Error(w, r, http.StatusNotFound, "service_code "+code+" not found")
		return
	}
	o311Write(w, r, http.StatusOK, o311Definition{ServiceCode: code, Attributes: []any{}})
}

// o311RequestJSON is a service request with the spec's fields.
type o311RequestJSON struct {
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description" privacy:"text"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address" privacy:"text"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               float64  `json:"lat" xml:"lat"`
	Long              float64  `json:"long" xml:"long"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
	XMLName           xml.Name `json:"-" xml:"request"`
	// Known are the caller's name and phone, masked wherever the free text
	// repeats them; never sent.
	Known []string `json:"-" xml:"-" privacy:"known"`
}

type o311RequestList struct {
	XMLName  xml.Name          `json:"-" xml:"service_requests"`
	Requests []o311RequestJSON `xml:"request"`
}

func (l o311RequestList) jsonValue() any { return l.Requests }

// open311Closed lists the incident states the spec calls closed.
var open311Closed = []string{data.StatusResolved, data.StatusClosed, data.StatusRejected, data.StatusDuplicate}

func open311Status(st string) string {
	if slices.Contains(open311Closed, st) {
		return "closed"
	}
	return "open"
}

func o311Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cityZone).Format(time.RFC3339)
}

func (s *Server) o311Request1(rec *data.IncidentRecord) o311RequestJSON {
	rules := s.ops.rules.Load()
	c := s.Current().City
	name := rec.Category
	if cat := rules.Category(rec.Category); cat != nil {
		name = cat.Name
	}
	agency := "grid " + rec.GridCode
	if g := c.Grid(rec.GridCode); g != nil {
		agency = g.Name
	}
	if st := c.Street(rec.StreetCode); st != nil {
		agency = st.Name + " " + agency
	}
	var deps []string
	for _, d := range rec.Departments {
		n := d
		for _, dep := range rules.Departments {
			if dep.Code == d {
				n = dep.Name
			}
		}
		deps = append(deps, n)
	}
	if len(deps) > 0 {
		agency += "; " + strings.Join(deps, "、")
	}
	notes := rec.Status
	if rec.EscalatedTo != "" {
		notes += "; escalated to the street"
	}
	expected := rec.ResolveDue
	if !data.Open(rec.Status) {
		expected = time.Time{}
	}
	return o311RequestJSON{
		ServiceRequestID: rec.ID, Status: open311Status(rec.Status), StatusNotes: notes, ServiceName: name,
		ServiceCode: rec.Category, Description: rec.Description, AgencyResponsible: agency,
		RequestedDatetime: o311Time(rec.ReportedAt), UpdatedDatetime: o311Time(rec.UpdatedAt),
		ExpectedDatetime: o311Time(expected), Address: rec.Address, Lat: rec.Point[1], Long: rec.Point[0],
		Known: []string{rec.Caller.Name, rec.Caller.Phone},
	}
}

type o311Created struct {
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token,omitempty" xml:"token,omitempty"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        *string  `json:"account_id" xml:"account_id"`
	XMLName          xml.Name `json:"-" xml:"request"`
}

type o311CreatedList struct {
	XMLName  xml.Name      `json:"-" xml:"service_requests"`
	Requests []o311Created `xml:"request"`
}

func (l o311CreatedList) jsonValue() any { return l.Requests }

// o311PostRequest creates a service request from form fields: api_key,
// service_code, lat+long or address_string (address_id is not
// supported), description, first_name, last_name, phone; email,
// device_id, account_id, media_url and attribute[] are accepted and
// ignored. An Idempotency-Key header is honoured as on the incidents API.
func (s *Server) o311PostRequest(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			o311Error(w, r, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		o311Error(w, r, http.StatusBadRequest, "form: "+err.Error())
		return
	}
	key := r.PostForm.Get("api_key")
	if key == "" {
		key = r.URL.Query().Get("api_key")
	}
	if key == "" {
		o311Error(w, r, http.StatusUnauthorized, "api_key was not provided")
		return
	}
	p, err := s.lookupToken(r.Context(), key)
	if err != nil || p == nil {
		o311Error(w, r, http.StatusForbidden, "api_key is invalid")
		return
	}
	if !slices.Contains(incidentWriter, p.Role) {
		o311Error(w, r, http.StatusForbidden, "api_key of role "+p.Role+" may not create requests")
		return
	}
	if s.ops.inc == nil || s.ops.commit == nil {
		o311Error(w, r, http.StatusServiceUnavailable, "no incident store configured")
		return
	}
	f := r.PostForm
	code := f.Get("service_code")
	if code == "" {
		o311Error(w, r, http.StatusBadRequest, "service_code was not provided")
		return
	}
	if s.ops.rules.Load().Category(code) == nil {
		o311Error(w, r, http.StatusNotFound, "service_code "+code+" not found")
		return
	}
	in := incidentInput{Category: code, Description: f.Get("description"), Address: f.Get("address_string"), Source: "open311"}
	if in.Description == "" {
		in.Description = "(no description)"
	}
	lat, long := f.Get("lat"), f.Get("long")
	switch {
	case lat != "" || long != "":
		lo, err1 := parseDecimal(long)
		la, err2 := parseDecimal(lat)
		if err1 != nil || err2 != nil {
			o311Error(w, r, http.StatusBadRequest, "lat and long must both be numbers")
			return
		}
		in.Lon, in.Lat = &lo, &la
	case in.Address == "" && f.Get("address_id") != "":
		o311Error(w, r, http.StatusBadRequest, "address_id is not supported; send lat and long or address_string")
		return
	case in.Address == "":
		o311Error(w, r, http.StatusBadRequest, "a location is required: lat and long, or address_string")
		return
	}
	if name := strings.TrimSpace(f.Get("last_name") + f.Get("first_name")); name != "" || f.Get("phone") != "" {
		in.Caller = &struct {
			Name  string `json:"name"`
			Phone string `json:"phone"`
		}{name, f.Get("phone")}
	}
	idem := r.Header.Get("Idempotency-Key")
	hash := ""
	if idem != "" {
		if len(idem) > 200 {
			o311Error(w, r, http.StatusBadRequest, "Idempotency-Key longer than 200 bytes")
			return
		}
		hash = HashToken(f.Encode())
	}
	res, aerr := s.createIncident(p, in, idem, hash)
	if aerr != nil {
		status := aerr.status
		if status == http.StatusUnprocessableEntity {
			status = http.StatusBadRequest // the spec's errors are 400s and 404s
		}
		o311Error(w, r, status, aerr.msg)
		return
	}
	notice := fmt.Sprintf("受理中: routed to grid %s; SLA: accept by %s", res.Record.GridCode, o311Time(res.Record.AcceptDue))
	o311Write(w, r, http.StatusCreated, o311CreatedList{Requests: []o311Created{{ServiceRequestID: res.Record.ID, ServiceNotice: notice}}})
}

// o311Requests lists service requests: service_request_id (a comma list;
// overrides the rest), service_code (comma list), status (open, closed),
// start_date and end_date (W3C datetimes, at most 90 days apart; default
// the last 90 days). At most 1,000 requests, newest first.
func (s *Server) o311Requests(w http.ResponseWriter, r *http.Request) {
	if s.ops.inc == nil {
		o311Error(w, r, http.StatusServiceUnavailable, "no incident store configured")
		return
	}
	q := r.URL.Query()
	if ids := q.Get("service_request_id"); ids != "" {
		l := o311RequestList{Requests: []o311RequestJSON{}}
		for i, id := range strings.Split(ids, ",") {
			if i >= 1000 {
				break
			}
			rec, _, err := s.ops.inc.Incident(r.Context(), strings.TrimSpace(id))
			if isNotFound(err) {
				continue
			}
			if err != nil {
				o311Error(w, r, http.StatusInternalServerError, "internal error")
				return
			}
			l.Requests = append(l.Requests, s.o311Request1(&rec))
		}
		o311Write(w, r, http.StatusOK, l)
		return
	}
	const window = 90 * 24 * time.Hour
	var start, end time.Time
	for name, dst := range map[string]*time.Time{"start_date": &start, "end_date": &end} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				o311Error(w, r, http.StatusBadRequest, name+" must be a W3C datetime such as 2026-11-26T08:00:00+08:00")
				return
			}
			*dst = t
		}
	}
	switch {
	case start.IsZero() && end.IsZero():
		end = s.ops.now()
		start = end.Add(-window)
	case start.IsZero():
		start = end.Add(-window)
	case end.IsZero():
		end = start.Add(window)
	}
	if end.Before(start) {
		o311Error(w, r, http.StatusBadRequest, "end_date is before start_date")
		return
	}
	if end.Sub(start) > window {
		o311Error(w, r, http.StatusBadRequest, "start_date and end_date may be at most 90 days apart")
		return
	}
	f := store.IncidentFilter{From: start, To: end.Add(time.Millisecond), Limit: 1000}
	if v := q.Get("service_code"); v != "" {
		f.Categories = strings.Split(v, ",")
	}
	if v := q.Get("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			switch st {
			case "open":
				for _, x := range data.Statuses {
					if !slices.Contains(open311Closed, x) {
						f.Statuses = append(f.Statuses, x)
					}
				}
			case "closed":
				f.Statuses = append(f.Statuses, open311Closed...)
			default:
				o311Error(w, r, http.StatusBadRequest, "status must be open or closed")
				return
			}
		}
	}
	recs, _, err := s.ops.inc.Incidents(r.Context(), f)
	if err != nil {
		s.log.Error("open311 requests", "err", err)
		o311Error(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	l := o311RequestList{Requests: make([]o311RequestJSON, 0, len(recs))}
	for i := range recs {
		l.Requests = append(l.Requests, s.o311Request1(&recs[i]))
	}
	o311Write(w, r, http.StatusOK, l)
}

func (s *Server) o311Request(w http.ResponseWriter, r *http.Request) {
	if s.ops.inc == nil {
		o311Error(w, r, http.StatusServiceUnavailable, "no incident store configured")
		return
	}
	id := mux.Vars(r)["id"]
	rec, _, err := s.ops.inc.Incident(r.Context(), id)
	if isNotFound(err) {
		o311Error(w, r, http.StatusNotFound, "service_request_id "+id+" not found")
		return
	}
	if err != nil {
		o311Error(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	o311Write(w, r, http.StatusOK, o311RequestList{Requests: []o311RequestJSON{s.o311Request1(&rec)}})
}

type o311TokenJSON struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

type o311TokenList struct {
	XMLName  xml.Name        `json:"-" xml:"service_requests"`
	Requests []o311TokenJSON `xml:"request"`
}

func (l o311TokenList) jsonValue() any { return l.Requests }

// o311Token maps a token to its request: requests are created at once, so
// the token is the request id.
func (s *Server) o311Token(w http.ResponseWriter, r *http.Request) {
	if s.ops.inc == nil {
		o311Error(w, r, http.StatusServiceUnavailable, "no incident store configured")
		return
	}
	id := mux.Vars(r)["id"]
	if _, _, err := s.ops.inc.Incident(r.Context(), id); err != nil {
		o311Error(w, r, http.StatusNotFound, "token "+id+" not found")
		return
	}
	o311Write(w, r, http.StatusOK, o311TokenList{Requests: []o311TokenJSON{{ServiceRequestID: id, Token: id}}})
}
