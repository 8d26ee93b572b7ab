package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data/privacy"
)

// OpenAPI schemas derived from the Go types that are encoded, so that a
// route's documented body and answer are the ones it reads and writes.
// A field the masking policy treats as personal (a privacy tag) carries
// x-privacy with its kind and says how each audience sees it.

// schemaOf is the OpenAPI schema of v's JSON encoding.
func schemaOf(v any) obj { return typeSchema(reflect.TypeOf(v), nil) }

// object is an object schema with the given properties.
func object(props obj) obj { return obj{"type": "object", "properties": props} }

// listAnswer is the schema of a paged list answer: the total before
// paging, the page under key, and other properties.
func listAnswer(key string, item any, more obj) obj {
	props := obj{"total": obj{"type": "integer", "description": "items before limit and offset"},
		key: obj{"type": "array", "items": schemaOf(item)}}
	for k, v := range more {
		props[k] = v
	}
	return object(props)
}

var (
	sString  = obj{"type": "string"}
	sInteger = obj{"type": "integer"}
	sDay     = obj{"type": "string", "format": "date"}
	sAny     = obj{}
)

// sDict is an object of named integers or of the given schema.
func sDict(of obj) obj { return obj{"type": "object", "additionalProperties": of} }

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// privacyNotes says how the masking policy shows a field of each kind.
var privacyNotes = map[privacy.Kind]string{
	privacy.Name:     "a person's name: the family name only for viewers and anonymous callers",
	privacy.Phone:    "a phone number: masked (139****5678) for viewers and anonymous callers",
	privacy.IDNumber: "a resident ID number: masked for viewers and anonymous callers",
	privacy.Text:     "free text: phones, ID numbers and names masked for viewers, withheld from anonymous callers",
	privacy.Withheld: "personal data: empty for viewers and anonymous callers",
}

var privacyTags = map[privacy.Kind]string{privacy.Name: "name", privacy.Phone: "phone", privacy.IDNumber: "id",
	privacy.Text: "text", privacy.Withheld: "personal"}

// typeSchema is the schema of t's JSON encoding; seen holds the struct
// types being described (a recursive type is an object past them).
func typeSchema(t reflect.Type, seen []reflect.Type) obj {
	switch t {
	case timeType:
		return obj{"type": "string", "format": "date-time"}
	case rawJSONType:
		return obj{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := typeSchema(t.Elem(), seen)
		s["nullable"] = true
		return s
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return obj{"type": "string", "format": "byte"}
		}
		s := obj{"type": "array", "items": typeSchema(t.Elem(), seen)}
		if t.Kind() == reflect.Array {
			s["minItems"], s["maxItems"] = t.Len(), t.Len()
		}
		return s
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": typeSchema(t.Elem(), seen)}
	case reflect.Struct:
		for _, u := range seen {
			if u == t {
				return obj{"type": "object"}
			}
		}
		props := obj{}
		structProps(t, append(seen, t), props)
		return obj{"type": "object", "properties": props}
	}
	return obj{} // interfaces: any value
}

// structProps adds the JSON properties of struct t to props: exported
// fields by their json names, embedded structs' fields promoted.
func structProps(t reflect.Type, seen []reflect.Type, props obj) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				structProps(et, seen, props)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := typeSchema(f.Type, seen)
		if k, _ := privacy.ParseKind(f.Tag.Get("privacy")); privacyNotes[k] != "" {
			s["x-privacy"] = privacyTags[k]
			s["description"] = privacyNotes[k]
		}
		props[name] = s
	}
}
