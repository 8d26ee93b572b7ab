package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/paulmach/orb/geojson"
)

// Property service (满意物业): the compounds' dated property records and
// owners' committees, the companies and their party organisations, the
// three rates by area and day with their change against a base day,
// property complaints by compound, company and area, yearly evaluations,
// and the rates as a map (choropleth) and a ranking.

// RatesDefinitions says what each rate counts; every rates answer carries it.
var RatesDefinitions = map[string]string{
	"committee_rate":          "业委会组建率: compounds of the area on record that day with an owners' committee established / compounds of the area on record that day",
	"professional_rate":       "专业化物业服务覆盖率: compounds on record that day with status managed (专业化物业) / compounds on record that day",
	"party_org_rate":          "物业企业党组织覆盖率: distinct property companies serving at least one compound of the area that day whose record in force has a party organisation, independent (单独组建) or joint (联合组建) / distinct property companies serving at least one compound of the area that day",
	"committee_party_rate":    "committees whose members are at least 60% party members / committees established",
	"households_professional": "households of professionally managed compounds / households of compounds on record",
	"on_record":               "a compound is on record on a day when it has a property record dated that day or earlier; its state is that of its latest such record",
}

// The base day the city reports its gains against: early 2020.
const defaultRatesBase = "2020-01-01"

type memberJSON struct {
	Name        string `json:"name" privacy:"name"`
	Phone       string `json:"phone,omitempty" privacy:"phone"`
	Role        string `json:"role"`
	PartyMember bool   `json:"party_member"`
}

type propertyRecordJSON struct {
	CompoundCode string        `json:"compound_code"`
	From         string        `json:"from"`
	Status       string        `json:"status"`
	StatusName   string        `json:"status_name"`
	CompanyCode  string        `json:"company_code,omitempty"`
	CompanyName  string        `json:"company_name,omitempty"`
	Committee    bool          `json:"committee"`
	Members      []memberJSON  `json:"members"`
	Share        *places.Share `json:"party_share,omitempty"`
	Note         string        `json:"note,omitempty" privacy:"text"`
}

func (st *placesState) recordJSON(r data.PropertyRecord) propertyRecordJSON {
	out := propertyRecordJSON{CompoundCode: r.CompoundCode, From: r.From, Status: r.Status, StatusName: places.StatusNames[r.Status],
		CompanyCode: r.CompanyCode, Committee: r.Committee, Members: []memberJSON{}, Note: r.Note}
	if co := st.prop.Company(r.CompanyCode); co != nil {
		out.CompanyName = co.Name
	}
	for _, m := range r.Members {
		out.Members = append(out.Members, memberJSON{Name: m.Name, Phone: m.Phone, Role: m.Role, PartyMember: m.PartyMember})
	}
	if r.Committee {
		s := places.CheckCommittee(r.Members)
		out.Share = &s
	}
	return out
}

type compoundPropertyJSON struct {
	Code          string              `json:"code"`
	Name          string              `json:"name"`
	GridCode      string              `json:"grid_code"`
	CommunityCode string              `json:"community_code"`
	Community     string              `json:"community"`
	Households    int                 `json:"households"`
	Current       *propertyRecordJSON `json:"current"`
	PartyOrg      bool                `json:"company_party_org"`
	Complaints    int                 `json:"complaints_12m"`
}

