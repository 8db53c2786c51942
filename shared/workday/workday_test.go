package workday

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// The example of R-WD2: 9-30, 10-8, 10-9, 10-10 (adjusted Saturday), 10-12,
// 10-13, 10-14.
func TestDueAfterWorkingDays_R_WD2_Example(t *testing.T) {
	t.Parallel()
	c := New()
	got := c.DueAfterWorkingDays(at("2026-09-29 10:00"), 7)
	want := time.Date(2026, 10, 14, 23, 59, 59, int(999*time.Millisecond), Shanghai)
	if !got.Equal(want) {
		t.Fatalf("due = %v, want %v", got, want)
	}
}

func TestDueAfterWorkingDays_R_WD2_Table(t *testing.T) {
	t.Parallel()
	c := New()
	cases := []struct {
		event string
		n     int
		want  string
	}{
		{"2026-09-29 23:59", 1, "2026-09-30"}, // the event's day never counts
		{"2026-09-30 08:00", 1, "2026-10-08"}, // National Day week skipped
		{"2026-10-09 12:00", 1, "2026-10-10"}, // adjusted working Saturday
		{"2026-11-27 09:00", 2, "2026-12-01"}, // ordinary weekend skipped (R-SV2's 2 days)
		{"2026-11-26 09:00", 7, "2026-12-07"}, // today's 7-working-day review window
		{"2026-12-31 10:00", 1, "2027-01-04"}, // New Year 2027 (lunar-go table)
		{"2026-09-19 10:00", 1, "2026-09-20"}, // adjusted working Sunday before National Day
	}
	for _, tc := range cases {
		got := c.DueAfterWorkingDays(at(tc.event), tc.n).Format(time.DateOnly)
		if got != tc.want {
			t.Errorf("%s + %d working days = %s, want %s", tc.event, tc.n, got, tc.want)
		}
	}
}

func TestEventTimeZoneIsShanghai_R_WD2(t *testing.T) {
	t.Parallel()
	// 2026-09-29 17:00 UTC is already 09-30 01:00 in Shanghai: 09-30 is the
	// event's day and does not count.
	c := New()
	got := c.DueAfterWorkingDays(time.Date(2026, 9, 29, 17, 0, 0, 0, time.UTC), 1)
	if got.Format(time.DateOnly) != "2026-10-08" {
		t.Fatalf("got %v", got)
	}
}

func TestFallbackYearWarnsOnce_R_WD3(t *testing.T) {
	t.Parallel()
	var warned []int
	c := New(OnFallback(func(y int) { warned = append(warned, y) }))
	// 2031-01-01 is a Wednesday; with no data for 2031 it counts as working.
	if !c.IsWorkingDay(at("2031-01-01 10:00")) {
		t.Fatal("fallback should count Monday–Friday as working")
	}
	if c.IsWorkingDay(at("2031-01-04 10:00")) { // Saturday
		t.Fatal("fallback Saturday counted as working")
	}
	c.DueAfterWorkingDays(at("2031-03-02 10:00"), 10)
	if len(warned) != 1 || warned[0] != 2031 {
		t.Fatalf("warnings = %v, want exactly [2031]", warned)
	}
}

func TestOverrideYear_R_WD1(t *testing.T) {
	t.Parallel()
	y, err := ParseYear([]byte(`{"year": 2031, "days": [{"date": "2031-01-01", "work": false, "name": "元旦"}, {"date": "2031-01-04", "work": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := New(WithYear(y))
	if c.IsWorkingDay(at("2031-01-01 10:00")) || !c.IsWorkingDay(at("2031-01-04 10:00")) {
		t.Fatal("override file not applied")
	}
}

func TestParseYearRejectsBadFiles(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{`{`, `{"year": 2031, "days": [{"date": "2031-13-01"}]}`, `{"year": 2031, "days": [{"date": "2030-01-01"}]}`, `{"year": 0}`} {
		if _, err := ParseYear([]byte(bad)); err == nil {
			t.Errorf("ParseYear(%s) accepted", bad)
		}
	}
}

func TestAfterNaturalDays_R_WD4(t *testing.T) {
	t.Parallel()
	from := at("2026-10-01 15:30")
	if got := AfterNaturalDays(from, 15); !got.Equal(at("2026-10-16 15:30")) {
		t.Fatalf("got %v", got)
	}
}

func FuzzDueAfterWorkingDays(f *testing.F) {
	c := New()
	f.Add(int64(1790000000), uint8(7))
	f.Fuzz(func(t *testing.T, unix int64, n uint8) {
		if n == 0 || unix < 0 || unix > 4102444800 { // up to 2100
			return
		}
		ev := time.Unix(unix, 0)
		due := c.DueAfterWorkingDays(ev, int(n))
		if !due.After(ev) || !c.IsWorkingDay(due) || !due.Equal(EndOfDay(due)) {
			t.Fatalf("due %v for %v + %d", due, ev, n)
		}
	})
}

func BenchmarkDueAfterWorkingDays(b *testing.B) {
	c := New()
	ev := at("2026-09-29 10:00")
	for i := 0; i < b.N; i++ {
		c.DueAfterWorkingDays(ev, 7)
	}
}

func TestWorkingDaysBetween_R_WD2(t *testing.T) {
	t.Parallel()
	c := New()
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2026-09-29 10:00", "2026-09-29 18:00", 0}, // same day: none used
		{"2026-09-29 10:00", "2026-09-30 09:00", 1}, // the next working day
		{"2026-09-29 10:00", "2026-10-14 23:59", 7}, // National Day skipped: the R-ON1 allowance used up exactly
		{"2026-09-29 10:00", "2026-10-15 09:00", 8}, // a day late
		{"2026-09-29 10:00", "2026-09-28 09:00", 0}, // before: nothing
		{"2026-09-29 23:30", "2026-09-30 00:30", 1}, // days are Shanghai's, not 24-hour spans
	} {
		from, to := at(tc.from), at(tc.to)
		got := c.WorkingDaysBetween(from, to)
		if got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
		// Consistent with the due date: within 7 working days ⇔ not after it.
		if due := c.DueAfterWorkingDays(from, 7); to.After(from) && !to.After(due) != (got <= 7) {
			t.Errorf("%s → %s: %d working days used disagrees with the due date %s", tc.from, tc.to, got, due)
		}
	}
	// UTC instants count by their Shanghai day: 15:30Z and 16:30Z are 23:30 and 00:30.
	if got := c.WorkingDaysBetween(time.Date(2026, 9, 29, 15, 30, 0, 0, time.UTC), time.Date(2026, 9, 29, 16, 30, 0, 0, time.UTC)); got != 1 {
		t.Errorf("across Shanghai midnight in UTC: got %d, want 1", got)
	}
}
