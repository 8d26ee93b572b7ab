package server

import (
	"net/http"
)

// obj is a JSON object literal, to keep the OpenAPI document readable.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": name} }

// ogcAPIDoc serves the OpenAPI 3.0 definition of the OGC API (the
// service-desc of the landing page), built for the collections in force
// and the host the client used.
func (s *Server) ogcAPIDoc(w http.ResponseWriter, r *http.Request) {
	ct, ok := ogcNegotiate(w, r, mediaOpenAPI, "application/openapi+json;version=3.0", mediaJSON)
	if !ok {
		return
	}
	writeTyped(w, ct, openAPIDoc(baseURL(r), ogcLayers))
}

// openAPIDoc is the API definition: the paths of OGC API – Features Part 1
// with their parameters, responses and schemas.
func openAPIDoc(server string, collections []string) obj {
	jsonBody := func(desc, schema string, types ...string) obj {
		content := obj{}
		for _, t := range types {
			content[t] = obj{"schema": ref("#/components/schemas/" + schema)}
		}
		return obj{"description": desc, "content": content}
	}
	errs := func(codes ...string) obj {
		m := obj{}
		for _, c := range codes {
			m[c] = ref("#/components/responses/" + map[string]string{
				"400": "InvalidParameter", "404": "NotFound", "406": "NotAcceptable", "500": "ServerError",
			}[c])
		}
		return m
	}
	op := func(id, summary, desc string, tag string, params []obj, ok obj, codes ...string) obj {
		resp := errs(codes...)
		resp["200"] = ok
		o := obj{"operationId": id, "summary": summary, "description": desc, "tags": []string{tag}, "responses": resp}
		if len(params) > 0 {
			o["parameters"] = params
		}
		return obj{"get": o}
	}
	p := func(name string) obj { return ref("#/components/parameters/" + name) }
	linkArray := obj{"type": "array", "items": ref("#/components/schemas/link")}

	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "gridmap OGC API – Features",
			"version":     "1.0.0",
			"description": "The city's nested boundaries, compounds, buildings, roads, service stations and incidents as OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0). Coordinates are WGS84 longitude/latitude (CRS84). Names and phone numbers of grid heads are masked unless the request carries a personal-data bearer token.",
		},
		"servers": []obj{{"url": server, "description": "This server"}},
		"tags": []obj{
			{"name": "Capabilities", "description": "Essential characteristics of this API"},
			{"name": "Data", "description": "Access to the features"},
		},
		"paths": obj{
			"/": op("getLandingPage", "Landing page", "Links to the API definition, the conformance declaration and the feature collections.",
				"Capabilities", []obj{p("f")}, jsonBody("The landing page.", "landingPage", mediaJSON), "406", "500"),
			"/conformance": op("getConformanceDeclaration", "Conformance declaration", "The conformance classes this server implements.",
				"Capabilities", []obj{p("f")}, jsonBody("The conformance classes.", "confClasses", mediaJSON), "406", "500"),
			"/api": op("getAPIDefinition", "API definition", "This document.",
				"Capabilities", []obj{p("f")}, obj{"description": "The OpenAPI 3.0 definition.", "content": obj{mediaOpenAPI: obj{"schema": obj{"type": "object"}}}}, "406", "500"),
			"/collections": op("getCollections", "Feature collections", "The collections of features: one per spatial layer.",
				"Capabilities", []obj{p("f")}, jsonBody("The feature collections.", "collections", mediaJSON), "406", "500"),
			"/collections/{collectionId}": op("describeCollection", "Describe a feature collection", "Metadata of one collection: extent, CRS, links.",
				"Capabilities", []obj{p("collectionId"), p("f")}, jsonBody("The collection.", "collection", mediaJSON), "404", "406", "500"),
			"/collections/{collectionId}/items": op("getFeatures", "Fetch features",
				"Features of a collection as GeoJSON, optionally those meeting a bounding box (exact geometry test) and, for incidents, a time (reported_at); paged with limit and offset, with next and prev links.",
				"Data", []obj{p("collectionId"), p("limit"), p("offset"), p("bbox"), p("bbox-crs"), p("datetime"), p("f")},
				jsonBody("A page of features.", "featureCollectionGeoJSON", mediaGeoJSON, mediaJSON), "400", "404", "406", "500"),
			"/collections/{collectionId}/items/{featureId}": op("getFeature", "Fetch a single feature", "One feature, by its id (the feature's code).",
				"Data", []obj{p("collectionId"), p("featureId"), p("f")},
				jsonBody("The feature.", "featureGeoJSON", mediaGeoJSON, mediaJSON), "400", "404", "406", "500"),
		},
		"components": obj{
			"parameters": obj{
				"f": obj{"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "The format of the response. Only JSON is offered; HTML gets 406.",
					"schema":      obj{"type": "string", "enum": []string{"json", "geojson"}}},
				"collectionId": obj{"name": "collectionId", "in": "path", "required": true, "description": "The id of a collection.",
					"schema": obj{"type": "string", "enum": collections}},
				"featureId": obj{"name": "featureId", "in": "path", "required": true, "description": "The id of a feature: its code (road segments: their number).",
					"schema": obj{"type": "string"}},
				"limit": obj{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "The most features a page holds. A value over the maximum is not an error: the maximum applies.",
					"schema":      obj{"type": "integer", "minimum": 1, "maximum": ogcMaxLimit, "default": ogcDefaultLimit}},
				"offset": obj{"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "How many of the selected features to skip (the next and prev links carry it).",
					"schema":      obj{"type": "integer", "minimum": 0, "default": 0}},
				"bbox": obj{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Only features whose geometry meets this box: minLon,minLat,maxLon,maxLat in CRS84 (a 3D box's heights are ignored).",
					"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
				"bbox-crs": obj{"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "The CRS of bbox; only CRS84 is supported.",
					"schema":      obj{"type": "string", "format": "uri", "enum": []string{crs84}, "default": crs84}},
				"datetime": obj{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "An RFC 3339 instant or interval (a/b, ../b, a/..). Incidents are filtered on reported_at; collections without time ignore it.",
					"schema":      obj{"type": "string"}},
			},
			"responses": obj{
				"InvalidParameter": jsonBody("A query parameter has an invalid value or is unknown.", "exception", mediaJSON),
				"NotFound":         jsonBody("The collection or feature does not exist.", "exception", mediaJSON),
				"NotAcceptable":    jsonBody("No JSON media type is acceptable to the client.", "exception", mediaJSON),
				"ServerError":      jsonBody("A server error occurred.", "exception", mediaJSON),
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
