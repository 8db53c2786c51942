package operation_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/workday"
)

// topUpEntries are a provider's settlement_topup deposit entries.
func (f *fixture) topUpEntries(providerID string) []market.DepositEntry {
	f.t.Helper()
	entries, err := f.st.DepositEntries(f.ctx, providerID)
	ok(f.t, err)
	var out []market.DepositEntry
	for _, e := range entries {
		if e.Kind == market.EntrySettlementTopUp {
			out = append(out, e)
		}
	}
	return out
}

// A deposit short by 3,000.00 after a deduction, its store closed past the
// top-up deadline; October's net sales of 5,000.00 make it whole first
// (deposit_topup −300,000) and pay out the 2,000.00 that remains. The deposit
// records it as a received top-up, with a receipt; the store reopens; the
// ledger moves the amount from the payable to deposit_topups; settling the
// month again changes nothing (R-DP5, R-DP2).
func TestSettlement_ShortDepositToppedUpFromPayout_R_DP5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", 555_556) // fee 55,556 (10%, half up): net 500,000
	short := f.deduct(prov.ID, 300_000, "违规扣款")
	if short.Deposit.Status() != market.DepositShort || short.Deposit.ShortfallFen() != 300_000 {
		t.Fatalf("deposit after the deduction: %+v", short.Deposit)
	}
	f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00")
	f.setClock(short.Deposit.TopUpDueAt.Add(time.Hour).In(workday.Shanghai).Format("2006-01-02 15:04"))
	if rep := f.run(); rep.StoresClosed != 1 || f.visible(prod.ID) {
		t.Fatalf("R-DP5 closure: %+v", rep)
	}

	f.setClock("2026-11-01 00:10")
	run := f.settle("2026-10")
	if run.Providers != 1 || run.PayoutFen != 200_000 {
		t.Fatalf("run: %+v", run)
	}
	st, lines := f.statement(prov.ID, "2026-10")
	if got := lineTypes(lines); !slices.Equal(got, []string{"sale 555556", "platform_fee -55556", "deposit_topup -300000"}) {
		t.Fatalf("lines: %v", got)
	}
	if st.TopUpFen != -300_000 || st.ClosingFen != 200_000 || st.PayoutFen != 200_000 || st.CarriedForwardFen != 0 || st.PayoutID == "" {
		t.Fatalf("statement: %+v", st)
	}
	p := f.provider(prov.ID)
	if d := p.Deposit; d.BalanceFen != 500_000 || d.Status() != market.DepositHeld || !d.TopUpDueAt.IsZero() || d.StoreClosed {
		t.Fatalf("deposit: %+v", d)
	}
	if !p.StoreOpen(f.clock.Now()) || !f.visible(prod.ID) {
		t.Fatal("the store closed for the shortfall did not reopen")
	}
	l := f.wantLedgerMatches(prov.ID)
	tops := f.topUpEntries(prov.ID)
	if len(tops) != 1 || tops[0].AmountFen != 300_000 || tops[0].Reference != st.ID || tops[0].ReceiptNo == "" ||
		tops[0].BalanceAfterFen != 500_000 || tops[0].Channel != market.ChannelSettlement || l.Kinds["settlement_topup"] != 1 {
		t.Fatalf("deposit entries: %+v", tops)
	}
	if !slices.Contains(p.Deposit.ReceiptNos, tops[0].ReceiptNo) { // R-DP2: a receipt, posted like any other
		t.Fatalf("receipt %s not among the deposit's %v", tops[0].ReceiptNo, p.Deposit.ReceiptNos)
	}
	paid := f.eventData(tops[0].ID, string(market.EventDepositPaid))
	topped := f.eventData(st.ID, string(market.EventDepositSettlementTopUp))
	if paid["channel"] != "settlement" || paid["reference"] != st.ID || paid["status"] != "held" ||
		topped["entryId"] != tops[0].ID || fmt.Sprint(topped["amountFen"], topped["shortfallFen"]) != "300000 0" {
		t.Fatalf("events: %v / %v", paid, topped)
	}
	if f.countEvents(string(market.EventStoreReopened)) != 1 || !slices.Contains(f.sent(contactPhone), "store_reopened") ||
		!slices.Contains(f.sent(contactPhone), "deposit_settlement_topup") {
		t.Fatalf("reopening told: %v", f.sent(contactPhone))
	}
	b := f.balances()
	if b[market.ProviderAccount(market.AccountDepositTopUps, prov.ID)] != -300_000 || b[market.ProviderAccount(market.AccountProviderPayable, prov.ID)] != 0 ||
		b[market.ProviderAccount(market.AccountPayoutsPending, prov.ID)] != -200_000 {
		t.Fatalf("ledger: %v", b)
	}

	// Twice: the same statement, deposit and ledger.
	again := f.settle("2026-10")
	st2, lines2 := f.statement(prov.ID, "2026-10")
	if *again != *run || fmt.Sprint(st2, lines2) != fmt.Sprint(st, lines) || fmt.Sprint(f.balances()) != fmt.Sprint(b) ||
		len(f.topUpEntries(prov.ID)) != 1 || f.provider(prov.ID).Deposit.BalanceFen != 500_000 {
		t.Fatal("settling October twice changed something")
	}
}

