package people

import (
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
)

// CommitStatuses lists the commitment statuses in order.
var CommitStatuses = []string{data.CommitPledged, data.CommitInProgress, data.CommitDone, data.CommitNotDone}

// commitNext is the status flow: 承诺 → 进行中 → 完成 or 未完成.
var commitNext = map[string][]string{
	data.CommitPledged:    {data.CommitInProgress},
	data.CommitInProgress: {data.CommitDone, data.CommitNotDone},
}

// CommitLabel is a status's Chinese name.
func CommitLabel(status string) string {
	switch status {
	case data.CommitPledged:
		return "承诺"
	case data.CommitInProgress:
		return "进行中"
	case data.CommitDone:
		return "完成"
	case data.CommitNotDone:
		return "未完成"
	}
	return status
}

// pairedInYear reports whether the unit reported to the community on some
// day of the year.
func pairedInYear(c *data.City, unit, comm string, year int) bool {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	for i := range c.Pairings {
		p := &c.Pairings[i]
		if p.UnitCode == unit && p.CommunityCode == comm && overlaps(p.From, p.To, from, to) {
			return true
		}
	}
	return false
}

// checkPublic refuses text meant for the public disclosure that carries a
// phone number or a resident ID number.
func checkPublic(field, v string) *Error {
	if phoneInRe.MatchString(v) || idNumberRe.MatchString(v) {
		return invalid(field, "is published: it may not hold a phone or ID number")
	}
	return nil
}

func checkCommitment(c *data.City, x *data.Commitment) *Error {
	var err *Error
	if x.Title, err = cleanText("title", x.Title, 2, 200); err != nil {
		return err
	}
	if err := checkPublic("title", x.Title); err != nil {
		return err
	}
	if x.Year < 2000 || x.Year > 2100 {
		return invalid("year", "%d is out of range 2000..2100", x.Year)
	}
	if !slices.Contains(CommitStatuses, x.Status) {
		return invalid("status", "%q unknown (want one of %s)", x.Status, strings.Join(CommitStatuses, ", "))
	}
	if findUnit(c, x.UnitCode) == nil {
		return notFound("unit_code", "no unit %s", x.UnitCode)
	}
	if c.Community(x.CommunityCode) == nil {
		return notFound("community_code", "no community %s", x.CommunityCode)
	}
	if !pairedInYear(c, x.UnitCode, x.CommunityCode, x.Year) {
		return conflict("community_code", "unit %s did not report to %s in %d", x.UnitCode, x.CommunityCode, x.Year)
	}
	if x.Status == data.CommitDone && len(x.Evidence) == 0 {
		return conflict("status", "完成 needs an evidence note saying what was done")
	}
	if x.Status == data.CommitNotDone && len(x.Evidence) == 0 {
		return conflict("status", "未完成 needs a note saying why")
	}
	for i := range x.Evidence {
		if x.Evidence[i].Text, err = cleanText("evidence", x.Evidence[i].Text, 1, 1000); err != nil {
			return err
		}
	}
	return nil
}

func findCommitment(c *data.City, id string) *data.Commitment {
	for i := range c.Commitments {
		if c.Commitments[i].ID == id {
			return &c.Commitments[i]
		}
	}
	return nil
}

// Pledge checks a new commitment (prefix Y) of a unit to a community it
// reports to that year; it starts as 承诺.
func Pledge(c *data.City, x data.Commitment, at time.Time) (data.Commitment, Change, error) {
	if x.ID == "" {
		x.ID = nextID("Y", c.Commitments, func(x *data.Commitment) string { return x.ID })
	} else if findCommitment(c, x.ID) != nil {
		return x, Change{}, conflict("id", "commitment %s exists", x.ID)
	} else if err := checkID("id", x.ID); err != nil {
		return x, Change{}, err
	}
	if x.Status == "" {
		x.Status = data.CommitPledged
	}
	if x.Status != data.CommitPledged {
		return x, Change{}, invalid("status", "a new commitment is 承诺 (pledged)")
	}
	x.UpdatedAt = at.UTC().Truncate(time.Millisecond)
	if err := checkCommitment(c, &x); err != nil {
		return x, Change{}, err
	}
	return x, Change{Commitments: []data.Commitment{x}}, nil
}

// CommitmentUpdate is one edit of a commitment: a new status (optional),
// an evidence note to add (optional), a corrected title (optional).
type CommitmentUpdate struct {
	Status   string
	Evidence string
	Title    string
	By       string
}

