// Package money holds amounts as integer fen (分) and the single rounding rule
// used everywhere a rate is applied: half up to the fen.
package money

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Fen is an amount of CNY in fen. Never a float.
type Fen int64

// Yuan converts whole yuan to fen (1 yuan = 100 fen).
func Yuan(y int64) Fen { return Fen(y * 100) }

// String renders the amount as yuan with two decimals, e.g. "5000.00 CNY".
func (f Fen) String() string {
	sign := ""
	v := int64(f)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d CNY", sign, v/100, v%100)
}

// BasisPoints is a rate in 1/10,000 (1000 bp = 10%).
type BasisPoints int64

// ApplyRate returns amount × rate rounded half up to the fen. Decimal arithmetic
// (not float, not int64 products that could overflow) keeps it exact.
func ApplyRate(amount Fen, rate BasisPoints) Fen {
	v := decimal.NewFromInt(int64(amount)).Mul(decimal.NewFromInt(int64(rate))).Div(decimal.NewFromInt(10000))
	return Fen(roundHalfUp(v))
}

// Split divides amount into the platform's fee at rate and the rest; fee + rest
// always equals amount exactly (R-FE1).
func Split(amount Fen, rate BasisPoints) (fee, rest Fen) {
	fee = ApplyRate(amount, rate)
	return fee, amount - fee
}

// roundHalfUp is the one rounding rule: halves go up (towards +∞), so
// 0.5 fen → 1 fen and −0.5 fen → 0 fen.
func roundHalfUp(v decimal.Decimal) int64 {
	return v.Add(decimal.NewFromFloat(0.5)).Floor().IntPart()
}

// Portion returns amount × num / den rounded half up to the fen: the one rule
// for every proportional share (pro rata refunds, fee reversals). den must be
// positive; 0 ≤ num ≤ den keeps the result between 0 and amount.
func Portion(amount Fen, num, den int64) Fen {
	if den <= 0 {
		panic(fmt.Sprintf("money: Portion needs a positive denominator, got %d", den))
	}
	v := decimal.NewFromInt(int64(amount)).Mul(decimal.NewFromInt(num)).Div(decimal.NewFromInt(den))
	return Fen(roundHalfUp(v))
}
