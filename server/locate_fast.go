package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// The single-point locate answer is mostly the grid's card, which only
// changes with the city: each snapshot keeps every grid's encoded card
// (masked and personal, built on first use) and every station's encoded
// prefix, so a request costs the lookup and a few appends, not a
// reflective JSON encoding of a kilobyte of nested structs.

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
		routes: nil,
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

// writeLocate writes the answer for a point inside a grid from the cache,
// and falls back to the general encoder for every other match. The bytes
// decode to exactly what Locate would give.
func (s *Server) writeLocate(w http.ResponseWriter, sn *Snapshot, p orb.Point, q LocateQuery, personal bool) {
	lc, _ := sn.Ext("locate-cache").(*locateCache)
	res := sn.Index.Locate(p)
	if lc == nil || res.Match != geo.MatchInside {
		ans := Locate(sn.Index, p, personal)
		ans.Query = q
		writeJSON(w, http.StatusOK, ans)
		return
	}
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
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
	if hits := sn.Index.NearestStations(p, 1); len(hits) > 0 && hits[0].DistanceM <= MaxStationDistance {
		b = append(b, lc.station(hits[0].Index)...)
		b = appendFloat(b, float64(int64(hits[0].DistanceM*10+0.5))/10)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	*bp = b
	bufPool.Put(bp)
}
