package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
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
		if n, err := w.writePlaces(&part.Places); err != nil {
			return err
		} else if n > 0 {
			counts = append(counts, fmt.Sprintf("%q:%d", "places", n))
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
	g.hub.Publish(store.Change{Kind: store.ChangeCity})
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
	g.hub.Publish(store.Change{Kind: store.ChangeCity})
	g.log.Debug("store: replace", "path", g.path, "layer", layer, "actor", entry.Actor)
	return nil
}

// allLayers is the order Append writes in: parents before children.
var allLayers = []string{
	data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerGrids,
	data.LayerCompounds, data.LayerBuildings, data.LayerRoads, data.LayerStations, data.LayerPOIs,
	data.LayerCadres, data.LayerReportingUnits, data.LayerIncidents,
	data.LayerStaff, data.LayerAssignments, data.LayerPairings, data.LayerCommitments,
	data.LayerEvaluations, data.LayerContactPoints,
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
	if isFeature(layer) {
		del := rtreeTriggerNames(layer)[5]
		for _, q := range []string{
			"DROP TRIGGER IF EXISTS " + del,
			"DELETE FROM " + layer,
			"DELETE FROM rtree_" + layer + "_geom",
			rtreeTriggers(layer)[5],
		} {
			if err := w.exec(q); err != nil {
				return err
			}
		}
		return w.g.clearExtent(w.ctx, w.tx, layer)
	}
	var ts []string
	switch layer {
	case data.LayerCadres:
		ts = []string{tables.TableCadreGrids, data.LayerCadres}
	case data.LayerReportingUnits:
		ts = []string{tables.TableUnitCommunities, tables.TableUnitDetails, data.LayerReportingUnits}
	case data.LayerStaff, data.LayerAssignments, data.LayerPairings, data.LayerCommitments, data.LayerEvaluations, data.LayerContactPoints:
		ts = []string{layer}
	default:
		return fmt.Errorf("store: clear: unknown layer %q", layer)
	}
	for _, t := range ts {
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
	rs, err := tables.LayerRows(layer, c, w.compoundName)
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if err := w.insert(r); err != nil {
			return 0, err
		}
	}
	return rs[0].N, nil
}

// insert writes a batch of rows with prepared statements. Rows of a
// feature table get their R-tree entry directly instead of through the
// insert trigger, which is dropped for the duration and recreated after.
func (w *txWriter) insert(bt tables.Batch) error {
	if bt.N == 0 {
		return nil
	}
	table, cols := bt.Table, bt.Cols
	if !bt.Geom {
		st, err := w.tx.PrepareContext(w.ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s)",
			table, strings.Join(cols, ", "), strings.Repeat(", ?", len(cols)-1)))
		if err != nil {
			return fmt.Errorf("store: prepare insert into %s: %w", table, err)
		}
		defer st.Close()
		args := make([]any, len(cols))
		for i := range bt.N {
			if _, err := bt.Row(i, args); err != nil {
				return fmt.Errorf("store: %s[%d]: %w", table, i, err)
			}
			if _, err := st.ExecContext(w.ctx, args...); err != nil {
				return fmt.Errorf("store: insert %s[%d] %v: %w", table, i, args[0], err)
			}
		}
		return w.g.touch(w.ctx, w.tx, table)
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
	for i := range bt.N {
		g, err := bt.Row(i, args[1:])
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
	var name tables.String
	err := w.nameStmt.QueryRowContext(w.ctx, code).Scan(&name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: look up compound %q: %w", code, err)
	}
	w.compounds[code] = name.S
	return name.S, nil
}
