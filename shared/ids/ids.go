// Package ids makes opaque, prefixed, time-sortable identifiers: "app_" + ULID.
package ids

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Prefixes of every identifier type in API.md.
const (
	Application = "app"
	Provider    = "prv"
	Product     = "prd"
	Order       = "ord"
	Refund      = "rfd"
	Violation   = "vio"
	Deposit     = "dep"
	Event       = "evt"
	Notice      = "ntf"
	Request     = "req"
)

var (
	mu      sync.Mutex
	entropy = ulid.Monotonic(rand.Reader, 0) // monotonic: IDs made in one millisecond still sort in order
)

// New returns prefix_ULID with the ULID's time part taken from at.
func New(prefix string, at time.Time) string {
	mu.Lock()
	defer mu.Unlock()
	return prefix + "_" + ulid.MustNew(ulid.Timestamp(at), entropy).String()
}

// Valid tells whether s is an identifier of the given prefix.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok {
		return false
	}
	_, err := ulid.ParseStrict(rest)
	return err == nil
}
