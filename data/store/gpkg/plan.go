package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// SavePlan stores a draft (inserting or updating it by ID). An applied
// plan cannot be changed.
func (g *Store) SavePlan(ctx context.Context, p store.PlanRecord) error {
	if p.ID == "" || p.Name == "" || p.CreatedBy == "" {
		return errors.New("store: a plan needs an id, a name and its author")
	}
	now := g.now()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.Edits == nil {
		p.Edits = []byte("[]")
	}
	return g.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status FROM plans WHERE id = ?", p.ID).Scan(&status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO plans (id, name, base_version, status, created_at, created_by, updated_at, edits)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Name, p.BaseVersion, store.PlanDraft, tables.FormatTime(p.CreatedAt), p.CreatedBy, tables.FormatTime(now), string(p.Edits))
		case err != nil:
		case status == store.PlanApplied:
			return store.ErrPlanApplied
		default:
			_, err = tx.ExecContext(ctx, `UPDATE plans SET name = ?, edits = ?, updated_at = ? WHERE id = ?`, p.Name, string(p.Edits), tables.FormatTime(now), p.ID)
		}
		if err != nil {
			return fmt.Errorf("store: save plan %s: %w", p.ID, err)
		}
		return nil
	})
}

const planCols = store.PlanColumns

var scanPlan = store.ScanPlan

// Plan returns the stored plan with the ID.
func (g *Store) Plan(ctx context.Context, id string) (store.PlanRecord, error) {
	p, err := scanPlan(g.r.QueryRowContext(ctx, "SELECT "+planCols+" FROM plans WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNoPlan
	}
	if err != nil {
		return p, fmt.Errorf("store: plan %s: %w", id, err)
	}
	return p, nil
}

// Plans lists the stored plans, newest first.
func (g *Store) Plans(ctx context.Context) ([]store.PlanRecord, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT "+planCols+" FROM plans ORDER BY fid DESC")
	if err != nil {
		return nil, fmt.Errorf("store: plans: %w", err)
	}
	defer rows.Close()
	var out []store.PlanRecord
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: plans: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RetiredCodes returns every grid code retired by an applied plan.
func (g *Store) RetiredCodes(ctx context.Context) ([]string, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT code FROM plan_retired_codes ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("store: retired codes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LayoutVersionNow returns the number of the layout in force: 0 before
// any plan was applied.
func (g *Store) LayoutVersionNow(ctx context.Context) (int64, error) {
	return currentVersion(ctx, g.r)
}

func currentVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT max(version) FROM plan_versions").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: layout version: %w", err)
	}
	return v.Int64, nil
}

// LayoutVersions lists the stored layout versions (without snapshots),
// oldest first.
func (g *Store) LayoutVersions(ctx context.Context) ([]store.LayoutVersion, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT version, at, actor, plan_id, summary FROM plan_versions ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("store: layout versions: %w", err)
	}
	defer rows.Close()
	var out []store.LayoutVersion
	for rows.Next() {
		var v store.LayoutVersion
		var at tables.Time
		var pid, sum tables.String
		if err := rows.Scan(&v.Version, &at, &v.Actor, &pid, &sum); err != nil {
			return nil, err
		}
		v.At, v.PlanID, v.Summary = at.T, pid.S, sum.S
		out = append(out, v)
	}
	return out, rows.Err()
}

// LayoutVersion returns one stored layout version with its snapshot.
func (g *Store) LayoutVersion(ctx context.Context, version int64) (store.LayoutVersion, error) {
	var v store.LayoutVersion
	var at tables.Time
	var pid, sum tables.String
	err := g.r.QueryRowContext(ctx, "SELECT version, at, actor, plan_id, summary, snapshot FROM plan_versions WHERE version = ?", version).
		Scan(&v.Version, &at, &v.Actor, &pid, &sum, &v.Snapshot)
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNoVersion
	}
	if err != nil {
		return v, fmt.Errorf("store: layout version %d: %w", version, err)
	}
	v.At, v.PlanID, v.Summary = at.T, pid.S, sum.S
	return v, nil
}

