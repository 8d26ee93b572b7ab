package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/geo/geocode"
)

func cmdGeocode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("geocode", "geocode --data city.gpkg [--limit N] \"地址\"\n       gridmap geocode --data city.gpkg < addresses.txt > out.csv\n\n"+
		"One address: the ranked candidates as JSON. No address argument: one address per line\n"+
		"on stdin, CSV out (line,query,grid_code,confidence,lon,lat,status,match,reason), one row per\n"+
		"line in order; status is ok, ambiguous or not_found, ambiguous rows carry no grid; match is\n"+
		"what was found (building, compound, house_number, intersection, poi, station …), reason why a\n"+
		"not_found row has none (outside_city, roads_do_not_cross, unknown_road, no_match).", stderr)
	path := dataFlag(fs)
	limit := fs.Int("limit", 5, "candidates to show for one address")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *limit < 1 || *limit > 50 {
		return failf(2, "--limit %d out of range 1..50", *limit)
	}
	single := fs.NArg() > 0
	addr := strings.Join(fs.Args(), " ")
	if single {
		if _, err := geocode.Parse(addr); err != nil {
			return &exitError{2, err}
		}
	}
	st, c, err := openCity(ctx, *path)
	if err != nil {
		return err
	}
	st.Close()
	start := time.Now()
	ix, err := geo.NewIndex(c)
	if err != nil {
		return err
	}
	g, err := geocode.New(c, ix)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "geocode: gazetteer of %d grids, %d compounds, %d buildings ready in %s\n",
		len(c.Grids), len(c.Compounds), len(c.Buildings), time.Since(start).Round(time.Millisecond))
	if single {
		ans, err := g.Geocode(addr, *limit)
		if err != nil {
			return &exitError{2, err}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(ans)
	}
	return geocodeBatch(ctx, g, stdin, stdout, stderr)
}

// geocodeBatch answers one address per input line, in order, as CSV.
func geocodeBatch(ctx context.Context, g *geocode.Gazetteer, in io.Reader, out, stderr io.Writer) error {
	start := time.Now()
	br := bufio.NewReaderSize(in, 1<<16)
	bw := bufio.NewWriterSize(out, 1<<16)
	w := csv.NewWriter(bw)
	w.Write([]string{"line", "query", "grid_code", "confidence", "lon", "lat", "status", "match", "reason"})
	counts := map[string]int{}
	n := 0
	for {
		line, err := readLine(br, geocode.MaxQueryBytes)
		if err == io.EOF && line == nil {
			break
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("line %d: %w", n+1, err)
		}
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		n++
		q := strings.TrimRight(string(line), "\r")
		row := []string{strconv.Itoa(n), echo(q), "", "", "", "", geocode.StatusNotFound, "", geocode.ReasonNoMatch}
		if ans, gerr := g.Geocode(q, 1); gerr == nil {
			row[6], row[7], row[8] = ans.Status, ans.Match, ans.Reason
			if b := ans.Best(); b != nil {
				row[3] = strconv.FormatFloat(b.Confidence, 'f', 3, 64)
				if ans.Status == geocode.StatusOK {
					row[2] = b.GridCode
					row[4] = strconv.FormatFloat(b.Point[0], 'f', 7, 64)
					row[5] = strconv.FormatFloat(b.Point[1], 'f', 7, 64)
				}
			}
		}
		counts[row[6]]++
		w.Write(row)
		if err == io.EOF {
			break
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stderr, "geocode: %d lines (%d ok, %d ambiguous, %d not found) in %s, %.0f lines/s\n",
		n, counts[geocode.StatusOK], counts[geocode.StatusAmbiguous], counts[geocode.StatusNotFound],
		el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

// readLine reads one line without its newline, keeping at most max+1
// bytes of it (the geocoder refuses anything longer) and skipping the rest.
// It returns io.EOF with the last line when the input does not end in a
// newline, and io.EOF with nil at the end.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line) <= max {
			line = append(line, frag[:min(len(frag), max+1-len(line))]...)
		}
		switch err {
		case nil:
			return trimNewline(line), nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			return trimNewline(line), io.EOF
		default:
			return nil, err
		}
	}
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// echo is the query as written back: valid UTF-8, at most 200 characters.
func echo(q string) string {
	q = strings.ToValidUTF8(q, "\uFFFD")
	if r := []rune(q); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return q
}
