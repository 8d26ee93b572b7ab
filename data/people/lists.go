package people

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/tabular"
)

// List is one of the lists the organisation department keeps, as a CSV or
// .xlsx file with Chinese headers: export writes it, import reads it back
// whole. Import adds the rows without an id (编号/编码) and changes the
// records of the rows with one, through the same checked edits as the API;
// any problem in any row refuses the whole file, each problem with its row
// and column, and nothing is written.
type List struct {
	Name  string `json:"name"`  // staff, assignments …
	Title string `json:"title"` // 人员 …
	// Personal says the list holds names or phones: only the roles that
	// may see personal data get it whole.
	Personal bool `json:"personal"`
	// Headers are the file's columns.
	Headers []string `json:"headers"`
	// Export writes the city's records; personal false leaves names and
	// phones out (the columns stay, empty).
	Export func(c *data.City, w io.Writer, f tabular.Format, personal bool) error `json:"-"`
	// Import reads a file and returns the change it makes.
	Import func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) `json:"-"`
}

// Importer is what an import needs beyond the file: the rules, the clock,
// who imports, and the incidents (for evaluations' metrics).
type Importer struct {
	Rules Rules
	Now   time.Time
	By    string
	Facts []IncidentFact
}

// Lists are every list, in the order the page shows them.
var Lists []List

// ListByName returns the named list.
func ListByName(name string) (List, bool) {
	for _, l := range Lists {
		if l.Name == name {
			return l, true
		}
	}
	return List{}, false
}

var (
	roleChoices = []tabular.Choice{
		{Value: data.StaffCadre, Label: "下沉干部"}, {Value: data.StaffHead, Label: "网格长"}, {Value: data.StaffWorker, Label: "专职网格员"},
		{Value: data.StaffMember, Label: "兼职委员"}, {Value: data.StaffLeader, Label: "领导干部"}, {Value: data.StaffSecretary, Label: "街道党工委书记"},
	}
	dutyChoices  = []tabular.Choice{{Value: data.DutyHead, Label: "网格长"}, {Value: data.DutyWorker, Label: "网格员"}, {Value: data.DutyCadre, Label: "帮包干部"}}
	levelChoices = []tabular.Choice{{Value: data.UnitMunicipal, Label: "市直"}, {Value: data.UnitDistrict, Label: "区直"}}
	statChoices  = []tabular.Choice{{Value: data.CommitPledged, Label: "承诺"}, {Value: data.CommitInProgress, Label: "进行中"},
		{Value: data.CommitDone, Label: "完成"}, {Value: data.CommitNotDone, Label: "未完成"}}
	subjChoices  = []tabular.Choice{{Value: data.SubjectPerson, Label: "人员"}, {Value: data.SubjectStreet, Label: "街道"}}
	gradeChoices = []tabular.Choice{{Value: data.GradeExcellent, Label: data.GradeExcellent}, {Value: data.GradeGood, Label: data.GradeGood},
		{Value: data.GradeFair, Label: data.GradeFair}, {Value: data.GradePoor, Label: data.GradePoor}}
)

// Label returns the Chinese label of a role, duty, level, status or
// subject value.
func Label(v string) string {
	for _, cs := range [][]tabular.Choice{roleChoices, dutyChoices, levelChoices, statChoices, subjChoices} {
		for _, c := range cs {
			if c.Value == v {
				return c.Label
			}
		}
	}
	return v
}

// row types: a record plus the read-only columns shown beside it (names of
// what its codes name), which import ignores.
type (
	staffRow struct {
		data.Staff
	}
	assignmentRow struct {
		data.Assignment
		person, grid string
	}
	unitRow struct {
		data.ReportingUnit
	}
	pairingRow struct {
		data.Pairing
		unit, community string
	}
	commitmentRow struct {
		data.Commitment
		unit, community string
	}
	evaluationRow struct {
		data.Evaluation
		name string
	}
	contactRow struct {
		data.ContactPoint
		person, community string
	}
)

func shown[T any](header string, v func(*T) *string) tabular.Column[T] {
	return tabular.Func(header+"(参考)", func(r *T) string { return *v(r) }, func(*T, string) error { return nil })
}

