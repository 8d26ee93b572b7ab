package server

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// obj is a JSON object literal, to keep the OpenAPI document readable.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": name} }

// ogcAPIDoc serves the OpenAPI 3.0 definition of the whole server (the
// service-desc of the OGC landing page), built from the route registry
// for the collections in force and the host the client used.
func (s *Server) ogcAPIDoc(w http.ResponseWriter, r *http.Request) {
	ct, ok := ogcNegotiate(w, r, mediaOpenAPI, "application/openapi+json;version=3.0", mediaJSON)
	if !ok {
		return
	}
	writeTyped(w, ct, openAPIDoc(baseURL(r), s.table))
}

// statusResponses names the shared response of each error status.
var statusResponses = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 406: "NotAcceptable", 409: "Conflict",
	413: "TooLarge", 415: "UnsupportedMediaType", 422: "Unprocessable", 429: "TooManyRequests", 500: "ServerError", 503: "Unavailable",
}

// openAPIPath turns a mux template into an OpenAPI path: {name:regexp}
// becomes {name}.
func openAPIPath(t string) string { return templateVar.ReplaceAllString(t, "{$1}") }

// operationID derives an operationId from a route's method and path.
func (rt *Route) opID() string {
	if rt.operationID != "" {
		return rt.operationID
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.FieldsFunc(openAPIPath(rt.Path), func(r rune) bool { return r == '/' || r == '.' || r == '-' }) {
		part = strings.Trim(part, "{}")
		if part == "" || part == "api" || part == "v1" || part == "v2" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// paramDoc is a Param as an OpenAPI parameter object.
func paramDoc(p Param) obj {
	sch := obj{"type": "string"}
	switch p.Type {
	case "integer", "number", "boolean":
		sch = obj{"type": p.Type}
	case "datetime":
		sch = obj{"type": "string", "format": "date-time"}
	case "date":
		sch = obj{"type": "string", "format": "date", "pattern": `^\d{4}-\d{2}-\d{2}$`}
	case "list":
		item := obj{"type": "string"}
		if len(p.Enum) > 0 {
			item["enum"] = p.Enum
		}
		maxItems := p.MaxItems
		if maxItems == 0 {
			maxItems = maxListItems
		}
		sch = obj{"type": "array", "items": item, "maxItems": maxItems}
	}
	if p.Type != "list" && len(p.Enum) > 0 {
		sch["enum"] = p.Enum
	}
	if (p.Type == "integer" || p.Type == "number") && p.Min < p.Max {
		sch["minimum"], sch["maximum"] = p.Min, p.Max
	}
	if p.Type == "" || p.Type == "list" {
		limit := p.MaxLen
		if limit == 0 {
			limit = maxParamBytes
			if p.in() == "path" {
				limit = maxPathBytes
			}
		}
		if p.Type == "" {
			sch["maxLength"] = limit
		} else {
			sch["items"].(obj)["maxLength"] = limit
		}
	}
	if p.Default != nil {
		sch["default"] = p.Default
	}
	o := obj{"name": p.Name, "in": p.in(), "required": p.Required || p.in() == "path", "description": p.Desc, "schema": sch}
	if p.in() == "query" {
		o["style"], o["explode"] = "form", false
	}
	return o
}

// openAPIDoc is the API definition: every route of the registry with its
// parameters, roles, request body and responses, and the schemas of OGC
// API – Features Part 1.
func openAPIDoc(server string, routes []Route) obj {
	paths := obj{}
	tags := []string{}
	for i := range routes {
		rt := &routes[i]
		path := openAPIPath(rt.Path)
		item, _ := paths[path].(obj)
		if item == nil {
			item = obj{}
			paths[path] = item
		}
		if !slices.Contains(tags, rt.Tag) {
			tags = append(tags, rt.Tag)
		}
		okStatus := rt.OK
		if okStatus == 0 {
			okStatus = http.StatusOK
		}
		media := rt.Media
		if media == "" {
			media = mediaJSON
		}
		schema := rt.Schema
		if schema == nil {
			schema = obj{"type": "object"}
			if strings.HasPrefix(media, "text/") {
				schema = obj{"type": "string"}
			}
		}
		content := obj{media: obj{"schema": schema}}
		if media == mediaGeoJSON {
			content[mediaJSON] = obj{"schema": schema}
		}
		resp := obj{strconv.Itoa(okStatus): obj{"description": "Success.", "content": content}}
		for _, c := range rt.Also {
			resp[strconv.Itoa(c)] = obj{"description": "Success.", "content": content}
		}
		codes := slices.Clone(rt.Errors)
		if len(rt.Params) > 0 || rt.Body != nil {
			codes = append(codes, 400)
		}
		if len(rt.Roles) > 0 {
			codes = append(codes, 401, 403)
		}
		if rt.Heavy != "" {
			codes = append(codes, 429)
		}
		codes = append(codes, 500)
		slices.Sort(codes)
		for _, c := range slices.Compact(codes) {
			if name, ok := statusResponses[c]; ok {
				resp[strconv.Itoa(c)] = ref("#/components/responses/" + name)
			}
		}
		roles := "anyone, anonymous callers included"
		if len(rt.Roles) > 0 {
			roles = strings.Join(rt.Roles, ", ")
		}
		desc := rt.Description
		if desc != "" {
			desc += "\n\n"
		}
		desc += "Roles: " + roles + "."
		if rt.Heavy != "" {
			desc += " Runs in the " + rt.Heavy + " queue (429 with Retry-After when it is full)."
		}
		op := obj{"operationId": rt.opID(), "summary": rt.Summary, "description": desc, "tags": []string{rt.Tag},
			"responses": resp, "x-roles": rolesOrAnonymous(rt.Roles)}
		var params []obj
		for _, p := range rt.Params {
			params = append(params, paramDoc(p))
		}
		for _, v := range templateVar.FindAllStringSubmatch(rt.Path, -1) {
			if rt.paramIndex(v[1], "path") < 0 {
				params = append(params, paramDoc(Param{Name: v[1], In: "path"}))
			}
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if len(rt.Roles) > 0 {
			if rt.Auth == "api_key" {
				op["security"] = []obj{{"apiKey": []string{}}}
			} else {
				op["security"] = []obj{{"bearer": []string{}}}
			}
		}
		if rt.Body != nil {
			bc := obj{}
			for _, m := range rt.Body.Media {
				bs := rt.Body.Schema
				if bs == nil {
					bs = obj{"type": "object"}
					if !strings.HasSuffix(m, "json") {
						bs = obj{"type": "string"}
					}
				}
				bc[m] = obj{"schema": bs}
			}
			op["requestBody"] = obj{"description": rt.Body.Desc, "required": rt.Body.Required, "content": bc}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	sort.Strings(tags)
	tagList := make([]obj, 0, len(tags))
	for _, t := range tags {
		tagList = append(tagList, obj{"name": t})
	}
	errBody := func(desc string) obj {
		return obj{"description": desc, "content": obj{mediaJSON: obj{"schema": ref("#/components/schemas/exception")}}}
	}
	linkArray := obj{"type": "array", "items": ref("#/components/schemas/link")}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "gridmap",
			"version":     "1.0.0",
			"description": "Every route of gridmap: the /api/v1 JSON API, Open311 GeoReport v2, OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0), vector tiles and health. Coordinates are WGS84 longitude/latitude (CRS84). Each operation says which roles may call it (x-roles). Personal data — people's names, phone numbers, resident ID numbers, free text about them — is shown as stored only to the dispatcher, planner and admin roles; viewers get it masked, anonymous callers get names and phones masked and free text withheld.",
		},
		"servers": []obj{{"url": server, "description": "This server"}},
		"tags":    tagList,
		"paths":   paths,
		"components": obj{
			"securitySchemes": obj{
				"bearer": obj{"type": "http", "scheme": "bearer", "description": "A gridmap token (gridmap token create)."},
				"apiKey": obj{"type": "apiKey", "in": "query", "name": "api_key", "description": "Open311: a gridmap token as api_key."},
			},
			"responses": obj{
				"BadRequest":           errBody("A parameter or the body is malformed, unknown, too long or out of range; the error names it."),
				"Unauthorized":         errBody("No token, or a wrong or revoked one."),
				"Forbidden":            errBody("The token's role may not do this."),
				"NotFound":             errBody("The resource does not exist."),
				"NotAcceptable":        errBody("No JSON media type is acceptable to the client."),
				"Conflict":             errBody("The change conflicts with the resource's state."),
				"TooLarge":             errBody("The body is too large."),
				"UnsupportedMediaType": errBody("The body's media type is not accepted."),
				"Unprocessable":        errBody("The request is well formed but cannot be carried out."),
				"TooManyRequests":      errBody("Rate limited or the queue is full; Retry-After says when to come back."),
				"ServerError":          errBody("A server error occurred."),
				"Unavailable":          errBody("Not ready, or a store is not configured or unreachable."),
			},
			"schemas": obj{
				"exception": obj{"type": "object", "required": []string{"code"}, "properties": obj{
					"code": obj{"type": "string"}, "description": obj{"type": "string"},
					"error": obj{"type": "string"}, "status": obj{"type": "integer"}}},
				"link": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
					"href": obj{"type": "string"}, "rel": obj{"type": "string"},
					"type": obj{"type": "string"}, "title": obj{"type": "string"}}},
				"landingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{
					"title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": linkArray}},
				"confClasses": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{
					"conformsTo": obj{"type": "array", "items": obj{"type": "string"}}}},
				"collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
					"links": linkArray, "collections": obj{"type": "array", "items": ref("#/components/schemas/collection")}}},
				"extent": obj{"type": "object", "properties": obj{
					"spatial": obj{"type": "object", "properties": obj{
						"bbox": obj{"type": "array", "minItems": 1, "items": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
						"crs":  obj{"type": "string", "enum": []string{crs84}, "default": crs84}}},
					"temporal": obj{"type": "object", "properties": obj{
						"interval": obj{"type": "array", "minItems": 1, "items": obj{"type": "array", "minItems": 2, "maxItems": 2,
							"items": obj{"type": "string", "format": "date-time", "nullable": true}}},
						"trs": obj{"type": "string", "enum": []string{trsGregorian}, "default": trsGregorian}}}}},
				"collection": obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
					"id": obj{"type": "string"}, "title": obj{"type": "string"}, "description": obj{"type": "string"},
					"links": linkArray, "extent": ref("#/components/schemas/extent"),
					"itemType": obj{"type": "string", "default": "feature"},
					"crs":      obj{"type": "array", "items": obj{"type": "string"}, "default": []string{crs84}}}},
				"geometryGeoJSON": obj{"type": "object", "nullable": true, "required": []string{"type"}, "properties": obj{
					"type": obj{"type": "string", "enum": []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}}}},
				"featureGeoJSON": obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
					"type":       obj{"type": "string", "enum": []string{"Feature"}},
					"geometry":   ref("#/components/schemas/geometryGeoJSON"),
					"properties": obj{"type": "object", "nullable": true},
					"id":         obj{"oneOf": []obj{{"type": "string"}, {"type": "integer"}}},
					"links":      linkArray}},
				"featureCollectionGeoJSON": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
					"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
					"features":       obj{"type": "array", "items": ref("#/components/schemas/featureGeoJSON")},
					"links":          linkArray,
					"timeStamp":      obj{"type": "string", "format": "date-time"},
					"numberMatched":  obj{"type": "integer", "minimum": 0},
					"numberReturned": obj{"type": "integer", "minimum": 0}}},
			},
		},
	}
}

// rolesOrAnonymous lists the roles of a route, "anonymous" first when
// anyone may call it.
func rolesOrAnonymous(roles []string) []string {
	if len(roles) == 0 {
		return append([]string{"anonymous"}, Roles...)
	}
	return roles
}
