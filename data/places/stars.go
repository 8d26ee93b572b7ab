package places

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Criterion is one line of the star-rating checklist. A station earns a
// level when it meets every criterion of that level and of every level
// below. Checks: "hours" (weekly opening hours ≥ Min), "weekend" (opens on
// Saturday or Sunday), "functions" (≥ Min of the five functions),
// "activities" (≥ Min activities and services logged at the station in the
// last 90 days), "area" (floor area ≥ Min m²), and "inspection" (found met
// by the last inspection, which holds for 365 days).
type Criterion struct {
	ID    string  `json:"id"`
	Level int     `json:"level"`
	Text  string  `json:"text"`
	Check string  `json:"check"`
	Min   float64 `json:"min,omitempty"`
}

// Criteria is gridmap's star-rating checklist for the stations, defined
// here from the common 星级评定 practice of party-mass service stations.
var Criteria = []Criterion{
	{"L1-sign", 1, "统一标识、规范挂牌", "inspection", 0},
	{"L1-hours", 1, "每周开放不少于20小时", "hours", 20},
	{"L1-functions", 1, "至少具备2项功能", "functions", 2},
	{"L2-hours", 2, "每周开放不少于30小时", "hours", 30},
	{"L2-functions", 2, "至少具备3项功能", "functions", 3},
	{"L2-activities", 2, "近90天开展服务活动不少于3次", "activities", 3},
	{"L3-hours", 3, "每周开放不少于40小时", "hours", 40},
	{"L3-functions", 3, "政策宣传、党员教育、便民服务、居民活动、民意搜集五项功能齐全", "functions", 5},
	{"L3-duty", 3, "制度上墙、专人值守", "inspection", 0},
	{"L3-area", 3, "使用面积不少于30平方米", "area", 30},
	{"L4-activities", 4, "近90天开展服务活动不少于8次", "activities", 8},
	{"L4-weekend", 4, "周末开放", "weekend", 0},
	{"L4-opinion", 4, "民意搜集台账完整、按期回应", "inspection", 0},
	{"L5-activities", 5, "近90天开展服务活动不少于15次", "activities", 15},
	{"L5-area", 5, "使用面积不少于60平方米", "area", 60},
	{"L5-satisfaction", 5, "群众满意度测评不低于95%", "inspection", 0},
}

// Windows of the dynamic criteria.
const (
	ActivityWindowDays  = 90
	InspectionValidDays = 365
)

// CriterionResult is a criterion checked on a day.
type CriterionResult struct {
	Criterion
	Met   bool   `json:"met"`
	Found string `json:"found"` // what was found, for people
}

// Assessment is a station's star rating on a day: the stars last rated,
// the level its criteria support now (the ceiling), and the stars in force,
// the lower of the two. Criteria of the rated levels that are no longer
// met are Lapsed: they call for a downgrade.
type Assessment struct {
	StationCode string            `json:"station_code"`
	Day         string            `json:"day"`
	Status      string            `json:"status"`
	Rated       int               `json:"rated"`
	RatedAt     *time.Time        `json:"rated_at"`
	Ceiling     int               `json:"ceiling"`
	Stars       int               `json:"stars"`
	Results     []CriterionResult `json:"criteria"`
	Lapsed      []string          `json:"lapsed,omitempty"`
	Inspected   *time.Time        `json:"inspected_at"`
}

// Facts are what the criteria are checked on.
type Facts struct {
	Record     *data.StationRecord // in force on the day; nil when none
	Activities int                 // logged at the station in the last 90 days
	Ratings    []data.StarRating   // the station's rating history up to the day, oldest first
}

// ActivityCounts counts the service logs at each station in the 90 days
// up to now.
func ActivityCounts(logs []data.ServiceLog, now time.Time) map[string]int {
	from := now.AddDate(0, 0, -ActivityWindowDays)
	out := map[string]int{}
	for i := range logs {
		l := &logs[i]
		if l.StationCode != "" && l.At.After(from) && !l.At.After(now) {
			out[l.StationCode]++
		}
	}
	return out
}

// lastAward returns the latest award entry, or nil.
func lastAward(rs []data.StarRating) *data.StarRating {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Kind == data.RatingAward {
			return &rs[i]
		}
	}
	return nil
}

