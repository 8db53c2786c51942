package market

import (
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/money"
)

func TestLedgerTxnBalances(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 1, 0, 10, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		postings []Posting
		ok       bool
		err      string
	}{
		{"balanced, merged and sorted", []Posting{{"b", 300}, {"a", -100}, {"a", -200}}, true, ""},
		{"nothing moves", []Posting{{"a", 100}, {"a", -100}}, false, ""},
		{"unbalanced", []Posting{{"a", 100}, {"b", -99}}, true, "differ by 1 fen"},
		{"one side only", []Posting{{"a", 100}}, true, "at least two accounts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx, ok, err := NewLedgerTxn(LedgerOrderPaid, "ord_1", "prv_1", at, c.postings...)
			if ok != c.ok || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("ok %v err %v", ok, err)
			}
			if c.err == "" && ok && (tx.ID != "led_order_paid_ord_1" || tx.Postings[0].Account != "a" || tx.Postings[0].AmountFen != -300) {
				t.Fatalf("%+v", tx)
			}
		})
	}
	if _, err := Balances([]LedgerTxn{{ID: "x", Postings: []Posting{{"a", 1}, {"b", -2}}}}); err == nil {
		t.Fatal("an unbalanced history passed")
	}
}

// R-RF7: how a platform refund is posted depends on how the provider's share
// is recovered; a provider's own payment moves no platform money.
func TestRefundPaidTxn_R_RF7(t *testing.T) {
	t.Parallel()
	r := &Refund{ID: "rfd_1", ProviderID: "prv_1", Payer: PayerPlatform, AmountFen: 10_000, FeeReversed: 1_000, NetReversed: 9_000}
	for share, want := range map[string]map[Account]money.Fen{
		ShareWithheld: {AccountRefundsPaid: -10_000, "buyer_funds_held:prv_1": 10_000},
		ShareClawback: {AccountRefundsPaid: -10_000, AccountPlatformRevenue: 1_000, "clawbacks_due:prv_1": 9_000},
		ShareDeposit:  {AccountRefundsPaid: -10_000, AccountPlatformRevenue: 1_000, AccountDeductions: 9_000},
	} {
		tx, ok, err := RefundPaidTxn(r, share, time.Now())
		if err != nil || !ok || len(tx.Postings) != len(want) {
			t.Fatalf("%s: %+v %v %v", share, tx, ok, err)
		}
		for _, p := range tx.Postings {
			if want[p.Account] != p.AmountFen {
				t.Errorf("%s: %s %d, want %d", share, p.Account, p.AmountFen, want[p.Account])
			}
		}
	}
	if _, ok, err := RefundPaidTxn(&Refund{ID: "rfd_2", Payer: PayerProvider, AmountFen: 1}, ShareProvider, time.Now()); ok || err != nil {
		t.Fatal("a provider-paid refund posted platform money")
	}
}

// A statement adds up: opening + Σ lines = closing, a positive closing is
// paid out, a negative one carried forward (never a negative payout), and
// an owed amount is recovered only from what the balance covers (R-VI11).
func TestStatementArithmetic_R_VI11(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)
	o := &Order{ID: "ord_1", AmountFen: 30_000, PlatformFee: 3_000, ProviderNet: 27_000, Fee: FeeRule{Mode: FeePlatform, RateBps: 1000},
		RefundedFen: 10_000, PlatformFeeRefunded: 1_000, RefundedByProvider: 4_000, CompletedAt: at}
	for _, c := range []struct {
		name                             string
		opening, owed                    money.Fen
		closing, payout, carried, offset money.Fen
	}{
		{"owed fully recovered", 0, 5_000, 17_000, 17_000, 0, -5_000},
		{"owed beyond the balance: the rest stays owed", 0, 50_000, 0, 0, 0, -22_000},
		{"a debt carried in absorbs the sale", -30_000, 5_000, -8_000, 0, -8_000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := NewStatement("prv_1", FeePlatform, "2026-10", c.opening, at)
			for _, l := range SaleLines(o) { // sale 30000 − 6000 refunded by the platform; fee −2000
				s.Add(l)
			}
			var got money.Fen
			if l, ok := s.Recover(c.owed, at); ok {
				s.Add(l)
				got = l.AmountFen
			}
			s.Close()
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
			if s.ClosingFen != c.closing || s.PayoutFen != c.payout || s.CarriedForwardFen != c.carried || got != c.offset {
				t.Fatalf("closing %d payout %d carried %d recovered %d", s.ClosingFen, s.PayoutFen, s.CarriedForwardFen, got)
			}
			tx, ok, err := SettlementTxn(s)
			if err != nil || !ok {
				t.Fatalf("settlement txn: %v", err)
			}
			var payable money.Fen
			for _, p := range tx.Postings {
				if p.Account == ProviderAccount(AccountProviderPayable, "prv_1") {
					payable = p.AmountFen
				}
			}
			if payable != -(s.ClosingFen-s.OpeningFen)+s.PayoutFen {
				t.Fatalf("payable moved %d", payable)
			}
		})
	}
	s := &Statement{ID: "stm_x", OpeningFen: 0, ClosingFen: 5, PayoutFen: 5}
	if s.Check() == nil {
		t.Fatal("a statement whose lines do not add up passed")
	}
}

func TestPeriods(t *testing.T) {
	t.Parallel()
	p, err := ParsePeriod("2026-10")
	if err != nil || p.Start.Format("2006-01-02T15:04:05Z07:00") != "2026-10-01T00:00:00+08:00" || p.End.Format("2006-01-02") != "2026-11-01" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"", "2026-1", "2026-13", "26-10", "2026-10-01"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// 2026-10-31 20:00 UTC is already November 1st in Shanghai.
	if got := PeriodBefore(time.Date(2026, 10, 31, 16, 10, 0, 0, time.UTC)).Name; got != "2026-10" {
		t.Fatalf("period before: %s", got)
	}
	if got := PeriodBefore(time.Date(2027, 1, 1, 0, 10, 0, 0, p.Start.Location())).Name; got != "2026-12" {
		t.Fatalf("period before January: %s", got)
	}
}
