package places

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/tabular"
)

// The lists of the places records as files (CSV and .xlsx, through
// data/tabular), with Chinese headers. Every list reads back what it
// writes. Columns that only help a reader (a compound's name beside its
// code) are ignored on import.

// Sheet names the lists.
const (
	SheetCompanies      = "companies"
	SheetCompanyRecords = "company_records"
	SheetProperty       = "property"
	SheetEvaluations    = "evaluations"
	SheetTeams          = "teams"
	SheetTargets        = "targets"
	SheetLogs           = "logs"
	SheetStations       = "stations"
	SheetRatings        = "ratings"
)

// SheetNames lists the sheets in order.
var SheetNames = []string{SheetCompanies, SheetCompanyRecords, SheetProperty, SheetEvaluations, SheetTeams, SheetTargets, SheetLogs, SheetStations, SheetRatings}

func dayCol[T any](header string, field func(*T) *string) tabular.Column[T] {
	return tabular.Func(header, func(r *T) string { return *field(r) }, func(r *T, v string) error {
		d, err := readDay(v)
		*field(r) = d
		return err
	})
}

// readDay reads a day as data/tabular does, and an Excel date serial (a
// date re-typed in Excel), into yyyy-mm-dd.
func readDay(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 1 && n < 2958466 && !strings.ContainsAny(v, "-/") {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(n))).Format(DateLayout), nil
	}
	t, err := tabular.ParseDate(v)
	if err != nil {
		return "", err
	}
	return t.Format(DateLayout), nil
}

// TimeLayout is how times are written in the lists (CST).
const TimeLayout = "2006-01-02 15:04"

func timeCol[T any](header string, field func(*T) *time.Time) tabular.Column[T] {
	return tabular.Func(header, func(r *T) string {
		if field(r).IsZero() {
			return ""
		}
		return field(r).In(CST).Format(TimeLayout)
	}, func(r *T, v string) error {
		v = strings.TrimSpace(v)
		if v == "" {
			*field(r) = time.Time{}
			return nil
		}
		for _, l := range []string{TimeLayout, "2006-01-02 15:04:05", "2006/1/2 15:04", time.RFC3339} {
			if t, err := time.ParseInLocation(l, v, CST); err == nil {
				*field(r) = t
				return nil
			}
		}
		return fmt.Errorf("%q is not a time (want 2026-01-02 15:04)", v)
	})
}

// ignored is a column shown for readers and ignored on import.
func ignored[T any](header string, show func(*T) string) tabular.Column[T] {
	return tabular.Func(header, show, func(*T, string) error { return nil })
}

func choices(names map[string]string, order []string) []tabular.Choice {
	out := make([]tabular.Choice, len(order))
	for i, v := range order {
		out[i] = tabular.Choice{Value: v, Label: names[v]}
	}
	return out
}

// PartyOrgNames are the Chinese names of the party organisation forms.
var PartyOrgNames = map[string]string{
	data.PartyOrgNone: "未建立", data.PartyOrgIndependent: "单独组建", data.PartyOrgJoint: "联合组建",
}

// memberRe reads one person of a members cell: 姓名（职务，党员，电话）.
var memberRe = regexp.MustCompile(`^([^（(]+?)\s*(?:[（(]([^）)]*)[）)])?$`)

// FormatMembers writes committee members as 张三（主任，党员，13800000000）；李四（委员）.
func FormatMembers(ms []data.CommitteeMember) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		attrs := []string{m.Role}
		if m.PartyMember {
			attrs = append(attrs, "党员")
		}
		if m.Phone != "" {
			attrs = append(attrs, m.Phone)
		}
		parts[i] = m.Name + "（" + strings.Join(attrs, "，") + "）"
	}
	return strings.Join(parts, "；")
}

// splitPeople splits a members cell into its people and their attributes.
func splitPeople(v string) ([][2]string, error) {
	var out [][2]string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == '；' || r == ';' || r == '\n' }) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		m := memberRe.FindStringSubmatch(p)
		if m == nil {
			return nil, fmt.Errorf("%q: want 姓名（职务，党员，电话）", p)
		}
		out = append(out, [2]string{strings.TrimSpace(m[1]), m[2]})
	}
	return out, nil
}

