package market

import (
	"testing"
	"time"

	"cloudmarket/shared/money"
)

// A short deposit is made up after what is owed, from what the statement
// would pay out, never into a negative balance; the ledger moves the same
// amount from the payable to deposit_topups (R-DP5, R-VI11).
func TestStatementTopUp_R_DP5(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)
	o := &Order{ID: "ord_1", AmountFen: 30_000, PlatformFee: 3_000, ProviderNet: 27_000, Fee: FeeRule{Mode: FeePlatform, RateBps: 1000}, CompletedAt: at}
	for _, c := range []struct {
		name                            string
		opening, owed, short            money.Fen
		recovered, topUp, payout, carry money.Fen
	}{
		{"shortfall below the balance: the rest is paid out", 0, 0, 5_000, 0, -5_000, 22_000, 0},
		{"shortfall above the balance: all of it to the deposit", 0, 0, 50_000, 0, -27_000, 0, 0},
		{"owed first, then the shortfall", 0, 20_000, 5_000, -20_000, -5_000, 2_000, 0},
		{"owed takes it all: nothing left to top up", 0, 30_000, 5_000, -27_000, 0, 0, 0},
		{"a negative balance tops up nothing", -30_000, 0, 5_000, 0, 0, 0, -3_000},
		{"a whole deposit takes nothing", 0, 0, 0, 0, 0, 27_000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := NewStatement("prv_1", FeePlatform, "2026-10", c.opening, at)
			for _, l := range SaleLines(o) {
				s.Add(l)
			}
			if l, ok := s.Recover(c.owed, at); ok {
				s.Add(l)
			}
			l, ok := s.TopUp(c.short, at)
			if ok != (c.topUp != 0) || l.AmountFen != c.topUp || (ok && l.Type != LineDepositTopUp) {
				t.Fatalf("top-up line %+v %v, want %d", l, ok, c.topUp)
			}
			if ok {
				s.Add(l)
			}
			s.Close()
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
			if s.OwedRecoveredFen != c.recovered || s.TopUpFen != c.topUp || s.PayoutFen != c.payout || s.CarriedForwardFen != c.carry {
				t.Fatalf("recovered %d topped up %d payout %d carried %d", s.OwedRecoveredFen, s.TopUpFen, s.PayoutFen, s.CarriedForwardFen)
			}
			tx, _, err := SettlementTxn(s)
			if err != nil {
				t.Fatal(err)
			}
			var topUps money.Fen
			for _, p := range tx.Postings {
				if p.Account == ProviderAccount(AccountDepositTopUps, "prv_1") {
					topUps = p.AmountFen
				}
			}
			if topUps != c.topUp {
				t.Fatalf("deposit_topups posted %d, want %d", topUps, c.topUp)
			}
		})
	}
}

// A top-up that makes the deposit whole clears the top-up clock and lifts the
// store's closure for the shortfall, as a remitted one does (R-DP5).
func TestApplyPaymentReopens_R_DP5(t *testing.T) {
	t.Parallel()
	p := &Provider{Status: ProviderActive, Deposit: Deposit{RequiredFen: 500_000, BalanceFen: 200_000, EverHeld: true,
		TopUpDueAt: time.Date(2026, 10, 16, 15, 59, 59, 0, time.UTC), StoreClosed: true}}
	p.Store.Close(Closure{Reason: ReasonDepositShort})
	if ch := p.ApplyPayment(100_000, "SJ1"); ch.BecameWhole || ch.Reopened || !p.Store.Holds(ReasonDepositShort) || p.Deposit.TopUpDueAt.IsZero() {
		t.Fatalf("still short: %+v", ch)
	}
	if ch := p.ApplyPayment(200_000, "SJ2"); !ch.BecameWhole || !ch.Reopened || p.Store.Holds(ReasonDepositShort) || !p.Deposit.TopUpDueAt.IsZero() || p.Deposit.StoreClosed {
		t.Fatalf("whole: %+v", ch)
	}
}
