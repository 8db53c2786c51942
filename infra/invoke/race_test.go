//go:build race

package invoke

// raceFlags: a race-enabled test builds its binaries with -race too, so they
// link packages the test build already compiled.
var raceFlags = []string{"-race"}
