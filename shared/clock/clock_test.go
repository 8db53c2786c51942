package clock

import (
	"testing"
	"time"
)

func TestAdjustableSetAndAdvance(t *testing.T) {
	t.Parallel()
	c := NewAdjustable()
	target := time.Date(2026, 9, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	got := c.Set(target)
	if d := got.Sub(target); d < 0 || d > time.Second {
		t.Fatalf("Set returned %v, want about %v", got, target)
	}
	after := c.Advance(168 * time.Hour)
	if d := after.Sub(target.Add(168 * time.Hour)); d < 0 || d > time.Second {
		t.Fatalf("Advance returned %v", after)
	}
	if c.Now().Before(after) {
		t.Fatal("clock went backwards")
	}
}
