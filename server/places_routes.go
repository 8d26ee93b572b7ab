package server

import (
	"net/http"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/tabular"
)

func init() {
	register(extension{name: "places-routes", routes: placesRoutes})
}

// areaParams narrow a list to an area: every code given must begin the
// subject's code (a grid code begins with its community's, street's and
// district's).
var areaParams = []Param{
	{Name: "district", MaxLen: 32, Desc: "only this district's"},
	{Name: "street", MaxLen: 32, Desc: "only this street's"},
	{Name: "community", MaxLen: 32, Desc: "only this community's"},
	{Name: "grid", MaxLen: 32, Desc: "only this grid's"},
}

// areaFilter is the area a request narrows to (areaParams).
type areaFilter []string

func areaOf(r *http.Request) areaFilter {
	var a areaFilter
	for _, p := range areaParams {
		if v := queryString(r, p.Name); v != "" {
			a = append(a, v)
		}
	}
	return a
}

// holds reports whether the subject with code lies in the area.
func (a areaFilter) holds(code string) bool {
	for _, c := range a {
		if !strings.HasPrefix(code, c) {
			return false
		}
	}
	return true
}

// placesDayParam is a day parameter, yyyy-mm-dd; def is its default
// (none: the handler's, today).
func placesDayParam(name, desc string, def ...string) Param {
	p := Param{Name: name, Type: "date", Desc: desc}
	if len(def) > 0 {
		p.Default = def[0]
	}
	return p
}

