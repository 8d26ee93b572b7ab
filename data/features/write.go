package features

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb/encoding/wkt"
)

// Formats accepted by Write.
const (
	FormatGeoJSON    = "geojson"    // RFC 7946 FeatureCollection
	FormatGeoJSONSeq = "geojsonseq" // RFC 8142 text sequence
	FormatCSV        = "csv"        // properties plus a WKT geometry column
)

// Write streams every feature of a layer to w in the format, one feature at
// a time. Output is deterministic: the same city gives the same bytes.
func Write(w io.Writer, c *data.City, layer, format string, opt Options) error {
	n, err := Count(c, layer)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	switch format {
	case FormatGeoJSON, FormatGeoJSONSeq:
		if format == FormatGeoJSON {
			fmt.Fprintf(bw, `{"type":"FeatureCollection","name":%q,"features":[`, layer)
		}
		for i := 0; i < n; i++ {
			f, err := Feature(c, layer, i, opt)
			if err != nil {
				return err
			}
			b, err := json.Marshal(f)
			if err != nil {
				return fmt.Errorf("features: %s %d: %w", layer, i, err)
			}
			switch {
			case format == FormatGeoJSONSeq:
				bw.WriteByte(0x1e)
			case i > 0:
				bw.WriteByte(',')
			}
			bw.Write(b)
			if format == FormatGeoJSONSeq {
				bw.WriteByte('\n')
			}
		}
		if format == FormatGeoJSON {
			bw.WriteString("]}\n")
		}
	case FormatCSV:
		cw := csv.NewWriter(bw)
		fields := Fields(c, layer)
		if err := cw.Write(append(append([]string{}, fields...), "wkt")); err != nil {
			return err
		}
		row := make([]string, len(fields)+1)
		for i := 0; i < n; i++ {
			f, err := Feature(c, layer, i, opt)
			if err != nil {
				return err
			}
			for k, name := range fields {
				row[k] = cell(f.Properties[name])
			}
			row[len(fields)] = ""
			if f.Geometry != nil {
				row[len(fields)] = string(wkt.Marshal(f.Geometry))
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("features: unknown format %q (want geojson, geojsonseq or csv)", format)
	}
	return bw.Flush()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
