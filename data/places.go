package data

import "time"

// The places and services of the grids (满意物业, 党员志愿服务队, 1+N 红色驿站)
// are kept as dated records: a record holds the whole state of its subject
// from its From date until the next record of the same subject. The rules
// over them (the 三率, the party-member share, visit intervals, star
// criteria, the station lifecycle) live in package data/places.
//
// Dates are calendar days in China Standard Time written yyyy-mm-dd, so
// they compare as strings; timestamps (service logs, ratings) are
// time.Time.

// PropertySelf is a compound managed by its owners or its work unit
// (自管) rather than by a property company. The other property states are
// in model.go: PropertyManaged (专业化物业), PropertyNone (无物业),
// PropertyAbandoned (弃管).
const PropertySelf = "self"

// PropertyStatuses lists the property states in report order.
var PropertyStatuses = []string{PropertyManaged, PropertySelf, PropertyNone, PropertyAbandoned}

// Party organisation forms in a property company (物业企业党组织).
const (
	PartyOrgNone        = "none"        // no party organisation
	PartyOrgIndependent = "independent" // 单独组建: its own branch
	PartyOrgJoint       = "joint"       // 联合组建: a joint branch with other companies
)

// PartyOrgForms lists the party organisation forms.
var PartyOrgForms = []string{PartyOrgNone, PartyOrgIndependent, PartyOrgJoint}

// PropertyCompany is a property service company (物业服务企业).
type PropertyCompany struct {
	Code         string `json:"code"` // PC + digits, unique in the city
	Name         string `json:"name"`
	CreditCode   string `json:"credit_code,omitempty"`              // 统一社会信用代码 (18 characters), may be empty
	DistrictCode string `json:"district_code,omitempty"`            // where it is registered
	Hotline      string `json:"hotline,omitempty" privacy:"public"` // the company's public service line (not personal data)
}

// CompanyRecord is a property company's party organisation from a date.
type CompanyRecord struct {
	CompanyCode  string `json:"company_code,omitempty"`
	From         string `json:"from"`                     // yyyy-mm-dd
	PartyOrg     string `json:"party_org"`                // PartyOrgNone, PartyOrgIndependent or PartyOrgJoint
	PartyOrgName string `json:"party_org_name,omitempty"` // e.g. 某某物业公司党支部
	PartyMembers int    `json:"party_members"`            // party members on the company's staff
	Note         string `json:"note,omitempty" privacy:"text"`
}

// CommitteeMember is a member of an owners' committee (业主委员会委员).
// Names and phones are personal data.
type CommitteeMember struct {
	Name        string `json:"name" privacy:"name"`
	Phone       string `json:"phone,omitempty" privacy:"phone"`
	Role        string `json:"role"` // 主任, 副主任, 委员
	PartyMember bool   `json:"party_member"`
}

// PropertyRecord is a compound's property service from a date: its state,
// its company, and its owners' committee.
type PropertyRecord struct {
	CompoundCode string            `json:"compound_code"`
	From         string            `json:"from"`                   // yyyy-mm-dd
	Status       string            `json:"status"`                 // one of PropertyStatuses
	CompanyCode  string            `json:"company_code,omitempty"` // the serving company; set exactly when Status is PropertyManaged
	Committee    bool              `json:"committee"`              // an owners' committee (业主委员会) is established
	Members      []CommitteeMember `json:"members,omitempty"`
	Note         string            `json:"note,omitempty" privacy:"text"`
}

// Evaluation kinds and the titles they award.
const (
	EvalCompany = "company" // a property company (红色物业标杆企业)
	EvalProject = "project" // a compound served by a company (红色物业标杆项目)

	TitleBenchmarkCompany = "红色物业标杆企业"
	TitleBenchmarkProject = "红色物业标杆项目"
)

// PropertyEvaluation is one year's evaluation of a property company or of
// a project (a compound and the company serving it).
type PropertyEvaluation struct {
	Year        int     `json:"year"`
	Kind        string  `json:"kind"`         // EvalCompany or EvalProject
	SubjectCode string  `json:"subject_code"` // the company code, or the compound code for a project
	Score       float64 `json:"score"`
	Benchmark   bool    `json:"benchmark"` // awarded the year's benchmark title of its kind
	Note        string  `json:"note,omitempty"`
}

