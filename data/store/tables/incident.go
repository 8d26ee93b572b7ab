package tables

import (
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// The JSON forms of the dispatch tables, the same in every backend.

// Responder is a data.Responder in the incident_ext.responders JSON column.
type Responder struct {
	Role  string `json:"role"`
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Unit  string `json:"unit,omitempty"`
}

// PublicIncident is the public state of an incident in history rows.
type PublicIncident struct {
	ID            string     `json:"id"`
	Module        string     `json:"module"`
	Category      string     `json:"category"`
	Description   string     `json:"description"`
	Status        string     `json:"status"`
	Point         [2]float64 `json:"point"`
	Address       string     `json:"address"`
	GridCode      string     `json:"grid_code"`
	CommunityCode string     `json:"community_code"`
	StreetCode    string     `json:"street_code"`
	DistrictCode  string     `json:"district_code"`
	Departments   []string   `json:"departments"`
	ReportedAt    time.Time  `json:"reported_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func ToPublic(in data.Incident) PublicIncident {
	return PublicIncident{ID: in.ID, Module: in.Module, Category: in.Category, Description: in.Description, Status: in.Status,
		Point: [2]float64(in.Point), Address: in.Address, GridCode: in.GridCode, CommunityCode: in.CommunityCode,
		StreetCode: in.StreetCode, DistrictCode: in.DistrictCode, Departments: in.Departments, ReportedAt: in.ReportedAt, UpdatedAt: in.UpdatedAt}
}

func FromPublic(p PublicIncident) data.Incident {
	return data.Incident{ID: p.ID, Module: p.Module, Category: p.Category, Description: p.Description, Status: p.Status,
		Point: orb.Point(p.Point), Address: p.Address, GridCode: p.GridCode, CommunityCode: p.CommunityCode,
		StreetCode: p.StreetCode, DistrictCode: p.DistrictCode, Departments: p.Departments,
		ReportedAt: p.ReportedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

// AuditView is what the audit trail keeps of a record: the public state
// and the dispatch fields, with the caller's phone masked (the incident
// tables hold it; the audit trail need not copy it).
func AuditView(rec *data.IncidentRecord) map[string]any {
	return map[string]any{
		"incident": ToPublic(rec.Incident), "responded": rec.Responded, "duplicate_of": rec.DuplicateOf,
		"escalated_to": rec.EscalatedTo, "version": rec.Version, "caller_phone": data.MaskPhone(rec.Caller.Phone),
	}
}