// A balance smaller than the shortfall goes to the deposit whole: payout 0,
// nothing carried forward, the deposit still short with its top-up deadline
// unchanged (R-DP5); a negative balance tops up nothing.
func TestSettlement_BalanceBelowShortfallAllToDeposit_R_DP5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", orderFen)
	due := f.deduct(prov.ID, 300_000, "违规扣款").Deposit.TopUpDueAt
	o := f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00")
	f.setClock("2026-11-01 00:10")
	if run := f.settle("2026-10"); run.PayoutFen != 0 {
		t.Fatalf("run: %+v", run)
	}
	st, lines := f.statement(prov.ID, "2026-10")
	if got := lineTypes(lines); !slices.Equal(got, []string{"sale 30000", "platform_fee -3000", "deposit_topup -27000"}) {
		t.Fatalf("lines: %v", got)
	}
	if st.ClosingFen != 0 || st.PayoutFen != 0 || st.CarriedForwardFen != 0 || st.PayoutID != "" {
		t.Fatalf("statement: %+v", st)
	}
	d := f.provider(prov.ID).Deposit
	if d.BalanceFen != 227_000 || d.ShortfallFen() != 273_000 || d.Status() != market.DepositShort || !d.TopUpDueAt.Equal(due) {
		t.Fatalf("deposit: %+v (due %s)", d, due)
	}
	f.wantLedgerMatches(prov.ID)
	if f.countEvents(string(market.EventStoreReopened)) != 0 {
		t.Fatal("reopened while still short")
	}
	rows, err := f.svc.Payouts(f.ctx, finance, operation.PayoutQuery{ProviderID: prov.ID})
	ok(t, err)
	if len(rows) != 0 {
		t.Fatalf("a payout of nothing: %+v", rows)
	}

	// November: a refund of the settled order clawed back, no sale; the
	// negative balance is carried forward and tops up nothing.
	f.setClock("2026-11-02 10:00")
	r := f.inArbitration(o.ID, nil)
	r, err = f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "partial", AmountFen: fenOf(5_000), Reason: "未交付", ProviderFault: "cannot_deliver"})
	ok(t, err)
	f.paid(r)
	f.setClock("2026-12-01 00:10")
	f.settle("2026-11")
	nov, lines := f.statement(prov.ID, "2026-11")
	if got := lineTypes(lines); !slices.Equal(got, []string{"refund_clawback -4500"}) || nov.CarriedForwardFen != -4_500 || nov.TopUpFen != 0 {
		t.Fatalf("November: %v %+v", got, nov)
	}
	if n := len(f.topUpEntries(prov.ID)); n != 1 || f.provider(prov.ID).Deposit.BalanceFen != 227_000 {
		t.Fatalf("%d top-ups", n)
	}
}