// Service target kinds (服务对象): personal data, stored with a building.
const (
	TargetLonelyElderly    = "lonely_elderly"    // 鳏寡孤独老人
	TargetSeverelyDisabled = "severely_disabled" // 重度残疾人
	TargetLeftBehindChild  = "left_behind_child" // 留守儿童
	TargetVulnerableChild  = "vulnerable_child"  // 困境儿童
)

// TargetKinds lists the service target kinds.
var TargetKinds = []string{TargetLonelyElderly, TargetSeverelyDisabled, TargetLeftBehindChild, TargetVulnerableChild}

// The seven service items of the party volunteer teams. The first four
// are the city's own (居家环境, 生活照料, 跑腿代办, 托管教育); gridmap defines
// the other three (健康关爱, 精神慰藉, 安全守护) from common practice.
const (
	ItemHome      = "home"      // 居家环境: cleaning, repairs at home
	ItemCare      = "care"      // 生活照料: meals, bathing, daily care
	ItemErrands   = "errands"   // 跑腿代办: shopping, paperwork on their behalf
	ItemTutoring  = "tutoring"  // 托管教育: after-school care and homework
	ItemHealth    = "health"    // 健康关爱: check-ups, accompanying to the doctor
	ItemCompanion = "companion" // 精神慰藉: visits, talk, emotional support
	ItemSafety    = "safety"    // 安全守护: gas, power and fire checks, emergencies
)

// ServiceItems lists the seven service items in order.
var ServiceItems = []string{ItemHome, ItemCare, ItemErrands, ItemTutoring, ItemHealth, ItemCompanion, ItemSafety}

// Volunteer is a member of a grid's party volunteer team. Names and
// phones are personal data.
type Volunteer struct {
	Name        string `json:"name" privacy:"name"`
	Phone       string `json:"phone,omitempty" privacy:"phone"`
	PartyMember bool   `json:"party_member"`
}

// VolunteerTeam is a grid's fixed party volunteer team (党员志愿服务队):
// one per grid.
type VolunteerTeam struct {
	GridCode    string      `json:"grid_code"`
	Name        string      `json:"name"`
	Leader      string      `json:"leader" privacy:"name"`        // the leader's name
	LeaderPhone string      `json:"leader_phone" privacy:"phone"` // the team's contact
	Members     []Volunteer `json:"members,omitempty"`
	Founded     string      `json:"founded,omitempty"` // yyyy-mm-dd
}

// ServiceTarget is a resident the grid's volunteer team serves. Every
// field but the kind, the building and the dates is personal data: only
// the roles that manage the service see it, and maps show targets counted
// by grid at the finest.
type ServiceTarget struct {
	ID           string   `json:"id"`   // T + digits
	Kind         string   `json:"kind"` // one of TargetKinds
	Name         string   `json:"name" privacy:"name"`
	Gender       string   `json:"gender" privacy:"personal"` // 男 / 女
	BirthYear    int      `json:"birth_year" privacy:"personal"`
	Phone        string   `json:"phone,omitempty" privacy:"phone"`   // the target's or the guardian's
	Guardian     string   `json:"guardian,omitempty" privacy:"name"` // guardian or family contact (children, disabled)
	BuildingCode string   `json:"building_code"`
	Room         string   `json:"room,omitempty" privacy:"personal"` // unit and room, e.g. 2单元301
	Items        []string `json:"items,omitempty"`                   // the service items needed
	IntervalDays int      `json:"interval_days"`                     // visit interval; 0 means the configured default for the kind
	Since        string   `json:"since"`                             // yyyy-mm-dd, served from
	Until        string   `json:"until,omitempty"`                   // yyyy-mm-dd, no longer served from (empty: still served)
	Note         string   `json:"note,omitempty" privacy:"text"`
}

// ServiceLog records one service: who gave it, what, when, for whom.
// TargetID is empty for an activity that served no one target (a station
// event), StationCode empty for a service at the target's home.
type ServiceLog struct {
	ID          string    `json:"id"`        // L + digits
	GridCode    string    `json:"grid_code"` // the team's grid
	TargetID    string    `json:"target_id,omitempty"`
	StationCode string    `json:"station_code,omitempty"`
	Item        string    `json:"item"` // one of ServiceItems, or "activity" for a station event
	At          time.Time `json:"at"`
	Minutes     int       `json:"minutes"`
	Volunteers  []string  `json:"volunteers,omitempty" privacy:"name"` // names of the volunteers who served
	Note        string    `json:"note,omitempty" privacy:"text"`
}

