package server

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gridmap/gridmap/geo/geocode"
)

// The geocoder: GET /api/v1/geocode?q=&limit=, the type-ahead
// GET /api/v1/geocode/suggest?q=&limit= and GET /api/v1/reverse?lon=&lat=.
// Its gazetteer is built from each snapshot's city and index, so a reload
// rebuilds it with everything else.
func init() {
	register(extension{
		name: "geocode",
		build: func(sn *Snapshot) (any, error) {
			return geocode.New(sn.City, sn.Index)
		},
		routes: func(s *Server) []Route {
			q := Param{Name: "q", Required: true, MaxLen: geocode.MaxQueryBytes, Desc: "the address"}
			return []Route{
				{Method: http.MethodGet, Path: "/api/v1/geocode", Tag: "Geocode", Summary: "Ranked candidates for an address",
					Params: []Param{q, pLimit(5, 50)}, Errors: []int{503}, Handler: s.handleGeocode},
				{Method: http.MethodGet, Path: "/api/v1/geocode/suggest", Tag: "Geocode", Summary: "Type-ahead suggestions",
					Params: []Param{q, pLimit(10, 50)}, Errors: []int{503}, Handler: s.handleSuggest},
				{Method: http.MethodGet, Path: "/api/v1/reverse", Tag: "Geocode", Summary: "The address nearest a point",
					Params: []Param{pLon, pLat, pCRS}, Errors: []int{503}, Handler: s.handleReverse},
			}
		},
	})
}

func (s *Server) gazetteer(w http.ResponseWriter) *geocode.Gazetteer {
	g, _ := s.Current().Ext("geocode").(*geocode.Gazetteer)
	if g == nil {
		writeError(w, http.StatusServiceUnavailable, "geocoder not ready")
	}
	return g
}

// addressParam reads the q parameter, refusing what no address can be.
func addressParam(r *http.Request) (string, error) {
	q := r.URL.Query().Get("q")
	switch {
	case strings.TrimSpace(q) == "":
		return "", errors.New("q (the address) is required")
	case len(q) > geocode.MaxQueryBytes:
		return "", errors.New("q too long (at most 1024 bytes)")
	case !utf8.ValidString(q):
		return "", errors.New("q is not valid UTF-8")
	}
	return q, nil
}

// geocodeRequest reads q and limit and finds the snapshot's gazetteer; on
// failure it has already written the error and returns a nil gazetteer.
func (s *Server) geocodeRequest(w http.ResponseWriter, r *http.Request, defLimit int) (string, int, *geocode.Gazetteer) {
	q, err := addressParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return "", 0, nil
	}
	limit, err := intParam(r.URL.Query().Get("limit"), defLimit, 1, 50)
	if err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return "", 0, nil
	}
	return q, limit, s.gazetteer(w)
}

func (s *Server) handleGeocode(w http.ResponseWriter, r *http.Request) {
	q, limit, g := s.geocodeRequest(w, r, 5)
	if g == nil {
		return
	}
	ans, err := g.Geocode(q, limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) handleSuggest(w http.ResponseWriter, r *http.Request) {
	q, limit, g := s.geocodeRequest(w, r, 10)
	if g == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"query": q, "suggestions": g.Suggest(q, limit)})
}

func (s *Server) handleReverse(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, _, err := ParsePoint(q.Get("lon"), q.Get("lat"), q.Get("crs"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	g := s.gazetteer(w)
	if g == nil {
		return
	}
	ans, err := g.Reverse(p)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ans)
}