// Assess rates a station on the day of now from its facts.
func Assess(code string, f Facts, now time.Time) Assessment {
	a := Assessment{StationCode: code, Day: Day(now)}
	var hours Hours
	if f.Record != nil {
		a.Status = f.Record.Status
		hours, _ = ParseHours(f.Record.Hours)
	}
	var inspected map[string]bool
	if aw := lastAward(f.Ratings); aw != nil {
		at := aw.At
		a.Inspected = &at
		if !now.After(aw.At.AddDate(0, 0, InspectionValidDays)) {
			inspected = map[string]bool{}
			for _, c := range aw.Criteria {
				inspected[c] = true
			}
		}
	}
	if n := len(f.Ratings); n > 0 {
		last := f.Ratings[n-1]
		a.Rated = last.Stars
		a.RatedAt = &last.At
	}
	built := a.Status == data.StationBuilt
	ceiling := 5
	for _, c := range Criteria {
		r := CriterionResult{Criterion: c}
		switch c.Check {
		case "hours":
			w := hours.Weekly()
			r.Met, r.Found = w >= c.Min, fmt.Sprintf("每周%.1f小时", w)
		case "weekend":
			r.Met = hours.Weekend()
			r.Found = map[bool]string{true: "周末开放", false: "周末不开放"}[r.Met]
		case "functions":
			n := 0
			if f.Record != nil {
				n = len(f.Record.Functions)
			}
			r.Met, r.Found = float64(n) >= c.Min, fmt.Sprintf("%d项功能", n)
		case "activities":
			r.Met, r.Found = float64(f.Activities) >= c.Min, fmt.Sprintf("近90天%d次", f.Activities)
		case "area":
			n := 0
			if f.Record != nil {
				n = f.Record.AreaM2
			}
			r.Met, r.Found = float64(n) >= c.Min, fmt.Sprintf("%d平方米", n)
		case "inspection":
			r.Met = inspected[c.ID]
			switch {
			case a.Inspected == nil:
				r.Found = "未检查"
			case inspected == nil:
				r.Found = "检查已过期"
			case r.Met:
				r.Found = "检查合格"
			default:
				r.Found = "检查不合格"
			}
		}
		if !built {
			r.Met = false
			r.Found = "未建成"
		}
		if !r.Met && c.Level-1 < ceiling {
			ceiling = c.Level - 1
		}
		a.Results = append(a.Results, r)
	}
	a.Ceiling = ceiling
	a.Stars = min(a.Rated, a.Ceiling)
	for _, r := range a.Results {
		if !r.Met && r.Level <= a.Rated {
			a.Lapsed = append(a.Lapsed, r.ID)
		}
	}
	return a
}

// Downgrade returns the rating entry that an assessment calls for: when
// the stars in force are below the stars last rated, a downgrade to the
// ceiling naming the lapsed criteria.
func Downgrade(a Assessment, now time.Time) (data.StarRating, bool) {
	if a.Stars >= a.Rated {
		return data.StarRating{}, false
	}
	var names []string
	for _, r := range a.Results {
		if slices.Contains(a.Lapsed, r.ID) {
			names = append(names, r.Text+"（"+r.Found+"）")
		}
	}
	return data.StarRating{
		StationCode: a.StationCode, At: now, Stars: a.Stars, Kind: data.RatingDowngrade,
		Criteria: a.Lapsed, Actor: "system",
		Note: fmt.Sprintf("由%d星降为%d星：%s", a.Rated, a.Stars, strings.Join(names, "；")),
	}, true
}

// InspectionCriteria lists the ids of the criteria checked by inspection.
func InspectionCriteria() []string {
	var out []string
	for _, c := range Criteria {
		if c.Check == "inspection" {
			out = append(out, c.ID)
		}
	}
	return out
}

// CheckAward checks an award of stars with the inspected criteria found
// met: the stars may not exceed what the criteria support with this
// inspection, and a station that is not built is rated 0.
func CheckAward(r *data.StarRating, f Facts) error {
	if r.Stars < 0 || r.Stars > 5 {
		return fieldErr("stars", "%d out of range 0..5", r.Stars)
	}
	insp := InspectionCriteria()
	seen := map[string]bool{}
	for _, c := range r.Criteria {
		if !slices.Contains(insp, c) {
			return fieldErr("criteria", "%q is not an inspected criterion (one of %s)", c, strings.Join(insp, ", "))
		}
		if seen[c] {
			return fieldErr("criteria", "%q listed twice", c)
		}
		seen[c] = true
	}
	if err := checkText("note", r.Note, maxNote, false); err != nil {
		return err
	}
	if f.Record == nil || f.Record.Status != data.StationBuilt {
		if r.Stars > 0 {
			return fieldErr("stars", "%s is not built: it cannot be rated", r.StationCode)
		}
		return nil
	}
	award := *r
	award.Kind = data.RatingAward
	ff := f
	ff.Ratings = append(slices.Clone(f.Ratings), award)
	a := Assess(r.StationCode, ff, r.At)
	if r.Stars > a.Ceiling {
		var unmet []string
		for _, x := range a.Results {
			if !x.Met && x.Level <= r.Stars {
				unmet = append(unmet, x.ID+" "+x.Text+"（"+x.Found+"）")
			}
		}
		return fieldErr("stars", "%s meets the criteria of %d stars, not %d: %s", r.StationCode, a.Ceiling, r.Stars, strings.Join(unmet, "; "))
	}
	return nil
}