// ItemActivity marks a service log that is a station activity (居民活动,
// 党员教育, 政策宣传 …) rather than a service to one target.
const ItemActivity = "activity"

// StationUnderConstruction is a station being built (在建), between
// StationPlanned and StationBuilt in the lifecycle.
const StationUnderConstruction = "under_construction"

// StationLifecycle lists the station states in lifecycle order: planned →
// under construction → built.
var StationLifecycle = []string{StationPlanned, StationUnderConstruction, StationBuilt}

// The five functions of a station.
const (
	FuncPolicy     = "policy"     // 政策宣传
	FuncEducation  = "education"  // 党员教育
	FuncServices   = "services"   // 便民服务
	FuncActivities = "activities" // 居民活动
	FuncOpinion    = "opinion"    // 民意搜集
)

// StationFunctions lists the five station functions.
var StationFunctions = []string{FuncPolicy, FuncEducation, FuncServices, FuncActivities, FuncOpinion}

// StationRecord is a station's state from a date: its place in the
// lifecycle, opening hours, functions and floor area.
type StationRecord struct {
	StationCode string   `json:"station_code,omitempty"`
	From        string   `json:"from"`            // yyyy-mm-dd
	Status      string   `json:"status"`          // one of StationLifecycle
	Hours       string   `json:"hours,omitempty"` // opening hours, e.g. "1-5 08:30-17:30; 6 09:00-12:00" (see places.ParseHours)
	Functions   []string `json:"functions,omitempty"`
	AreaM2      int      `json:"area_m2"`
	Note        string   `json:"note,omitempty"`
}

// Star rating entry kinds.
const (
	RatingAward     = "award"     // rated by the organisation department after an inspection
	RatingDowngrade = "downgrade" // lowered because criteria lapsed
)

// StarRating is one entry of a station's star-rating history. An award
// lists the inspected criteria found met; a downgrade lists the criteria
// that lapsed.
type StarRating struct {
	StationCode string    `json:"station_code,omitempty"`
	At          time.Time `json:"at"`
	Stars       int       `json:"stars"` // 0–5
	Kind        string    `json:"kind"`
	Criteria    []string  `json:"criteria,omitempty"` // award: inspected criteria met; downgrade: criteria lapsed
	Actor       string    `json:"actor,omitempty" privacy:"name"`
	Note        string    `json:"note,omitempty"`
}

// Places holds every places record of a city.
type Places struct {
	Companies      []PropertyCompany    `json:"companies,omitempty"`
	CompanyRecords []CompanyRecord      `json:"company_records,omitempty"`
	Property       []PropertyRecord     `json:"property,omitempty"`
	Evaluations    []PropertyEvaluation `json:"evaluations,omitempty"`
	Teams          []VolunteerTeam      `json:"teams,omitempty"`
	Targets        []ServiceTarget      `json:"targets,omitempty"`
	Logs           []ServiceLog         `json:"logs,omitempty"`
	Stations       []StationRecord      `json:"stations,omitempty"`
	Ratings        []StarRating         `json:"ratings,omitempty"`
}

// Empty reports whether p holds no record.
func (p *Places) Empty() bool {
	return p == nil || len(p.Companies)+len(p.CompanyRecords)+len(p.Property)+len(p.Evaluations)+
		len(p.Teams)+len(p.Targets)+len(p.Logs)+len(p.Stations)+len(p.Ratings) == 0
}

// Append adds every record of q to p.
func (p *Places) Append(q *Places) {
	if q == nil {
		return
	}
	p.Companies = append(p.Companies, q.Companies...)
	p.CompanyRecords = append(p.CompanyRecords, q.CompanyRecords...)
	p.Property = append(p.Property, q.Property...)
	p.Evaluations = append(p.Evaluations, q.Evaluations...)
	p.Teams = append(p.Teams, q.Teams...)
	p.Targets = append(p.Targets, q.Targets...)
	p.Logs = append(p.Logs, q.Logs...)
	p.Stations = append(p.Stations, q.Stations...)
	p.Ratings = append(p.Ratings, q.Ratings...)
}
