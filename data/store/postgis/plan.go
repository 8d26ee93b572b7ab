package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// planLock serialises plan applications across replicas.
const planLock = 0x67726d03

// SavePlan stores a draft (inserting or updating it by ID). An applied
// plan cannot be changed.
func (s *Store) SavePlan(ctx context.Context, p store.PlanRecord) error {
	if p.ID == "" || p.Name == "" || p.CreatedBy == "" {
		return errors.New("store: a plan needs an id, a name and its author")
	}
	now := s.now()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.Edits == nil {
		p.Edits = []byte("[]")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, "SELECT status FROM plans WHERE id = $1 FOR UPDATE", p.ID).Scan(&status)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO plans (id, name, base_version, status, created_at, created_by, updated_at, edits)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.ID, p.Name, p.BaseVersion, store.PlanDraft, ms(p.CreatedAt), p.CreatedBy, ms(now), string(p.Edits))
		case err != nil:
		case status == store.PlanApplied:
			return store.ErrPlanApplied
		default:
			_, err = tx.Exec(ctx, `UPDATE plans SET name = $1, edits = $2, updated_at = $3 WHERE id = $4`, p.Name, string(p.Edits), ms(now), p.ID)
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
func (s *Store) Plan(ctx context.Context, id string) (store.PlanRecord, error) {
	p, err := scanPlan(s.pool.QueryRow(ctx, "SELECT "+planCols+" FROM plans WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, store.ErrNoPlan
	}
	if err != nil {
		return p, wrapErr(fmt.Errorf("store: plan %s: %w", id, err))
	}
	return p, nil
}

// Plans lists the stored plans, newest first.
func (s *Store) Plans(ctx context.Context) ([]store.PlanRecord, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+planCols+" FROM plans ORDER BY fid DESC")
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: plans: %w", err))
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
	return out, wrapErr(rows.Err())
}

// RetiredCodes returns every grid code retired by an applied plan.
func (s *Store) RetiredCodes(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT code FROM plan_retired_codes ORDER BY code")
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: retired codes: %w", err))
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if len(codes) == 0 {
		codes = nil // as the GeoPackage's
	}
	return codes, wrapErr(err)
}

// LayoutVersionNow returns the number of the layout in force: 0 before
// any plan was applied.
func (s *Store) LayoutVersionNow(ctx context.Context) (int64, error) {
	v, err := currentVersion(ctx, s.pool)
	return v, wrapErr(err)
}

func currentVersion(ctx context.Context, q querier) (int64, error) {
	var v *int64
	if err := q.QueryRow(ctx, "SELECT max(version) FROM plan_versions").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: layout version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// LayoutVersions lists the stored layout versions (without snapshots),
// oldest first.
func (s *Store) LayoutVersions(ctx context.Context) ([]store.LayoutVersion, error) {
	rows, err := s.pool.Query(ctx, "SELECT version, at, actor, plan_id, summary FROM plan_versions ORDER BY version")
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: layout versions: %w", err))
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
	return out, wrapErr(rows.Err())
}

// LayoutVersion returns one stored layout version with its snapshot.
func (s *Store) LayoutVersion(ctx context.Context, version int64) (store.LayoutVersion, error) {
	var v store.LayoutVersion
	var at tables.Time
	var pid, sum, snap tables.String
	err := s.pool.QueryRow(ctx, "SELECT version, at, actor, plan_id, summary, snapshot FROM plan_versions WHERE version = $1", version).
		Scan(&v.Version, &at, &v.Actor, &pid, &sum, &snap)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, store.ErrNoVersion
	}
	if err != nil {
		return v, wrapErr(fmt.Errorf("store: layout version %d: %w", version, err))
	}
	v.At, v.PlanID, v.Summary, v.Snapshot = at.T, pid.S, sum.S, []byte(snap.S)
	return v, nil
}

