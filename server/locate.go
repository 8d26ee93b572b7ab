package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// LocateAnswer is the JSON answer of GET /api/v1/locate.
type LocateAnswer struct {
	Query          LocateQuery    `json:"query"`
	Point          [2]float64     `json:"point_wgs84"`
	Match          string         `json:"match"`
	DistanceM      *float64       `json:"distance_m"`
	Grid           *GridCard      `json:"grid"`
	NearestGrid    *GridCard      `json:"nearest_grid,omitempty"`
	Community      *Area          `json:"community"`
	Street         *Area          `json:"street"`
	District       *Area          `json:"district"`
	NearestStation *StationAnswer `json:"nearest_station"`
}

// LocateQuery echoes the request.
type LocateQuery struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	CRS string  `json:"crs"`
}

// Area names an administrative area.
type Area struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// PersonCard is a person as the caller may see them.
type PersonCard struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Title string `json:"title,omitempty"`
}

// CadreCard is a cadre sunk to the grid.
type CadreCard struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Unit  string `json:"unit"`
	Rank  string `json:"rank"`
	Phone string `json:"phone"`
}

// GridCard is a grid with the people who serve it.
type GridCard struct {
	Code          string       `json:"code"`
	Name          string       `json:"name"`
	Community     Area         `json:"community"`
	Street        Area         `json:"street"`
	District      Area         `json:"district"`
	Head          PersonCard   `json:"head"`
	Team          []PersonCard `json:"team"`
	Cadres        []CadreCard  `json:"cadres"`
	VolunteerTeam string       `json:"volunteer_team"`
	// Gaps names what the grid lacks of its people today: "head",
	// "worker" (none when staffed); ReportingUnits are the 双报到 units of
	// its community (names only).
	Gaps           []string `json:"gaps"`
	ReportingUnits []Area   `json:"reporting_units"`
	Buildings      int      `json:"buildings"`
	Households     int      `json:"households"`
	Population     int      `json:"population"`
}