// handleRates is GET /api/v1/property/rates?level=&day=&base=&code=: the
// three rates of every area of the level on day, and their change against
// base (default 2020-01-01).
func (s *Server) handleRates(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	level, day, base := queryString(r, "level"), s.dayOf(r, "day"), queryString(r, "base")
	ch, err := st.rater.Changes(level, base, day)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if code := queryString(r, "code"); code != "" {
		ch = slices.DeleteFunc(ch, func(c places.RateChange) bool { return c.Code != code })
		if len(ch) == 0 {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no %s %q", level, code))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"level": level, "day": day, "base": base, "definitions": RatesDefinitions, "areas": ch})
}

// ratePoint is one point of a rates trend.
type ratePoint struct {
	Day          string         `json:"day"`
	Committee    places.Rate    `json:"committee_rate"`
	Professional places.Rate    `json:"professional_rate"`
	PartyOrg     places.Rate    `json:"party_org_rate"`
	Compounds    int            `json:"compounds"`
	ByStatus     map[string]int `json:"by_status"`
}

// trendSteps are the months between the points of a trend.
var trendSteps = map[string]int{"month": 1, "quarter": 3, "year": 12}

// handleRatesTrend is GET /api/v1/property/rates/trend?level=&code=&from=&to=&every=month|quarter|year:
// one area's rates over time.
func (s *Server) handleRatesTrend(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	level, code := queryString(r, "level"), queryString(r, "code")
	if level != places.LevelCity && code == "" {
		writeError(w, http.StatusBadRequest, "query parameter code: the area's code is required below the city level")
		return
	}
	from, to := queryString(r, "from"), s.dayOf(r, "to")
	if to < from {
		writeError(w, http.StatusBadRequest, "query parameter to: "+to+" is before from "+from)
		return
	}
	months := trendSteps[queryString(r, "every")]
	var out []ratePoint
	add := func(day string) {
		rs, _ := st.rater.Rates(level, day)
		for _, a := range rs {
			if a.Code == code || level == places.LevelCity {
				out = append(out, ratePoint{day, a.Committee, a.Professional, a.PartyOrg, a.Compounds, a.ByStatus})
			}
		}
	}
	t, _ := places.ParseDate(from)
	end, _ := places.ParseDate(to)
	for n := 0; !t.After(end) && n < 400; n++ {
		add(places.Day(t))
		t = t.AddDate(0, months, 0)
	}
	if len(out) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s %q", level, code))
		return
	}
	if out[len(out)-1].Day != to {
		add(to)
	}
	writeJSON(w, http.StatusOK, map[string]any{"level": level, "code": code, "points": out})
}

// handlePropertyCompounds is GET /api/v1/property/compounds: the
// compounds with their property service on day, filtered by area, status,
// committee and party share, most complaints first or by code.
func (s *Server) handlePropertyCompounds(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	day, status, committee := s.dayOf(r, "day"), queryString(r, "status"), queryBool(r, "committee")
	share, area, name := queryString(r, "party_share"), areaOf(r), queryString(r, "q")
	counts, err := s.complaintCounts(r, st, places.LevelCompound, day)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	hh := map[string]int{}
	for i := range st.city.Buildings {
		hh[st.city.Buildings[i].CompoundCode] += st.city.Buildings[i].Households
	}
	var out []compoundPropertyJSON
	for i := range st.city.Compounds {
		cp := &st.city.Compounds[i]
		if !area.holds(cp.Code) || name != "" && !strings.Contains(cp.Name, name) {
			continue
		}
		rec, ok := st.prop.At(cp.Code, day)
		if status != "" && (!ok || rec.Status != status) {
			continue
		}
		if committee != nil && (!ok || rec.Committee != *committee) {
			continue
		}
		if share != "" && (!ok || !rec.Committee || places.CheckCommittee(rec.Members).OK != (share == "met")) {
			continue
		}
		x := compoundPropertyJSON{Code: cp.Code, Name: cp.Name, GridCode: cp.GridCode, CommunityCode: cp.CommunityCode, Households: hh[cp.Code], Complaints: counts[cp.Code]}
		if cm := st.city.Community(cp.CommunityCode); cm != nil {
			x.Community = cm.Name
		}
		if ok {
			j := st.recordJSON(rec)
			x.Current = &j
			x.PartyOrg = rec.Status == data.PropertyManaged && st.prop.HasPartyOrg(rec.CompanyCode, day)
		}
		out = append(out, x)
	}
	if queryString(r, "sort") == "complaints" {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Complaints > out[j].Complaints })
	}
	writeJSON(w, http.StatusOK, map[string]any{"day": day, "total": len(out), "compounds": page(r, out)})
}

// complaintCounts counts the complaints of the twelve months to the end
// of day by the level's code.
func (s *Server) complaintCounts(r *http.Request, st *placesState, level, day string) (map[string]int, error) {
	cs, err := s.complaintsNow(r.Context(), st)
	if err != nil {
		return nil, fmt.Errorf("complaints: %w", err)
	}
	fs, err := places.ComplaintReport(st.city, st.prop, cs, places.ComplaintQuery{Level: level, End: places.EndOfDay(day)})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(fs))
	for _, f := range fs {
		out[f.Code] = f.Count
	}
	return out, nil
}

