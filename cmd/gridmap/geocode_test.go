package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo/geocode"
)

func TestGeocodeCLI(t *testing.T) {
	db := demoCity(t)
	c, err := synth.City(synth.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := &c.Buildings[321]
	addr := features.Address(c, b)

	// One address: JSON.
	code, out, errs := gridmap(t, "geocode", "--data", db, "--limit", "2", addr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var ans geocode.Answer
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if ans.Status != geocode.StatusOK || ans.Best().GridCode != b.GridCode || len(ans.Candidates) > 2 {
		t.Errorf("geocode %q: %s %+v, want %s", addr, ans.Status, ans.Best(), b.GridCode)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"geocode", "--data", db, "，。"},
		{"geocode", "--data", db, "--limit", "0", "x"},
		{"geocode", "--data", db, strings.Repeat("路", 2000)},
	} {
		if code, _, _ := gridmap(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args[len(args)-1], code)
		}
	}

	// Batch: one row per input line, in order, whatever the line holds.
	name := c.Compound(b.CompoundCode).Name
	lines := []string{
		addr,
		"",
		"火星基地",
		name, // may be ambiguous
		"\xff\xfe",
		strings.Repeat("幸福", 5000),
		"，。！",
		b.Road + strings.Repeat("1", 3) + "号",
		addr + "\r",
	}
	var stdout, stderr bytes.Buffer
	in := strings.Join(lines, "\n") // no final newline
	if code := run(context.Background(), []string{"geocode", "--data", db}, strings.NewReader(in), &stdout, &stderr); code != 0 {
		t.Fatalf("batch exit %d: %s", code, stderr.String())
	}
	rows, err := csv.NewReader(&stdout).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"line", "query", "grid_code", "confidence", "lon", "lat", "status", "match", "reason"}; strings.Join(rows[0], ",") != strings.Join(want, ",") {
		t.Errorf("header %v", rows[0])
	}
	rows = rows[1:]
	if len(rows) != len(lines) {
		t.Fatalf("%d rows for %d lines:\n%s", len(rows), len(lines), stdout.String())
	}
	for i, r := range rows {
		if r[0] != strconv.Itoa(i+1) {
			t.Errorf("row %d numbered %s", i+1, r[0])
		}
		switch r[6] {
		case geocode.StatusOK, geocode.StatusAmbiguous, geocode.StatusNotFound:
		default:
			t.Errorf("row %d: status %q", i+1, r[6])
		}
		if r[6] != geocode.StatusOK && r[2] != "" {
			t.Errorf("row %d: %s with a grid %s", i+1, r[6], r[2])
		}
	}
	if rows[0][2] != b.GridCode || rows[0][6] != geocode.StatusOK || rows[8][2] != b.GridCode {
		t.Errorf("standard address rows: %v / %v, want grid %s", rows[0], rows[8], b.GridCode)
	}
	for _, i := range []int{1, 2, 4, 5, 6} {
		if rows[i][6] != geocode.StatusNotFound {
			t.Errorf("line %d %q: %v, want not_found", i+1, lines[i], rows[i])
		}
	}
}
