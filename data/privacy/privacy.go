// Package privacy is gridmap's one masking policy: what of a person's data
// each audience may see. Every outgoing representation — JSON, GeoJSON,
// OGC items, Open311 JSON and XML, the event stream, CSV and the tiles'
// attributes — passes through it; no route masks by hand.
//
// There are three audiences. Personal (dispatchers, planners, admins) see
// everything as stored. Viewer (the wall map's token) sees names reduced to
// the family name, phone and resident ID numbers masked, and free text
// scanned for them. Anonymous callers see what viewers see, except that
// free text about people (an incident's description and address, history
// notes) is withheld altogether.
//
// # Declaring personal data
//
// A struct field is declared with a `privacy` tag:
//
//	Name    string `privacy:"name"`     // 王小明 → 王**
//	Phone   string `privacy:"phone"`    // 13812345678 → 138****5678
//	ID      string `privacy:"id"`       // resident ID number: 370***********1234
//	Note    string `privacy:"text"`     // free text: scanned (viewer), withheld (anonymous)
//	Caller  *Card  `privacy:"personal"` // the whole value only for Personal
//	Known []string `json:"-" privacy:"known"` // names to look for in the text fields
//	Code    string `privacy:"public"`   // never scanned (codes, ids)
//
// Every other string reached through exported fields, embedded structs,
// pointers, slices, maps and interfaces is scanned for phone and ID numbers
// anyway, so an undeclared field cannot leak one; names, though, are only
// known where they are declared. The names found in name and known fields
// anywhere in a value are masked wherever they occur in its text fields.
//
// Apply masks a value for an audience (returning a copy, never changing
// the original); MaskText, MaskName and MaskPhone mask one string; Props
// masks a GeoJSON property map by a declared schema (see Schema).
package privacy

import "strings"

// Audience is who a representation is for.
type Audience uint8

// The audiences, from the least to the most trusted.
const (
	Anonymous Audience = iota // no token: facts only, no free text about people
	Viewer                    // a token without the personal-data roles: masked
	Personal                  // the personal-data roles: everything as stored
)

func (a Audience) String() string {
	switch a {
	case Anonymous:
		return "anonymous"
	case Viewer:
		return "viewer"
	case Personal:
		return "personal"
	}
	return "audience(" + string(rune('0'+a)) + ")"
}

// Kind says what a field holds.
type Kind uint8

// The kinds of field.
const (
	Plain    Kind = iota // not declared: scanned for phone and ID numbers when masked
	Name                 // a person's name
	Phone                // a phone number
	IDNumber             // a resident ID number
	Text                 // free text that may name people
	Withheld             // the whole value is for the Personal audience only
	Known                // names known to the representation, not sent (json:"-")
	Public               // never masked
)

// ParseKind reads a privacy tag value.
func ParseKind(tag string) (Kind, bool) {
	switch strings.TrimSpace(tag) {
	case "":
		return Plain, true
	case "name":
		return Name, true
	case "phone":
		return Phone, true
	case "id":
		return IDNumber, true
	case "text":
		return Text, true
	case "personal":
		return Withheld, true
	case "known":
		return Known, true
	case "public":
		return Public, true
	}
	return Plain, false
}

// String masks one string of kind k for audience a; names are the people
// known to the representation, masked where they occur in text.
func String(s string, k Kind, a Audience, names []string) string {
	if a >= Personal || s == "" {
		return s
	}
	switch k {
	case Name:
		return MaskName(s)
	case Phone:
		return MaskPhone(s)
	case IDNumber:
		return MaskPhone(s)
	case Text:
		if a == Anonymous {
			return ""
		}
		return maskText(s, names, true)
	case Withheld, Known:
		return ""
	case Public:
		return s
	}
	return maskText(s, nil, false)
}

// MaskText masks free text for a viewer: phone numbers in any common form,
// resident ID numbers, the given names and names after cue words such as
// 联系人 or 报告人.
func MaskText(s string, names ...string) string { return maskText(s, names, true) }

// MaskPhone hides the middle of a phone (or ID) number: 13812345678 →
// 138****5678, 3312345 → 33***45. Separators are dropped first, so "139-1234-5678" and
// "+86 139 1234 5678" both become 139****5678.
func MaskPhone(p string) string {
	if p == "" {
		return p
	}
	if d, ok := phoneDigits(p); ok {
		p = d
	}
	r := []rune(p)
	head, tail := 3, 4 // mobiles, landlines with area code, ID numbers
	switch {
	case len(r) < 7:
		return strings.Repeat("*", len(r))
	case len(r) < 11:
		head, tail = 2, 2 // short numbers keep less
	}
	for i := head; i < len(r)-tail; i++ {
		r[i] = '*'
	}
	return string(r)
}

// MaskName keeps the family name and hides the rest: 张伟 → 张*; a
// one-character name stays (it is a family name alone).
func MaskName(n string) string {
	r := []rune(strings.TrimSpace(n))
	if len(r) <= 1 {
		return string(r)
	}
	keep := 1
	if len(r) >= 3 && compoundSurname(string(r[:2])) {
		keep = 2
	}
	for i := keep; i < len(r); i++ {
		if r[i] != ' ' && r[i] != '·' {
			r[i] = '*'
		}
	}
	return string(r)
}

// phoneDigits normalises a phone number written with separators or a
// country code to its national digits; ok is false when p holds anything
// but digits, separators and a leading + or (.
func phoneDigits(p string) (string, bool) {
	var b strings.Builder
	for _, r := range p {
		if d, ok := digitOf(r); ok {
			b.WriteByte(d)
			continue
		}
		if r == '+' || r == '(' || r == ')' || isSeparator(r) {
			continue
		}
		return "", false
	}
	d := b.String()
	if nat, ok := stripCountry(d, strings.HasPrefix(strings.TrimSpace(p), "+")); ok {
		return nat, true
	}
	return d, true
}

// LooksLikePhone reports whether s is a plausible phone number: a Chinese
// mobile or landline (with or without area code, with separators or a
// +86), or an international number in E.164 length.
func LooksLikePhone(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return false
	}
	plus := false
	n := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '+' && i == 0:
			plus = true
		case r == '(' || r == ')' || r == ' ' || r == '-' || r == '.':
		default:
			return false
		}
	}
	d, _ := phoneDigits(s)
	if classify(d, plus) == kindPhone {
		return true
	}
	// a local landline without its area code
	return !plus && n >= 7 && n <= 8 && d[0] != '0' && d[0] != '1'
}
