package geo_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// expectRow is the output row LocateCSV must give for a good row.
func expectRow(c *data.City, r geo.Result, id string) []string {
	row := []string{id, "", "", "", "", r.Match, ""}
	switch r.Match {
	case geo.MatchInside:
		g := c.Grids[r.Grid]
		row[1], row[2], row[3], row[4], row[6] = g.Code, g.CommunityCode, g.StreetCode, g.DistrictCode, "0"
		return row
	case geo.MatchNearest:
		row[1], row[6] = c.Grids[r.Nearest].Code, fmt.Sprintf("%.1f", r.DistanceM)
	}
	if r.Community >= 0 {
		row[2] = c.Communities[r.Community].Code
	}
	if r.Street >= 0 {
		row[3] = c.Streets[r.Street].Code
	}
	if r.District >= 0 {
		row[4] = c.Districts[r.District].Code
	}
	return row
}

func TestLocateCSV(t *testing.T) {
	c, ix := latticeIndex(t)
	in0, _ := planar.CentroidArea(c.Grids[0].Geom)
	in1, _ := planar.CentroidArea(c.Grids[7].Geom)
	west := c.Grids[0].Geom[0][0]
	mlon, _ := geo.MetresPerDegree(west[1])
	var westmost orb.Point
	westmost[0] = math.Inf(1)
	for _, g := range c.Grids {
		for _, q := range g.Geom[0] {
			if q[0] < westmost[0] {
				westmost = q
			}
		}
	}
	near := orb.Point{westmost[0] - 40/mlon, westmost[1]}
	far := orb.Point{westmost[0] - 0.5, westmost[1]}
	input := "id,lon,lat\r\n" +
		fmt.Sprintf("a,%v,%v\r\n", in0[0], in0[1]) +
		"\n" +
		"b,abc,34.8\n" +
		fmt.Sprintf("\"c,1\",%v,%v\n", in1[0], in1[1]) +
		"d,NaN,34.8\n" +
		"e,117.5,95\n" +
		"f,117.5\n" +
		"g,117.5,34.8,9\n" +
		fmt.Sprintf("h,%v,%v\n", near[0], near[1]) +
		fmt.Sprintf("i,%v,%v\n", far[0], far[1]) +
		"j,Inf,1\n" +
		"\"k\"\"q\",1e400,1\n" +
		"\"unterminated,1,2\n" +
		fmt.Sprintf("l,%v,%v", in0[0], in0[1]) // no final newline
	var out, errs bytes.Buffer
	st, err := geo.LocateCSV(context.Background(), strings.NewReader(input), &out, ix, geo.BatchOptions{Errors: &errs})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out.String())
	}
	errRow := func(id string) []string { return []string{id, "", "", "", "", "error", ""} }
	want := [][]string{
		strings.Split(geo.CSVHeader, ","),
		expectRow(c, ix.Locate(in0), "a"),
		errRow("b"),
		expectRow(c, ix.Locate(in1), "c,1"),
		errRow("d"), errRow("e"), errRow("f"), errRow("g"),
		expectRow(c, ix.Locate(near), "h"),
		expectRow(c, ix.Locate(far), "i"),
		errRow("j"), errRow(`k"q`), errRow(""),
		expectRow(c, ix.Locate(in0), "l"),
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("output\n%q\nwant\n%q", rows, want)
	}
	if rows[8][5] != geo.MatchNearest || rows[9][5] != geo.MatchNone || rows[1][5] != geo.MatchInside {
		t.Errorf("matches: %q %q %q", rows[1][5], rows[8][5], rows[9][5])
	}
	wantErrs := []string{"line 4: lon", "line 6: lon", "line 7: lat", "line 8: want 3", "line 9: want 3", "line 12: lon", "line 13: lon", "line 14: unterminated"}
	got := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if len(got) != len(wantErrs) {
		t.Fatalf("errors:\n%s", errs.String())
	}
	for i, w := range wantErrs {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], w)
		}
	}
	if st.Rows != 13 || st.Errors != 8 || st.Inside != 3 || st.Nearest != 1 || st.None != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestLocateCSVOrder runs many small chunks through several workers: rows
