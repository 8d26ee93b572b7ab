package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// Append adds every feature of part, and part.Meta, in one transaction, and
// records an "append" entry with the feature counts in the audit trail.
// Codes must be new: a code already stored fails the whole call and nothing
// changes.
//
// To stay fast it bypasses the R-tree insert triggers: each table's trigger
// is dropped, rows and their R-tree entries are inserted through prepared
// statements, and the trigger is recreated, all inside the transaction.
func (g *Store) Append(ctx context.Context, part *data.City) error {
	if part == nil {
		return errors.New("store: append: nil city")
	}
	start := time.Now()
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		w := newTxWriter(ctx, g, tx, part)
		defer w.close()
		var counts []string
		for _, layer := range allLayers {
			n, err := w.writeLayer(layer, part)
			if err != nil {
				return err
			}
			if n > 0 {
				counts = append(counts, fmt.Sprintf("%q:%d", layer, n))
			}
		}
		if err := g.setMeta(ctx, tx, part.Meta); err != nil {
			return err
		}
		return g.appendAudit(ctx, tx, data.AuditEntry{
			Actor: "store", Action: "append", Target: "city",
			Detail: "{" + strings.Join(counts, ",") + "}",
		})
	})
	if err != nil {
		return err
	}
	g.log.Debug("store: append", "path", g.path, "grids", len(part.Grids), "buildings", len(part.Buildings), "took", time.Since(start))
	return nil
}

// Replace swaps every row of layer for layer's slice of city and appends
// entry to the audit trail, in one transaction; on any error (an unknown
// layer, a duplicate code, bad geometry, an audit entry without actor or
// action) nothing changes. Replacing cadres or reporting units replaces
// their grid and community lists too; replacing compounds refreshes the
// compound names in the buildings' addresses.
func (g *Store) Replace(ctx context.Context, layer string, city *data.City, entry data.AuditEntry) error {
	if city == nil {
		return errors.New("store: replace: nil city")
	}
	if !knownLayer(layer) {
		return fmt.Errorf("store: replace: unknown layer %q", layer)
	}
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		w := newTxWriter(ctx, g, tx, city)
		defer w.close()
		if err := w.clear(layer); err != nil {
			return err
		}
		if _, err := w.writeLayer(layer, city); err != nil {
			return err
		}
		if layer == data.LayerCompounds {
			if _, err := tx.ExecContext(ctx, `UPDATE buildings SET compound_name =
	(SELECT name FROM compounds WHERE compounds.code = buildings.compound_code)`); err != nil {
				return fmt.Errorf("store: replace compounds: refresh building addresses: %w", err)
			}
		}
		return g.appendAudit(ctx, tx, entry)
	})
	if err != nil {
		return err
	}
	g.log.Debug("store: replace", "path", g.path, "layer", layer, "actor", entry.Actor)
	return nil
}

// allLayers is the order Append writes in: parents before children.
var allLayers = []string{
	data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerGrids,
	data.LayerCompounds, data.LayerBuildings, data.LayerRoads, data.LayerStations,
	data.LayerCadres, data.LayerReportingUnits, data.LayerIncidents,
}

func knownLayer(layer string) bool {
	for _, l := range allLayers {
		if l == layer {
			return true
		}
	}
	return false
}

// txWriter writes layers inside one transaction.
type txWriter struct {
	ctx       context.Context
	g         *Store
	tx        *sql.Tx
	compounds map[string]string // compound code → name, from the city written
	nameStmt  *sql.Stmt
}

func newTxWriter(ctx context.Context, g *Store, tx *sql.Tx, c *data.City) *txWriter {
	w := &txWriter{ctx: ctx, g: g, tx: tx, compounds: make(map[string]string, len(c.Compounds))}
	for _, cp := range c.Compounds {
		w.compounds[cp.Code] = cp.Name
	}
	return w
}

func (w *txWriter) close() {
	if w.nameStmt != nil {
		w.nameStmt.Close()
	}
}