func timeCol[T any](header string, v func(*T) *time.Time) tabular.Column[T] {
	return tabular.Func(header, func(r *T) string {
		if t := *v(r); !t.IsZero() {
			return t.UTC().Format(time.RFC3339Nano)
		}
		return ""
	}, func(r *T, s string) error {
		if s == "" {
			*v(r) = time.Time{}
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			if d, derr := tabular.ParseDate(s); derr == nil {
				t, err = d, nil
			} else {
				return fmt.Errorf("%q is not a time (want 2026-03-01T09:00:00Z)", s)
			}
		}
		*v(r) = t.UTC()
		return nil
	})
}

// evidenceCol holds a commitment's notes, one a line: "2026-03-01 09:00:00
// 组织部：text".
func evidenceCol() tabular.Column[commitmentRow] {
	return tabular.Func("佐证记录", func(r *commitmentRow) string {
		lines := make([]string, len(r.Evidence))
		for i, e := range r.Evidence {
			lines[i] = e.At.UTC().Format(time.DateTime) + " " + e.By + "：" + e.Text
		}
		return strings.Join(lines, "\n")
	}, func(r *commitmentRow, s string) error {
		r.Evidence = nil
		for _, ln := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
			if strings.TrimSpace(ln) == "" {
				continue
			}
			e := data.Evidence{}
			if len(ln) >= 20 {
				if t, err := time.Parse(time.DateTime, ln[:19]); err == nil {
					e.At = t
					ln = ln[20:]
					if by, text, ok := strings.Cut(ln, "："); ok {
						e.By, ln = by, text
					}
				}
			}
			e.Text = strings.TrimSpace(ln)
			r.Evidence = append(r.Evidence, e)
		}
		return nil
	})
}

