package server

import (
	"math"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
)

// Stats are the city-wide key figures the command-centre wall map shows:
// GET /api/v1/stats.
type Stats struct {
	Version     int64     `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`

	Districts   int `json:"districts"`
	Streets     int `json:"streets"`
	Communities int `json:"communities"`
	Grids       int `json:"grids"`
	Buildings   int `json:"buildings"`
	Households  int `json:"households"`
	Population  int `json:"population"`

	// Cadres counts the cadres sunk to at least one grid;
	// GridsWithCadres the grids helped by at least one of them.
	Cadres          int `json:"cadres_deployed"`
	GridsWithCadres int `json:"grids_with_cadres"`

	Stations        int `json:"stations"`
	StationsBuilt   int `json:"stations_built"`
	StationsPlanned int `json:"stations_planned"`
	// GridsCovered counts grids with a built station inside them;
	// CoveragePct is their share of all grids, in percent.
	GridsCovered int     `json:"grids_covered"`
	CoveragePct  float64 `json:"coverage_pct"`

	Incidents     int `json:"incidents"`
	OpenIncidents int `json:"open_incidents"`
	// OpenByStatus counts open incidents by their status.
	OpenByStatus map[string]int `json:"open_by_status"`

	// BBox is the extent of the grids: minLon, minLat, maxLon, maxLat.
	BBox [4]float64 `json:"bbox"`
}

// GridStat is one grid's figures for colouring the map:
// GET /api/v1/stats/grids.
type GridStat struct {
	Code          string `json:"code"`
	Households    int    `json:"households"`
	Population    int    `json:"population"`
	Cadres        int    `json:"cadres"`
	StationsBuilt int    `json:"stations_built"`
	// StationsPlanned counts planned sites inside the grid.
	StationsPlanned int `json:"stations_planned"`
	OpenIncidents   int `json:"open_incidents"`
}

// statsExt is what the stats extension derives from each snapshot.
type statsExt struct {
	city  Stats
	grids []GridStat
}

// IncidentOpen reports whether an incident still needs work: every status
// but resolved and closed.
func IncidentOpen(status string) bool {
	return status != "resolved" && status != "closed"
}

// ComputeStats derives the key figures and the per-grid figures of a city.
func ComputeStats(c *data.City) (Stats, []GridStat) {
	st := Stats{
		Districts: len(c.Districts), Streets: len(c.Streets), Communities: len(c.Communities),
		Grids: len(c.Grids), Buildings: len(c.Buildings), Stations: len(c.Stations),
		Incidents: len(c.Incidents), OpenByStatus: map[string]int{},
	}
	grids := make([]GridStat, len(c.Grids))
	at := make(map[string]int, len(c.Grids))
	bb := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i := range c.Grids {
		g := &c.Grids[i]
		at[g.Code] = i
		grids[i] = GridStat{Code: g.Code, Households: g.Households, Population: g.Population}
		st.Households += g.Households
		st.Population += g.Population
		b := g.Geom.Bound()
		bb[0], bb[1] = math.Min(bb[0], b.Min[0]), math.Min(bb[1], b.Min[1])
		bb[2], bb[3] = math.Max(bb[2], b.Max[0]), math.Max(bb[3], b.Max[1])
	}
	if len(c.Grids) > 0 {
		st.BBox = bb
	}
	for i := range c.Cadres {
		deployed := false
		for _, code := range c.Cadres[i].GridCodes {
			if j, ok := at[code]; ok {
				grids[j].Cadres++
				deployed = true
			}
		}
		if deployed {
			st.Cadres++
		}
	}
	for i := range c.Stations {
		s := &c.Stations[i]
		switch s.Status {
		case data.StationBuilt:
			st.StationsBuilt++
			if j, ok := at[s.GridCode]; ok {
				grids[j].StationsBuilt++
			}
		case data.StationPlanned:
			st.StationsPlanned++
			if j, ok := at[s.GridCode]; ok {
				grids[j].StationsPlanned++
			}
		}
	}
	for i := range c.Incidents {
		n := &c.Incidents[i]
		if !IncidentOpen(n.Status) {
			continue
		}
		st.OpenIncidents++
		st.OpenByStatus[n.Status]++
		if j, ok := at[n.GridCode]; ok {
			grids[j].OpenIncidents++
		}
	}
	for _, g := range grids {
		if g.StationsBuilt > 0 {
			st.GridsCovered++
		}
		if g.Cadres > 0 {
			st.GridsWithCadres++
		}
	}
	if st.Grids > 0 {
		st.CoveragePct = math.Round(1000*float64(st.GridsCovered)/float64(st.Grids)) / 10
	}
	return st, grids
}

func init() {
	register(extension{
		name: "stats",
		build: func(sn *Snapshot) (any, error) {
			st, grids := ComputeStats(sn.City)
			st.Version, st.GeneratedAt = sn.Version, sn.Loaded.UTC().Truncate(time.Second)
			return &statsExt{city: st, grids: grids}, nil
		},
		routes: func(s *Server, _, api *mux.Router) {
			api.HandleFunc("/stats", s.handleStats).Methods(http.MethodGet, http.MethodHead)
			api.HandleFunc("/stats/grids", s.handleGridStats).Methods(http.MethodGet, http.MethodHead)
		},
	})
}

func (s *Server) stats() *statsExt {
	x, _ := s.Current().Ext("stats").(*statsExt)
	return x
}

// handleStats serves the city's key figures; the wall map polls it.
func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	x := s.stats()
	if x == nil {
		writeError(w, http.StatusServiceUnavailable, "stats not ready")
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, x.city)
}

// handleGridStats serves every grid's figures, in the order of the city's
// grids, so the map can colour grids by a measure without new tiles.
func (s *Server) handleGridStats(w http.ResponseWriter, _ *http.Request) {
	x := s.stats()
	if x == nil {
		writeError(w, http.StatusServiceUnavailable, "stats not ready")
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"version": x.city.Version, "grids": x.grids})
}