// ApplyPlan writes a plan in one transaction: the grids, compounds,
// buildings (grid and compound codes), stations and cadre assignments of
// the new city, the open incidents' new grids, the retired codes, the new
// layout version and the audit entry. It fails with ErrStalePlan when the
// layout changed since the plan's base version and with ErrRetiredReuse
// when a grid of the new layout bears a retired code; on any error
// nothing changes. It returns the new layout version.
func (g *Store) ApplyPlan(ctx context.Context, a store.PlanApply) (int64, error) {
	if a.City == nil || a.PlanID == "" || a.Actor == "" || len(a.After) == 0 {
		return 0, errors.New("store: apply plan: city, plan id, actor and snapshot are required")
	}
	var version int64
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status FROM plans WHERE id = ?", a.PlanID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNoPlan
		}
		if err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		if status == store.PlanApplied {
			return store.ErrPlanApplied
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM plan_versions").Scan(&n); err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		cur, err := currentVersion(ctx, tx)
		if err != nil {
			return err
		}
		if cur != a.BaseVersion {
			return fmt.Errorf("%w: plan made on version %d, layout now at %d", store.ErrStalePlan, a.BaseVersion, cur)
		}
		now := g.now()
		if n == 0 {
			if len(a.Before) == 0 {
				return errors.New("store: apply plan: the first plan needs the snapshot before it")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO plan_versions (version, at, actor, plan_id, summary, snapshot) VALUES (0, ?, ?, NULL, ?, ?)`,
				tables.FormatTime(now), a.Actor, `{"note":"layout before the first plan"}`, string(a.Before)); err != nil {
				return fmt.Errorf("store: apply plan: version 0: %w", err)
			}
		}
		retired := map[string]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT code FROM plan_retired_codes")
		if err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			retired[c] = true
		}
		rows.Close()
		for _, gr := range a.City.Grids {
			if retired[gr.Code] {
				return fmt.Errorf("%w: %s", store.ErrRetiredReuse, gr.Code)
			}
		}
		w := newTxWriter(ctx, g, tx, a.City)
		defer w.close()
		if a.Delta == nil {
			for _, layer := range []string{data.LayerGrids, data.LayerCompounds, data.LayerBuildings, data.LayerStations, data.LayerCadres} {
				if err := w.clear(layer); err != nil {
					return err
				}
				if _, err := w.writeLayer(layer, a.City); err != nil {
					return fmt.Errorf("store: apply plan: %s: %w", layer, err)
				}
			}
		} else if err := g.applyDelta(ctx, tx, w, a); err != nil {
			return err
		}
		if len(a.Incidents) > 0 {
			st, err := tx.PrepareContext(ctx, "UPDATE incidents SET grid_code = ? WHERE id = ?")
			if err != nil {
				return fmt.Errorf("store: apply plan: %w", err)
			}
			defer st.Close()
			for _, in := range a.Incidents {
				if _, err := st.ExecContext(ctx, in.GridCode, in.ID); err != nil {
					return fmt.Errorf("store: apply plan: incident %s: %w", in.ID, err)
				}
			}
			if err := g.touch(ctx, tx, data.LayerIncidents); err != nil {
				return err
			}
		}
		for _, c := range a.Retired {
			if _, err := tx.ExecContext(ctx, "INSERT INTO plan_retired_codes (code, retired_at, plan_id) VALUES (?, ?, ?)", c, tables.FormatTime(now), a.PlanID); err != nil {
				return fmt.Errorf("store: apply plan: retire %s: %w", c, err)
			}
		}
		version = cur + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO plan_versions (version, at, actor, plan_id, summary, snapshot) VALUES (?, ?, ?, ?, ?, ?)`,
			version, tables.FormatTime(now), a.Actor, a.PlanID, a.Summary, string(a.After)); err != nil {
			return fmt.Errorf("store: apply plan: version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE plans SET status = ?, applied_at = ?, applied_version = ?, updated_at = ? WHERE id = ?",
			store.PlanApplied, tables.FormatTime(now), version, tables.FormatTime(now), a.PlanID); err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		if err := g.setMeta(ctx, tx, map[string]string{"layout_version": strconv.FormatInt(version, 10)}); err != nil {
			return err
		}
		for _, b := range tables.ChangeRows(store.PeopleRecords(store.PlanPeople(a, now))) {
			if err := g.upsert(ctx, tx, b); err != nil {
				return fmt.Errorf("store: apply plan: people: %w", err)
			}
		}
		return g.appendAudit(ctx, tx, data.AuditEntry{Actor: a.Actor, Action: "plan.apply", Target: "plan/" + a.PlanID, Detail: a.Summary})
	})
	if err != nil {
		return 0, err
	}
	g.hub.Publish(store.Change{Kind: store.ChangeCity})
	g.log.Info("store: plan applied", "path", g.path, "plan", a.PlanID, "version", version, "actor", a.Actor)
	return version, nil
}