// handlePropertyCompound is GET /api/v1/property/compounds/{code}: one
// compound's property history, complaints and evaluations.
func (s *Server) handlePropertyCompound(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	code := pathVar(r, "code")
	cp := st.city.Compound(code)
	if cp == nil {
		writeError(w, http.StatusNotFound, "no compound "+code)
		return
	}
	day := s.dayOf(r, "day")
	var hist []propertyRecordJSON
	for _, rec := range st.prop.History(code) {
		hist = append(hist, st.recordJSON(rec))
	}
	out := map[string]any{"code": cp.Code, "name": cp.Name, "grid_code": cp.GridCode, "community_code": cp.CommunityCode, "day": day, "history": hist}
	if rec, ok := st.prop.At(code, day); ok {
		j := st.recordJSON(rec)
		out["current"] = j
	}
	cs, err := s.complaintsNow(r.Context(), st)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var mine []places.Complaint
	for _, c := range cs {
		if c.CompoundCode == code {
			mine = append(mine, c)
		}
	}
	if fs, _ := places.ComplaintReport(st.city, st.prop, mine, places.ComplaintQuery{Level: places.LevelCompound, End: places.EndOfDay(day)}); len(fs) > 0 {
		out["complaints"] = fs[0]
	}
	var evs []propertyEvaluationJSON
	for _, e := range st.p.Evaluations {
		if e.Kind == data.EvalProject && e.SubjectCode == code {
			evs = append(evs, st.propertyEvaluationJSON(e))
		}
	}
	out["evaluations"] = evs
	writeJSON(w, http.StatusOK, out)
}

// propertyRecordIn is the body of PUT …/records/{from}.
type propertyRecordIn struct {
	Status      string       `json:"status"`
	CompanyCode string       `json:"company_code"`
	Committee   bool         `json:"committee"`
	Members     []memberJSON `json:"members"`
	Note        string       `json:"note" privacy:"text"`
}

// handlePutPropertyRecord is PUT /api/v1/property/compounds/{code}/records/{from}:
// the compound's property service from that day (replacing a record of the
// same day).
func (s *Server) handlePutPropertyRecord(w http.ResponseWriter, r *http.Request) {
	var in propertyRecordIn
	if !decodeJSON(w, r, &in) {
		return
	}
	rec := data.PropertyRecord{CompoundCode: pathVar(r, "code"), From: pathVar(r, "from"), Status: in.Status,
		CompanyCode: in.CompanyCode, Committee: in.Committee, Note: in.Note}
	for _, m := range in.Members {
		rec.Members = append(rec.Members, data.CommitteeMember{Name: m.Name, Phone: m.Phone, Role: m.Role, PartyMember: m.PartyMember})
	}
	s.writeChange(w, r, "property.record.put", rec.CompoundCode+"@"+rec.From, &places.Change{Property: []data.PropertyRecord{rec}}, http.StatusOK)
}

// handleDeletePropertyRecord is DELETE /api/v1/property/compounds/{code}/records/{from}.
func (s *Server) handleDeletePropertyRecord(w http.ResponseWriter, r *http.Request) {
	k := places.Key{Sheet: places.SheetProperty, Code: pathVar(r, "code"), From: pathVar(r, "from")}
	s.writeChange(w, r, "property.record.delete", k.Code+"@"+k.From, &places.Change{Delete: []places.Key{k}}, http.StatusOK)
}

type companyJSON struct {
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	CreditCode    string   `json:"credit_code,omitempty"`
	DistrictCode  string   `json:"district_code,omitempty"`
	Hotline       string   `json:"hotline,omitempty" privacy:"public"`
	PartyOrg      string   `json:"party_org"`
	PartyOrgName  string   `json:"party_org_name,omitempty"`
	PartyMembers  int      `json:"party_members"`
	PartyOrgSince string   `json:"party_org_since,omitempty"`
	Compounds     int      `json:"compounds_served"`
	Households    int      `json:"households_served"`
	Complaints    int      `json:"complaints_12m"`
	Prior         int      `json:"complaints_prior_12m"`
	YoY           *float64 `json:"complaints_yoy"`
	Per1000       float64  `json:"complaints_per_1000_households"`
	Score         *float64 `json:"latest_score"`
	ScoreYear     int      `json:"latest_score_year,omitempty"`
	Benchmarks    []int    `json:"benchmark_years"`
}

