package privacy

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unsafe"
)

// Apply returns v as audience a may see it: declared fields masked by
// their kind, every other string scanned for phone and ID numbers. v itself
// is never changed; only the parts that change are copied, so a value with
// nothing to mask comes back as it was, without allocation.
func Apply[T any](v T, a Audience, names ...string) T {
	if a >= Personal {
		return v
	}
	rv := reflect.ValueOf(&v).Elem()
	m := &masker{aud: a, names: names}
	m.collect(rv, Plain, 0)
	out, changed := m.walk(rv, Plain, 0)
	if !changed {
		return v
	}
	return out.Interface().(T)
}

// maxDepth bounds the walk through self-referencing values.
const maxDepth = 64

type masker struct {
	aud   Audience
	names []string
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// field is what the walk needs of one struct field.
type field struct {
	index    int
	kind     Kind
	exported bool
}

type typeInfo struct {
	strings bool    // holds strings (or interfaces) anywhere
	fields  []field // struct fields to visit
}

var infos sync.Map // reflect.Type → *typeInfo

// info describes t for the walk: whether anything in it can need masking
// and, for a struct, its fields to visit (exported or embedded, not
// json:"-" unless declared known).
func info(t reflect.Type) *typeInfo {
	if x, ok := infos.Load(t); ok {
		return x.(*typeInfo)
	}
	ti := &typeInfo{strings: true} // assumed while t is being described (recursive types)
	infos.Store(t, ti)
	nt := &typeInfo{}
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		nt.strings = true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		nt.strings = t == rawMessage || info(t.Elem()).strings
	case reflect.Map:
		nt.strings = info(t.Key()).strings || info(t.Elem()).strings
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
				continue
			}
			k, _ := ParseKind(f.Tag.Get("privacy"))
			if f.Tag.Get("json") == "-" && k != Known {
				continue
			}
			if k == Public {
				continue
			}
			if k == Withheld || info(f.Type).strings {
				nt.fields = append(nt.fields, field{index: i, kind: k, exported: f.IsExported()})
			}
		}
		nt.strings = len(nt.fields) > 0
	}
	infos.Store(t, nt)
	return nt
}

// open gives a field read and write access even when it is an unexported
// embedded struct (encoding/json promotes its fields, so they are sent).
func open(v reflect.Value) reflect.Value {
	if v.CanSet() || !v.CanAddr() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// addressable returns v, copied into a new variable when it is not
// addressable, so that its fields can be opened.
func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}

// collect gathers the names of name and known fields (withheld ones too).
func (m *masker) collect(v reflect.Value, k Kind, depth int) {
	if depth > maxDepth || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if k == Name || k == Known {
			m.names = append(m.names, v.String())
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			m.collect(v.Elem(), k, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if !info(v.Type()).strings || v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			m.collect(v.Index(i), k, depth+1)
		}
	case reflect.Map:
		if !info(v.Type().Elem()).strings {
			return
		}
		it := v.MapRange()
		for it.Next() {
			m.collect(it.Value(), k, depth+1)
		}
	case reflect.Struct:
		ti := info(v.Type())
		if len(ti.fields) == 0 {
			return
		}
		v = addressable(v)
		for _, f := range ti.fields {
			fk := f.kind
			if fk == Plain || fk == Withheld {
				fk = k // a withheld card's names are still names to look for
			}
			m.collect(open(v.Field(f.index)), fk, depth+1)
		}
	}
}