// come out in input order and agree with Locate.
func TestLocateCSVOrder(t *testing.T) {
	c, ix := latticeIndex(t)
	pts := geo.UrbanPoints(c, ix, 20000, 9)
	var in bytes.Buffer
	for i, p := range pts {
		fmt.Fprintf(&in, "%d,%.7f,%.7f\n", i, p[0], p[1])
	}
	for _, chunk := range []int{1, 100, 4096, 0} {
		var out bytes.Buffer
		st, err := geo.LocateCSV(context.Background(), bytes.NewReader(in.Bytes()), &out, ix, geo.BatchOptions{Workers: 3, ChunkBytes: chunk})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(pts)+1 || st.Rows != int64(len(pts)) {
			t.Fatalf("chunk %d: %d rows out, stats %+v", chunk, len(rows), st)
		}
		for i, p := range pts {
			var q orb.Point // the point as written
			fmt.Sscanf(fmt.Sprintf("%.7f %.7f", p[0], p[1]), "%g %g", &q[0], &q[1])
			if w := expectRow(c, ix.Locate(q), fmt.Sprint(i)); fmt.Sprint(rows[i+1]) != fmt.Sprint(w) {
				t.Fatalf("chunk %d row %d = %q, want %q", chunk, i, rows[i+1], w)
			}
		}
	}
}