func (st *placesState) companyJSON(co *data.PropertyCompany, day string, cf map[string]places.ComplaintFigures) companyJSON {
	out := companyJSON{Code: co.Code, Name: co.Name, CreditCode: co.CreditCode, DistrictCode: co.DistrictCode, Hotline: co.Hotline,
		PartyOrg: data.PartyOrgNone, Benchmarks: []int{}}
	if rec, ok := st.prop.CompanyAt(co.Code, day); ok {
		out.PartyOrg, out.PartyOrgName, out.PartyMembers = rec.PartyOrg, rec.PartyOrgName, rec.PartyMembers
		if rec.PartyOrg != data.PartyOrgNone {
			since := rec.From
			for _, h := range st.prop.CompanyHistory(co.Code) {
				if h.From <= day && h.PartyOrg != data.PartyOrgNone && h.From < since {
					since = h.From
				}
			}
			out.PartyOrgSince = since
		}
	}
	served := st.prop.Served(co.Code, day)
	out.Compounds = len(served)
	for _, b := range st.city.Buildings {
		if _, ok := slices.BinarySearch(served, b.CompoundCode); ok {
			out.Households += b.Households
		}
	}
	if f, ok := cf[co.Code]; ok {
		out.Complaints, out.Prior, out.YoY = f.Count, f.Prior, f.YoY
		if out.Households > 0 {
			out.Per1000 = math.Round(float64(f.Count)/float64(out.Households)*1000*100) / 100
		}
	}
	for _, e := range st.p.Evaluations {
		if e.Kind == data.EvalCompany && e.SubjectCode == co.Code {
			if e.Year > out.ScoreYear {
				sc := e.Score
				out.Score, out.ScoreYear = &sc, e.Year
			}
			if e.Benchmark {
				out.Benchmarks = append(out.Benchmarks, e.Year)
			}
		}
	}
	sort.Ints(out.Benchmarks)
	return out
}

func (s *Server) companyComplaints(r *http.Request, st *placesState, day string) (map[string]places.ComplaintFigures, error) {
	cs, err := s.complaintsNow(r.Context(), st)
	if err != nil {
		return nil, err
	}
	fs, err := places.ComplaintReport(st.city, st.prop, cs, places.ComplaintQuery{Level: places.LevelCompany, End: places.EndOfDay(day)})
	if err != nil {
		return nil, err
	}
	m := make(map[string]places.ComplaintFigures, len(fs))
	for _, f := range fs {
		m[f.Code] = f
	}
	return m, nil
}

// handleCompanies is GET /api/v1/property/companies?day=&district=&party_org=&serving=true:
// the companies with their party organisation, what they serve, their
// complaints and evaluations; most compounds served first.
func (s *Server) handleCompanies(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	day, po, serving, district := s.dayOf(r, "day"), queryString(r, "party_org"), queryBool(r, "serving"), queryString(r, "district")
	cf, err := s.companyComplaints(r, st, day)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var out []companyJSON
	for _, co := range st.prop.Companies() {
		if district != "" && co.DistrictCode != district {
			continue
		}
		x := st.companyJSON(co, day, cf)
		if po == "any" && x.PartyOrg == data.PartyOrgNone || po != "" && po != "any" && x.PartyOrg != po {
			continue
		}
		if serving != nil && (x.Compounds > 0) != *serving {
			continue
		}
		out = append(out, x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Compounds > out[j].Compounds })
	writeJSON(w, http.StatusOK, map[string]any{"day": day, "total": len(out), "companies": page(r, out)})
}

