//go:build !race

package invoke

var raceFlags []string
