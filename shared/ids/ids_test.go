package ids

import (
	"sort"
	"testing"
	"time"
)

func TestNewIsPrefixedAndSortable(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 9, 29, 2, 0, 0, 0, time.UTC)
	var made []string
	for i := 0; i < 1000; i++ {
		made = append(made, New(Application, at.Add(time.Duration(i/10)*time.Millisecond)))
	}
	if !sort.StringsAreSorted(made) {
		t.Fatal("IDs made in time order do not sort in time order")
	}
	seen := map[string]bool{}
	for _, id := range made {
		if !Valid(Application, id) || seen[id] {
			t.Fatalf("bad or duplicate id %q", id)
		}
		seen[id] = true
	}
	// Interleaving another type in the same millisecond keeps the order.
	var events []string
	for i := 0; i < 100; i++ {
		events = append(events, New(Event, at))
		New(Request, at.Add(time.Duration(i%3)*time.Millisecond))
	}
	if !sort.StringsAreSorted(events) {
		t.Fatal("events of one millisecond lost their order")
	}
	// So does interleaving the same type at other times (other clocks in the
	// same process, as in the emulator's parallel tests).
	events = events[:0]
	for i := 0; i < 100; i++ {
		events = append(events, New(Event, at.Add(time.Hour)))
		New(Event, at.Add(time.Duration(i%7)*time.Minute))
	}
	if !sort.StringsAreSorted(events) {
		t.Fatal("events of one millisecond lost their order to another clock's")
	}
	if Valid(Provider, made[0]) || Valid(Application, "app_nope") {
		t.Fatal("Valid accepted a wrong id")
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := Code(4)
		if len(c) != 19 || c[4] != '-' || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
}

// IDs made for one millisecond keep their order even when IDs for another
// millisecond are made in between (events of concurrent operations).
func TestSameMillisecondOrderAcrossInterleavedTimes(t *testing.T) {
	at := time.Date(2026, 10, 8, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		x := New(Event, at)
		New(Event, at.Add(time.Millisecond))
		y := New(Event, at)
		if y <= x {
			t.Fatalf("run %d: %s made after %s sorts before it", i, y, x)
		}
	}
}