func attrs(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == '，' || r == ',' || r == '、' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// ParseMembers reads a members cell written by FormatMembers.
func ParseMembers(v string) ([]data.CommitteeMember, error) {
	people, err := splitPeople(v)
	if err != nil {
		return nil, err
	}
	var out []data.CommitteeMember
	for _, p := range people {
		m := data.CommitteeMember{Name: p[0], Role: "委员"}
		for _, a := range attrs(p[1]) {
			switch {
			case a == "党员":
				m.PartyMember = true
			case a == "非党员" || a == "群众":
			case slices.Contains(CommitteeRoles, a):
				m.Role = a
			case phoneRe.MatchString(a):
				m.Phone = a
			default:
				return nil, fmt.Errorf("%s: %q is not a role (主任, 副主任, 委员), 党员 or a phone number", p[0], a)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// FormatVolunteers writes team members as 张三（党员，13800000000）；李四.
func FormatVolunteers(vs []data.Volunteer) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		var a []string
		if v.PartyMember {
			a = append(a, "党员")
		}
		if v.Phone != "" {
			a = append(a, v.Phone)
		}
		parts[i] = v.Name
		if len(a) > 0 {
			parts[i] += "（" + strings.Join(a, "，") + "）"
		}
	}
	return strings.Join(parts, "；")
}

// ParseVolunteers reads a members cell written by FormatVolunteers.
func ParseVolunteers(v string) ([]data.Volunteer, error) {
	people, err := splitPeople(v)
	if err != nil {
		return nil, err
	}
	var out []data.Volunteer
	for _, p := range people {
		m := data.Volunteer{Name: p[0]}
		for _, a := range attrs(p[1]) {
			switch {
			case a == "党员":
				m.PartyMember = true
			case a == "非党员" || a == "群众":
			case phoneRe.MatchString(a):
				m.Phone = a
			default:
				return nil, fmt.Errorf("%s: %q is not 党员 or a phone number", p[0], a)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func itemNames(items []string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		if n := ServiceItemNames[it]; n != "" {
			out[i] = n
		} else {
			out[i] = it
		}
	}
	return out
}

func itemCodes(names []string, allowed []string) ([]string, error) {
	var out []string
	for _, n := range names {
		code := ""
		for _, it := range allowed {
			if n == it || n == ServiceItemNames[it] || n == FunctionNames[it] {
				code = it
			}
		}
		if code == "" {
			labels := make([]string, len(allowed))
			for i, it := range allowed {
				labels[i] = ServiceItemNames[it] + FunctionNames[it]
			}
			return nil, fmt.Errorf("%q is not one of %s", n, strings.Join(labels, "、"))
		}
		out = append(out, code)
	}
	return out, nil
}

func codeList[T any](header string, field func(*T) *[]string, allowed []string, names map[string]string) tabular.Column[T] {
	return tabular.Func(header, func(r *T) string {
		out := make([]string, len(*field(r)))
		for i, v := range *field(r) {
			out[i] = names[v]
			if out[i] == "" {
				out[i] = v
			}
		}
		return strings.Join(out, tabular.ListSeparator)
	}, func(r *T, v string) error {
		var parts []string
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune("；;，,、", r) }) {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		codes, err := itemCodes(parts, allowed)
		*field(r) = codes
		return err
	})
}

// Names gives the names the lists show beside codes; nil functions show
// nothing.
type Names struct {
	Compound func(code string) string
	Company  func(code string) string
	Grid     func(code string) string
	Station  func(code string) string
}

func (n Names) of(f func(string) string, code string) string {
	if f == nil {
		return ""
	}
	return f(code)
}

// CompanySheet is the list of property companies (物业企业).
func CompanySheet() *tabular.Schema[data.PropertyCompany] {
	type R = data.PropertyCompany
	return &tabular.Schema[R]{Sheet: "物业企业", Columns: []tabular.Column[R]{
		tabular.Text("企业编码", func(r *R) *string { return &r.Code }).Required().Unique(),
		tabular.Text("企业名称", func(r *R) *string { return &r.Name }).Required(),
		tabular.Text("统一社会信用代码", func(r *R) *string { return &r.CreditCode }),
		tabular.Text("注册区县编码", func(r *R) *string { return &r.DistrictCode }),
		tabular.Text("服务电话", func(r *R) *string { return &r.Hotline }),
	}}
}

// CompanyRecordSheet is the list of the companies' party organisations
// (物业企业党组织), dated.
func CompanyRecordSheet(n Names) *tabular.Schema[data.CompanyRecord] {
	type R = data.CompanyRecord
	return &tabular.Schema[R]{Sheet: "物业企业党组织", Columns: []tabular.Column[R]{
		tabular.Text("企业编码", func(r *R) *string { return &r.CompanyCode }).Required(),
		ignored("企业名称", func(r *R) string { return n.of(n.Company, r.CompanyCode) }),
		dayCol("生效日期", func(r *R) *string { return &r.From }).Required(),
		tabular.Enum("党组织形式", func(r *R) *string { return &r.PartyOrg }, choices(PartyOrgNames, data.PartyOrgForms)...).Required(),
		tabular.Text("党组织名称", func(r *R) *string { return &r.PartyOrgName }),
		tabular.Int("党员人数", func(r *R) *int { return &r.PartyMembers }),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// PropertySheet is the list of the compounds' property records (小区物业),
// dated, with the owners' committee and its members in one cell.
func PropertySheet(n Names) *tabular.Schema[data.PropertyRecord] {
	type R = data.PropertyRecord
	return &tabular.Schema[R]{Sheet: "小区物业", Columns: []tabular.Column[R]{
		tabular.Text("小区编码", func(r *R) *string { return &r.CompoundCode }).Required(),
		ignored("小区名称", func(r *R) string { return n.of(n.Compound, r.CompoundCode) }),
		dayCol("生效日期", func(r *R) *string { return &r.From }).Required(),
		tabular.Enum("物业状态", func(r *R) *string { return &r.Status }, choices(StatusNames, data.PropertyStatuses)...).Required(),
		tabular.Text("物业企业编码", func(r *R) *string { return &r.CompanyCode }),
		ignored("物业企业名称", func(r *R) string { return n.of(n.Company, r.CompanyCode) }),
		tabular.Bool("已成立业委会", func(r *R) *bool { return &r.Committee }),
		tabular.Func("业委会成员", func(r *R) string { return FormatMembers(r.Members) }, func(r *R, v string) (err error) {
			r.Members, err = ParseMembers(v)
			return err
		}),
		ignored("党员占比", func(r *R) string {
			if !r.Committee {
				return ""
			}
			return fmt.Sprintf("%.1f%%", CheckCommittee(r.Members).Share*100)
		}),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// EvaluationSheet is the list of yearly evaluations (年度评价).
func EvaluationSheet(n Names) *tabular.Schema[data.PropertyEvaluation] {
	type R = data.PropertyEvaluation
	kinds := []tabular.Choice{{Value: data.EvalCompany, Label: "企业"}, {Value: data.EvalProject, Label: "项目"}}
	return &tabular.Schema[R]{Sheet: "年度评价", Columns: []tabular.Column[R]{
		tabular.Int("年度", func(r *R) *int { return &r.Year }).Required(),
		tabular.Enum("类别", func(r *R) *string { return &r.Kind }, kinds...).Required(),
		tabular.Text("对象编码", func(r *R) *string { return &r.SubjectCode }).Required(),
		ignored("对象名称", func(r *R) string {
			if r.Kind == data.EvalCompany {
				return n.of(n.Company, r.SubjectCode)
			}
			return n.of(n.Compound, r.SubjectCode)
		}),
		tabular.Float("得分", func(r *R) *float64 { return &r.Score }).Required(),
		ignored("等次", func(r *R) string { return Grade(r.Score) }),
		tabular.Bool("标杆", func(r *R) *bool { return &r.Benchmark }),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// TeamSheet is the list of the grids' volunteer teams (党员志愿服务队).
func TeamSheet(n Names) *tabular.Schema[data.VolunteerTeam] {
	type R = data.VolunteerTeam
	return &tabular.Schema[R]{Sheet: "志愿服务队", Columns: []tabular.Column[R]{
		tabular.Text("网格编码", func(r *R) *string { return &r.GridCode }).Required().Unique(),
		ignored("网格名称", func(r *R) string { return n.of(n.Grid, r.GridCode) }),
		tabular.Text("队伍名称", func(r *R) *string { return &r.Name }).Required(),
		tabular.Text("队长", func(r *R) *string { return &r.Leader }).Required(),
		tabular.Text("联系电话", func(r *R) *string { return &r.LeaderPhone }).Required(),
		dayCol("成立日期", func(r *R) *string { return &r.Founded }),
		tabular.Func("队员", func(r *R) string { return FormatVolunteers(r.Members) }, func(r *R, v string) (err error) {
			r.Members, err = ParseVolunteers(v)
			return err
		}).Required(),
		ignored("队员人数", func(r *R) string { return strconv.Itoa(len(r.Members)) }),
	}}
}

// TargetSheet is the list of service targets (服务对象): personal data,
// for the roles that manage the service only.
func TargetSheet() *tabular.Schema[data.ServiceTarget] {
	type R = data.ServiceTarget
	return &tabular.Schema[R]{Sheet: "服务对象", Columns: []tabular.Column[R]{
		tabular.Text("编号", func(r *R) *string { return &r.ID }).Required().Unique(),
		tabular.Enum("类别", func(r *R) *string { return &r.Kind }, choices(TargetKindNames, data.TargetKinds)...).Required(),
		tabular.Text("姓名", func(r *R) *string { return &r.Name }).Required(),
		tabular.Enum("性别", func(r *R) *string { return &r.Gender }, tabular.Choice{Value: "男", Label: "男"}, tabular.Choice{Value: "女", Label: "女"}).Required(),
		tabular.Int("出生年份", func(r *R) *int { return &r.BirthYear }).Required(),
		tabular.Text("联系电话", func(r *R) *string { return &r.Phone }),
		tabular.Text("监护人或联系人", func(r *R) *string { return &r.Guardian }),
		tabular.Text("楼栋编码", func(r *R) *string { return &r.BuildingCode }).Required(),
		tabular.Text("单元房号", func(r *R) *string { return &r.Room }),
		codeList("服务项目", func(r *R) *[]string { return &r.Items }, data.ServiceItems, ServiceItemNames).Required(),
		tabular.Int("走访间隔天数", func(r *R) *int { return &r.IntervalDays }),
		dayCol("纳入日期", func(r *R) *string { return &r.Since }).Required(),
		dayCol("退出日期", func(r *R) *string { return &r.Until }),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// LogSheet is the list of service logs (服务记录).
func LogSheet(n Names) *tabular.Schema[data.ServiceLog] {
	type R = data.ServiceLog
	items := append(slices.Clone(data.ServiceItems), data.ItemActivity)
	return &tabular.Schema[R]{Sheet: "服务记录", Columns: []tabular.Column[R]{
		tabular.Text("编号", func(r *R) *string { return &r.ID }).Required().Unique(),
		tabular.Text("网格编码", func(r *R) *string { return &r.GridCode }).Required(),
		tabular.Text("服务对象编号", func(r *R) *string { return &r.TargetID }),
		tabular.Text("驿站编码", func(r *R) *string { return &r.StationCode }),
		ignored("驿站名称", func(r *R) string { return n.of(n.Station, r.StationCode) }),
		tabular.Func("服务项目", func(r *R) string { return strings.Join(itemNames([]string{r.Item}), "") }, func(r *R, v string) error {
			c, err := itemCodes([]string{strings.TrimSpace(v)}, items)
			if err == nil && len(c) == 1 {
				r.Item = c[0]
			}
			return err
		}).Required(),
		timeCol("服务时间", func(r *R) *time.Time { return &r.At }).Required(),
		tabular.Int("时长分钟", func(r *R) *int { return &r.Minutes }).Required(),
		tabular.List("志愿者", func(r *R) *[]string { return &r.Volunteers }).Required(),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// StationSheet is the list of station records (驿站档案), dated.
func StationSheet(n Names) *tabular.Schema[data.StationRecord] {
	type R = data.StationRecord
	return &tabular.Schema[R]{Sheet: "驿站档案", Columns: []tabular.Column[R]{
		tabular.Text("驿站编码", func(r *R) *string { return &r.StationCode }).Required(),
		ignored("驿站名称", func(r *R) string { return n.of(n.Station, r.StationCode) }),
		dayCol("生效日期", func(r *R) *string { return &r.From }).Required(),
		tabular.Enum("建设状态", func(r *R) *string { return &r.Status }, choices(StationStatusNames, data.StationLifecycle)...).Required(),
		tabular.Text("开放时间", func(r *R) *string { return &r.Hours }),
		ignored("每周开放小时", func(r *R) string {
			h, err := ParseHours(r.Hours)
			if err != nil {
				return ""
			}
			return strconv.FormatFloat(h.Weekly(), 'f', -1, 64)
		}),
		codeList("功能", func(r *R) *[]string { return &r.Functions }, data.StationFunctions, FunctionNames),
		tabular.Int("面积平方米", func(r *R) *int { return &r.AreaM2 }),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// RatingKindNames are the Chinese names of the rating entry kinds.
var RatingKindNames = map[string]string{data.RatingAward: "评定", data.RatingDowngrade: "降星"}

// RatingSheet is the star-rating history (星级评定). Only awards are
// imported; downgrades are the system's.
func RatingSheet(n Names) *tabular.Schema[data.StarRating] {
	type R = data.StarRating
	return &tabular.Schema[R]{Sheet: "星级评定", Columns: []tabular.Column[R]{
		tabular.Text("驿站编码", func(r *R) *string { return &r.StationCode }).Required(),
		ignored("驿站名称", func(r *R) string { return n.of(n.Station, r.StationCode) }),
		timeCol("评定时间", func(r *R) *time.Time { return &r.At }).Required(),
		tabular.Int("星级", func(r *R) *int { return &r.Stars }).Required(),
		tabular.Enum("类别", func(r *R) *string { return &r.Kind }, choices(RatingKindNames, []string{data.RatingAward, data.RatingDowngrade})...),
		tabular.List("检查合格项", func(r *R) *[]string { return &r.Criteria }),
		tabular.Text("评定人", func(r *R) *string { return &r.Actor }),
		tabular.Text("备注", func(r *R) *string { return &r.Note }),
	}}
}

// headers maps each list's record fields (as validation errors name them)
// to the list's column headers.
var headers = map[string]map[string]string{
	SheetCompanies: {"code": "企业编码", "name": "企业名称", "credit_code": "统一社会信用代码", "district_code": "注册区县编码", "hotline": "服务电话"},
	SheetCompanyRecords: {"company_code": "企业编码", "from": "生效日期", "party_org": "党组织形式", "party_org_name": "党组织名称",
		"party_members": "党员人数", "note": "备注"},
	SheetProperty: {"compound_code": "小区编码", "from": "生效日期", "status": "物业状态", "company_code": "物业企业编码",
		"committee": "已成立业委会", "members": "业委会成员", "note": "备注"},
	SheetEvaluations: {"year": "年度", "kind": "类别", "subject_code": "对象编码", "score": "得分", "benchmark": "标杆", "note": "备注"},
	SheetTeams: {"grid_code": "网格编码", "name": "队伍名称", "leader": "队长", "leader_phone": "联系电话", "founded": "成立日期",
		"members": "队员"},
	SheetTargets: {"id": "编号", "kind": "类别", "name": "姓名", "gender": "性别", "birth_year": "出生年份", "phone": "联系电话",
		"guardian": "监护人或联系人", "building_code": "楼栋编码", "room": "单元房号", "items": "服务项目",
		"interval_days": "走访间隔天数", "since": "纳入日期", "until": "退出日期", "note": "备注"},
	SheetLogs: {"id": "编号", "grid_code": "网格编码", "target_id": "服务对象编号", "station_code": "驿站编码", "item": "服务项目",
		"at": "服务时间", "minutes": "时长分钟", "volunteers": "志愿者", "note": "备注"},
	SheetStations: {"station_code": "驿站编码", "from": "生效日期", "status": "建设状态", "hours": "开放时间", "functions": "功能",
		"area_m2": "面积平方米", "note": "备注"},
	SheetRatings: {"station_code": "驿站编码", "at": "评定时间", "stars": "星级", "kind": "类别", "criteria": "检查合格项",
		"actor": "评定人", "note": "备注"},
}

// Header returns the column header of a record field in a list ("" when
// the field has no column): members[2].name → 业委会成员.
func Header(sheet, field string) string {
	if i := strings.IndexAny(field, "[."); i > 0 {
		field = field[:i]
	}
	return headers[sheet][field]
}

// Import reads a file of one list into a change, checked whole against cx
// and the records p: any problem refuses the file, naming each problem's
// row and column (a tabular.Errors), and nothing is returned. Actor names
// who recorded the ratings of a ratings file.
func Import(sheet string, r io.Reader, f tabular.Format, cx Context, p *data.Places, actor string) (*Change, error) {
	ch := &Change{}
	check := func(fill func()) func() []tabular.Problem {
		return func() []tabular.Problem {
			fill()
			merged, err := Merge(p, ch)
			if err != nil {
				return []tabular.Problem{{Index: -1, Reason: err.Error()}}
			}
			var out []tabular.Problem
			for _, pr := range Check(cx, merged, ch) {
				out = append(out, tabular.Problem{Index: pr.Index, Header: Header(sheet, pr.Field), Reason: pr.Reason})
			}
			return out
		}
	}
	var err error
	n := Names{}
	switch sheet {
	case SheetCompanies:
		_, err = CompanySheet().Read(r, f, func(rows []data.PropertyCompany) []tabular.Problem {
			return check(func() { ch.Companies = rows })()
		})
	case SheetCompanyRecords:
		_, err = CompanyRecordSheet(n).Read(r, f, func(rows []data.CompanyRecord) []tabular.Problem {
			return check(func() { ch.CompanyRecords = rows })()
		})
	case SheetProperty:
		_, err = PropertySheet(n).Read(r, f, func(rows []data.PropertyRecord) []tabular.Problem {
			return check(func() { ch.Property = rows })()
		})
	case SheetEvaluations:
		_, err = EvaluationSheet(n).Read(r, f, func(rows []data.PropertyEvaluation) []tabular.Problem {
			return check(func() { ch.Evaluations = rows })()
		})
	case SheetTeams:
		_, err = TeamSheet(n).Read(r, f, func(rows []data.VolunteerTeam) []tabular.Problem {
			return check(func() { ch.Teams = rows })()
		})
	case SheetTargets:
		_, err = TargetSheet().Read(r, f, func(rows []data.ServiceTarget) []tabular.Problem {
			return check(func() { ch.Targets = rows })()
		})
	case SheetLogs:
		_, err = LogSheet(n).Read(r, f, func(rows []data.ServiceLog) []tabular.Problem {
			return check(func() { ch.Logs = rows })()
		})
	case SheetStations:
		_, err = StationSheet(n).Read(r, f, func(rows []data.StationRecord) []tabular.Problem {
			return check(func() { ch.Stations = rows })()
		})
	case SheetRatings:
		_, err = RatingSheet(n).Read(r, f, func(rows []data.StarRating) []tabular.Problem {
			return check(func() {
				for i := range rows {
					if rows[i].Kind == "" {
						rows[i].Kind = data.RatingAward
					}
					if rows[i].Actor == "" {
						rows[i].Actor = actor
					}
				}
				ch.Ratings = rows
			})()
		})
	default:
		return nil, fmt.Errorf("list %q unknown (one of %s)", sheet, strings.Join(SheetNames, ", "))
	}
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// Export writes one list of p as a file.
func Export(sheet string, w io.Writer, f tabular.Format, p *data.Places, n Names) error {
	switch sheet {
	case SheetCompanies:
		return CompanySheet().Write(w, f, p.Companies)
	case SheetCompanyRecords:
		return CompanyRecordSheet(n).Write(w, f, p.CompanyRecords)
	case SheetProperty:
		return PropertySheet(n).Write(w, f, p.Property)
	case SheetEvaluations:
		return EvaluationSheet(n).Write(w, f, p.Evaluations)
	case SheetTeams:
		return TeamSheet(n).Write(w, f, p.Teams)
	case SheetTargets:
		return TargetSheet().Write(w, f, p.Targets)
	case SheetLogs:
		return LogSheet(n).Write(w, f, p.Logs)
	case SheetStations:
		return StationSheet(n).Write(w, f, p.Stations)
	case SheetRatings:
		return RatingSheet(n).Write(w, f, p.Ratings)
	}
	return fmt.Errorf("list %q unknown (one of %s)", sheet, strings.Join(SheetNames, ", "))
}
