package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Vector tiles, TileJSON and the MapLibre style:
//
//	GET /tiles/{z}/{x}/{y}.mvt          all layers
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt  one layer
//	GET /tiles.json                     TileJSON 3.0.0
//	GET /style.json                     MapLibre style (offline: no glyphs, no sprites)

const tilesExt = "tiles"

// TileCacheBytes bounds the encoded tiles each snapshot keeps in memory.
var TileCacheBytes int64 = 256 << 20

// tileState is what the tiles extension derives from one snapshot: the
// tiler and a cache of its encoded tiles. A new snapshot gets a new cache.
type tileState struct {
	tiler   *tiles.Tiler
	cache   *tiles.Cache
	version string // goes into ETags
}

func init() {
	register(extension{name: tilesExt, build: buildTiles, routes: tileRoutes})
}

func buildTiles(sn *Snapshot) (any, error) {
	t, err := tiles.New(sn.City)
	if err != nil {
		return nil, err
	}
	v := "v" + strconv.FormatInt(sn.Version, 10)
	if cv := sn.City.Meta["version"]; cv != "" {
		v += "." + cv
	}
	return &tileState{tiler: t, cache: tiles.NewCache(TileCacheBytes), version: v}, nil
}

func tileRoutes(s *Server, root, _ *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	root.HandleFunc(tilePathRoute, s.handleTile).Methods(get...)
	root.HandleFunc("/tiles/{layer}/{z}/{x}/{y}.mvt", s.handleTile).Methods(get...)
	root.HandleFunc("/tiles.json", s.handleTileJSON).Methods(get...)
	root.HandleFunc("/style.json", s.handleStyle).Methods(get...)
	root.PathPrefix("/tiles/").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such tile: want /tiles/{z}/{x}/{y}.mvt or /tiles/{layer}/{z}/{x}/{y}.mvt")
	})
}

func (s *Server) tileState() *tileState {
	st, _ := s.Current().Ext(tilesExt).(*tileState)
	return st
}

// InvalidateTiles drops from the current snapshot's tile cache every tile,
// at every zoom, that a change inside the lon/lat bound b can alter, and
// returns how many it dropped.
func (s *Server) InvalidateTiles(b orb.Bound) int {
	if st := s.tileState(); st != nil {
		return st.cache.Invalidate(b)
	}
	return 0
}

// parseTile reads z/x/y from the route: non-numbers are a 400, tiles
// outside the pyramid a 404.
func parseTile(zs, xs, ys string) (z, x, y int, status int, err error) {
	var n [3]int
	for i, v := range [3]string{zs, xs, ys} {
		n[i], err = strconv.Atoi(v)
		if err != nil {
			return 0, 0, 0, http.StatusBadRequest, fmt.Errorf("tile %s %q is not an integer", [3]string{"z", "x", "y"}[i], v)
		}
	}
	if err := tiles.CheckTile(n[0], n[1], n[2]); err != nil {
		return 0, 0, 0, http.StatusNotFound, err
	}
	return n[0], n[1], n[2], 0, nil
}

func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	s.answerTile(w, r, v["layer"], v["z"], v["x"], v["y"])
}

// tilePathRoute is the route template of all-layer tiles.
const tilePathRoute = "/tiles/{z}/{x}/{y}.mvt"

// tileZXY splits a path the all-layer tile route matches,
// /tiles/{z}/{x}/{y}.mvt with no slash in a part, as the router would.
func tileZXY(path string) (z, x, y string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/tiles/")
	if !ok {
		return "", "", "", false
	}
	rest, ok = strings.CutSuffix(rest, ".mvt")
	if !ok {
		return "", "", "", false
	}
	z, rest, ok1 := strings.Cut(rest, "/")
	x, y, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || z == "" || x == "" || y == "" || strings.IndexByte(y, '/') >= 0 {
		return "", "", "", false
	}
	return z, x, y, true
}

// serveTileDirect is GET /tiles/{z}/{x}/{y}.mvt without the router.
func (s *Server) serveTileDirect(w http.ResponseWriter, r *http.Request, z, x, y string) {
	s.serveDirect(w, r, tilePathRoute, func(w http.ResponseWriter, _ *Principal) int {
		return s.answerTile(w, r, "", z, x, y)
	})
}

