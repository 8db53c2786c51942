package money

import "testing"

func TestApplyRateRoundsHalfUp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		amount Fen
		rate   BasisPoints
		want   Fen
	}{
		{100000, 1000, 10000}, // 10% of 1,000 CNY (R-FE1)
		{5, 1000, 1},          // 0.5 fen → 1
		{4, 1000, 0},          // 0.4 fen → 0
		{15, 1000, 2},         // 1.5 fen → 2
		{1, 5000, 1},          // 0.5 → 1
		{0, 1000, 0},
		{-5, 1000, 0}, // −0.5 → 0 (half up, towards +∞)
		{9_000_000_000_000_000, 10000, 9_000_000_000_000_000},
	}
	for _, c := range cases {
		if got := ApplyRate(c.amount, c.rate); got != c.want {
			t.Errorf("ApplyRate(%d, %d) = %d, want %d", c.amount, c.rate, got, c.want)
		}
	}
}

func TestSplitSumsBack(t *testing.T) {
	t.Parallel()
	for amount := Fen(0); amount < 2000; amount += 7 {
		for _, rate := range []BasisPoints{0, 1, 333, 1000, 2500, 10000} {
			fee, rest := Split(amount, rate)
			if fee+rest != amount {
				t.Fatalf("Split(%d,%d) = %d+%d", amount, rate, fee, rest)
			}
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	if got := Yuan(5000).String(); got != "5000.00 CNY" {
		t.Fatalf("got %q", got)
	}
	if got := Fen(-1205).String(); got != "-12.05 CNY" {
		t.Fatalf("got %q", got)
	}
}