func TestLocateCSVGCJ02(t *testing.T) {
	c, ix := latticeIndex(t)
	var in bytes.Buffer
	var want []int
	for i := 0; i < len(c.Grids); i += 37 {
		p, _ := planar.CentroidArea(c.Grids[i].Geom)
		g := geo.WGS84ToGCJ02(p)
		fmt.Fprintf(&in, "%d,%v,%v\n", i, g[0], g[1])
		want = append(want, i)
	}
	var out bytes.Buffer
	if _, err := geo.LocateCSV(context.Background(), &in, &out, ix, geo.BatchOptions{CRS: "gcj02"}); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(&out).ReadAll()
	for k, i := range want {
		if rows[k+1][1] != c.Grids[i].Code {
			t.Errorf("row %d: grid %s, want %s", k, rows[k+1][1], c.Grids[i].Code)
		}
	}
	if _, err := geo.LocateCSV(context.Background(), &in, &out, ix, geo.BatchOptions{CRS: "bd09"}); err == nil {
		t.Error("unknown crs accepted")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	if w.n -= len(b); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

type failReader struct{ r io.Reader }

func (f failReader) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestLocateCSVFailures(t *testing.T) {
	c, ix := latticeIndex(t)
	pts := geo.UrbanPoints(c, ix, 50000, 4)
	var in bytes.Buffer
	for i, p := range pts {
		fmt.Fprintf(&in, "%d,%v,%v\n", i, p[0], p[1])
	}
	_, err := geo.LocateCSV(context.Background(), bytes.NewReader(in.Bytes()), &failWriter{n: 100000}, ix, geo.BatchOptions{ChunkBytes: 1000})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write failure: %v", err)
	}
	_, err = geo.LocateCSV(context.Background(), failReader{bytes.NewReader(in.Bytes())}, io.Discard, ix, geo.BatchOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("read failure: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err = geo.LocateCSV(ctx, bytes.NewReader(in.Bytes()), io.Discard, ix, geo.BatchOptions{ChunkBytes: 1000}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	var out bytes.Buffer
	st, err := geo.LocateCSV(context.Background(), strings.NewReader(""), &out, ix, geo.BatchOptions{})
	if err != nil || st.Rows != 0 || out.String() != geo.CSVHeader+"\n" {
		t.Errorf("empty input: %v %+v %q", err, st, out.String())
	}
	if _, err := geo.LocateCSV(context.Background(), strings.NewReader(""), &out, nil, geo.BatchOptions{}); err == nil {
		t.Error("nil index accepted")
	}
	// No goroutine may outlive a batch.
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		geo.LocateCSV(context.Background(), bytes.NewReader(in.Bytes()), &failWriter{n: 1000}, ix, geo.BatchOptions{ChunkBytes: 512})
	}
	if after := runtime.NumGoroutine(); after > before+1 {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
}

func TestLocateGeoJSON(t *testing.T) {
	c, ix := latticeIndex(t)
	p0, _ := planar.CentroidArea(c.Grids[3].Geom)
	in := fmt.Sprintf(`{"type":"FeatureCollection","name":"x","features":[
		{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{"name":"甲","match":"old"}},
		{"type":"Feature","id":"two","geometry":{"type":"Point","coordinates":[117.5,95]},"properties":null},
		{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}},
		{"type":"Feature","geometry":null},
		{"type":"Feature","geometry":{"type":"Point","coordinates":["a",1]}},
		{"type":"Feature","geometry":{"type":"Point","coordinates":[10,10]},"properties":{}}
	]}`, p0[0], p0[1])
	var out, errs bytes.Buffer
	st, err := geo.LocateGeoJSON(context.Background(), strings.NewReader(in), &out, ix, geo.BatchOptions{Errors: &errs})
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Features []struct {
			ID         any
			Geometry   *struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if len(fc.Features) != 6 || fc.Type != "FeatureCollection" {
		t.Fatalf("got %d features", len(fc.Features))
	}
	f := fc.Features[0]
	if f.Properties["grid_code"] != c.Grids[3].Code || f.Properties["match"] != "inside" || f.Properties["name"] != "甲" ||
		f.Properties["district_code"] != c.Grids[3].DistrictCode || f.ID != 1.0 || f.Geometry.Type != "Point" {
		t.Errorf("feature 0: %+v", f)
	}
	for i := 1; i <= 4; i++ {
		if fc.Features[i].Properties["match"] != "error" || fc.Features[i].Properties["error"] == "" {
			t.Errorf("feature %d: %+v", i, fc.Features[i])
		}
	}
	if fc.Features[5].Properties["match"] != "none" || fc.Features[5].Properties["grid_code"] != nil {
		t.Errorf("feature 5: %+v", fc.Features[5])
	}
	if st.Rows != 6 || st.Errors != 4 || st.Inside != 1 || st.None != 1 {
		t.Errorf("stats %+v", st)
	}
	if !strings.HasPrefix(errs.String(), "feature 2: lat") || strings.Count(errs.String(), "\n") != 4 {
		t.Errorf("errors:\n%s", errs.String())
	}

	// Awkward but valid input, and a balanced but invalid feature, which is
	// reported while the stream goes on.
	odd := fmt.Sprintf(` { "bbox" : [1,2,3,4], "features" : [
		{"properties":{"s":"}]\\\"{[","match":1,"n":[{}]},"geometry":{"coordinates":[%v,%v],"type":"Point"},"type":"Feature","id":"x"} ,
		{"type":"Feature",,"geometry":null} ,
		{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]}}
	] , "type" : "FeatureCollection" }
	`, p0[0], p0[1], p0[0], p0[1])
	out.Reset()
	errs.Reset()
	st, err = geo.LocateGeoJSON(context.Background(), strings.NewReader(odd), &out, ix, geo.BatchOptions{Errors: &errs})
	if err != nil {
		t.Fatal(err)
	}
	fc.Features = nil
	if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if len(fc.Features) != 3 || fc.Features[0].Properties["s"] != `}]\"{[` || fc.Features[0].Properties["match"] != "inside" ||
		fc.Features[1].Properties["match"] != "error" || fc.Features[2].Properties["grid_code"] != c.Grids[3].Code || st.Errors != 1 {
		t.Errorf("odd input: %s\n%s", out.String(), errs.String())
	}
	out.Reset()
	if st, err := geo.LocateGeoJSON(context.Background(), strings.NewReader(`{"type":"FeatureCollection","features":[]}`), &out, ix, geo.BatchOptions{}); err != nil || st.Rows != 0 || !json.Valid(out.Bytes()) {
		t.Errorf("empty collection: %v %+v %s", err, st, out.String())
	}

	// Broken JSON: the output stays valid JSON and the error is returned.
	for _, bad := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}, {"type":`,
		`[1,2]`, `{"type":"Topology","features":[]}`, `{"type":"FeatureCollection"}`, ``,
		`{"type":"FeatureCollection","features":[]} x`, `{"features":[{}] "type":"FeatureCollection"}`,
		`{"features":[{} {}]}`, `{"crs":{,},"features":[]}`, `{"features":[{"a":"}`,
	} {
		out.Reset()
		_, err := geo.LocateGeoJSON(context.Background(), strings.NewReader(bad), &out, ix, geo.BatchOptions{})
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
		if !json.Valid(out.Bytes()) {
			t.Errorf("%q: output not valid JSON: %s", bad, out.String())
		}
	}
}

func csvInput(pts []orb.Point) []byte {
	var in bytes.Buffer
	in.WriteString("id,lon,lat\n")
	for i, p := range pts {
		fmt.Fprintf(&in, "%d,%.7f,%.7f\n", i, p[0], p[1])
	}
	return in.Bytes()
}

// BenchmarkBatchCSV streams 1M random urban points of the demo city through
// LocateCSV on all cores; points/s is the figure of merit.
func BenchmarkBatchCSV(b *testing.B) {
	c, ix := demoIndex(b)
	const n = 1 << 20
	in := csvInput(geo.UrbanPoints(c, ix, n, 2))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		st, err := geo.LocateCSV(context.Background(), bytes.NewReader(in), io.Discard, ix, geo.BatchOptions{})
		if err != nil || st.Rows != n {
			b.Fatal(err, st)
		}
	}
	reportBatch(b, n, processCPU()-c0)
}

// processCPU returns the CPU time of the whole process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportBatch reports points/s by the wall clock, and cpu-ns/point, the
// process CPU time per point, which stays meaningful when other work
// shares the machine (GOMAXPROCS cores divided by it is the throughput the
// batch reaches on otherwise idle cores).
func reportBatch(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	if cpu > 0 {
		per := float64(cpu) / float64(n*b.N)
		b.ReportMetric(per, "cpu-ns/point")
		b.ReportMetric(float64(runtime.GOMAXPROCS(0))*1e9/per, "idle-points/s")
	}
}

// BenchmarkBatchGeoJSON streams 100k points as GeoJSON.
func BenchmarkBatchGeoJSON(b *testing.B) {
	c, ix := demoIndex(b)
	const n = 100000
	var in bytes.Buffer
	in.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, p := range geo.UrbanPoints(c, ix, n, 2) {
		if i > 0 {
			in.WriteByte(',')
		}
		fmt.Fprintf(&in, `{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%.7f,%.7f]},"properties":{}}`, i, p[0], p[1])
	}
	in.WriteString("]}")
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		if _, err := geo.LocateGeoJSON(context.Background(), bytes.NewReader(in.Bytes()), io.Discard, ix, geo.BatchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportBatch(b, n, processCPU()-c0)
}

// FuzzLocateCSV: any input gives a CSV answer or an error, never a panic,
// and every data line gets exactly one output row.
func FuzzLocateCSV(f *testing.F) {
	for _, s := range []string{"id,lon,lat\na,117.56,34.86\n", "\"x\"\"y\",1,2\r\n\n", "a,NaN,1\nb,1e999,2", ",,\n\"", "id,lon,lat"} {
		f.Add(s)
	}
	_, ix := latticeIndex(f)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		st, err := geo.LocateCSV(context.Background(), strings.NewReader(in), &out, ix, geo.BatchOptions{ChunkBytes: 7})
		if err != nil {
			t.Fatal(err)
		}
		if n := int64(strings.Count(out.String(), "\n")) - 1; n < st.Rows {
			t.Fatalf("%d rows out for %+v", n, st)
		}
	})
}

// FuzzLocateGeoJSON: any input gives valid JSON out, never a panic.
func FuzzLocateGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[117.56,34.86]},"properties":{"a":1}}]}`,
		`{"features":[{"type":"Feature","geometry":null},{}]}`, `{"features":[`, `{"a":"\"}"}`,
	} {
		f.Add(s)
	}
	_, ix := latticeIndex(f)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		geo.LocateGeoJSON(context.Background(), strings.NewReader(in), &out, ix, geo.BatchOptions{})
		if !json.Valid(out.Bytes()) {
			t.Fatalf("invalid output for %q: %s", in, out.String())
		}
	})
}
