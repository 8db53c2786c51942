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
	// for the same millisecond sort in the order they were made, whatever
	// other types or other milliseconds are made in between (a single
	// source per prefix redraws its randomness whenever the millisecond
	// changes, so T, T+1, T would not sort).
	entropy = map[string]map[uint64]*ulid.MonotonicEntropy{}
)

// keptMillis bounds the sources kept per prefix: the oldest milliseconds are
// dropped first. Operations stamp IDs with times within a few seconds of
// each other, far inside this window.
const keptMillis = 4096

// New returns prefix_ULID with the ULID's time part taken from at.
func New(prefix string, at time.Time) string {
	mu.Lock()
	defer mu.Unlock()
	ms := ulid.Timestamp(at)
	byMilli, ok := entropy[prefix]
	if !ok {
		byMilli = map[uint64]*ulid.MonotonicEntropy{}
		entropy[prefix] = byMilli
	}
	src, ok := byMilli[ms]
	if !ok {
		if len(byMilli) >= keptMillis {
			oldest := ms
			for m := range byMilli {
				oldest = min(oldest, m)
			}
			delete(byMilli, oldest)
		}
		src = ulid.Monotonic(rand.Reader, 0)
		byMilli[ms] = src
	}
	return prefix + "_" + ulid.MustNew(ms, src).String()
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