// placesRoutes are the places, volunteers and stations routes in the
// registry (routes.go): the guard enforces their roles and parameters
// (days are yyyy-mm-dd, enums and bounds as declared), the handlers read
// the checked values (queryString, queryInt, queryBool, page) and check
// the records. Service targets and their logs are for placesRoles only;
// every other answer goes to anyone through the masking policy (teams'
// and owners' committees' names and phones are masked for viewers and
// anonymous callers).
func placesRoutes(s *Server) []Route {
	s.reassessLoop()
	const v1 = "/api/v1"
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	day := placesDayParam("day", "the day the records are read at, yyyy-mm-dd (default today, China time)")
	limit := func(def int) Param { return pLimit(def, 10000) }
	codeIn := func(name, desc string) Param { return Param{Name: name, In: "path", MaxLen: 32, Desc: desc} }
	from := Param{Name: "from", In: "path", Type: "date", Desc: "the day the record holds from, yyyy-mm-dd"}
	ratesLevel := Param{Name: "level", Enum: places.Levels, Default: places.LevelCommunity, Desc: "the areas: community (the default), street, district or city"}
	mapLevel := Param{Name: "level", Enum: []string{places.LevelCommunity, places.LevelStreet, places.LevelDistrict},
		Default: places.LevelCommunity, Desc: "the areas: community (the default), street or district"}
	measure := Param{Name: "measure", Enum: propertyMeasures, Default: "professional",
		Desc: "what the areas are ranked and coloured by: a rate (highest first) or complaints per 1,000 households (lowest first); default professional"}
	body := func(v any, desc string) *Body {
		return &Body{Media: []string{mediaJSON}, Required: true, Desc: desc, Schema: schemaOf(v)}
	}
	written := object(obj{"written": sInteger, "downgrades": obj{"type": "array", "items": schemaOf(data.StarRating{}),
		"description": "the star downgrades the change made due (criteria lapsed)"}})
	write := []int{413, 422, 503}
	const writeDesc = "Checked against the records as they will be, with the downgrades it makes due, and written with the layers' projection and an audit entry in one transaction, all or nothing; a refused change is a 422 listing every problem and changes nothing."
	withArea := func(ps ...Param) []Param { return append(append([]Param{}, areaParams...), ps...) }

	return []Route{
		// Property (property.go)
		{Method: get, Path: v1 + "/property/rates", Tag: "Property", Summary: "The three rates (三率) of every area of a level on a day, with their change against a base day",
			Params: []Param{ratesLevel, day, placesDayParam("base", "the day the change is measured against (default 2020-01-01)", defaultRatesBase),
				{Name: "code", MaxLen: 32, Desc: "only this area (404 when the level has none)"}},
			Errors: []int{404, 503}, Handler: s.handleRates,
			Schema: object(obj{"level": sString, "day": sDay, "base": sDay, "definitions": sDict(sString),
				"areas": obj{"type": "array", "items": schemaOf(places.RateChange{})}})},
		{Method: get, Path: v1 + "/property/rates/trend", Tag: "Property", Summary: "One area's three rates over time",
			Params: []Param{{Name: "level", Enum: places.Levels, Default: places.LevelCity, Desc: "the area's level (default city)"},
				{Name: "code", MaxLen: 32, Desc: "the area's code (required below the city level)"},
				placesDayParam("from", "the first day (default 2020-01-01)", defaultRatesBase), placesDayParam("to", "the last day (default today)"),
				{Name: "every", Enum: []string{"month", "quarter", "year"}, Default: "quarter", Desc: "the step between points (default quarter)"}},
			Errors: []int{404, 503}, Handler: s.handleRatesTrend,
			Schema: object(obj{"level": sString, "code": sString, "points": obj{"type": "array", "items": schemaOf(ratePoint{})}})},
		{Method: get, Path: v1 + "/property/ranking", Tag: "Property", Summary: "Areas ranked by a rate or by complaints per 1,000 households",
			Params: []Param{mapLevel, measure, day, limit(300), pOffset}, Errors: []int{503}, Handler: s.handlePropertyRanking,
			Schema: listAnswer("areas", rankedArea{}, obj{"level": sString, "measure": sString, "day": sDay})},
		{Method: get, Path: v1 + "/property/map", Tag: "Property", Summary: "Areas as GeoJSON with their rates, complaints and rank (choropleth)",
			Params: []Param{mapLevel, measure, day}, Media: mediaGeoJSON, Schema: ref("#/components/schemas/featureCollectionGeoJSON"),
			Errors: []int{503}, Handler: s.handlePropertyMap},
		{Method: get, Path: v1 + "/property/compounds", Tag: "Property", Summary: "Compounds with their property service on a day",
			Description: "Owners' committee members' names and phones go through the masking policy.",
			Params: withArea(day, limit(100), pOffset,
				Param{Name: "status", Enum: data.PropertyStatuses, Desc: "only compounds in this property state"},
				Param{Name: "committee", Type: "boolean", Desc: "only compounds with (true) or without (false) an owners' committee"},
				Param{Name: "party_share", Enum: []string{"below", "met"}, Desc: "only committees below or meeting the 60% party-member share"},
				Param{Name: "sort", Enum: []string{"code", "complaints"}, Default: "code", Desc: "code (the default) or complaints, most first"},
				Param{Name: "q", MaxLen: 100, Desc: "text the compound's name contains"}),
			Errors: []int{503}, Handler: s.handlePropertyCompounds,
			Schema: listAnswer("compounds", compoundPropertyJSON{}, obj{"day": sDay})},
		{Method: get, Path: v1 + "/property/compounds/{code}", Tag: "Property", Summary: "One compound's property history, complaints and evaluations",
			Params: []Param{codeIn("code", "the compound code"), day}, Errors: []int{404, 503}, Handler: s.handlePropertyCompound,
			Schema: object(obj{"code": sString, "name": sString, "grid_code": sString, "community_code": sString, "day": sDay,
				"history": obj{"type": "array", "items": schemaOf(propertyRecordJSON{})}, "current": schemaOf(propertyRecordJSON{}),
				"complaints": schemaOf(places.ComplaintFigures{}), "evaluations": obj{"type": "array", "items": schemaOf(propertyEvaluationJSON{})}})},
		{Method: put, Path: v1 + "/property/compounds/{code}/records/{from}", Tag: "Property", Summary: "A compound's property service and owners' committee from a day",
			Description: "Replaces a record of the same day. " + writeDesc, Roles: placesRoles,
			Params: []Param{codeIn("code", "the compound code"), from}, Body: body(propertyRecordIn{}, "the record"),
			Errors: write, Schema: written, Handler: s.handlePutPropertyRecord},
		{Method: del, Path: v1 + "/property/compounds/{code}/records/{from}", Tag: "Property", Summary: "Delete a compound's property record",
			Description: writeDesc, Roles: placesRoles, Params: []Param{codeIn("code", "the compound code"), from},
			Errors: write, Schema: written, Handler: s.handleDeletePropertyRecord},
		{Method: get, Path: v1 + "/property/companies", Tag: "Property", Summary: "Property companies with their party organisation, service, complaints and evaluations",
			Params: []Param{day, limit(500), pOffset,
				{Name: "party_org", Enum: append(append([]string{}, data.PartyOrgForms...), "any"), Desc: "only companies with this party organisation form, or any form"},
				{Name: "serving", Type: "boolean", Desc: "only companies serving a compound on the day (true) or none (false)"},
				{Name: "district", MaxLen: 32, Desc: "only companies registered in this district"}},
			Errors: []int{503}, Handler: s.handleCompanies, Schema: listAnswer("companies", companyJSON{}, obj{"day": sDay})},
		{Method: get, Path: v1 + "/property/companies/{code}", Tag: "Property", Summary: "One property company",
			Params: []Param{codeIn("code", "the company code"), day}, Errors: []int{404, 503}, Handler: s.handleCompany,
			Schema: object(obj{"company": schemaOf(companyJSON{}), "day": sDay, "history": obj{"type": "array", "items": schemaOf(data.CompanyRecord{})},
				"compounds": obj{"type": "array", "items": schemaOf(namedCode{})}, "evaluations": obj{"type": "array", "items": schemaOf(propertyEvaluationJSON{})},
				"complaints": schemaOf(places.ComplaintFigures{})})},
		{Method: put, Path: v1 + "/property/companies/{code}", Tag: "Property", Summary: "A property company's particulars (created when new)",
			Description: writeDesc, Roles: placesRoles, Params: []Param{codeIn("code", "the company code")},
			Body: body(companyIn{}, "the company"), Errors: write, Schema: written, Handler: s.handlePutCompany},
		{Method: put, Path: v1 + "/property/companies/{code}/records/{from}", Tag: "Property", Summary: "A company's party organisation from a day",
			Description: writeDesc, Roles: placesRoles, Params: []Param{codeIn("code", "the company code"), from},
			Body: body(companyRecordIn{}, "the record"), Errors: write, Schema: written, Handler: s.handlePutCompanyRecord},
		{Method: del, Path: v1 + "/property/companies/{code}/records/{from}", Tag: "Property", Summary: "Delete a company's party organisation record",
			Description: writeDesc, Roles: placesRoles, Params: []Param{codeIn("code", "the company code"), from},
			Errors: write, Schema: written, Handler: s.handleDeleteCompanyRecord},
		{Method: get, Path: v1 + "/property/complaints", Tag: "Property", Summary: "Property complaints by compound, company, area or property status, year on year",
			Params: []Param{{Name: "level", Enum: complaintLevels, Default: places.LevelCommunity, Desc: "what the complaints are counted by (default community)"},
				placesDayParam("end", "the last day of the twelve months counted (default now)"),
				{Name: "months", Type: "integer", Min: 1, Max: 60, Default: 12, Desc: "months of the monthly trend"}, limit(100), pOffset},
			Errors: []int{503}, Handler: s.handleComplaints,
			Schema: listAnswer("figures", places.ComplaintFigures{}, obj{"level": sString, "end": obj{"type": "string", "format": "date-time"},
				"months": sInteger, "links": sDict(sInteger), "definition": sString})},
		{Method: get, Path: v1 + "/property/evaluations", Tag: "Property", Summary: "Yearly evaluations of companies and projects (红色物业标杆)",
			Params: []Param{{Name: "year", Type: "integer", Min: 2000, Max: 2200, Desc: "only this year's"},
				{Name: "kind", Enum: []string{data.EvalCompany, data.EvalProject}, Desc: "company or project"},
				{Name: "benchmark", Type: "boolean", Desc: "only benchmarks (true) or the others (false)"}, limit(500), pOffset},
			Errors: []int{503}, Handler: s.handleEvaluations,
			Schema: listAnswer("evaluations", propertyEvaluationJSON{}, obj{"criteria": sString})},
		{Method: put, Path: v1 + "/property/evaluations/{year}/{kind}/{subject}", Tag: "Property", Summary: "A yearly evaluation",
			Description: writeDesc, Roles: placesRoles, Params: evaluationPath, Body: body(evaluationIn{}, "the evaluation"),
			Errors: write, Schema: written, Handler: s.handlePutEvaluation},
		{Method: del, Path: v1 + "/property/evaluations/{year}/{kind}/{subject}", Tag: "Property", Summary: "Delete a yearly evaluation",
			Description: writeDesc, Roles: placesRoles, Params: evaluationPath, Errors: write, Schema: written, Handler: s.handleDeleteEvaluation},

		// Volunteers (volunteers.go)
		{Method: get, Path: v1 + "/volunteers/teams", Tag: "Volunteers", Summary: "The grids' party volunteer teams",
			Description: "Leaders' and members' names and phones go through the masking policy.",
			Params:      withArea(limit(200), pOffset), Errors: []int{503}, Handler: s.handleTeams,
			Schema: listAnswer("teams", teamJSON{}, obj{"grids_without_team": obj{"type": "array", "items": sString}})},
		{Method: get, Path: v1 + "/volunteers/teams/{grid}", Tag: "Volunteers", Summary: "One grid's volunteer team",
			Params: []Param{codeIn("grid", "the grid code")}, Errors: []int{404, 503}, Handler: s.handleTeam, Schema: schemaOf(teamJSON{})},
		{Method: put, Path: v1 + "/volunteers/teams/{grid}", Tag: "Volunteers", Summary: "A grid's volunteer team (created or replaced)",
			Description: writeDesc, Roles: placesRoles, Params: []Param{codeIn("grid", "the grid code")},
			Body: body(teamIn{}, "the team"), Errors: write, Schema: written, Handler: s.handlePutTeam},
		{Method: get, Path: v1 + "/volunteers/coverage", Tag: "Volunteers", Summary: "Service targets, teams and late visits counted by area (grid at the finest; no one named)",
			Params: []Param{{Name: "level", Enum: append([]string{"grid"}, places.Levels...), Default: places.LevelCity, Desc: "the areas (default city)"}, day},
			Errors: []int{503}, Handler: s.handleServiceCoverage,
			Schema: object(obj{"level": sString, "day": sDay, "summary": schemaOf(places.CoverageSummary{}), "intervals": sDict(sInteger),
				"areas": obj{"type": "array", "items": schemaOf(areaServices{})}})},
		{Method: get, Path: v1 + "/volunteers/targets", Tag: "Volunteers", Summary: "Service targets with their coverage (personal data)",
			Params: withArea(limit(200), pOffset, Param{Name: "kind", Enum: data.TargetKinds, Desc: "only this kind"},
				Param{Name: "overdue", Type: "boolean", Desc: "only targets whose visit is late or who have no team (true), or the others (false)"},
				Param{Name: "all", Type: "boolean", Desc: "also the targets no longer served (true)"}),
			Roles: placesRoles, Errors: []int{503}, Handler: s.handleTargets,
			Schema: listAnswer("targets", targetJSON{}, obj{"summary": schemaOf(places.CoverageSummary{})})},
		{Method: get, Path: v1 + "/volunteers/targets/{id}", Tag: "Volunteers", Summary: "One service target with its service logs (personal data)",
			Roles: placesRoles, Params: []Param{{Name: "id", In: "path", MaxLen: 32, Desc: "the target id"}}, Errors: []int{404, 503}, Handler: s.handleTarget,
			Schema: object(obj{"target": schemaOf(targetJSON{}), "logs": obj{"type": "array", "items": schemaOf(logJSON{})}})},
		{Method: put, Path: v1 + "/volunteers/targets/{id}", Tag: "Volunteers", Summary: "A service target (created or replaced; until ends the service)",
			Description: writeDesc, Roles: placesRoles, Params: []Param{{Name: "id", In: "path", MaxLen: 32, Desc: "the target id"}},
			Body: body(targetIn{}, "the target"), Errors: write, Schema: written, Handler: s.handlePutTarget},
		{Method: get, Path: v1 + "/volunteers/overdue", Tag: "Volunteers", Summary: "Targets whose visit is late or who have no team, the longest late first (personal data)",
			Roles: placesRoles, Params: []Param{limit(200), pOffset}, Errors: []int{503}, Handler: s.handleOverdue,
			Schema: listAnswer("targets", targetJSON{}, obj{"summary": schemaOf(places.CoverageSummary{})})},
		{Method: get, Path: v1 + "/volunteers/logs", Tag: "Volunteers", Summary: "Service logs: who, what, when, for whom (newest first)",
			Roles: placesRoles,
			Params: []Param{limit(200), pOffset, placesDayParam("from", "logs on this day or later"), placesDayParam("to", "logs on this day or earlier"),
				{Name: "item", Enum: append(append([]string{}, data.ServiceItems...), data.ItemActivity), Desc: "only this service item"},
				{Name: "grid", MaxLen: 32, Desc: "only the teams of this grid or area (a code prefix)"},
				{Name: "target", MaxLen: 32, Desc: "only this target's"}, {Name: "station", MaxLen: 32, Desc: "only this station's"}},
			Errors: []int{503}, Handler: s.handleLogs, Schema: listAnswer("logs", logJSON{}, nil)},
		{Method: post, Path: v1 + "/volunteers/logs", Tag: "Volunteers", Summary: "Record a service (without an id the next free L-number is given)",
			Description: writeDesc, Roles: placesRoles, OK: http.StatusCreated, Body: body(logIn{}, "the service log"),
			Errors: []int{409, 413, 422, 503}, Schema: written, Handler: s.handlePostLog},
		{Method: del, Path: v1 + "/volunteers/logs/{id}", Tag: "Volunteers", Summary: "Delete a service log",
			Description: writeDesc, Roles: placesRoles, Params: []Param{{Name: "id", In: "path", MaxLen: 32, Desc: "the log id"}},
			Errors: write, Schema: written, Handler: s.handleDeleteLog},
		{Method: get, Path: v1 + "/volunteers/intervals", Tag: "Volunteers", Summary: "The visit intervals in days by target kind",
			Errors: []int{503}, Handler: s.handleIntervals, Schema: object(obj{"intervals": sDict(sInteger), "defaults": sDict(sInteger)})},
		{Method: put, Path: v1 + "/volunteers/intervals", Tag: "Volunteers", Summary: "Set the visit intervals",
			Description: writeDesc, Roles: placesRoles, Body: body(places.Intervals{}, "days by target kind, e.g. {\"lonely_elderly\": 7}"),
			Errors: write, Schema: written, Handler: s.handlePutIntervals},
		{Method: get, Path: v1 + "/volunteers/items", Tag: "Volunteers", Summary: "The seven service items and the target kinds",
			Handler: s.handleServiceItems, Schema: object(obj{"items": obj{"type": "array", "items": schemaOf(namedCode{})},
				"target_kinds": obj{"type": "array", "items": schemaOf(namedCode{})}, "note": sString})},

		// Stations (stations.go)
		{Method: get, Path: v1 + "/stations", Tag: "Stations", Summary: "Stations with their lifecycle, hours, functions and stars in force",
			Params: withArea(day, limit(1000), pOffset,
				Param{Name: "kind", Enum: []string{data.StationGrid, data.StationCommunityCentre}, Desc: "grid_station or community_centre"},
				Param{Name: "status", Enum: data.StationLifecycle, Desc: "only this lifecycle step"},
				Param{Name: "stars", Type: "integer", Min: 0, Max: 5, Desc: "only stations with these stars in force"},
				Param{Name: "lapsed", Type: "boolean", Desc: "only stations whose criteria lapsed (true), or the others (false)"}),
			Errors: []int{503}, Handler: s.handleStations,
			Schema: listAnswer("stations", stationJSON{}, obj{"day": sDay, "by_status": sDict(sInteger), "by_stars": sDict(sInteger)})},
		{Method: get, Path: v1 + "/stations/criteria", Tag: "Stations", Summary: "The star-rating checklist",
			Handler: s.handleCriteria, Schema: object(obj{"criteria": obj{"type": "array", "items": schemaOf(places.Criterion{})},
				"activity_window_days": sInteger, "inspection_valid_days": sInteger, "rule": sString})},
		{Method: get, Path: v1 + "/stations/coverage", Tag: "Stations", Summary: "Grid coverage by the grid stations against the 70% goal",
			Errors: []int{503}, Handler: s.handleStationCoverage, Schema: schemaOf(stationCoverage{})},
		{Method: post, Path: v1 + "/stations/reassess", Tag: "Stations", Summary: "Check every rated station against the criteria and record the downgrades due",
			Roles: placesRoles, Errors: []int{422, 503}, Handler: s.handleReassess,
			Schema: object(obj{"downgrades": obj{"type": "array", "items": schemaOf(data.StarRating{})}})},
		{Method: get, Path: v1 + "/stations/{code}", Tag: "Stations", Summary: "One station with its history, rating history and criteria",
			Description: "Its activities name the volunteers through the masking policy, never whom a service was for.",
			Params:      []Param{codeIn("code", "the station code"), day}, Errors: []int{404, 503}, Handler: s.handleStation,
			Schema: object(obj{"station": schemaOf(stationJSON{}), "history": obj{"type": "array", "items": schemaOf(data.StationRecord{})},
				"ratings": obj{"type": "array", "items": schemaOf(data.StarRating{})}, "activities": obj{"type": "array", "items": schemaOf(logJSON{})}})},
		{Method: put, Path: v1 + "/stations/{code}/records/{from}", Tag: "Stations", Summary: "A station's lifecycle step, hours, functions and area from a day",
			Description: "One step of the lifecycle at a time. " + writeDesc, Roles: placesRoles,
			Params: []Param{codeIn("code", "the station code"), from}, Body: body(stationRecordIn{}, "the record"),
			Errors: write, Schema: written, Handler: s.handlePutStationRecord},
		{Method: del, Path: v1 + "/stations/{code}/records/{from}", Tag: "Stations", Summary: "Delete a station record",
			Description: writeDesc, Roles: placesRoles, Params: []Param{codeIn("code", "the station code"), from},
			Errors: write, Schema: written, Handler: s.handleDeleteStationRecord},
		{Method: post, Path: v1 + "/stations/{code}/ratings", Tag: "Stations", Summary: "Award stars after an inspection",
			Description: "Names the inspected criteria found met; stars the station's records do not support are a 422 listing the unmet criteria. " + writeDesc,
			Roles:       placesRoles, OK: http.StatusCreated, Params: []Param{codeIn("code", "the station code")},
			Body: body(ratingIn{}, "the stars and the criteria found met"), Errors: write, Schema: written, Handler: s.handlePostRating},

		// Places (places.go)
		{Method: post, Path: v1 + "/places/changes", Tag: "Places", Summary: "Apply a change to the places records, all or nothing",
			Description: writeDesc, Roles: placesRoles, Body: body(places.Change{}, "the records to write and the keys to delete"),
			Errors: write, Schema: written, Handler: s.handlePlacesChange},
		{Method: get, Path: v1 + "/places/export/{sheet}", Tag: "Places", Summary: "One list of the places records as CSV or .xlsx (Chinese headers)",
			Roles: placesRoles, Media: "text/csv",
			Params: []Param{{Name: "sheet", In: "path", Enum: places.SheetNames, Desc: "the list"},
				{Name: "format", Enum: []string{"csv", "xlsx"}, Default: "csv", Desc: "csv (the default) or xlsx"}},
			Errors: []int{404, 503}, Handler: s.handlePlacesExport},
		{Method: post, Path: v1 + "/places/import/{sheet}", Tag: "Places", Summary: "Import one list from CSV or .xlsx, all or nothing",
			Description: "Any problem refuses the file whole: a 422 with each problem's row, column and reason. " + writeDesc, Roles: placesRoles,
			Params: []Param{{Name: "sheet", In: "path", Enum: places.SheetNames, Desc: "the list"},
				{Name: "dry_run", Type: "boolean", Default: false, Desc: "only check the file (true)"}},
			Body:   &Body{Media: []string{"text/csv", tabular.XLSX.ContentType()}, Required: true, Desc: "the list file, with the headers of its export"},
			Errors: []int{404, 413, 422, 503}, Handler: s.handlePlacesImport,
			Schema: object(obj{"written": sInteger, "downgrades": obj{"type": "array", "items": schemaOf(data.StarRating{})},
				"dry_run": obj{"type": "boolean"}, "rows": obj{"type": "integer", "description": "dry run: the rows the file would write"}})},
	}
}

// evaluationPath are the path parameters of one yearly evaluation.
var evaluationPath = []Param{
	{Name: "year", In: "path", Type: "integer", Min: 2000, Max: 2200, Desc: "the year"},
	{Name: "kind", In: "path", Enum: []string{data.EvalCompany, data.EvalProject}, Desc: "company or project"},
	{Name: "subject", In: "path", MaxLen: 32, Desc: "the company code, or the compound code of a project"},
}

// complaintLevels are what property complaints are counted by.
var complaintLevels = []string{places.LevelCompound, places.LevelCompany, places.LevelCommunity, places.LevelStreet,
	places.LevelDistrict, places.LevelCity, places.LevelStatus}

// namedCode is a code with its name.
type namedCode struct {
	Code string `json:"code"`
	Name string `json:"name"`
}
