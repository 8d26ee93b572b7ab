package places

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
)

// StatusNames and FunctionNames are the Chinese names of the station
// lifecycle states and functions.
var (
	StationStatusNames = map[string]string{
		data.StationPlanned:           "规划",
		data.StationUnderConstruction: "在建",
		data.StationBuilt:             "建成",
	}
	FunctionNames = map[string]string{
		data.FuncPolicy:     "政策宣传",
		data.FuncEducation:  "党员教育",
		data.FuncServices:   "便民服务",
		data.FuncActivities: "居民活动",
		data.FuncOpinion:    "民意搜集",
	}
)

// NextStatus checks one step of the lifecycle: a station stays where it is
// or moves one step on (planned → under construction → built); it never
// skips a step or goes back.
func NextStatus(from, to string) error {
	i, j := slices.Index(data.StationLifecycle, from), slices.Index(data.StationLifecycle, to)
	switch {
	case j < 0:
		return fmt.Errorf("%q is not a station status (planned, under_construction, built)", to)
	case i < 0:
		return fmt.Errorf("%q is not a station status (planned, under_construction, built)", from)
	case j == i || j == i+1:
		return nil
	case j < i:
		return fmt.Errorf("a station does not go back from %s to %s", from, to)
	}
	return fmt.Errorf("a station goes %s → %s one step at a time; %s to %s skips %s", from, data.StationLifecycle[i+1], from, to, data.StationLifecycle[i+1])
}

// CheckLifecycle checks a station's records, in any order, as one history:
// dates unique and each step legal.
func CheckLifecycle(recs []data.StationRecord) error {
	l := slices.Clone(recs)
	sort.SliceStable(l, func(i, j int) bool { return l[i].From < l[j].From })
	for i := 1; i < len(l); i++ {
		if l[i].From == l[i-1].From {
			return fieldErr("from", "two records of %s on %s", l[i].StationCode, l[i].From)
		}
		if err := NextStatus(l[i-1].Status, l[i].Status); err != nil {
			return fieldErr("status", "%s on %s: %v", l[i].StationCode, l[i].From, err)
		}
	}
	return nil
}

// ValidateStationRecord checks a station record's own fields. A built
// station has opening hours.
func ValidateStationRecord(r *data.StationRecord, city *data.City) error {
	found := false
	for i := range city.Stations {
		if city.Stations[i].Code == r.StationCode {
			found = true
			break
		}
	}
	if !found {
		return fieldErr("station_code", "no station %q", r.StationCode)
	}
	if err := checkDate("from", r.From, true); err != nil {
		return err
	}
	if err := checkOneOf("status", r.Status, data.StationLifecycle); err != nil {
		return err
	}
	if _, err := ParseHours(r.Hours); err != nil {
		return fieldErr("hours", "%v", err)
	}
	if r.Status == data.StationBuilt && strings.TrimSpace(r.Hours) == "" {
		return fieldErr("hours", "a built station has opening hours")
	}
	seen := map[string]bool{}
	for _, f := range r.Functions {
		if err := checkOneOf("functions", f, data.StationFunctions); err != nil {
			return err
		}
		if seen[f] {
			return fieldErr("functions", "%q listed twice", f)
		}
		seen[f] = true
	}
	if r.AreaM2 < 0 || r.AreaM2 > 20000 {
		return fieldErr("area_m2", "%d out of range 0..20000", r.AreaM2)
	}
	return checkText("note", r.Note, maxNote, false)
}

// Span is an opening span in minutes from midnight, [Open, Close).
type Span struct{ Open, Close int }

// Hours are a station's opening spans per weekday, Monday (0) to Sunday (6).
type Hours [7][]Span

// ParseHours reads opening hours: groups separated by ";", each a set of
// weekdays (1 = Monday … 7 = Sunday; ranges and lists: "1-5", "6,7") and
// one or more spans "HH:MM-HH:MM" separated by ",". Example:
// "1-5 08:30-12:00,14:00-17:30; 6-7 09:00-12:00". Empty text means no
// opening hours. Spans on one day may not overlap.
func ParseHours(s string) (Hours, error) {
	var h Hours
	s = strings.TrimSpace(s)
	if s == "" {
		return h, nil
	}
	if len(s) > 300 {
		return h, fmt.Errorf("opening hours longer than 300 characters")
	}
	for _, group := range strings.Split(s, ";") {
		group = strings.TrimSpace(group)
		if group == "" {
			continue
		}
		days, spans, ok := strings.Cut(group, " ")
		if !ok {
			return h, fmt.Errorf("%q: want weekdays then spans, e.g. \"1-5 08:30-17:30\"", group)
		}
		ds, err := parseDays(days)
		if err != nil {
			return h, fmt.Errorf("%q: %v", group, err)
		}
		for _, sp := range strings.Split(strings.TrimSpace(spans), ",") {
			x, err := parseSpan(strings.TrimSpace(sp))
			if err != nil {
				return h, fmt.Errorf("%q: %v", group, err)
			}
			for _, d := range ds {
				for _, o := range h[d] {
					if x.Open < o.Close && o.Open < x.Close {
						return h, fmt.Errorf("%q: spans overlap on weekday %d", group, d+1)
					}
				}
				h[d] = append(h[d], x)
			}
		}
	}
	for d := range h {
		sort.Slice(h[d], func(i, j int) bool { return h[d][i].Open < h[d][j].Open })
	}
	return h, nil
}