// ApplyPlan writes a plan in one transaction (see store.PlanStore). Plan
// applications are serialised across replicas by an advisory lock, so the
// stale-plan check and the new version number hold for all of them.
func (s *Store) ApplyPlan(ctx context.Context, a store.PlanApply) (int64, error) {
	if a.City == nil || a.PlanID == "" || a.Actor == "" || len(a.After) == 0 {
		return 0, errors.New("store: apply plan: city, plan id, actor and snapshot are required")
	}
	var version int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(planLock)); err != nil {
			return fmt.Errorf("store: apply plan: lock: %w", err)
		}
		var status string
		err := tx.QueryRow(ctx, "SELECT status FROM plans WHERE id = $1", a.PlanID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNoPlan
		}
		if err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		if status == store.PlanApplied {
			return store.ErrPlanApplied
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM plan_versions").Scan(&n); err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		cur, err := currentVersion(ctx, tx)
		if err != nil {
			return err
		}
		if cur != a.BaseVersion {
			return fmt.Errorf("%w: plan made on version %d, layout now at %d", store.ErrStalePlan, a.BaseVersion, cur)
		}
		now := ms(s.now())
		if n == 0 {
			if len(a.Before) == 0 {
				return errors.New("store: apply plan: the first plan needs the snapshot before it")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO plan_versions (version, at, actor, plan_id, summary, snapshot) VALUES (0, $1, $2, NULL, $3, $4)`,
				now, a.Actor, `{"note":"layout before the first plan"}`, string(a.Before)); err != nil {
				return fmt.Errorf("store: apply plan: version 0: %w", err)
			}
		}
		rows, err := tx.Query(ctx, "SELECT code FROM plan_retired_codes")
		if err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		retired := map[string]bool{}
		for _, c := range codes {
			retired[c] = true
		}
		for _, gr := range a.City.Grids {
			if retired[gr.Code] {
				return fmt.Errorf("%w: %s", store.ErrRetiredReuse, gr.Code)
			}
		}
		names := compoundNames(ctx, tx, a.City)
		if a.Delta == nil {
			for _, layer := range []string{data.LayerGrids, data.LayerCompounds, data.LayerBuildings, data.LayerStations, data.LayerCadres} {
				if _, err := tx.Exec(ctx, "DELETE FROM "+layer); err != nil {
					return fmt.Errorf("store: apply plan: %s: %w", layer, err)
				}
			}
			for _, layer := range []string{data.LayerGrids, data.LayerCompounds, data.LayerBuildings, data.LayerStations, data.LayerCadres} {
				if _, err := writeLayer(ctx, tx, layer, a.City, names); err != nil {
					return fmt.Errorf("store: apply plan: %s: %w", layer, err)
				}
			}
		} else if err := applyDelta(ctx, tx, a, names); err != nil {
			return err
		}
		for _, in := range a.Incidents {
			if _, err := tx.Exec(ctx, "UPDATE incidents SET grid_code = $1 WHERE id = $2", in.GridCode, in.ID); err != nil {
				return fmt.Errorf("store: apply plan: incident %s: %w", in.ID, err)
			}
		}
		for _, c := range a.Retired {
			if _, err := tx.Exec(ctx, "INSERT INTO plan_retired_codes (code, retired_at, plan_id) VALUES ($1, $2, $3)", c, now, a.PlanID); err != nil {
				return fmt.Errorf("store: apply plan: retire %s: %w", c, err)
			}
		}
		version = cur + 1
		if _, err := tx.Exec(ctx, `INSERT INTO plan_versions (version, at, actor, plan_id, summary, snapshot) VALUES ($1, $2, $3, $4, $5, $6)`,
			version, now, a.Actor, a.PlanID, a.Summary, string(a.After)); err != nil {
			return fmt.Errorf("store: apply plan: version: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE plans SET status = $1, applied_at = $2, applied_version = $3, updated_at = $2 WHERE id = $4",
			store.PlanApplied, now, version, a.PlanID); err != nil {
			return fmt.Errorf("store: apply plan: %w", err)
		}
		if err := setMeta(ctx, tx, map[string]string{"layout_version": strconv.FormatInt(version, 10)}); err != nil {
			return err
		}
		for _, b := range tables.ChangeRows(store.PeopleRecords(store.PlanPeople(a, s.now()))) {
			if err := upsert(ctx, tx, b); err != nil {
				return fmt.Errorf("store: apply plan: people: %w", err)
			}
		}
		if err := notify(ctx, tx, store.ChangeCity, version); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, data.AuditEntry{Actor: a.Actor, Action: "plan.apply", Target: "plan/" + a.PlanID, Detail: a.Summary})
	})
	if err != nil {
		return 0, err
	}
	s.log.Info("store: plan applied", "plan", a.PlanID, "version", version, "actor", a.Actor)
	return version, nil
}

// applyDelta writes only what the plan changed (see the GeoPackage's);
// the hierarchy's foreign keys are checked at commit, so rows may be
// deleted and written again in any order.
func applyDelta(ctx context.Context, tx pgx.Tx, a store.PlanApply, names func(string) (string, error)) error {
	d := a.Delta
	exec := func(q string, args ...any) error {
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: apply plan: %s: %w", q, err)
		}
		return nil
	}
	write := map[string]bool{}
	for _, c := range d.Grids {
		write[c] = true
	}
	if err := exec("DELETE FROM grids WHERE code = ANY($1)", append(append([]string(nil), d.Grids...), a.Retired...)); err != nil {
		return err
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
	var old []string
	newCodes := map[string]bool{}
	for o, nc := range d.Compounds {
		old = append(old, o)
		newCodes[nc] = true
	}
	if err := exec("DELETE FROM buildings WHERE compound_code = ANY($1)", old); err != nil {
		return err
	}
	if err := exec("DELETE FROM compounds WHERE code = ANY($1)", old); err != nil {
		return err
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
		if _, err := writeLayer(ctx, tx, layer, part, names); err != nil {
			return fmt.Errorf("store: apply plan: %s: %w", layer, err)
		}
	}
	for code, gc := range d.Stations {
		if err := exec("UPDATE stations SET grid_code = $1 WHERE code = $2", gc, code); err != nil {
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
		if err := exec("DELETE FROM cadre_grids WHERE cadre_id = $1", id); err != nil {
			return err
		}
		for j, gc := range cd.GridCodes {
			if err := exec("INSERT INTO cadre_grids (cadre_id, seq, grid_code) VALUES ($1, $2, $3)", id, int64(j), gc); err != nil {
				return err
			}
		}
	}
	for _, st := range tables.RecodePlaces(d.Compounds) {
		if err := exec(numbered(st.SQL), st.Args...); err != nil {
			return err
		}
	}
	return nil
}
