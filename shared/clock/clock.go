// Package clock injects "now". The domain never calls time.Now: operations ask a
// Clock and pass the time in.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface{ Now() time.Time }

// System is the real clock.
type System struct{}

// Now returns the wall-clock time.
func (System) Now() time.Time { return time.Now() }

// Adjustable is the local emulator's clock: real time shifted by an offset that
// can be set or advanced, so it keeps ticking from wherever it was put.
type Adjustable struct {
	mu     sync.Mutex
	offset time.Duration
	base   func() time.Time
}

// NewAdjustable starts at real time.
func NewAdjustable() *Adjustable { return &Adjustable{base: time.Now} }

// Now returns real time plus the offset.
func (a *Adjustable) Now() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.base().Add(a.offset)
}

// Set moves the clock so that Now returns t at this instant.
func (a *Adjustable) Set(t time.Time) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.base()
	a.offset = t.Sub(now)
	return now.Add(a.offset)
}

// Advance moves the clock forward (or back, for a negative d).
func (a *Adjustable) Advance(d time.Duration) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.offset += d
	return a.base().Add(a.offset)
}