var (
	staffSchema = tabular.Schema[staffRow]{Sheet: "人员", Columns: []tabular.Column[staffRow]{
		tabular.Text("编号", func(r *staffRow) *string { return &r.ID }).Unique(),
		tabular.Text("姓名", func(r *staffRow) *string { return &r.Name }).Required(),
		tabular.Enum("角色", func(r *staffRow) *string { return &r.Role }, roleChoices...).Required(),
		tabular.Text("工作单位", func(r *staffRow) *string { return &r.Unit }),
		tabular.Text("职级", func(r *staffRow) *string { return &r.Rank }),
		tabular.Text("联系电话", func(r *staffRow) *string { return &r.Phone }),
		tabular.Text("职务", func(r *staffRow) *string { return &r.Title }),
		tabular.Text("所属社区编码", func(r *staffRow) *string { return &r.CommunityCode }),
		tabular.Text("所属街道编码", func(r *staffRow) *string { return &r.StreetCode }),
		tabular.Date("入职日期", func(r *staffRow) *time.Time { return &r.Joined }),
		tabular.Date("退出日期", func(r *staffRow) *time.Time { return &r.Retired }),
		tabular.Text("备注", func(r *staffRow) *string { return &r.Note }),
	}}
	assignmentSchema = tabular.Schema[assignmentRow]{Sheet: "网格任职", Columns: []tabular.Column[assignmentRow]{
		tabular.Text("编号", func(r *assignmentRow) *string { return &r.ID }).Unique(),
		tabular.Text("人员编号", func(r *assignmentRow) *string { return &r.StaffID }).Required(),
		shown("姓名", func(r *assignmentRow) *string { return &r.person }),
		tabular.Text("网格编码", func(r *assignmentRow) *string { return &r.GridCode }).Required(),
		shown("网格名称", func(r *assignmentRow) *string { return &r.grid }),
		tabular.Enum("职责", func(r *assignmentRow) *string { return &r.Duty }, dutyChoices...),
		tabular.Date("起始日期", func(r *assignmentRow) *time.Time { return &r.From }),
		tabular.Date("结束日期", func(r *assignmentRow) *time.Time { return &r.To }),
		tabular.Text("备注", func(r *assignmentRow) *string { return &r.Note }),
	}}
	unitSchema = tabular.Schema[unitRow]{Sheet: "报到单位", Columns: []tabular.Column[unitRow]{
		tabular.Text("编码", func(r *unitRow) *string { return &r.Code }).Unique(),
		tabular.Text("单位名称", func(r *unitRow) *string { return &r.Name }).Required(),
		tabular.Enum("层级", func(r *unitRow) *string { return &r.Level }, levelChoices...).Required(),
		tabular.Text("所属区县编码", func(r *unitRow) *string { return &r.DistrictCode }),
		tabular.Int("在职党员数", func(r *unitRow) *int { return &r.Members }),
		tabular.Text("党组织书记", func(r *unitRow) *string { return &r.Secretary }),
		tabular.Text("联系电话", func(r *unitRow) *string { return &r.Phone }),
		tabular.Text("备注", func(r *unitRow) *string { return &r.Note }),
		tabular.Func("报到社区(参考)", func(r *unitRow) string { return strings.Join(r.CommunityCodes, tabular.ListSeparator) }, func(*unitRow, string) error { return nil }),
	}}
	pairingSchema = tabular.Schema[pairingRow]{Sheet: "结对社区", Columns: []tabular.Column[pairingRow]{
		tabular.Text("编号", func(r *pairingRow) *string { return &r.ID }).Unique(),
		tabular.Text("单位编码", func(r *pairingRow) *string { return &r.UnitCode }).Required(),
		shown("单位名称", func(r *pairingRow) *string { return &r.unit }),
		tabular.Text("社区编码", func(r *pairingRow) *string { return &r.CommunityCode }).Required(),
		shown("社区名称", func(r *pairingRow) *string { return &r.community }),
		tabular.Date("起始日期", func(r *pairingRow) *time.Time { return &r.From }),
		tabular.Date("结束日期", func(r *pairingRow) *time.Time { return &r.To }),
		tabular.Text("备注", func(r *pairingRow) *string { return &r.Note }),
	}}
	commitmentSchema = tabular.Schema[commitmentRow]{Sheet: "承诺事项", Columns: []tabular.Column[commitmentRow]{
		tabular.Text("编号", func(r *commitmentRow) *string { return &r.ID }).Unique(),
		tabular.Text("单位编码", func(r *commitmentRow) *string { return &r.UnitCode }).Required(),
		shown("单位名称", func(r *commitmentRow) *string { return &r.unit }),
		tabular.Text("社区编码", func(r *commitmentRow) *string { return &r.CommunityCode }).Required(),
		shown("社区名称", func(r *commitmentRow) *string { return &r.community }),
		tabular.Int("年度", func(r *commitmentRow) *int { return &r.Year }).Required(),
		tabular.Text("承诺事项", func(r *commitmentRow) *string { return &r.Title }).Required(),
		tabular.Enum("状态", func(r *commitmentRow) *string { return &r.Status }, statChoices...),
		evidenceCol(),
		timeCol("更新时间", func(r *commitmentRow) *time.Time { return &r.UpdatedAt }),
	}}
	evaluationSchema = tabular.Schema[evaluationRow]{Sheet: "年度考核", Columns: []tabular.Column[evaluationRow]{
		tabular.Text("编号", func(r *evaluationRow) *string { return &r.ID }).Unique(),
		tabular.Int("年度", func(r *evaluationRow) *int { return &r.Year }).Required(),
		tabular.Enum("对象类型", func(r *evaluationRow) *string { return &r.Subject }, subjChoices...).Required(),
		tabular.Text("对象编号", func(r *evaluationRow) *string { return &r.SubjectID }).Required(),
		shown("对象名称", func(r *evaluationRow) *string { return &r.name }),
		tabular.Int("办结事件数", func(r *evaluationRow) *int { return &r.Incidents }),
		tabular.Float("按时办结率", func(r *evaluationRow) *float64 { return &r.OnTimeShare }),
		tabular.Float("重新办理率", func(r *evaluationRow) *float64 { return &r.ReopenRate }),
		tabular.Float("得分", func(r *evaluationRow) *float64 { return &r.Score }),
		tabular.Enum("等次", func(r *evaluationRow) *string { return &r.Grade }, gradeChoices...),
		tabular.Text("评语", func(r *evaluationRow) *string { return &r.Comment }),
		timeCol("评定时间", func(r *evaluationRow) *time.Time { return &r.At }),
		tabular.Text("评定人", func(r *evaluationRow) *string { return &r.By }),
	}}
	contactSchema = tabular.Schema[contactRow]{Sheet: "联系点", Columns: []tabular.Column[contactRow]{
		tabular.Text("编号", func(r *contactRow) *string { return &r.ID }).Unique(),
		tabular.Text("人员编号", func(r *contactRow) *string { return &r.StaffID }).Required(),
		shown("姓名", func(r *contactRow) *string { return &r.person }),
		tabular.Text("社区编码", func(r *contactRow) *string { return &r.CommunityCode }).Required(),
		shown("社区名称", func(r *contactRow) *string { return &r.community }),
		tabular.Date("起始日期", func(r *contactRow) *time.Time { return &r.From }),
		tabular.Date("结束日期", func(r *contactRow) *time.Time { return &r.To }),
		tabular.Text("备注", func(r *contactRow) *string { return &r.Note }),
	}}
)