// UpdateCommitment moves a commitment along its status flow and adds an
// evidence note: 承诺 → 进行中 → 完成 (with evidence) or 未完成 (with a
// reason). A finished commitment only takes further notes.
func UpdateCommitment(c *data.City, id string, u CommitmentUpdate, at time.Time) (data.Commitment, Change, error) {
	old := findCommitment(c, id)
	if old == nil {
		return data.Commitment{}, Change{}, notFound("id", "no commitment %s", id)
	}
	x := *old
	x.Evidence = slices.Clone(old.Evidence)
	if u.Status != "" && u.Status != x.Status {
		if !slices.Contains(CommitStatuses, u.Status) {
			return x, Change{}, invalid("status", "%q unknown (want one of %s)", u.Status, strings.Join(CommitStatuses, ", "))
		}
		if !slices.Contains(commitNext[x.Status], u.Status) {
			next := []string{}
			for _, s := range commitNext[x.Status] {
				next = append(next, CommitLabel(s))
			}
			if len(next) == 0 {
				return x, Change{}, conflict("status", "%s → %s is not allowed: a finished commitment only takes notes", CommitLabel(x.Status), CommitLabel(u.Status))
			}
			return x, Change{}, conflict("status", "%s → %s is not allowed (from %s only to %s)", CommitLabel(x.Status), CommitLabel(u.Status), CommitLabel(x.Status), strings.Join(next, " or "))
		}
		x.Status = u.Status
	}
	if u.Title != "" {
		x.Title = u.Title
	}
	if strings.TrimSpace(u.Evidence) != "" {
		text := strings.Join(strings.Fields(u.Evidence), " ") // one line
		x.Evidence = append(x.Evidence, data.Evidence{At: at.UTC().Truncate(time.Second), By: u.By, Text: text})
	}
	if u.Status == "" && u.Title == "" && strings.TrimSpace(u.Evidence) == "" {
		return x, Change{}, invalid("status", "nothing to change: give status, evidence or title")
	}
	x.UpdatedAt = at.UTC().Truncate(time.Millisecond)
	if err := checkCommitment(c, &x); err != nil {
		return x, Change{}, err
	}
	return x, Change{Commitments: []data.Commitment{x}}, nil
}

// DisclosureRow is one line of the public annual disclosure (年度公示):
// a unit's commitment and its completion, no personal data.
type DisclosureRow struct {
	Year          int    `json:"year"`
	UnitCode      string `json:"unit_code"`
	Unit          string `json:"unit"`
	Level         string `json:"level"`
	CommunityCode string `json:"community_code"`
	Community     string `json:"community"`
	Commitment    string `json:"commitment"`
	Status        string `json:"status"`
	StatusLabel   string `json:"status_label"`
	Updated       string `json:"updated"`
}

// DisclosureTotal sums a unit's year.
type DisclosureTotal struct {
	UnitCode string  `json:"unit_code"`
	Unit     string  `json:"unit"`
	Level    string  `json:"level"`
	Members  int     `json:"members"`
	Total    int     `json:"total"`
	Done     int     `json:"done"`
	NotDone  int     `json:"not_done"`
	Open     int     `json:"open"`
	DonePct  float64 `json:"done_pct"`
}

// Disclosure lists a year's commitments and each unit's completion, by
// unit code then commitment id. Evidence notes (internal, free text) are
// left out.
func Disclosure(c *data.City, year int) ([]DisclosureRow, []DisclosureTotal) {
	var rows []DisclosureRow
	tot := map[string]*DisclosureTotal{}
	for i := range c.Commitments {
		x := &c.Commitments[i]
		if x.Year != year {
			continue
		}
		u := findUnit(c, x.UnitCode)
		r := DisclosureRow{Year: x.Year, UnitCode: x.UnitCode, CommunityCode: x.CommunityCode, Commitment: x.Title,
			Status: x.Status, StatusLabel: CommitLabel(x.Status), Updated: data.Day(x.UpdatedAt).Format(time.DateOnly)}
		if u != nil {
			r.Unit, r.Level = u.Name, u.Level
		}
		if cm := c.Community(x.CommunityCode); cm != nil {
			r.Community = cm.Name
		}
		rows = append(rows, r)
		t := tot[x.UnitCode]
		if t == nil {
			t = &DisclosureTotal{UnitCode: x.UnitCode, Unit: r.Unit, Level: r.Level}
			if u != nil {
				t.Members = u.Members
			}
			tot[x.UnitCode] = t
		}
		t.Total++
		switch x.Status {
		case data.CommitDone:
			t.Done++
		case data.CommitNotDone:
			t.NotDone++
		default:
			t.Open++
		}
	}
	slices.SortStableFunc(rows, func(a, b DisclosureRow) int {
		if a.UnitCode != b.UnitCode {
			return strings.Compare(a.UnitCode, b.UnitCode)
		}
		return strings.Compare(a.Commitment, b.Commitment)
	})
	out := make([]DisclosureTotal, 0, len(tot))
	for _, k := range sortedKeys(tot) {
		t := tot[k]
		t.DonePct = round1(100 * float64(t.Done) / float64(t.Total))
		out = append(out, *t)
	}
	return rows, out
}
