package places

import (
	"fmt"
	"time"
)

// CST is China Standard Time, the zone of every calendar date here.
var CST = time.FixedZone("CST", 8*3600)

// DateLayout is the layout of calendar dates: yyyy-mm-dd.
const DateLayout = "2006-01-02"

// ParseDate checks a yyyy-mm-dd date and returns it as midnight CST.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, s, CST)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (want yyyy-mm-dd)", s)
	}
	if t.Year() < 1949 || t.Year() > 2200 {
		return time.Time{}, fmt.Errorf("date %s out of range 1949..2200", s)
	}
	return t, nil
}

// Day returns the CST calendar date of t as yyyy-mm-dd.
func Day(t time.Time) string { return t.In(CST).Format(DateLayout) }

// EndOfDay returns the first instant after the CST day d (yyyy-mm-dd, assumed
// valid): records and logs at or before a day are those before this instant.
func EndOfDay(d string) time.Time {
	t, err := ParseDate(d)
	if err != nil {
		return time.Time{}
	}
	return t.AddDate(0, 0, 1)
}