// Owed and short together: what is owed is recovered first (R-VI11), then the
// shortfall (R-DP5), then the payout. The deposit is whole again, but a store
// also blocked by a running penalty stays closed until the block ends.
func TestSettlement_OwedThenShortfallThenPayout_R_VI11_R_DP5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", 666_667) // fee 66,667: net 600,000
	f.deduct(prov.ID, int64(prov.Deposit.RequiredFen)+20_000, "违规扣款")
	if d := f.provider(prov.ID).Deposit; d.BalanceFen != 0 || d.OwedFen != 20_000 {
		t.Fatalf("deposit: %+v", d)
	}
	f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00")
	f.setClock("2026-10-25 09:30")
	f.applyViolation(prov.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "辱骂买家"}) // blocked until 11-09 09:30
	f.run()                                                                                    // the top-up deadline has passed: closed for the shortfall as well
	if f.visible(prod.ID) || !f.provider(prov.ID).Store.Holds(market.ReasonDepositShort) {
		t.Fatal("not closed for the shortfall")
	}

	f.setClock("2026-11-01 00:10")
	f.settle("2026-10")
	st, lines := f.statement(prov.ID, "2026-10")
	if got := lineTypes(lines); !slices.Equal(got, []string{"sale 666667", "platform_fee -66667", "deposit_owed -20000", "deposit_topup -500000"}) {
		t.Fatalf("lines: %v", got)
	}
	if st.OwedRecoveredFen != -20_000 || st.TopUpFen != -500_000 || st.PayoutFen != 80_000 {
		t.Fatalf("statement: %+v", st)
	}
	p := f.provider(prov.ID)
	if d := p.Deposit; d.BalanceFen != 500_000 || d.OwedFen != 0 || d.Status() != market.DepositHeld {
		t.Fatalf("deposit: %+v", d)
	}
	l := f.wantLedgerMatches(prov.ID)
	if l.Kinds["owed_recovered"] != 1 || l.Kinds["settlement_topup"] != 1 {
		t.Fatalf("entries: %v", l.Kinds)
	}
	if p.Store.Holds(market.ReasonDepositShort) || p.StoreOpen(f.clock.Now()) || f.visible(prod.ID) || f.countEvents(string(market.EventStoreReopened)) != 0 {
		t.Fatal("a store blocked by a running penalty reopened")
	}
	b := f.balances()
	if b[market.ProviderAccount(market.AccountDepositOwed, prov.ID)] != 0 || b[market.ProviderAccount(market.AccountDepositTopUps, prov.ID)] != -500_000 ||
		b[market.ProviderAccount(market.AccountPayoutsPending, prov.ID)] != -80_000 {
		t.Fatalf("ledger: %v", b)
	}
	f.setClock("2026-11-09 09:31")
	if rep := f.run(); rep.PenaltiesLifted != 1 || !f.visible(prod.ID) || f.countEvents(string(market.EventStoreReopened)) != 1 {
		t.Fatalf("not reopened when the block ended: %+v", rep)
	}
}

// SettlementTopUpDue: only a deposit a deduction made short, of a provider
// that continues, is made up from its payable (R-DP5, R-DP6).
func TestSettlementTopUpDue_R_DP5_R_DP6(t *testing.T) {
	t.Parallel()
	held := market.Deposit{RequiredFen: 500_000, BalanceFen: 500_000, EverHeld: true}
	short := market.Deposit{RequiredFen: 500_000, BalanceFen: 200_000, EverHeld: true}
	unpaid := market.Deposit{RequiredFen: 500_000, BalanceFen: 200_000}
	for _, c := range []struct {
		status  market.ProviderStatus
		deposit market.Deposit
		want    money.Fen
	}{
		{market.ProviderActive, short, 300_000},
		{market.ProviderActive, held, 0},
		{market.ProviderActive, unpaid, 0}, // never held: paid in by transfer first (R-ON3)
		{market.ProviderExiting, short, 0}, // goes back at exit (R-DP6)
		{market.ProviderExpelled, short, 0},
	} {
		p := market.Provider{Status: c.status, Deposit: c.deposit}
		if got := p.SettlementTopUpDue(); got != c.want {
			t.Errorf("%s %+v: %d, want %d", c.status, c.deposit, got, c.want)
		}
	}
}
