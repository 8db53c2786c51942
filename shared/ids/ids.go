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
	mu sync.Mutex
	// One monotonic source per prefix and millisecond: IDs of one type made
	// in the same millisecond sort in the order they were made, whatever is
	// made in between, other types or other milliseconds. The latter happens
	// when several clocks share a process (the emulator's tests, each with its
	// own clock, run in parallel), so a source per prefix alone is not enough.
	sources = map[string]*recent{}
)

// recent keeps the sources of the last few milliseconds a prefix was used in.
type recent struct {
	byMs  map[uint64]*ulid.MonotonicEntropy
	order []uint64 // oldest first
}

// keepMs bounds how many interleaved milliseconds keep their order.
const keepMs = 256

func (r *recent) source(ms uint64) *ulid.MonotonicEntropy {
	if src, ok := r.byMs[ms]; ok {
		return src
	}
	if len(r.order) == keepMs {
		delete(r.byMs, r.order[0])
		r.order = r.order[1:]
	}
	src := ulid.Monotonic(rand.Reader, 0)
	r.byMs[ms] = src
	r.order = append(r.order, ms)
	return src
}

// New returns prefix_ULID with the ULID's time part taken from at.
func New(prefix string, at time.Time) string {
	mu.Lock()
	defer mu.Unlock()
	r, ok := sources[prefix]
	if !ok {
		r = &recent{byMs: map[uint64]*ulid.MonotonicEntropy{}}
		sources[prefix] = r
	}
	ms := ulid.Timestamp(at)
	return prefix + "_" + ulid.MustNew(ms, r.source(ms)).String()
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

// codeAlphabet avoids look-alike characters (0/O, 1/I/L) in codes people type.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Code returns a random code of groups×4 characters joined by dashes, e.g. a
// redemption code "7KQ2-MZ8D-...". Crypto-random: codes are bearer secrets.
func Code(groups int) string {
	buf := make([]byte, groups*4)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var b strings.Builder
	for i, c := range buf {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return b.String()
}
