package market

import (
	"sort"
	"time"
)

// Store closure reasons. Each is kept separately, so paying the deposit reopens
// a store closed for the shortfall but not one blocked by a penalty.
const (
	ReasonDepositShort = "deposit_short" // R-DP5
	ReasonExit         = "exit"          // R-EX2: no new sales once an exit starts
)

// Closure is one reason the store is not open.
type Closure struct {
	Reason  string
	Blocked bool      // a penalty block (店铺屏蔽) rather than a closure
	Since   time.Time //
	Until   time.Time // zero: until lifted
}

// Storefront is the set of reasons a provider's store is closed or blocked.
type Storefront struct {
	Closures []Closure
}

// Close adds a reason; false if that reason already holds.
func (s *Storefront) Close(c Closure) bool {
	for _, have := range s.Closures {
		if have.Reason == c.Reason {
			return false
		}
	}
	s.Closures = append(s.Closures, c)
	return true
}

// Reopen lifts one reason; false if it did not hold.
func (s *Storefront) Reopen(reason string) bool {
	for i, c := range s.Closures {
		if c.Reason == reason {
			s.Closures = append(s.Closures[:i], s.Closures[i+1:]...)
			return true
		}
	}
	return false
}

// Holds tells whether a reason is in force.
func (s *Storefront) Holds(reason string) bool {
	for _, c := range s.Closures {
		if c.Reason == reason {
			return true
		}
	}
	return false
}

// StoreView is what API.md shows: one status, the reason that decides it and
// until when.
type StoreView struct {
	Status string
	Reason string
	Until  time.Time
}

// View is the store as buyers see it at now: blocked beats closed; closures
// whose time is up no longer count.
func (s Storefront) View(now time.Time) StoreView {
	var active []Closure
	for _, c := range s.Closures {
		if c.Until.IsZero() || now.Before(c.Until) {
			active = append(active, c)
		}
	}
	if len(active) == 0 {
		return StoreView{Status: StoreOpen}
	}
	sort.SliceStable(active, func(i, j int) bool {
		if active[i].Blocked != active[j].Blocked {
			return active[i].Blocked
		}
		return active[i].Since.Before(active[j].Since)
	})
	c := active[0]
	status := StoreClosed
	if c.Blocked {
		status = StoreBlocked
	}
	return StoreView{Status: status, Reason: c.Reason, Until: c.Until}
}
