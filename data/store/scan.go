package store

import "github.com/gridmap/gridmap/data/store/tables"

// The row readers below serve the backends: both read plans and tokens in
// the same columns.

// PlanColumns are the columns of plans that ScanPlan reads.
const PlanColumns = `id, name, base_version, status, created_at, created_by, updated_at, applied_at, applied_version, edits`

// ScanPlan reads one plans row in PlanColumns.
func ScanPlan(r tables.Scanner) (PlanRecord, error) {
	var p PlanRecord
	var created, updated, applied tables.Time
	var av tables.Int
	var edits tables.String
	if err := r.Scan(&p.ID, &p.Name, &p.BaseVersion, &p.Status, &created, &p.CreatedBy, &updated, &applied, &av, &edits); err != nil {
		return p, err
	}
	p.CreatedAt, p.UpdatedAt, p.AppliedAt = created.T, updated.T, applied.T
	p.AppliedVersion = av.I
	p.Edits = []byte(edits.S)
	return p, nil
}

// TokenColumns are the columns of api_tokens that ScanToken reads.
const TokenColumns = `id, name, role, hash, created_at, created_by, revoked_at`

// ScanToken reads one api_tokens row in TokenColumns.
func ScanToken(r tables.Scanner) (Token, error) {
	var (
		id, name, role, hash, createdBy tables.String
		created, revoked                tables.Time
	)
	if err := r.Scan(&id, &name, &role, &hash, &created, &createdBy, &revoked); err != nil {
		return Token{}, err
	}
	return Token{ID: id.S, Name: name.S, Role: role.S, Hash: hash.S, CreatedAt: created.T, CreatedBy: createdBy.S, RevokedAt: revoked.T}, nil
}
