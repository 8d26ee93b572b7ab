package tables

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// Scanner is one row being read: *sql.Row, *sql.Rows, pgx.Row and
// pgx.Rows all fit.
type Scanner interface{ Scan(dest ...any) error }

// RecordColumns are the columns ScanRecord reads, from incidents i joined
// with incident_ext e; geom is the select expression of i's geometry.
func RecordColumns(geom string) string {
	return `i.id, i.module, i.category, i.description, i.status, i.address, i.grid_code, i.community_code,
	i.street_code, i.district_code, i.departments, i.reported_at, i.updated_at, ` + geom + `,
	e.source, e.caller_name, e.caller_phone, e.responders, e.responded, e.duplicate_of,
	e.accept_due, e.resolve_due, e.escalated_at, e.escalated_to, e.version`
}

// RecordFrom joins an incident to its dispatch details.
const RecordFrom = ` FROM incidents i LEFT JOIN incident_ext e ON e.incident_id = i.id`

// ScanRecord reads one incident record in the columns of RecordColumns,
// decoding the geometry with decode.
func ScanRecord(r Scanner, decode func([]byte) (orb.Geometry, error)) (data.IncidentRecord, error) {
	var (
		id, module, cat, desc, status, addr, gc, cc, sc, dc, deps String
		src, cname, cphone, resp, done, dup, escTo                String
		rep, upd, adue, rdue, esc                                 Time
		geom                                                      Blob
		ver                                                       Int
	)
	if err := r.Scan(&id, &module, &cat, &desc, &status, &addr, &gc, &cc, &sc, &dc, &deps, &rep, &upd, &geom,
		&src, &cname, &cphone, &resp, &done, &dup, &adue, &rdue, &esc, &escTo, &ver); err != nil {
		return data.IncidentRecord{}, err
	}
	pt, err := AsPoint(decode(geom.B))
	if err != nil {
		return data.IncidentRecord{}, fmt.Errorf("store: incident %s: %w", id.S, err)
	}
	dl, err := ParseJSONList[string](deps, "departments")
	if err != nil {
		return data.IncidentRecord{}, err
	}
	rl, err := ParseJSONList[Responder](resp, "responders")
	if err != nil {
		return data.IncidentRecord{}, err
	}
	dn, err := ParseJSONList[string](done, "responded")
	if err != nil {
		return data.IncidentRecord{}, err
	}
	rec := data.IncidentRecord{
		Incident: data.Incident{ID: id.S, Module: module.S, Category: cat.S, Description: desc.S, Status: status.S,
			Point: pt, Address: addr.S, GridCode: gc.S, CommunityCode: cc.S, StreetCode: sc.S, DistrictCode: dc.S,
			Departments: dl, ReportedAt: rep.T, UpdatedAt: upd.T},
		Source: src.S, Caller: data.Person{Name: cname.S, Phone: cphone.S}, Responded: dn, DuplicateOf: dup.S,
		AcceptDue: adue.T, ResolveDue: rdue.T, EscalatedAt: esc.T, EscalatedTo: escTo.S, Version: ver.I,
	}
	for _, r := range rl {
		rec.Responders = append(rec.Responders, data.Responder(r))
	}
	return rec, nil
}

// EventColumns are the columns ScanEvent reads, from incident_history.
const EventColumns = `seq, incident_id, at, actor, actor_role, type, action, from_status, to_status, note, departments, incident`

// ScanEvent reads one incident_history row in EventColumns.
func ScanEvent(r Scanner) (data.IncidentEvent, error) {
	var (
		ev                                                    data.IncidentEvent
		id, actor, role, typ, action, from, to, note, deps, s String
		at                                                    Time
	)
	if err := r.Scan(&ev.Seq, &id, &at, &actor, &role, &typ, &action, &from, &to, &note, &deps, &s); err != nil {
		return ev, fmt.Errorf("store: incident events: %w", err)
	}
	ev.IncidentID, ev.At, ev.Actor, ev.ActorRole, ev.Type, ev.Action = id.S, at.T, actor.S, role.S, typ.S, action.S
	ev.From, ev.To, ev.Note = from.S, to.S, note.S
	var err error
	if ev.Departments, err = ParseJSONList[string](deps, "departments"); err != nil {
		return ev, err
	}
	var p PublicIncident
	if s.S != "" {
		if err := json.Unmarshal([]byte(s.S), &p); err != nil {
			return ev, fmt.Errorf("store: event %d: %w", ev.Seq, err)
		}
	}
	ev.Incident = FromPublic(p)
	return ev, nil
}