// applyDelta writes only what the plan changed: changed and created grids
// are rewritten and retired ones deleted; re-coded compounds and their
// buildings are deleted and inserted again (all deletions first, so codes
// may move between compounds); stations and cadres are updated in place.
func (g *Store) applyDelta(ctx context.Context, tx *sql.Tx, w *txWriter, a store.PlanApply) error {
	d := a.Delta
	exec := func(q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: apply plan: %s: %w", q, err)
		}
		return nil
	}
	write := map[string]bool{}
	for _, c := range d.Grids {
		write[c] = true
	}
	for _, c := range append(append([]string(nil), d.Grids...), a.Retired...) {
		if err := exec("DELETE FROM grids WHERE code = ?", c); err != nil {
			return err
		}
	}
	part := &data.City{}
	for _, gr := range a.City.Grids {
		if write[gr.Code] {
			part.Grids = append(part.Grids, gr)
		}
	}
	if len(part.Grids) != len(write) {
		return fmt.Errorf("store: apply plan: %d grids to write, %d found in the city", len(write), len(part.Grids))
	}
	newCodes := map[string]bool{}
	for old, nc := range d.Compounds {
		if err := exec("DELETE FROM buildings WHERE compound_code = ?", old); err != nil {
			return err
		}
		if err := exec("DELETE FROM compounds WHERE code = ?", old); err != nil {
			return err
		}
		newCodes[nc] = true
	}
	for _, cp := range a.City.Compounds {
		if newCodes[cp.Code] {
			part.Compounds = append(part.Compounds, cp)
		}
	}
	for _, b := range a.City.Buildings {
		if newCodes[b.CompoundCode] {
			part.Buildings = append(part.Buildings, b)
		}
	}
	for _, layer := range []string{data.LayerGrids, data.LayerCompounds, data.LayerBuildings} {
		if _, err := w.writeLayer(layer, part); err != nil {
			return fmt.Errorf("store: apply plan: %s: %w", layer, err)
		}
	}
	for code, gc := range d.Stations {
		if err := exec("UPDATE stations SET grid_code = ? WHERE code = ?", gc, code); err != nil {
			return err
		}
	}
	cadres := map[string]*data.Cadre{}
	for i := range a.City.Cadres {
		cadres[a.City.Cadres[i].ID] = &a.City.Cadres[i]
	}
	for _, id := range d.Cadres {
		cd := cadres[id]
		if cd == nil {
			return fmt.Errorf("store: apply plan: no cadre %s in the city", id)
		}
		if err := exec("DELETE FROM cadre_grids WHERE cadre_id = ?", id); err != nil {
			return err
		}
		for j, gc := range cd.GridCodes {
			if err := exec("INSERT INTO cadre_grids (cadre_id, seq, grid_code) VALUES (?, ?, ?)", id, int64(j), gc); err != nil {
				return err
			}
		}
	}
	for _, st := range tables.RecodePlaces(d.Compounds) {
		if err := exec(st.SQL, st.Args...); err != nil {
			return err
		}
	}
	for _, t := range []string{data.LayerGrids, data.LayerCompounds, data.LayerBuildings, data.LayerStations, data.LayerCadres, tables.TableCadreGrids} {
		if err := g.touch(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}