// StationAnswer is a station with its distance from the query.
type StationAnswer struct {
	Code      string     `json:"code"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Status    string     `json:"status"`
	Stars     int        `json:"stars"`
	GridCode  string     `json:"grid_code"`
	Point     [2]float64 `json:"point"`
	DistanceM float64    `json:"distance_m"`
}

// ParsePoint reads lon, lat and crs query values into a WGS84 point,
// refusing anything that is not a finite coordinate in range.
func ParsePoint(lonS, latS, crs string) (orb.Point, string, error) {
	if lonS == "" || latS == "" {
		return orb.Point{}, "", errors.New("lon and lat are required")
	}
	lon, err := strconv.ParseFloat(lonS, 64)
	if err != nil || math.IsNaN(lon) || math.IsInf(lon, 0) {
		return orb.Point{}, "", fmt.Errorf("lon %q is not a finite number", lonS)
	}
	lat, err := strconv.ParseFloat(latS, 64)
	if err != nil || math.IsNaN(lat) || math.IsInf(lat, 0) {
		return orb.Point{}, "", fmt.Errorf("lat %q is not a finite number", latS)
	}
	if lon < -180 || lon > 180 {
		return orb.Point{}, "", fmt.Errorf("lon %v out of range -180..180", lon)
	}
	if lat < -90 || lat > 90 {
		return orb.Point{}, "", fmt.Errorf("lat %v out of range -90..90", lat)
	}
	p := orb.Point{lon, lat}
	switch strings.ToLower(crs) {
	case "", "wgs84", "epsg:4326":
		return p, "wgs84", nil
	case "gcj02", "gcj-02":
		return geo.GCJ02ToWGS84(p), "gcj02", nil
	}
	return orb.Point{}, "", fmt.Errorf("crs %q unknown (want wgs84 or gcj02)", crs)
}

// Locate answers one WGS84 point from an index: the grid, its hierarchy
// and people, and the nearest station.
func Locate(ix *geo.Index, p orb.Point, personal bool) *LocateAnswer {
	c := ix.City()
	res := ix.Locate(p)
	ans := &LocateAnswer{Point: [2]float64{p[0], p[1]}, Match: res.Match}
	switch res.Match {
	case geo.MatchInside:
		d := 0.0
		ans.DistanceM = &d
		ans.Grid = gridCard(c, &c.Grids[res.Grid], personal)
		ans.Community, ans.Street, ans.District = &ans.Grid.Community, &ans.Grid.Street, &ans.Grid.District
	default:
		if res.Match == geo.MatchNearest {
			d := round1(res.DistanceM)
			ans.DistanceM = &d
			ans.NearestGrid = gridCard(c, &c.Grids[res.Nearest], personal)
		}
		if res.Community >= 0 {
			ans.Community = &Area{c.Communities[res.Community].Code, c.Communities[res.Community].Name}
		}
		if res.Street >= 0 {
			ans.Street = &Area{c.Streets[res.Street].Code, c.Streets[res.Street].Name}
		}
		if res.District >= 0 {
			ans.District = &Area{c.Districts[res.District].Code, c.Districts[res.District].Name}
		}
	}
	if hit, ok := ix.NearestStation(p); ok {
		st := c.Stations[hit.Index]
		ans.NearestStation = &StationAnswer{
			Code: st.Code, Name: st.Name, Kind: st.Kind, Status: st.Status, Stars: st.Stars,
			GridCode: st.GridCode, Point: [2]float64{st.Point[0], st.Point[1]},
			DistanceM: round1(hit.DistanceM),
		}
	}
	return ans
}

func person(p data.Person, personal bool) PersonCard {
	if !personal {
		return PersonCard{Name: data.MaskName(p.Name), Phone: data.MaskPhone(p.Phone), Title: p.Title}
	}
	return PersonCard{Name: p.Name, Phone: p.Phone, Title: p.Title}
}

func gridCard(c *data.City, g *data.Grid, personal bool) *GridCard {
	card := &GridCard{
		Code: g.Code, Name: g.Name, Head: person(g.Head, personal), VolunteerTeam: g.VolunteerTeam,
		Buildings: g.Buildings, Households: g.Households, Population: g.Population,
		Team: []PersonCard{}, Cadres: []CadreCard{},
	}
	if m := c.Community(g.CommunityCode); m != nil {
		card.Community = Area{m.Code, m.Name}
	}
	if s := c.Street(g.StreetCode); s != nil {
		card.Street = Area{s.Code, s.Name}
	}
	if d := c.District(g.DistrictCode); d != nil {
		card.District = Area{d.Code, d.Name}
	}
	for _, p := range g.Team {
		card.Team = append(card.Team, person(p, personal))
	}
	for _, cd := range c.CadresOf(g.Code) {
		pc := person(data.Person{Name: cd.Name, Phone: cd.Phone}, personal)
		card.Cadres = append(card.Cadres, CadreCard{ID: cd.ID, Name: pc.Name, Unit: cd.Unit, Rank: cd.Rank, Phone: pc.Phone})
	}
	card.Gaps, card.ReportingUnits = []string{}, []Area{}
	if c.HasStaff() {
		if g.Head.Name == "" {
			card.Gaps = append(card.Gaps, "head")
		}
		if len(g.Team) == 0 {
			card.Gaps = append(card.Gaps, "worker")
		}
	}
	for i := range c.ReportingUnits {
		if u := &c.ReportingUnits[i]; slices.Contains(u.CommunityCodes, g.CommunityCode) {
			card.ReportingUnits = append(card.ReportingUnits, Area{u.Code, u.Name})
		}
	}
	return card
}

// handleLocateBatch streams a batch: CSV "id,lon,lat" (text/csv) or a
// GeoJSON FeatureCollection of points (application/geo+json or
// application/json), or newline-delimited JSON points answered as GETs
// (application/x-ndjson, locate_stream.go). Malformed rows come back as rows with match "error";
// their line numbers and reasons follow in the X-Gridmap-Row-Errors
// trailer, and per-row in the body for GeoJSON.
func (s *Server) handleLocateBatch(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	lq, err := parseLocateQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	crs := lq.crs
	if _, _, err := ParsePoint("0", "0", crs); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ix := s.Current().Index
	var errs strings.Builder
	// One trailer line: HTTP clients refuse long ones (Go's past 4 KiB).
	rowErrs := &limitedWriter{b: &errs, n: 3 << 10}
	opt := geo.BatchOptions{CRS: crs, Errors: rowErrs}
	var locate func(context.Context, io.Reader, io.Writer, *geo.Index, geo.BatchOptions) (geo.BatchStats, error)
	var outType string
	switch {
	case isNDJSON(ct):
		fields, err := parseFields(lq.fields)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		personal := s.personal(r)
		locate, outType = func(ctx context.Context, body io.Reader, out io.Writer, _ *geo.Index, opt geo.BatchOptions) (geo.BatchStats, error) {
			rows, bad, err := s.locateNDJSON(ctx, body, out, opt.CRS, fields, personal, opt.Errors)
			return geo.BatchStats{Rows: rows, Errors: bad}, err
		}, "application/x-ndjson"
	case ct == "text/csv" || ct == "text/plain" || ct == "application/csv":
		locate, outType = geo.LocateCSV, "text/csv; charset=utf-8"
	case ct == "application/geo+json" || ct == "application/json":
		locate, outType = geo.LocateGeoJSON, "application/geo+json"
	default:
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send text/csv (id,lon,lat), application/geo+json or application/x-ndjson (one {\"id\",\"lon\",\"lat\"} or [lon,lat] a line)", ct))
		return
	}
	// Hold the first part of the answer back, so that a body that fails
	// early (malformed, too large) still gets a 4xx and a JSON error rather
	// than a 200 with half an answer.
	dw := &deferredWriter{w: w, limit: 256 << 10, header: func() {
		w.Header().Set("Content-Type", outType)
		w.Header().Set("Trailer", "X-Gridmap-Rows, X-Gridmap-Errors, X-Gridmap-Row-Errors, X-Gridmap-Error")
		w.WriteHeader(http.StatusOK)
	}}
	// Answers stream while the body still arrives: without full duplex,
	// net/http would discard up to 256 KB of unread body when the first
	// answer bytes go out, silently dropping rows.
	if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
		s.log.Debug("full duplex unavailable", "err", err)
	}
	st, err := locate(r.Context(), r.Body, dw, ix, opt)
	if err != nil && !dw.committed {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large (limit %d bytes)", mbe.Limit))
		default:
			writeError(w, http.StatusBadRequest, err.Error())
		}
		return
	}
	if err := dw.Flush(); err != nil {
		return
	}
	if err != nil {
		s.log.Warn("batch locate stopped", "err", err, "rows", st.Rows)
		w.Header().Set("X-Gridmap-Error", err.Error())
	}
	w.Header().Set("X-Gridmap-Rows", strconv.FormatInt(st.Rows, 10))
	w.Header().Set("X-Gridmap-Errors", strconv.FormatInt(st.Errors, 10))
	rowErrors := strings.ReplaceAll(strings.TrimSpace(errs.String()), "\n", "; ")
	if rowErrs.dropped > 0 {
		rowErrors += fmt.Sprintf("; … %d more", rowErrs.dropped)
	}
	w.Header().Set("X-Gridmap-Row-Errors", rowErrors)
}

// deferredWriter buffers up to limit bytes before sending the status line
// and the buffered bytes; after that it writes straight through.
type deferredWriter struct {
	w         http.ResponseWriter
	buf       []byte
	limit     int
	committed bool
	header    func()
}

func (d *deferredWriter) Write(p []byte) (int, error) {
	if d.committed {
		return d.w.Write(p)
	}
	d.buf = append(d.buf, p...)
	if len(d.buf) >= d.limit {
		return len(p), d.Flush()
	}
	return len(p), nil
}

// Flush commits the response and writes what is buffered.
func (d *deferredWriter) Flush() error {
	if !d.committed {
		d.committed = true
		d.header()
	}
	if len(d.buf) > 0 {
		_, err := d.w.Write(d.buf)
		d.buf = nil
		return err
	}
	return nil
}

// limitedWriter keeps whole writes (one error line each) while they fit
// in n bytes, and counts those it drops.
type limitedWriter struct {
	b       *strings.Builder
	n       int
	dropped int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) <= l.n {
		l.b.Write(p)
	} else {
		l.dropped++
	}
	return len(p), nil
}