func communityName(c *data.City, code string) string {
	if cm := c.Community(code); cm != nil {
		return cm.Name
	}
	return ""
}

func personName(c *data.City, id string, personal bool) string {
	if st := c.StaffByID(id); st != nil && personal {
		return st.Name
	}
	return ""
}

// importer runs one file's rows through an edit each, on the city as the
// rows before left it, collecting every refusal as a problem of its row.
type importer struct {
	c     *data.City
	in    Importer
	ch    Change
	probs []tabular.Problem
}

func (im *importer) apply(i int, header map[string]string, ch Change, err error) {
	if err != nil {
		h := ""
		if e, ok := err.(*Error); ok {
			h = header[e.Field]
		}
		im.probs = append(im.probs, tabular.Problem{Index: i, Header: h, Reason: err.Error()})
		return
	}
	im.ch.Merge(ch)
	im.c = ch.Apply(im.c, im.in.Now)
}

func readList[T any](s *tabular.Schema[T], c *data.City, r io.Reader, f tabular.Format, in Importer, each func(im *importer, i int, row *T)) (Change, error) {
	im := &importer{c: c, in: in}
	_, err := s.Read(r, f, func(rows []T) []tabular.Problem {
		for i := range rows {
			each(im, i, &rows[i])
		}
		return im.probs
	})
	if err != nil {
		return Change{}, err
	}
	return im.ch, nil
}

func sameDay(a, b time.Time) bool { return a.Equal(b) }

