package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// POST /api/v1/locate with Content-Type application/x-ndjson (or
// application/jsonl): one point per line, in as
//
//	{"id":"a1","lon":117.55,"lat":34.86}   or   [117.55,34.86]
//
// and out, line for line in input order and flushed as it goes, the
// answer a GET with the same lon, lat and the request's crs= and fields=
// would give, with the line's id first when it has one:
//
//	{"id":"a1","query":{…},"match":"inside",…}      (full card)
//	{"id":"a1","match":"inside","grid":"370402…"}   (fields=grid)
//
// A malformed line answers {"id":…,"line":N,"error":"…"} and the stream
// goes on; the trailers count rows and errors as for CSV. It is the way
// for a client that would otherwise loop over GETs: one request, the same
// answers, no round trip per point.

// maxNDJSONLine bounds one input line.
const maxNDJSONLine = 64 << 10

type ndjsonPoint struct {
	ID  json.RawMessage `json:"id"`
	Lon json.Number     `json:"lon"`
	Lat json.Number     `json:"lat"`
}

// readNDJSONPoint parses one line: an object with lon and lat, or a
// [lon, lat] array. Numbers keep their text, which ParsePoint judges as
// it judges a query's.
func readNDJSONPoint(line []byte) (id json.RawMessage, lon, lat string, err error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if bytes.HasPrefix(line, []byte{'['}) {
		var a []json.Number
		if err := dec.Decode(&a); err != nil {
			return nil, "", "", fmt.Errorf("not a [lon, lat] array: %v", err)
		}
		if len(a) != 2 {
			return nil, "", "", fmt.Errorf("[lon, lat] has %d numbers", len(a))
		}
		return nil, a[0].String(), a[1].String(), nil
	}
	dec.DisallowUnknownFields()
	var p ndjsonPoint
	if err := dec.Decode(&p); err != nil {
		// Keep the id for the error answer when the line has a readable one.
		var idOnly struct {
			ID json.RawMessage `json:"id"`
		}
		json.Unmarshal(line, &idOnly)
		return idOnly.ID, "", "", fmt.Errorf("not a point object {\"id\",\"lon\",\"lat\"}: %v", err)
	}
	if dec.More() {
		return p.ID, "", "", errors.New("more than one JSON value on the line")
	}
	return p.ID, p.Lon.String(), p.Lat.String(), nil
}

// locateNDJSON answers every line of r on w; see above.
func (s *Server) locateNDJSON(ctx context.Context, r io.Reader, w io.Writer, crs string, fields locateFields, personal bool, errs io.Writer) (rows, bad int64, err error) {
	sn := s.Current()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxNDJSONLine)
	bw := bufio.NewWriterSize(w, 32<<10)
	out := make([]byte, 0, 4096)
	line := 0
	for sc.Scan() {
		line++
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return rows, bad, err
			}
		}
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		rows++
		out = out[:0]
		id, lon, lat, perr := readNDJSONPoint(text)
		var lr locateRequest
		if perr == nil {
			lr, perr = readLocate(locateQuery{lon: lon, lat: lat, crs: crs})
			lr.fields = fields
		}
		if perr != nil {
			bad++
			fmt.Fprintf(errs, "line %d: %v\n", line, perr)
			out = append(out, '{')
			if len(id) > 0 {
				out = append(append(append(out, `"id":`...), id...), ',')
			}
			out = append(out, `"line":`...)
			out = strconv.AppendInt(out, int64(line), 10)
			msg, _ := json.Marshal(perr.Error())
			out = append(append(append(out, `,"error":`...), msg...), "}\n"...)
		} else {
			if len(id) == 0 {
				out = sn.appendLocate(out, lr, personal)
			} else {
				// `{"id":…,` then the answer without its opening brace
				out = append(append(append(out, `{"id":`...), id...), ',')
				at := len(out)
				out = sn.appendLocate(out, lr, personal)
				out = out[:at+copy(out[at:], out[at+1:])]
			}
			out = append(out, '\n')
		}
		if _, err := bw.Write(out); err != nil {
			return rows, bad, err
		}
		// Answers go out while the body still arrives.
		if bw.Buffered() > 16<<10 {
			if err := bw.Flush(); err != nil {
				return rows, bad, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d: longer than %d bytes", line+1, maxNDJSONLine)
		}
		bw.Flush()
		return rows, bad, err
	}
	return rows, bad, bw.Flush()
}

// isNDJSON reports whether a media type names newline-delimited JSON.
func isNDJSON(ct string) bool {
	switch strings.ToLower(ct) {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return true
	}
	return false
}