// handleCompany is GET /api/v1/property/companies/{code}.
func (s *Server) handleCompany(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	code := pathVar(r, "code")
	co := st.prop.Company(code)
	if co == nil {
		writeError(w, http.StatusNotFound, "no company "+code)
		return
	}
	day := s.dayOf(r, "day")
	cf, err := s.companyComplaints(r, st, day)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var evs []propertyEvaluationJSON
	for _, e := range st.p.Evaluations {
		if e.Kind == data.EvalCompany && e.SubjectCode == code {
			evs = append(evs, st.propertyEvaluationJSON(e))
		}
	}
	var served []namedCode
	for _, c := range st.prop.Served(code, day) {
		served = append(served, namedCode{c, st.city.Compound(c).Name})
	}
	writeJSON(w, http.StatusOK, map[string]any{"company": st.companyJSON(co, day, cf), "day": day, "history": st.prop.CompanyHistory(code),
		"compounds": served, "evaluations": evs, "complaints": cf[code]})
}

// companyIn is the body of PUT /api/v1/property/companies/{code}.
type companyIn struct {
	Name         string `json:"name"`
	CreditCode   string `json:"credit_code"`
	DistrictCode string `json:"district_code"`
	Hotline      string `json:"hotline"`
}

// handlePutCompany is PUT /api/v1/property/companies/{code}: a company's
// particulars (created when new).
func (s *Server) handlePutCompany(w http.ResponseWriter, r *http.Request) {
	var in companyIn
	if !decodeJSON(w, r, &in) {
		return
	}
	co := data.PropertyCompany{Code: pathVar(r, "code"), Name: in.Name, CreditCode: in.CreditCode, DistrictCode: in.DistrictCode, Hotline: in.Hotline}
	s.writeChange(w, r, "property.company.put", co.Code, &places.Change{Companies: []data.PropertyCompany{co}}, http.StatusOK)
}

// companyRecordIn is the body of PUT …/companies/{code}/records/{from}.
type companyRecordIn struct {
	PartyOrg     string `json:"party_org"`
	PartyOrgName string `json:"party_org_name"`
	PartyMembers int    `json:"party_members"`
	Note         string `json:"note" privacy:"text"`
}

// handlePutCompanyRecord is PUT /api/v1/property/companies/{code}/records/{from}:
// the company's party organisation from that day.
func (s *Server) handlePutCompanyRecord(w http.ResponseWriter, r *http.Request) {
	var in companyRecordIn
	if !decodeJSON(w, r, &in) {
		return
	}
	rec := data.CompanyRecord{CompanyCode: pathVar(r, "code"), From: pathVar(r, "from"), PartyOrg: in.PartyOrg,
		PartyOrgName: in.PartyOrgName, PartyMembers: in.PartyMembers, Note: in.Note}
	s.writeChange(w, r, "property.company_record.put", rec.CompanyCode+"@"+rec.From, &places.Change{CompanyRecords: []data.CompanyRecord{rec}}, http.StatusOK)
}

// handleDeleteCompanyRecord is DELETE /api/v1/property/companies/{code}/records/{from}.
func (s *Server) handleDeleteCompanyRecord(w http.ResponseWriter, r *http.Request) {
	k := places.Key{Sheet: places.SheetCompanyRecords, Code: pathVar(r, "code"), From: pathVar(r, "from")}
	s.writeChange(w, r, "property.company_record.delete", k.Code+"@"+k.From, &places.Change{Delete: []places.Key{k}}, http.StatusOK)
}

// handleComplaints is GET /api/v1/property/complaints?level=&end=&months=&limit=:
// property complaints by compound, company, community, street, district,
// city or property status: the year to end against the year before, and a
// monthly trend.
func (s *Server) handleComplaints(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	level, months := queryString(r, "level"), queryInt(r, "months")
	end := s.now()
	if v := queryString(r, "end"); v != "" {
		end = places.EndOfDay(v)
	}
	cs, err := s.complaintsNow(r.Context(), st)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	fs, err := places.ComplaintReport(st.city, st.prop, cs, places.ComplaintQuery{Level: level, End: end, Months: months})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"level": level, "end": end, "months": months, "links": places.LinkSummary(cs),
		"total": len(fs), "figures": page(r, fs),
		"definition": "a property complaint is an incident of a property category (property or property.…), tied to the compound whose outline holds its point, else to the compound its address resolves to; count is the twelve months before end, prior the twelve before that, yoy (count − prior) / prior"})
}