func init() {
	staffFields := map[string]string{"name": "姓名", "role": "角色", "unit": "工作单位", "rank": "职级", "phone": "联系电话", "title": "职务",
		"community_code": "所属社区编码", "street_code": "所属街道编码", "joined": "入职日期", "retired": "退出日期", "day": "退出日期", "note": "备注", "id": "编号"}
	asgFields := map[string]string{"staff_id": "人员编号", "grid_code": "网格编码", "duty": "职责", "from": "起始日期", "to": "结束日期", "note": "备注", "id": "编号"}
	unitFields := map[string]string{"code": "编码", "name": "单位名称", "level": "层级", "district_code": "所属区县编码", "members": "在职党员数",
		"secretary": "党组织书记", "phone": "联系电话", "note": "备注"}
	pairFields := map[string]string{"unit_code": "单位编码", "community_code": "社区编码", "from": "起始日期", "to": "结束日期", "note": "备注", "id": "编号"}
	commitFields := map[string]string{"unit_code": "单位编码", "community_code": "社区编码", "year": "年度", "title": "承诺事项", "status": "状态", "evidence": "佐证记录", "id": "编号"}
	evalFields := map[string]string{"year": "年度", "subject": "对象类型", "subject_id": "对象编号", "score": "得分", "grade": "等次", "comment": "评语", "id": "编号"}
	contactFields := map[string]string{"staff_id": "人员编号", "community_code": "社区编码", "from": "起始日期", "to": "结束日期", "note": "备注", "id": "编号"}

	Lists = []List{
		{Name: data.LayerStaff, Title: "人员", Personal: true, Headers: staffSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, personal bool) error {
				rows := make([]staffRow, len(c.Staff))
				for i, s := range c.Staff {
					if !personal {
						s.Name, s.Phone = "", ""
					}
					rows[i] = staffRow{s}
				}
				return staffSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&staffSchema, c, r, f, in, func(im *importer, i int, row *staffRow) {
					s := row.Staff
					old := im.c.StaffByID(s.ID)
					if s.ID == "" || old == nil {
						retired := s.Retired
						s.Retired = time.Time{}
						_, ch, err := CreateStaff(im.c, s)
						if err == nil && !retired.IsZero() {
							im.apply(i, staffFields, ch, nil)
							ch, err = RetireStaff(im.c, ch.Staff[0].ID, retired)
						}
						im.apply(i, staffFields, ch, err)
						return
					}
					var ch Change
					var err error
					o := *old
					s.Retired = o.Retired
					if !equalStaff(s, o) {
						_, ch, err = UpdateStaff(im.c, s)
						if err != nil {
							im.apply(i, staffFields, ch, err)
							return
						}
						im.apply(i, staffFields, ch, nil)
					}
					switch {
					case row.Retired.IsZero() && !o.Retired.IsZero():
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "退出日期", Reason: "a retired person cannot come back: add a new row"})
					case !row.Retired.IsZero() && o.Retired.IsZero():
						ch, err = RetireStaff(im.c, s.ID, row.Retired)
						im.apply(i, staffFields, ch, err)
					case !row.Retired.IsZero() && !sameDay(row.Retired, o.Retired):
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "退出日期", Reason: "the retirement day cannot move"})
					}
				})
			}},
		{Name: data.LayerAssignments, Title: "网格任职", Personal: false, Headers: assignmentSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, personal bool) error {
				rows := make([]assignmentRow, len(c.Assignments))
				for i, a := range c.Assignments {
					rows[i] = assignmentRow{Assignment: a, person: personName(c, a.StaffID, personal)}
					if g := c.Grid(a.GridCode); g != nil {
						rows[i].grid = g.Name
					}
				}
				return assignmentSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&assignmentSchema, c, r, f, in, func(im *importer, i int, row *assignmentRow) {
					a := row.Assignment
					old := findAssignment(im.c, a.ID)
					if a.ID == "" || old == nil {
						_, ch, err := Assign(im.c, a, im.in.Rules, "")
						im.apply(i, asgFields, ch, err)
						return
					}
					o := *old
					if a.Duty == "" {
						a.Duty = o.Duty
					}
					if a.StaffID != o.StaffID || a.GridCode != o.GridCode || a.Duty != o.Duty || !a.From.Equal(o.From) {
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "编号", Reason: fmt.Sprintf("assignment %s: only 结束日期 and 备注 may change (add a row without 编号 for a new one)", a.ID)})
						return
					}
					if !a.To.Equal(o.To) {
						if a.To.IsZero() {
							im.probs = append(im.probs, tabular.Problem{Index: i, Header: "结束日期", Reason: "an ended assignment cannot reopen: add a new row"})
							return
						}
						e, ch, err := EndAssignment(im.c, a.ID, a.To)
						if err != nil {
							im.apply(i, asgFields, ch, err)
							return
						}
						o = e
					}
					if a.Note != o.Note {
						o.Note = a.Note
					}
					if o != *old {
						im.apply(i, asgFields, Change{Assignments: []data.Assignment{o}}, nil)
					}
				})
			}},
		{Name: data.LayerReportingUnits, Title: "报到单位", Personal: true, Headers: unitSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, personal bool) error {
				rows := make([]unitRow, len(c.ReportingUnits))
				for i, u := range c.ReportingUnits {
					if !personal {
						u.Secretary, u.Phone = "", ""
					}
					rows[i] = unitRow{u}
				}
				return unitSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&unitSchema, c, r, f, in, func(im *importer, i int, row *unitRow) {
					u := row.ReportingUnit
					var ch Change
					var err error
					if old := findUnit(im.c, u.Code); u.Code == "" || old == nil {
						_, ch, err = CreateUnit(im.c, u)
					} else {
						o := *old
						o.CommunityCodes, u.CommunityCodes = nil, nil
						if equalUnits(o, u) {
							return
						}
						_, ch, err = UpdateUnit(im.c, u)
					}
					im.apply(i, unitFields, ch, err)
				})
			}},
		{Name: data.LayerPairings, Title: "结对社区", Headers: pairingSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, _ bool) error {
				rows := make([]pairingRow, len(c.Pairings))
				for i, p := range c.Pairings {
					rows[i] = pairingRow{Pairing: p, community: communityName(c, p.CommunityCode)}
					if u := findUnit(c, p.UnitCode); u != nil {
						rows[i].unit = u.Name
					}
				}
				return pairingSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&pairingSchema, c, r, f, in, func(im *importer, i int, row *pairingRow) {
					p := row.Pairing
					var old *data.Pairing
					for j := range im.c.Pairings {
						if im.c.Pairings[j].ID == p.ID {
							old = &im.c.Pairings[j]
						}
					}
					if p.ID == "" || old == nil {
						_, ch, err := Pair(im.c, p, im.in.Rules)
						im.apply(i, pairFields, ch, err)
						return
					}
					o := *old
					if p.UnitCode != o.UnitCode || p.CommunityCode != o.CommunityCode || !p.From.Equal(o.From) {
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "编号", Reason: fmt.Sprintf("pairing %s: only 结束日期 and 备注 may change", p.ID)})
						return
					}
					if !p.To.Equal(o.To) {
						if p.To.IsZero() {
							im.probs = append(im.probs, tabular.Problem{Index: i, Header: "结束日期", Reason: "an ended pairing cannot reopen: add a new row"})
							return
						}
						e, ch, err := EndPairing(im.c, p.ID, p.To)
						if err != nil {
							im.apply(i, pairFields, ch, err)
							return
						}
						o = e
					}
					o.Note = p.Note
					if o != *old {
						im.apply(i, pairFields, Change{Pairings: []data.Pairing{o}}, nil)
					}
				})
			}},
		{Name: data.LayerCommitments, Title: "承诺事项", Headers: commitmentSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, _ bool) error {
				rows := make([]commitmentRow, len(c.Commitments))
				for i, x := range c.Commitments {
					rows[i] = commitmentRow{Commitment: x, community: communityName(c, x.CommunityCode)}
					if u := findUnit(c, x.UnitCode); u != nil {
						rows[i].unit = u.Name
					}
				}
				return commitmentSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&commitmentSchema, c, r, f, in, func(im *importer, i int, row *commitmentRow) {
					x := row.Commitment
					old := findCommitment(im.c, x.ID)
					if x.ID == "" || old == nil {
						status := x.Status
						x.Status = data.CommitPledged
						notes := x.Evidence
						x.Evidence = nil
						n, ch, err := Pledge(im.c, x, im.in.Now)
						if err != nil {
							im.apply(i, commitFields, ch, err)
							return
						}
						im.apply(i, commitFields, ch, nil)
						im.advance(i, n.ID, data.CommitPledged, status, notes, commitFields)
						return
					}
					o := *old
					if x.UnitCode != o.UnitCode || x.CommunityCode != o.CommunityCode || x.Year != o.Year {
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "编号", Reason: fmt.Sprintf("commitment %s: its unit, community and year cannot change", x.ID)})
						return
					}
					if len(x.Evidence) < len(o.Evidence) {
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "佐证记录", Reason: "evidence notes are never removed"})
						return
					}
					if x.Title != o.Title {
						_, ch, err := UpdateCommitment(im.c, x.ID, CommitmentUpdate{Title: x.Title, By: im.in.By}, im.in.Now)
						im.apply(i, commitFields, ch, err)
					}
					if x.Status == "" {
						x.Status = o.Status
					}
					im.advance(i, x.ID, o.Status, x.Status, x.Evidence[len(o.Evidence):], commitFields)
				})
			}},
		{Name: data.LayerEvaluations, Title: "年度考核", Headers: evaluationSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, personal bool) error {
				rows := make([]evaluationRow, len(c.Evaluations))
				for i, e := range c.Evaluations {
					rows[i] = evaluationRow{Evaluation: e}
					if e.Subject == data.SubjectStreet {
						if s := c.Street(e.SubjectID); s != nil {
							rows[i].name = s.Name
						}
					} else {
						rows[i].name = personName(c, e.SubjectID, personal)
					}
				}
				return evaluationSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&evaluationSchema, c, r, f, in, func(im *importer, i int, row *evaluationRow) {
					e := row.Evaluation
					// The metrics are drawn again from the incidents; a
					// record the file leaves as it was is kept as it was.
					for _, o := range im.c.Evaluations {
						if o.ID == e.ID && o.Year == e.Year && o.Subject == e.Subject && o.SubjectID == e.SubjectID &&
							o.Score == e.Score && o.Grade == e.Grade && o.Comment == e.Comment {
							return
						}
					}
					e.By = im.in.By
					_, ch, err := Evaluate(im.c, e, im.in.Facts, im.in.Now)
					im.apply(i, evalFields, ch, err)
				})
			}},
		{Name: data.LayerContactPoints, Title: "联系点", Headers: contactSchema.Headers(),
			Export: func(c *data.City, w io.Writer, f tabular.Format, personal bool) error {
				rows := make([]contactRow, len(c.ContactPoints))
				for i, p := range c.ContactPoints {
					rows[i] = contactRow{ContactPoint: p, person: personName(c, p.StaffID, personal), community: communityName(c, p.CommunityCode)}
				}
				return contactSchema.Write(w, f, rows)
			},
			Import: func(c *data.City, r io.Reader, f tabular.Format, in Importer) (Change, error) {
				return readList(&contactSchema, c, r, f, in, func(im *importer, i int, row *contactRow) {
					p := row.ContactPoint
					var old *data.ContactPoint
					for j := range im.c.ContactPoints {
						if im.c.ContactPoints[j].ID == p.ID {
							old = &im.c.ContactPoints[j]
						}
					}
					if p.ID == "" || old == nil {
						to := p.To
						n, ch, err := SetContactPoint(im.c, p)
						if err == nil && !to.IsZero() {
							im.apply(i, contactFields, ch, nil)
							_, ch, err = EndContactPoint(im.c, n.ID, to)
						}
						im.apply(i, contactFields, ch, err)
						return
					}
					o := *old
					if p.StaffID != o.StaffID || p.CommunityCode != o.CommunityCode || !p.From.Equal(o.From) {
						im.probs = append(im.probs, tabular.Problem{Index: i, Header: "编号", Reason: fmt.Sprintf("contact point %s: only 结束日期 and 备注 may change", p.ID)})
						return
					}
					if !p.To.Equal(o.To) {
						if p.To.IsZero() {
							im.probs = append(im.probs, tabular.Problem{Index: i, Header: "结束日期", Reason: "an ended contact point cannot reopen"})
							return
						}
						e, ch, err := EndContactPoint(im.c, p.ID, p.To)
						if err != nil {
							im.apply(i, contactFields, ch, err)
							return
						}
						o = e
					}
					o.Note = p.Note
					if o != *old {
						im.apply(i, contactFields, Change{ContactPoints: []data.ContactPoint{o}}, nil)
					}
				})
			}},
	}
}