func parseDays(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err1 := strconv.Atoi(a)
		hi := lo
		var err2 error
		if isRange {
			hi, err2 = strconv.Atoi(b)
		}
		if err1 != nil || err2 != nil || lo < 1 || hi > 7 || lo > hi {
			return nil, fmt.Errorf("weekdays %q: want 1 (Monday) to 7 (Sunday), e.g. 1-5 or 6,7", part)
		}
		for d := lo; d <= hi; d++ {
			if seen[d] {
				return nil, fmt.Errorf("weekday %d given twice", d)
			}
			seen[d] = true
			out = append(out, d-1)
		}
	}
	return out, nil
}

func parseSpan(s string) (Span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, fmt.Errorf("span %q: want HH:MM-HH:MM", s)
	}
	o, err1 := parseClock(a)
	c, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return Span{}, fmt.Errorf("span %q: want HH:MM-HH:MM", s)
	}
	if c <= o {
		return Span{}, fmt.Errorf("span %q closes before it opens", s)
	}
	return Span{o, c}, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, fmt.Errorf("bad clock")
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad clock")
	}
	return h*60 + m, nil
}

// Weekly returns the opening hours of a week.
func (h Hours) Weekly() float64 {
	min := 0
	for _, d := range h {
		for _, s := range d {
			min += s.Close - s.Open
		}
	}
	return float64(min) / 60
}

// Weekend reports whether the station opens on Saturday or Sunday.
func (h Hours) Weekend() bool { return len(h[5]) > 0 || len(h[6]) > 0 }

var weekdayNames = []string{"周一", "周二", "周三", "周四", "周五", "周六", "周日"}

// Chinese renders the hours for people: 周一至周五 08:30-17:30；周六 09:00-12:00.
func (h Hours) Chinese() string {
	var parts []string
	for d := 0; d < 7; {
		e := d
		for e+1 < 7 && spansEqual(h[e+1], h[d]) {
			e++
		}
		if len(h[d]) > 0 {
			days := weekdayNames[d]
			if e > d {
				days += "至" + weekdayNames[e]
			}
			var sp []string
			for _, s := range h[d] {
				sp = append(sp, fmt.Sprintf("%02d:%02d-%02d:%02d", s.Open/60, s.Open%60, s.Close/60, s.Close%60))
			}
			parts = append(parts, days+" "+strings.Join(sp, "、"))
		}
		d = e + 1
	}
	if len(parts) == 0 {
		return "未开放"
	}
	return strings.Join(parts, "；")
}

func spansEqual(a, b []Span) bool { return slices.Equal(a, b) }

// Stations indexes station records by station for queries on any day.
type Stations struct {
	recs    map[string][]data.StationRecord
	ratings map[string][]data.StarRating
}

// NewStations indexes the station records and ratings of p.
func NewStations(p *data.Places) *Stations {
	s := &Stations{recs: map[string][]data.StationRecord{}, ratings: map[string][]data.StarRating{}}
	for _, r := range p.Stations {
		s.recs[r.StationCode] = append(s.recs[r.StationCode], r)
	}
	for k, l := range s.recs {
		s.recs[k] = dedupe(l, stationFrom)
	}
	for _, r := range p.Ratings {
		s.ratings[r.StationCode] = append(s.ratings[r.StationCode], r)
	}
	for k, l := range s.ratings {
		sort.SliceStable(l, func(i, j int) bool { return l[i].At.Before(l[j].At) })
		s.ratings[k] = l
	}
	return s
}

// At returns the station's record in force on day.
func (s *Stations) At(code, day string) (data.StationRecord, bool) {
	return at(s.recs[code], day, stationFrom)
}

func stationFrom(r *data.StationRecord) string { return r.From }

// History returns the station's records, oldest first.
func (s *Stations) History(code string) []data.StationRecord { return slices.Clone(s.recs[code]) }

// Ratings returns the station's rating history, oldest first.
func (s *Stations) Ratings(code string) []data.StarRating { return slices.Clone(s.ratings[code]) }