type propertyEvaluationJSON struct {
	data.PropertyEvaluation
	Title string `json:"title,omitempty"`
	Grade string `json:"grade"`
	Name  string `json:"subject_name"`
}

func (st *placesState) propertyEvaluationJSON(e data.PropertyEvaluation) propertyEvaluationJSON {
	out := propertyEvaluationJSON{PropertyEvaluation: e, Grade: places.Grade(e.Score)}
	if e.Benchmark {
		out.Title = map[string]string{data.EvalCompany: data.TitleBenchmarkCompany, data.EvalProject: data.TitleBenchmarkProject}[e.Kind]
	}
	if e.Kind == data.EvalCompany {
		if co := st.prop.Company(e.SubjectCode); co != nil {
			out.Name = co.Name
		}
	} else if cp := st.city.Compound(e.SubjectCode); cp != nil {
		out.Name = cp.Name
	}
	return out
}

// MarshalJSON writes an evaluation with snake_case fields.
func (e propertyEvaluationJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"year": e.Year, "kind": e.Kind, "subject_code": e.SubjectCode, "subject_name": e.Name,
		"score": e.Score, "benchmark": e.Benchmark, "title": e.Title, "grade": e.Grade, "note": e.Note})
}

// handleEvaluations is GET /api/v1/property/evaluations?year=&kind=&benchmark=true.
func (s *Server) handleEvaluations(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	year, kind, bench := queryInt(r, "year"), queryString(r, "kind"), queryBool(r, "benchmark")
	var out []propertyEvaluationJSON
	for _, e := range st.p.Evaluations {
		if (year != 0 && e.Year != year) || (kind != "" && e.Kind != kind) || (bench != nil && e.Benchmark != *bench) {
			continue
		}
		out = append(out, st.propertyEvaluationJSON(e))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year > out[j].Year
		}
		return out[i].Score > out[j].Score
	})
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "evaluations": page(r, out),
		"criteria": fmt.Sprintf("benchmarks score at least %d; a 红色物业标杆企业 has a party organisation at the year's end and serves a compound then; a 红色物业标杆项目 is professionally managed at the year's end by a company with a party organisation and has an owners' committee of at least 60%% party members", places.BenchmarkScore)})
}

type evaluationIn struct {
	Score     float64 `json:"score"`
	Benchmark bool    `json:"benchmark"`
	Note      string  `json:"note"`
}

// evaluationKey is the evaluation a path names (the guard checked the
// year is an integer in range and the kind company or project).
func evaluationKey(r *http.Request) data.PropertyEvaluation {
	year, _ := parseInteger(pathVar(r, "year"))
	return data.PropertyEvaluation{Year: year, Kind: pathVar(r, "kind"), SubjectCode: pathVar(r, "subject")}
}

// handlePutEvaluation is PUT /api/v1/property/evaluations/{year}/{kind}/{subject}.
func (s *Server) handlePutEvaluation(w http.ResponseWriter, r *http.Request) {
	var in evaluationIn
	if !decodeJSON(w, r, &in) {
		return
	}
	e := evaluationKey(r)
	e.Score, e.Benchmark, e.Note = in.Score, in.Benchmark, in.Note
	s.writeChange(w, r, "property.evaluation.put", fmt.Sprintf("%d/%s/%s", e.Year, e.Kind, e.SubjectCode), &places.Change{Evaluations: []data.PropertyEvaluation{e}}, http.StatusOK)
}

// handleDeleteEvaluation is DELETE /api/v1/property/evaluations/{year}/{kind}/{subject}.
func (s *Server) handleDeleteEvaluation(w http.ResponseWriter, r *http.Request) {
	e := evaluationKey(r)
	k := places.Key{Sheet: places.SheetEvaluations, Code: e.SubjectCode, From: fmt.Sprintf("%d/%s", e.Year, e.Kind)}
	s.writeChange(w, r, "property.evaluation.delete", fmt.Sprintf("%d/%s/%s", e.Year, e.Kind, e.SubjectCode), &places.Change{Delete: []places.Key{k}}, http.StatusOK)
}

// The map measures of the property choropleth.
var propertyMeasures = []string{"committee", "professional", "party_org", "complaints"}