func equalStaff(a, b data.Staff) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Role == b.Role && a.Unit == b.Unit && a.Rank == b.Rank && a.Phone == b.Phone &&
		a.Title == b.Title && a.CommunityCode == b.CommunityCode && a.StreetCode == b.StreetCode && a.Joined.Equal(b.Joined) &&
		a.Retired.Equal(b.Retired) && a.Note == b.Note
}

func equalUnits(a, b data.ReportingUnit) bool {
	return a.Code == b.Code && a.Name == b.Name && a.Level == b.Level && a.DistrictCode == b.DistrictCode &&
		a.Members == b.Members && a.Secretary == b.Secretary && a.Phone == b.Phone && a.Note == b.Note
}

// advance moves an imported commitment from one status to another through
// the flow, adding the file's new notes on the way.
func (im *importer) advance(i int, id, from, to string, notes []data.Evidence, fields map[string]string) {
	path := []string{}
	switch {
	case from == to:
	case from == data.CommitPledged && to == data.CommitInProgress:
		path = []string{data.CommitInProgress}
	case from == data.CommitPledged && (to == data.CommitDone || to == data.CommitNotDone):
		path = []string{data.CommitInProgress, to}
	default:
		path = []string{to}
	}
	for k, st := range path {
		u := CommitmentUpdate{Status: st, By: im.in.By}
		if len(notes) > 0 && (k == len(path)-1 || len(notes) >= len(path)-k) {
			u.Evidence = notes[0].Text
			notes = notes[1:]
		}
		_, ch, err := UpdateCommitment(im.c, id, u, im.in.Now)
		if err != nil {
			im.apply(i, fields, ch, err)
			return
		}
		im.apply(i, fields, ch, nil)
	}
	for _, n := range notes {
		_, ch, err := UpdateCommitment(im.c, id, CommitmentUpdate{Evidence: n.Text, By: im.in.By}, im.in.Now)
		im.apply(i, fields, ch, err)
	}
}

