package server

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Strict parameter parsing, shared by every route: the route guard checks
// each request's query against the parameters its Route declares before
// the handler runs, and handlers read values with the parsers below.
// Numbers are plain decimal only ("117.55", "-3", never "1_17.55",
// "0x1p-2", "1e3", "Inf"); stored text may hold no control or bidi
// override characters.

// Caps of what one request may carry.
const (
	maxQueryBytes  = 64 << 10 // the whole query string
	maxParamBytes  = 256      // one value, unless its Param says otherwise
	maxListItems   = 100      // one comma list, unless its Param says otherwise
	maxPathBytes   = 128      // one path parameter (an id, a code)
	maxErrorEchoes = 64       // bytes of a caller's value echoed in an error
)

// nextQueryPair reads the first name=value pair of a raw query string,
// unescaped, and returns the rest; ok is false for an empty pair ("a=1&&b=2").
// A pair that Go's url.ParseQuery would drop (a ";", a bad %-escape) or
// invalid UTF-8 is an error naming the parameter, never a silently
// vanished filter. It allocates only to unescape.
func nextQueryPair(raw string) (name, value, rest string, ok bool, err error) {
	pair, rest, _ := strings.Cut(raw, "&")
	if pair == "" {
		return "", "", rest, false, nil
	}
	k, val, _ := strings.Cut(pair, "=")
	name, err = queryUnescape(k)
	if err != nil || strings.IndexByte(k, ';') >= 0 || !utf8.ValidString(name) {
		return "", "", rest, false, fmt.Errorf("query parameter %s: malformed name", echo(k))
	}
	if strings.IndexByte(val, ';') >= 0 {
		return "", "", rest, false, fmt.Errorf("query parameter %s: a \";\" is not allowed (separate parameters with \"&\", escape a literal one as %%3B)", echo(name))
	}
	value, err = queryUnescape(val)
	if err != nil {
		return "", "", rest, false, fmt.Errorf("query parameter %s: malformed %%-escape", echo(name))
	}
	if !utf8.ValidString(value) {
		return "", "", rest, false, fmt.Errorf("query parameter %s: not valid UTF-8", echo(name))
	}
	return name, value, rest, true, nil
}

// queryUnescape is url.QueryUnescape without the allocation when there is
// nothing to unescape.
func queryUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// echo quotes a caller's value for an error message, cut to a few dozen
// bytes so that a 20 MB id is never sent back.
func echo(s string) string {
	if len(s) <= maxErrorEchoes {
		return strconv.Quote(s)
	}
	cut := maxErrorEchoes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("… (%d bytes)", len(s))
}

// MaxStationDistance is the farthest a locate answer's nearest station may
// be: past it the answer says none (null), as for a grid past the index's
// MaxDistance, rather than offer a station thousands of kilometres away.
var MaxStationDistance = 20_000.0 // metres

var errNotDecimal = errors.New("not a plain decimal number")

// parseDecimal reads a plain decimal number: an optional sign, digits and
// an optional fraction. Underscores, hexadecimal, exponents, Inf and NaN
// are refused.
func parseDecimal(s string) (float64, error) {
	if s == "" || len(s) > 64 {
		return 0, errNotDecimal
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return 0, errNotDecimal
		}
	}
	if digits == 0 || s[len(s)-1] == '.' {
		return 0, errNotDecimal
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errNotDecimal
	}
	return f, nil
}

// parseInteger reads a plain decimal integer (an optional minus sign and
// digits).
func parseInteger(s string) (int, error) {
	if s == "" || len(s) > 19 {
		return 0, errors.New("not a plain decimal integer")
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || i == 0 && s[i] == '-' && len(s) > 1) {
			return 0, errors.New("not a plain decimal integer")
		}
	}
	return strconv.Atoi(s)
}

// checkText refuses text that no stored field may hold: invalid UTF-8,
// control characters (tab and newline allowed where multiline is true),
// bidi overrides and isolates, and other format characters that make text
// show differently from what it is. It returns the text trimmed.
func checkText(field, s string, maxRunes int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s is not valid UTF-8", field)
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", fmt.Errorf("%s is longer than %d characters (%d)", field, maxRunes, n)
	}
	for i, r := range s {
		switch {
		case (r == '\n' || r == '\t') && multiline:
		case unicode.IsControl(r):
			return "", fmt.Errorf("%s holds the control character U+%04X at byte %d", field, r, i)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			return "", fmt.Errorf("%s holds the bidirectional control U+%04X at byte %d", field, r, i)
		case r == 0xFEFF, r >= 0x200B && r <= 0x200D, r == 0x2060, r >= 0xFFF9 && r <= 0xFFFB:
			return "", fmt.Errorf("%s holds the invisible character U+%04X at byte %d", field, r, i)
		}
	}
	return s, nil
}

// The years a date parameter (Type "date") may name.
const minDayYear, maxDayYear = 1949, 2200

// isDay reports whether s is a calendar day written yyyy-mm-dd (no other
// form: days compare as strings) of the years minDayYear..maxDayYear.
func isDay(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Year() >= minDayYear && t.Year() <= maxDayYear
}

// The values of a request's query parameters as the route guard checked
// them against its Route's declaration: handlers read them here instead of
// parsing them again. A parameter not given (or given empty) has the
// Default its Param declares.

// queryParam is the declaration of the request route's query parameter
// name (the zero Param for one it does not declare).
func queryParam(r *http.Request, name string) Param {
	rt := currentRoute(r)
	if i := rt.paramIndex(name, "query"); i >= 0 {
		return rt.Params[i]
	}
	return Param{Name: name}
}

// queryString is the value of a string, enum, date or list parameter, or
// its declared default ("" without one).
func queryString(r *http.Request, name string) string {
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	d, _ := queryParam(r, name).Default.(string)
	return d
}

// queryInt is the value of an integer parameter, or its declared default
// (0 without one); a clamped parameter over its maximum is the maximum.
func queryInt(r *http.Request, name string) int {
	p := queryParam(r, name)
	v := r.URL.Query().Get(name)
	if v == "" {
		d, _ := p.Default.(int)
		return d
	}
	n, _ := parseInteger(v)
	if p.Clamp && p.Min < p.Max && float64(n) > p.Max {
		n = int(p.Max)
	}
	return n
}

// queryBool is the value of a boolean parameter; nil when not given.
func queryBool(r *http.Request, name string) *bool {
	switch r.URL.Query().Get(name) {
	case "true":
		t := true
		return &t
	case "false":
		f := false
		return &f
	}
	return nil
}

// page cuts a list to the request's limit and offset parameters.
func page[T any](r *http.Request, l []T) []T {
	return cut(l, queryInt(r, "limit"), queryInt(r, "offset"))
}