type rankedArea struct {
	Rank         int     `json:"rank"`
	Code         string  `json:"code"`
	Name         string  `json:"name"`
	Value        float64 `json:"value"`
	Committee    float64 `json:"committee_rate"`
	Professional float64 `json:"professional_rate"`
	PartyOrg     float64 `json:"party_org_rate"`
	Complaints   int     `json:"complaints_12m"`
	Per1000      float64 `json:"complaints_per_1000_households"`
	Compounds    int     `json:"compounds"`
}

// ranking ranks the areas of a level by a measure on day: rates highest
// first, complaints per 1,000 households lowest first.
func (s *Server) ranking(r *http.Request, st *placesState, level, measure, day string) ([]rankedArea, error) {
	rs, err := st.rater.Rates(level, day)
	if err != nil {
		return nil, err
	}
	cs, err := s.complaintsNow(r.Context(), st)
	if err != nil {
		return nil, err
	}
	cf, err := places.ComplaintReport(st.city, st.prop, cs, places.ComplaintQuery{Level: level, End: places.EndOfDay(day)})
	if err != nil {
		return nil, err
	}
	byCode := map[string]places.ComplaintFigures{}
	for _, f := range cf {
		byCode[f.Code] = f
	}
	out := make([]rankedArea, len(rs))
	for i, a := range rs {
		f := byCode[a.Code]
		x := rankedArea{Code: a.Code, Name: a.Name, Committee: a.Committee.Value, Professional: a.Professional.Value, PartyOrg: a.PartyOrg.Value,
			Complaints: f.Count, Per1000: f.Per1000, Compounds: a.Compounds}
		switch measure {
		case "committee":
			x.Value = x.Committee
		case "professional":
			x.Value = x.Professional
		case "party_org":
			x.Value = x.PartyOrg
		case "complaints":
			x.Value = x.Per1000
		}
		out[i] = x
	}
	sort.SliceStable(out, func(i, j int) bool {
		if measure == "complaints" {
			return out[i].Value < out[j].Value
		}
		return out[i].Value > out[j].Value
	})
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Value == out[i-1].Value {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out, nil
}

// handlePropertyRanking is GET /api/v1/property/ranking?level=&measure=&day=&limit=.
func (s *Server) handlePropertyRanking(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	level, measure, day := queryString(r, "level"), queryString(r, "measure"), s.dayOf(r, "day")
	rk, err := s.ranking(r, st, level, measure, day)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"level": level, "measure": measure, "day": day, "total": len(rk), "areas": page(r, rk)})
}

// handlePropertyMap is GET /api/v1/property/map?level=&measure=&day=: the
// areas of the level as GeoJSON with their rates, complaints and rank, for
// a choropleth.
func (s *Server) handlePropertyMap(w http.ResponseWriter, r *http.Request) {
	st := s.places(w)
	if st == nil {
		return
	}
	level, measure, day := queryString(r, "level"), queryString(r, "measure"), s.dayOf(r, "day")
	rk, err := s.ranking(r, st, level, measure, day)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	fc := geojson.NewFeatureCollection()
	geomOf := map[string]*geojson.Feature{}
	switch level {
	case places.LevelCommunity:
		for _, c := range st.city.Communities {
			geomOf[c.Code] = geojson.NewFeature(c.Geom)
		}
	case places.LevelStreet:
		for _, c := range st.city.Streets {
			geomOf[c.Code] = geojson.NewFeature(c.Geom)
		}
	case places.LevelDistrict:
		for _, c := range st.city.Districts {
			geomOf[c.Code] = geojson.NewFeature(c.Geom)
		}
	}
	for _, a := range rk {
		f := geomOf[a.Code]
		if f == nil {
			continue
		}
		f.ID = a.Code
		f.Properties = geojson.Properties{"code": a.Code, "name": a.Name, "value": a.Value, "rank": a.Rank,
			"committee_rate": a.Committee, "professional_rate": a.Professional, "party_org_rate": a.PartyOrg,
			"complaints_12m": a.Complaints, "complaints_per_1000_households": a.Per1000, "compounds": a.Compounds}
		fc.Append(f)
	}
	fc.ExtraMembers = geojson.Properties{"level": level, "measure": measure, "day": day}
	b, err := fc.MarshalJSON()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(b)
}