// Years returns the years with commitments or evaluations, newest first.
func Years(c *data.City) []int {
	seen := map[int]bool{}
	for _, x := range c.Commitments {
		seen[x.Year] = true
	}
	for _, e := range c.Evaluations {
		seen[e.Year] = true
	}
	var out []int
	for y := range seen {
		out = append(out, y)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// DisclosureSchema is the public annual disclosure as a file: each
// unit's commitments and their completion, no personal data.
var DisclosureSchema = tabular.Schema[DisclosureRow]{Sheet: "年度公示", Columns: []tabular.Column[DisclosureRow]{
	tabular.Int("年度", func(r *DisclosureRow) *int { return &r.Year }),
	tabular.Text("单位编码", func(r *DisclosureRow) *string { return &r.UnitCode }),
	tabular.Text("单位名称", func(r *DisclosureRow) *string { return &r.Unit }),
	tabular.Enum("层级", func(r *DisclosureRow) *string { return &r.Level }, levelChoices...),
	tabular.Text("社区编码", func(r *DisclosureRow) *string { return &r.CommunityCode }),
	tabular.Text("社区名称", func(r *DisclosureRow) *string { return &r.Community }),
	tabular.Text("承诺事项", func(r *DisclosureRow) *string { return &r.Commitment }),
	tabular.Text("完成情况", func(r *DisclosureRow) *string { return &r.StatusLabel }),
	tabular.Text("更新日期", func(r *DisclosureRow) *string { return &r.Updated }),
}}

// GridLoadSchema and PersonLoadSchema are the workload tables as files
// (export only).
var (
	GridLoadSchema = tabular.Schema[GridLoad]{Sheet: "网格工作量", Columns: []tabular.Column[GridLoad]{
		tabular.Text("网格编码", func(r *GridLoad) *string { return &r.Code }),
		tabular.Text("网格名称", func(r *GridLoad) *string { return &r.Name }),
		tabular.Int("户数", func(r *GridLoad) *int { return &r.Households }),
		tabular.Int("人口", func(r *GridLoad) *int { return &r.Population }),
		tabular.Int("网格长", func(r *GridLoad) *int { return &r.Heads }),
		tabular.Int("网格员", func(r *GridLoad) *int { return &r.Workers }),
		tabular.Int("帮包干部", func(r *GridLoad) *int { return &r.Cadres }),
		tabular.Int("待办事件", func(r *GridLoad) *int { return &r.Open }),
		tabular.Int("超期事件", func(r *GridLoad) *int { return &r.Overdue }),
		tabular.Int("已办结", func(r *GridLoad) *int { return &r.Resolved }),
		tabular.Int("按时办结", func(r *GridLoad) *int { return &r.ResolvedOnTime }),
		tabular.Float("按时办结率", func(r *GridLoad) *float64 { return &r.OnTimeShare }),
		tabular.Text("缺岗", func(r *GridLoad) *string { return &r.Gap }),
	}}
	PersonLoadSchema = tabular.Schema[PersonLoad]{Sheet: "人员工作量", Columns: []tabular.Column[PersonLoad]{
		tabular.Text("人员编号", func(r *PersonLoad) *string { return &r.StaffID }),
		tabular.Text("姓名", func(r *PersonLoad) *string { return &r.Name }),
		tabular.Enum("角色", func(r *PersonLoad) *string { return &r.Role }, roleChoices...),
		tabular.Text("工作单位", func(r *PersonLoad) *string { return &r.Unit }),
		tabular.List("网格", func(r *PersonLoad) *[]string { return &r.Grids }),
		tabular.Int("户数", func(r *PersonLoad) *int { return &r.Households }),
		tabular.Int("人口", func(r *PersonLoad) *int { return &r.Population }),
		tabular.Int("待办事件", func(r *PersonLoad) *int { return &r.Open }),
		tabular.Int("超期事件", func(r *PersonLoad) *int { return &r.Overdue }),
		tabular.Int("已办结", func(r *PersonLoad) *int { return &r.Resolved }),
		tabular.Int("按时办结", func(r *PersonLoad) *int { return &r.ResolvedOnTime }),
		tabular.Float("按时办结率", func(r *PersonLoad) *float64 { return &r.OnTimeShare }),
		tabular.Text("超负荷", func(r *PersonLoad) *string { return &r.Overloaded }),
	}}
)