// answerTile writes tile z/x/y of layer ("" for all layers) and returns
// the status written.
func (s *Server) answerTile(w http.ResponseWriter, r *http.Request, layer, zs, xs, ys string) int {
	st := s.tileState()
	if st == nil {
		writeError(w, http.StatusServiceUnavailable, "tiles not ready")
		return http.StatusServiceUnavailable
	}
	z, x, y, status, err := parseTile(zs, xs, ys)
	if err != nil {
		writeError(w, status, err.Error())
		return status
	}
	var enc *tiles.Encoded
	if layer != "" {
		known := false
		for _, l := range st.tiler.Layers() {
			known = known || l.Name == layer
		}
		if !known {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no tile layer %q", layer))
			return http.StatusNotFound
		}
		raw, err := st.tiler.TileLayers(z, x, y, layer)
		if err == nil {
			enc, err = tiles.Encode(raw, st.version+"."+layer)
		}
		if err != nil {
			s.log.Error("tile", "z", z, "x", x, "y", y, "layer", layer, "err", err)
			writeError(w, http.StatusInternalServerError, "tile rendering failed")
			return http.StatusInternalServerError
		}
	} else {
		enc, err = st.cache.GetOrRender(maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), func() (*tiles.Encoded, error) {
			raw, err := st.tiler.Tile(z, x, y)
			if err != nil {
				return nil, err
			}
			return tiles.Encode(raw, st.version)
		})
		if err != nil {
			s.log.Error("tile", "z", z, "x", x, "y", y, "err", err)
			writeError(w, http.StatusInternalServerError, "tile rendering failed")
			return http.StatusInternalServerError
		}
	}
	return serveTile(w, r, enc)
}

// Header values shared by every tile answer (full slices: an append copies).
var (
	hdrVaryEncoding = []string{"Accept-Encoding"}[:1:1]
	hdrTileCache    = []string{"public, max-age=300, stale-while-revalidate=60"}[:1:1]
	hdrGzip         = []string{"gzip"}[:1:1]
	hdrMVT          = []string{"application/vnd.mapbox-vector-tile"}[:1:1]
)

// serveTile writes an encoded tile: gzip when the client takes it, a
// strong ETag per encoding, 304 when If-None-Match holds it, 204 for a
// tile with no features. It returns the status.
func serveTile(w http.ResponseWriter, r *http.Request, enc *tiles.Encoded) int {
	h := w.Header()
	h["Vary"] = hdrVaryEncoding
	h["Cache-Control"] = hdrTileCache
	gz := len(enc.Gzip) > 0 && acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := enc.ETagValue
	if gz {
		etag = enc.GzipETagValue
	}
	if len(etag) == 0 { // an Encoded made by hand
		etag = []string{enc.ETag}
		if gz {
			etag = []string{enc.GzipETag}
		}
	}
	h["Etag"] = etag
	if etagMatch(r.Header.Get("If-None-Match"), etag[0]) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	if len(enc.Raw) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	body := enc.Raw
	if gz {
		body = enc.Gzip
		h["Content-Encoding"] = hdrGzip
	}
	h["Content-Type"] = hdrMVT
	h["Content-Length"] = contentLength(len(body))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return http.StatusOK
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip
// (explicitly or by *) with a non-zero quality.
func acceptsGzip(h string) bool {
	star, gzip := false, false
	gzipSeen := false
	for rest := h; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		ok := true
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, val, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err != nil || q <= 0 {
					ok = false
				}
			}
		}
		switch {
		case strings.EqualFold(name, "gzip") || strings.EqualFold(name, "x-gzip"):
			gzipSeen, gzip = true, ok
		case name == "*":
			star = ok
		}
	}
	if gzipSeen {
		return gzip
	}
	return star
}

// etagMatch reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func etagMatch(h, etag string) bool {
	if h == "" {
		return false
	}
	for h != "" {
		var t string
		t, h, _ = strings.Cut(h, ",")
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// tileBaseURL is the scheme and host the request came to, for absolute links.
func tileBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

func (s *Server) handleTileJSON(w http.ResponseWriter, r *http.Request) {
	st := s.tileState()
	if st == nil {
		writeError(w, http.StatusServiceUnavailable, "tiles not ready")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, st.tiler.TileJSON(tileBaseURL(r)+"/tiles/{z}/{x}/{y}.mvt"))
}

func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) {
	st := s.tileState()
	if st == nil {
		writeError(w, http.StatusServiceUnavailable, "tiles not ready")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, st.tiler.Style(tileBaseURL(r)+"/tiles.json"))
}
