package geo

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// parseCoord must agree with strconv.ParseFloat bit for bit.
func TestParseCoord(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(s string) {
		got, ok := parseCoord([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("parseCoord(%q) = %v %v, strconv %v %v", s, got, ok, want, err)
		}
	}
	for i := 0; i < 50000; i++ {
		v := (rng.Float64()*2 - 1) * 180
		for _, prec := range []int{-1, 0, 1, 5, 7, 9, 12, 14, 16} {
			check(strconv.FormatFloat(v, 'f', prec, 64))
		}
		check(strconv.FormatFloat(v, 'e', -1, 64))
	}
	for _, s := range []string{"0", "-0", "+1", "1.", ".5", "-.5", "00012.5000", "1e2", "0x1p-2", "1_0", "12345678901234567890.5"} {
		check(s)
	}
	for _, s := range []string{"", " ", "-", ".", "1..2", "abc", "NaN", "Inf", "-Inf", "1e400", "--1", "1-"} {
		if v, ok := parseCoord([]byte(s)); ok {
			t.Errorf("parseCoord(%q) = %v, want failure", s, v)
		}
	}
	if v, ok := parseCoord([]byte("  117.5 ")); !ok || v != 117.5 {
		t.Errorf("spaces: %v %v", v, ok)
	}
}