func (w *txWriter) exec(q string) error {
	if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
		return fmt.Errorf("store: %s: %w", firstLine(q), err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// clear deletes every row of layer (and of its child tables).
func (w *txWriter) clear(layer string) error {
	if t, ok := featureTableByName(layer); ok {
		del := rtreeTriggerNames(t.name)[5]
		for _, q := range []string{
			"DROP TRIGGER IF EXISTS " + del,
			"DELETE FROM " + t.name,
			"DELETE FROM rtree_" + t.name + "_geom",
			rtreeTriggers(t.name)[5],
		} {
			if err := w.exec(q); err != nil {
				return err
			}
		}
		return w.g.clearExtent(w.ctx, w.tx, t.name)
	}
	var tables []string
	switch layer {
	case data.LayerCadres:
		tables = []string{tableCadreGrids, data.LayerCadres}
	case data.LayerReportingUnits:
		tables = []string{tableUnitCommunites, data.LayerReportingUnits}
	default:
		return fmt.Errorf("store: clear: unknown layer %q", layer)
	}
	for _, t := range tables {
		if err := w.exec("DELETE FROM " + t); err != nil {
			return err
		}
		if err := w.g.touch(w.ctx, w.tx, t); err != nil {
			return err
		}
	}
	return nil
}

// writeLayer inserts layer's slice of c and returns how many rows it added.
func (w *txWriter) writeLayer(layer string, c *data.City) (int, error) {
	switch layer {
	case data.LayerDistricts:
		return len(c.Districts), w.features(layer, []string{"code", "name", "seat_lon", "seat_lat"}, len(c.Districts),
			func(i int, a []any) (orb.Geometry, error) {
				d := &c.Districts[i]
				a[0], a[1], a[2], a[3] = d.Code, d.Name, d.Seat[0], d.Seat[1]
				return d.Geom, nil
			})
	case data.LayerStreets:
		return len(c.Streets), w.features(layer, []string{"code", "name", "district_code"}, len(c.Streets),
			func(i int, a []any) (orb.Geometry, error) {
				s := &c.Streets[i]
				a[0], a[1], a[2] = s.Code, s.Name, s.DistrictCode
				return s.Geom, nil
			})
	case data.LayerCommunities:
		return len(c.Communities), w.features(layer, []string{"code", "name", "street_code", "district_code"}, len(c.Communities),
			func(i int, a []any) (orb.Geometry, error) {
				m := &c.Communities[i]
				a[0], a[1], a[2], a[3] = m.Code, m.Name, m.StreetCode, m.DistrictCode
				return m.Geom, nil
			})
	case data.LayerGrids:
		return len(c.Grids), w.features(layer, []string{"code", "name", "community_code", "street_code", "district_code", "seq",
			"head_name", "head_phone", "head_title", "team", "volunteer_team", "volunteers",
			"buildings", "households", "population"}, len(c.Grids),
			func(i int, a []any) (orb.Geometry, error) {
				gr := &c.Grids[i]
				team, err := teamJSON(gr.Team)
				if err != nil {
					return nil, err
				}
				a[0], a[1], a[2], a[3], a[4], a[5] = gr.Code, gr.Name, gr.CommunityCode, gr.StreetCode, gr.DistrictCode, int64(gr.Seq)
				a[6], a[7], a[8], a[9], a[10], a[11] = gr.Head.Name, gr.Head.Phone, gr.Head.Title, team, gr.VolunteerTeam, int64(gr.Volunteers)
				a[12], a[13], a[14] = int64(gr.Buildings), int64(gr.Households), int64(gr.Population)
				return gr.Geom, nil
			})
	case data.LayerCompounds:
		return len(c.Compounds), w.features(layer, []string{"code", "name", "aliases", "grid_code", "community_code",
			"property_status", "property_company", "owners_committee", "party_org"}, len(c.Compounds),
			func(i int, a []any) (orb.Geometry, error) {
				cp := &c.Compounds[i]
				aliases, err := jsonList(cp.Aliases)
				if err != nil {
					return nil, err
				}
				a[0], a[1], a[2], a[3], a[4] = cp.Code, cp.Name, aliases, cp.GridCode, cp.CommunityCode
				a[5], a[6], a[7], a[8] = cp.PropertyStatus, cp.PropertyCompany, cp.OwnersCommittee, cp.PartyOrg
				return cp.Geom, nil
			})
	case data.LayerBuildings:
		return len(c.Buildings), w.features(layer, []string{"code", "compound_code", "grid_code", "community_code",
			"street_code", "district_code", "road", "house_number", "compound_name", "number", "units",
			"floors", "households", "population", "entrance_lon", "entrance_lat"}, len(c.Buildings),
			func(i int, a []any) (orb.Geometry, error) {
				b := &c.Buildings[i]
				name, err := w.compoundName(b.CompoundCode)
				if err != nil {
					return nil, err
				}
				a[0], a[1], a[2], a[3], a[4], a[5] = b.Code, b.CompoundCode, b.GridCode, b.CommunityCode, b.StreetCode, b.DistrictCode
				a[6], a[7], a[8], a[9], a[10] = b.Road, int64(b.HouseNumber), name, int64(b.Number), int64(b.Units)
				a[11], a[12], a[13], a[14], a[15] = int64(b.Floors), int64(b.Households), int64(b.Population), b.Entrance[0], b.Entrance[1]
				return b.Geom, nil
			})
	case data.LayerRoads:
		return len(c.Roads), w.features(layer, []string{"road_id", "name", "class", "from_node", "to_node",
			"left_from", "left_to", "right_from", "right_to"}, len(c.Roads),
			func(i int, a []any) (orb.Geometry, error) {
				r := &c.Roads[i]
				a[0], a[1], a[2], a[3], a[4] = r.ID, r.Name, r.Class, r.FromNode, r.ToNode
				a[5], a[6], a[7], a[8] = int64(r.LeftFrom), int64(r.LeftTo), int64(r.RightFrom), int64(r.RightTo)
				return r.Geom, nil
			})
	case data.LayerStations:
		return len(c.Stations), w.features(layer, []string{"code", "name", "kind", "status", "stars", "grid_code", "community_code"}, len(c.Stations),
			func(i int, a []any) (orb.Geometry, error) {
				s := &c.Stations[i]
				a[0], a[1], a[2], a[3], a[4], a[5], a[6] = s.Code, s.Name, s.Kind, s.Status, int64(s.Stars), s.GridCode, s.CommunityCode
				return s.Point, nil
			})
	case data.LayerIncidents:
		return len(c.Incidents), w.features(layer, []string{"id", "module", "category", "description", "status", "address",
			"grid_code", "community_code", "street_code", "district_code", "departments", "reported_at", "updated_at"}, len(c.Incidents),
			func(i int, a []any) (orb.Geometry, error) {
				in := &c.Incidents[i]
				deps, err := jsonList(in.Departments)
				if err != nil {
					return nil, err
				}
				a[0], a[1], a[2], a[3], a[4], a[5] = in.ID, in.Module, in.Category, in.Description, in.Status, in.Address
				a[6], a[7], a[8], a[9], a[10] = in.GridCode, in.CommunityCode, in.StreetCode, in.DistrictCode, deps
				a[11], a[12] = formatTime(in.ReportedAt), formatTime(in.UpdatedAt)
				return in.Point, nil
			})
	case data.LayerCadres:
		return len(c.Cadres), w.cadres(c.Cadres)
	case data.LayerReportingUnits:
		return len(c.ReportingUnits), w.reportingUnits(c.ReportingUnits)
	}
	return 0, fmt.Errorf("store: unknown layer %q", layer)
}

// features inserts n rows into a feature table with prepared statements,
// writing each row's R-tree entry directly instead of through the insert
// trigger, which is dropped for the duration and recreated after.
func (w *txWriter) features(table string, cols []string, n int, row func(i int, args []any) (orb.Geometry, error)) error {
	if n == 0 {
		return nil
	}
	ins := rtreeTriggerNames(table)[0]
	if err := w.exec("DROP TRIGGER IF EXISTS " + ins); err != nil {
		return err
	}
	st, err := w.tx.PrepareContext(w.ctx, fmt.Sprintf("INSERT INTO %s (geom, %s) VALUES (?%s)",
		table, strings.Join(cols, ", "), strings.Repeat(", ?", len(cols))))
	if err != nil {
		return fmt.Errorf("store: prepare insert into %s: %w", table, err)
	}
	defer st.Close()
	rt, err := w.tx.PrepareContext(w.ctx, "INSERT INTO rtree_"+table+"_geom VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("store: prepare insert into rtree of %s: %w", table, err)
	}
	defer rt.Close()
	args := make([]any, len(cols)+1)
	ext := envelope{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for i := range n {
		g, err := row(i, args[1:])
		if err != nil {
			return fmt.Errorf("store: %s[%d]: %w", table, i, err)
		}
		b, env, err := encodeGeom(g)
		if err != nil {
			return fmt.Errorf("store: %s[%d] %v: %w", table, i, args[1], err)
		}
		if b == nil {
			args[0] = nil
		} else {
			args[0] = b
		}
		res, err := st.ExecContext(w.ctx, args...)
		if err != nil {
			return fmt.Errorf("store: insert %s[%d] %v: %w", table, i, args[1], err)
		}
		if b == nil {
			continue
		}
		ext = envelope{min(ext.minX, env.minX), max(ext.maxX, env.maxX), min(ext.minY, env.minY), max(ext.maxY, env.maxY)}
		fid, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("store: insert %s[%d]: %w", table, i, err)
		}
		if _, err := rt.ExecContext(w.ctx, fid, env.minX, env.maxX, env.minY, env.maxY); err != nil {
			return fmt.Errorf("store: index %s[%d] %v: %w", table, i, args[1], err)
		}
	}
	if err := w.exec(rtreeTriggers(table)[0]); err != nil {
		return err
	}
	if math.IsInf(ext.minX, 0) { // no geometry among the rows
		return w.g.touch(w.ctx, w.tx, table)
	}
	return w.g.extend(w.ctx, w.tx, table, ext)
}

// compoundName finds a compound's name for a building address: in the city
// being written, else in the file.
func (w *txWriter) compoundName(code string) (string, error) {
	if n, ok := w.compounds[code]; ok {
		return n, nil
	}
	if w.nameStmt == nil {
		st, err := w.tx.PrepareContext(w.ctx, "SELECT name FROM compounds WHERE code = ?")
		if err != nil {
			return "", fmt.Errorf("store: prepare compound lookup: %w", err)
		}
		w.nameStmt = st
	}
	var name nullString
	err := w.nameStmt.QueryRowContext(w.ctx, code).Scan(&name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: look up compound %q: %w", code, err)
	}
	w.compounds[code] = name.s
	return name.s, nil
}

func (w *txWriter) cadres(cs []data.Cadre) error {
	if len(cs) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, "INSERT INTO cadres (id, name, unit, rank, phone) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("store: prepare insert into cadres: %w", err)
	}
	defer st.Close()
	lst, err := w.tx.PrepareContext(w.ctx, "INSERT INTO cadre_grids (cadre_id, seq, grid_code) VALUES (?, ?, ?)")
	if err != nil {
		return fmt.Errorf("store: prepare insert into cadre_grids: %w", err)
	}
	defer lst.Close()
	for i := range cs {
		c := &cs[i]
		if _, err := st.ExecContext(w.ctx, c.ID, c.Name, c.Unit, c.Rank, c.Phone); err != nil {
			return fmt.Errorf("store: insert cadres[%d] %q: %w", i, c.ID, err)
		}
		for j, gc := range c.GridCodes {
			if _, err := lst.ExecContext(w.ctx, c.ID, int64(j), gc); err != nil {
				return fmt.Errorf("store: insert cadre %q grid %q: %w", c.ID, gc, err)
			}
		}
	}
	for _, t := range []string{data.LayerCadres, tableCadreGrids} {
		if err := w.g.touch(w.ctx, w.tx, t); err != nil {
			return err
		}
	}
	return nil
}

func (w *txWriter) reportingUnits(us []data.ReportingUnit) error {
	if len(us) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, "INSERT INTO reporting_units (code, name, level, members) VALUES (?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("store: prepare insert into reporting_units: %w", err)
	}
	defer st.Close()
	lst, err := w.tx.PrepareContext(w.ctx, "INSERT INTO reporting_unit_communities (unit_code, seq, community_code) VALUES (?, ?, ?)")
	if err != nil {
		return fmt.Errorf("store: prepare insert into reporting_unit_communities: %w", err)
	}
	defer lst.Close()
	for i := range us {
		u := &us[i]
		if _, err := st.ExecContext(w.ctx, u.Code, u.Name, u.Level, int64(u.Members)); err != nil {
			return fmt.Errorf("store: insert reporting_units[%d] %q: %w", i, u.Code, err)
		}
		for j, cc := range u.CommunityCodes {
			if _, err := lst.ExecContext(w.ctx, u.Code, int64(j), cc); err != nil {
				return fmt.Errorf("store: insert reporting unit %q community %q: %w", u.Code, cc, err)
			}
		}
	}
	for _, t := range []string{data.LayerReportingUnits, tableUnitCommunites} {
		if err := w.g.touch(w.ctx, w.tx, t); err != nil {
			return err
		}
	}
	return nil
}

// person is a Person in the grids.team JSON column.
type person struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	Title string `json:"title,omitempty"`
}

func teamJSON(team []data.Person) (any, error) {
	if team == nil {
		return nil, nil
	}
	ps := make([]person, len(team))
	for i, p := range team {
		ps[i] = person(p)
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return nil, fmt.Errorf("team: %w", err)
	}
	return string(b), nil
}
