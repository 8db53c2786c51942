// Package workday is the mainland China working-day calendar and the deadline
// arithmetic built on it (R-WD1..R-WD4). Pure: no I/O, the time is a parameter.
//
// Year data come from github.com/6tail/lunar-go (statutory holidays and the
// adjusted working weekends, 调休, as published by the State Council), and can be
// overridden or extended one file a year (ParseYear) when a new notice is out
// before the library is upgraded.
package workday

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // SCF images may lack zoneinfo; Asia/Shanghai must always load.

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Shanghai is the zone every rule is stated in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Exception is one day that differs from the Monday–Friday pattern: a holiday
// on a weekday (Work false) or an adjusted working weekend day (Work true).
type Exception struct {
	Date string `json:"date"` // YYYY-MM-DD
	Work bool   `json:"work"`
	Name string `json:"name,omitempty"`
}

// Year is one year's calendar file.
type Year struct {
	Year       int         `json:"year"`
	Exceptions []Exception `json:"days"`
}

// ParseYear reads a year file ({"year": 2028, "days": [{"date", "work", "name"}]}).
func ParseYear(data []byte) (Year, error) {
	var y Year
	if err := json.Unmarshal(data, &y); err != nil {
		return Year{}, fmt.Errorf("calendar file: %w", err)
	}
	if y.Year < 1900 || y.Year > 9999 {
		return Year{}, fmt.Errorf("calendar file: year %d out of range", y.Year)
	}
	for _, e := range y.Exceptions {
		d, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			return Year{}, fmt.Errorf("calendar file %d: bad date %q", y.Year, e.Date)
		}
		if d.Year() != y.Year {
			return Year{}, fmt.Errorf("calendar file %d: date %s is in another year", y.Year, e.Date)
		}
	}
	return y, nil
}

// Calendar answers "is this a working day" and computes deadlines.
type Calendar struct {
	mu        sync.Mutex
	years     map[int]map[string]bool // year → date → working?
	missing   map[int]bool            // years known to have no data (fallback, R-WD3)
	onMissing func(year int)
}

// Option configures a Calendar.
type Option func(*Calendar)

// WithYear adds or replaces one year's data (an override file).
func WithYear(y Year) Option {
	return func(c *Calendar) { c.years[y.Year] = exceptionsOf(y.Exceptions) }
}

// OnFallback is called once per year for which the calendar has no data and
// falls back to Monday–Friday (R-WD3); wire it to a warning log.
func OnFallback(fn func(year int)) Option {
	return func(c *Calendar) { c.onMissing = fn }
}

// New builds a calendar from lunar-go's tables plus any override years.
func New(opts ...Option) *Calendar {
	c := &Calendar{years: map[int]map[string]bool{}, missing: map[int]bool{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

func exceptionsOf(list []Exception) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, e := range list {
		m[e.Date] = e.Work
	}
	return m
}

// lunarYear reads lunar-go's table for one year; ok is false when it has none.
func lunarYear(year int) (map[string]bool, bool) {
	l := HolidayUtil.GetHolidaysByYear(year)
	if l == nil || l.Len() == 0 {
		return nil, false
	}
	m := make(map[string]bool, l.Len())
	for e := l.Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		m[h.GetDay()] = h.IsWork()
	}
	return m, true
}

// yearTable returns the exceptions of a year, loading lazily; nil means the
// year has no data and the Monday–Friday fallback applies.
func (c *Calendar) yearTable(year int) map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.years[year]; ok {
		return t
	}
	if c.missing[year] {
		return nil
	}
	if t, ok := lunarYear(year); ok {
		c.years[year] = t
		return t
	}
	c.missing[year] = true
	if c.onMissing != nil {
		c.onMissing(year)
	}
	return nil
}

// IsWorkingDay tells whether the civil date (in Asia/Shanghai) of t is a working
// day: Monday–Friday, minus statutory holidays, plus adjusted working weekends
// (R-WD1).
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	d := t.In(Shanghai)
	if work, ok := c.yearTable(d.Year())[d.Format(time.DateOnly)]; ok {
		return work
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// DueAfterWorkingDays is "within n working days" of an event (R-WD2): the end
// (23:59:59.999 Asia/Shanghai) of the nth working day after the event's day; the
// event's own day never counts. n must be positive.
func (c *Calendar) DueAfterWorkingDays(event time.Time, n int) time.Time {
	if n < 1 {
		panic(fmt.Sprintf("workday: DueAfterWorkingDays needs n ≥ 1, got %d", n))
	}
	day := StartOfDay(event)
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			counted++
		}
	}
	return EndOfDay(day)
}

// WorkingDaysBetween counts the working days after from's day up to and
// including to's day: how much of an "n working days" allowance (R-WD2) an
// event at from had used at to. 0 when to is on from's day or before it.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	day, last := StartOfDay(from), StartOfDay(to)
	n := 0
	for day.Before(last) {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			n++
		}
	}
	return n
}

// AfterNaturalDays is "n days" (R-WD4): the same clock time n×24 hours later.
func AfterNaturalDays(from time.Time, n int) time.Time {
	return from.Add(time.Duration(n) * 24 * time.Hour)
}

// StartOfDay is 00:00 Asia/Shanghai of t's civil date.
func StartOfDay(t time.Time) time.Time {
	d := t.In(Shanghai)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Shanghai)
}

// EndOfDay is the last millisecond (23:59:59.999 Asia/Shanghai) of t's civil
// date: stored times have millisecond precision, so this is the day's last
// instant that can be recorded.
func EndOfDay(t time.Time) time.Time {
	return StartOfDay(t).AddDate(0, 0, 1).Add(-time.Millisecond)
}