// walk returns v masked with kind k, and whether anything changed; v is
// never modified.
func (m *masker) walk(v reflect.Value, k Kind, depth int) (reflect.Value, bool) {
	if depth > maxDepth || !v.IsValid() {
		return v, false
	}
	if k == Withheld {
		if v.IsZero() {
			return v, false
		}
		return reflect.Zero(v.Type()), true
	}
	t := v.Type()
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		ns := String(s, k, m.aud, m.names)
		if ns == s {
			return v, false
		}
		nv := reflect.New(t).Elem()
		nv.SetString(ns)
		return nv, true
	case reflect.Pointer:
		if v.IsNil() || !info(t).strings {
			return v, false
		}
		e, ch := m.walk(v.Elem(), k, depth+1)
		if !ch {
			return v, false
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(e)
		return p, true
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e, ch := m.walk(v.Elem(), k, depth+1)
		if !ch {
			return v, false
		}
		nv := reflect.New(t).Elem()
		nv.Set(e)
		return nv, true
	case reflect.Slice:
		if v.IsNil() || !info(t).strings {
			return v, false
		}
		if t == rawMessage {
			return m.raw(v)
		}
		var out reflect.Value
		for i := 0; i < v.Len(); i++ {
			e, ch := m.walk(v.Index(i), k, depth+1)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeSlice(t, v.Len(), v.Len())
				reflect.Copy(out, v)
			}
			out.Index(i).Set(e)
		}
		return out, out.IsValid()
	case reflect.Array:
		if !info(t).strings {
			return v, false
		}
		v = addressable(v)
		var out reflect.Value
		for i := 0; i < v.Len(); i++ {
			e, ch := m.walk(v.Index(i), k, depth+1)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(v)
			}
			out.Index(i).Set(e)
		}
		return out, out.IsValid()
	case reflect.Map:
		if v.IsNil() || !info(t.Elem()).strings {
			return v, false
		}
		var out reflect.Value
		it := v.MapRange()
		for it.Next() {
			e, ch := m.walk(it.Value(), k, depth+1)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeMapWithSize(t, v.Len())
				all := v.MapRange()
				for all.Next() {
					out.SetMapIndex(all.Key(), all.Value())
				}
			}
			out.SetMapIndex(it.Key(), e)
		}
		return out, out.IsValid()
	case reflect.Struct:
		ti := info(t)
		if len(ti.fields) == 0 {
			return v, false
		}
		v = addressable(v)
		var out reflect.Value
		for _, f := range ti.fields {
			fk := f.kind
			if fk == Plain {
				fk = k
			}
			e, ch := m.walk(open(v.Field(f.index)), fk, depth+1)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(open(v))
			}
			open(out.Field(f.index)).Set(e)
		}
		return out, out.IsValid()
	}
	return v, false
}

// raw masks a json.RawMessage by decoding, masking and encoding it again.
func (m *masker) raw(v reflect.Value) (reflect.Value, bool) {
	b := v.Bytes()
	if countDigits(string(b)) < 7 && m.aud != Anonymous {
		return v, false
	}
	var x any
	if json.Unmarshal(b, &x) != nil {
		return v, false
	}
	mx, ch := m.walk(reflect.ValueOf(&x).Elem(), Plain, 0)
	if !ch {
		return v, false
	}
	nb, err := json.Marshal(mx.Interface())
	if err != nil {
		return reflect.Zero(v.Type()), true
	}
	return reflect.ValueOf(json.RawMessage(nb)), true
}

// Schema declares the kinds of a GeoJSON layer's or a CSV table's
// properties, by property name; a property not named is Plain.
type Schema map[string]Kind

// Props masks a property map for audience a by schema s, in place (the
// map is the caller's own, built for this one representation), with names
// taken from the schema's name properties.
func Props(p map[string]any, s Schema, a Audience) {
	if a >= Personal {
		return
	}
	var names []string
	for k, kind := range s {
		if kind == Name || kind == Known {
			if v, ok := p[k].(string); ok {
				names = append(names, v)
			}
		}
	}
	for k, v := range p {
		kind := s[k]
		switch x := v.(type) {
		case string:
			if kind == Known {
				delete(p, k)
				continue
			}
			p[k] = String(x, kind, a, names)
		case nil:
		default:
			if kind == Withheld {
				delete(p, k)
				continue
			}
			p[k] = Apply(v, a, names...)
		}
	}
}

// Row masks one CSV row for audience a: kinds[i] is the kind of column i.
func Row(row []string, kinds []Kind, a Audience) []string {
	if a >= Personal {
		return row
	}
	var names []string
	for i, k := range kinds {
		if (k == Name || k == Known) && i < len(row) {
			names = append(names, row[i])
		}
	}
	out := make([]string, len(row))
	for i, v := range row {
		k := Plain
		if i < len(kinds) {
			k = kinds[i]
		}
		out[i] = String(v, k, a, names)
	}
	return out
}

// Kinds returns the kinds of a CSV header's columns by schema s.
func (s Schema) Kinds(header []string) []Kind {
	out := make([]Kind, len(header))
	for i, h := range header {
		out[i] = s[strings.TrimSpace(h)]
	}
	return out
}
