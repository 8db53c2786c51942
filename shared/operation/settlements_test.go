package operation_test

import (
	"fmt"
	"slices"
	"testing"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

// settle runs a period as finance.
func (f *fixture) settle(period string) *operation.SettlementRun {
	f.t.Helper()
	run, err := f.svc.SettlePeriod(f.ctx, finance, period)
	ok(f.t, err)
	return run
}

// statement reads a statement and its lines as the provider's owner would.
func (f *fixture) statement(providerID, period string) (*market.Statement, []market.StatementLine) {
	f.t.Helper()
	var lines []market.StatementLine
	v, err := f.svc.Statement(f.ctx, finance, providerID, period, func(l market.StatementLine) error {
		lines = append(lines, l)
		return nil
	})
	ok(f.t, err)
	return v.Statement, lines
}

// balances derives every account's balance from the whole ledger, each
// transaction checked.
func (f *fixture) balances() map[market.Account]money.Fen {
	f.t.Helper()
	var history []market.LedgerTxn
	ok(f.t, f.st.EachLedgerTxn(f.ctx, "", func(t market.LedgerTxn) error {
		history = append(history, t)
		return nil
	}))
	b, err := market.Balances(history)
	ok(f.t, err)
	return b
}

func lineTypes(lines []market.StatementLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%s %d", l.Type, l.AmountFen))
	}
	return out
}

// The journey: an order settled in October; a platform-ruled refund
// of it in November clawed back and carried forward with payout 0; the same
// period settled twice gives the identical statement (R-FE1, R-RF7).
func TestSettlement_OctoberThenClawbackInNovember_R_FE1_R_RF7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", orderFen)
	o := f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00") // R-RF1: the review period ended on 10-12

	_, err := f.svc.SettlePeriod(f.ctx, finance, "2026-10")
	wantCode(t, err, "FailedOperation.PeriodNotEnded")
	_, err = f.svc.SettlePeriod(f.ctx, seller, "2026-10")
	wantCode(t, err, "UnauthorizedOperation")
	_, err = f.svc.SettlePeriod(f.ctx, finance, "2026-1")
	wantCode(t, err, "InvalidParameterValue.Period")

	// The timer on the 1st settles October.
	f.setClock("2026-11-01 00:10")
	rep, err := f.svc.SettleLastMonth(f.ctx)
	ok(t, err)
	if rep.Providers != 1 || rep.PayoutFen != 27_000 {
		t.Fatalf("October run: %+v", rep)
	}
	oct, lines := f.statement(prov.ID, "2026-10")
	if got := lineTypes(lines); !slices.Equal(got, []string{"sale 30000", "platform_fee -3000"}) || lines[0].OrderID != o.ID {
		t.Fatalf("October lines: %v", got)
	}
	if oct.OpeningFen != 0 || oct.ClosingFen != 27_000 || oct.PayoutFen != 27_000 || oct.CarriedForwardFen != 0 || oct.PayoutID == "" {
		t.Fatalf("October: %+v", oct)
	}
	if inv := oct.Invoices; len(inv) != 2 || inv[1].Issuer != "platform" || inv[1].Subject != "service_fee" || inv[1].AmountFen != 3_000 {
		t.Fatalf("R-FE2 platform mode invoices: %+v", inv)
	}
	if f.order(o.ID).SettledAt.IsZero() {
		t.Fatal("the order is not marked settled")
	}
	b := f.balances()
	if b[market.ProviderAccount(market.AccountBuyerFundsHeld, prov.ID)] != 0 || b[market.AccountPlatformRevenue] != -3_000 ||
		b[market.ProviderAccount(market.AccountPayoutsPending, prov.ID)] != -27_000 || b[market.AccountPaymentsReceived] != 30_000 {
		t.Fatalf("ledger after October: %v", b)
	}
	po, err := f.svc.RecordPayoutResult(f.ctx, finance, oct.PayoutID, operation.PayoutResult{Status: "paid", Reference: "CMB20261102001"})
	ok(t, err)
	_, err = f.svc.RecordPayoutResult(f.ctx, finance, oct.PayoutID, operation.PayoutResult{Status: "failed", Reason: "户名不符"})
	wantCode(t, err, "FailedOperation.PayoutNotPending") // money leaves once
	if po.Status != market.PayoutPaid || f.balances()[market.AccountPayouts] != -27_000 {
		t.Fatalf("payout: %+v", po)
	}

	// November: the risk team rules the unused 5 of 30 days refunded (R-RF4),
	// paid by the platform.
	f.setClock("2026-11-02 10:00")
	r := f.inArbitration(o.ID, nil)
	r, err = f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "partial", AmountFen: fenOf(5_000), Reason: "未交付", ProviderFault: "cannot_deliver"})
	ok(t, err)
	r = f.paid(r)
	if r.ProviderShare != market.ShareClawback {
		t.Fatalf("share: %s", r.ProviderShare)
	}
	f.setClock("2026-12-01 00:10")
	nov := f.settle("2026-11")
	if nov.Providers != 1 || nov.PayoutFen != 0 || nov.Status != operation.RunCompleted {
		t.Fatalf("November run: %+v", nov)
	}
	st, lines := f.statement(prov.ID, "2026-11")
	if got := lineTypes(lines); !slices.Equal(got, []string{"refund_clawback -4500"}) || lines[0].RefundID != r.ID || lines[0].OrderID != o.ID {
		t.Fatalf("November lines: %v", got)
	}
	if st.OpeningFen != 0 || st.ClosingFen != -4_500 || st.PayoutFen != 0 || st.CarriedForwardFen != -4_500 || st.PayoutID != "" {
		t.Fatalf("November: %+v", st)
	}
	if cl := f.clawbacks(prov.ID); len(cl) != 0 {
		t.Fatalf("the clawback is still open: %+v", cl)
	}
	b = f.balances()
	if b[market.ProviderAccount(market.AccountProviderPayable, prov.ID)] != 4_500 || b[market.AccountPlatformRevenue] != -2_500 || b[market.AccountRefundsPaid] != -5_000 {
		t.Fatalf("ledger after November: %v", b)
	}

	// Twice: nothing changes, not even after a crash left the run open.
	again := f.settle("2026-11")
	_, err = store.Transact(f.ctx, f.st, func(tx *store.Tx) (struct{}, error) {
		run, err := tx.SettlementRun("2026-11")
		if err != nil {
			return struct{}{}, err
		}
		run.Status, run.Cursor = operation.RunRunning, ""
		return struct{}{}, tx.SaveSettlementRun(run)
	})
	ok(t, err)
	resumed := f.settle("2026-11")
	st2, lines2 := f.statement(prov.ID, "2026-11")
	if *again != *nov || resumed.Providers != nov.Providers || resumed.PayoutFen != 0 || fmt.Sprint(st2, lines2) != fmt.Sprint(st, lines) {
		t.Fatalf("settled twice: %+v %+v / %+v", again, resumed, st2)
	}
	if b2 := f.balances(); fmt.Sprint(b2) != fmt.Sprint(b) {
		t.Fatalf("the ledger moved: %v → %v", b, b2)
	}
	_, err = f.svc.SettlePeriod(f.ctx, finance, "2026-10")
	if err != nil { // October is complete: its run answers as it was
		t.Fatal(err)
	}
	f.setClock("2027-01-01 00:10")
	_, err = f.svc.SettlePeriod(f.ctx, finance, "2026-09")
	wantCode(t, err, "FailedOperation.PeriodOutOfOrder")

	// December: a new sale pays off the carried-forward balance first.
	f.setClock("2026-12-02 10:00")
	o2 := f.paidOrder(prod.ID, "4200000000202612020001")
	f.complete("2026-12-08 10:00")
	f.setClock("2027-01-01 00:10")
	f.settle("2026-12")
	dec, lines := f.statement(prov.ID, "2026-12")
	if dec.OpeningFen != -4_500 || dec.ClosingFen != 22_500 || dec.PayoutFen != 22_500 || len(lines) != 2 || lines[0].OrderID != o2.ID {
		t.Fatalf("December: %+v %v", dec, lineTypes(lines))
	}
	list, err := f.svc.Statements(f.ctx, seller, prov.ID, "", 10)
	ok(t, err)
	if len(list) != 3 || list[0].Period != "2026-12" || list[2].Period != "2026-10" {
		t.Fatalf("statements newest first: %d", len(list))
	}
	_, err = f.svc.Statements(f.ctx, providerActor("100002"), prov.ID, "", 10)
	wantCode(t, err, "UnauthorizedOperation")
}

// Owed amounts (R-VI11) are recovered from a positive balance only, never
// into a negative one; a failed payout comes back on the next statement.
func TestSettlement_OwedRecoveredAndFailedPayout_R_VI11(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", orderFen)
	f.deduct(prov.ID, int64(prov.Deposit.BalanceFen)+20_000, "违规扣款") // 200.00 owed
	if got := f.provider(prov.ID).Deposit.OwedFen; got != 20_000 {
		t.Fatalf("owed %d", got)
	}
	f.pay(prov.ID, int64(prov.Deposit.RequiredFen), "TOPUP-1") // whole again (R-DP5): what is owed stays owed
	f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00")
	f.setClock("2026-11-01 00:10")
	f.settle("2026-10")
	oct, lines := f.statement(prov.ID, "2026-10")
	if got := lineTypes(lines); !slices.Equal(got, []string{"sale 30000", "platform_fee -3000", "deposit_owed -20000"}) {
		t.Fatalf("October lines: %v", got)
	}
	if oct.ClosingFen != 7_000 || oct.PayoutFen != 7_000 || f.provider(prov.ID).Deposit.OwedFen != 0 {
		t.Fatalf("October: %+v, owed %d", oct, f.provider(prov.ID).Deposit.OwedFen)
	}
	if f.countEvents(string(market.EventDepositOwedRecovered)) != 1 {
		t.Fatal("no deposit.owed_recovered event")
	}
	b := f.balances()
	if b[market.ProviderAccount(market.AccountDepositOwed, prov.ID)] != 0 || b[market.AccountDeductions] != -20_000 {
		t.Fatalf("ledger: %v", b)
	}

	_, err := f.svc.RecordPayoutResult(f.ctx, finance, oct.PayoutID, operation.PayoutResult{Status: "failed"})
	wantCode(t, err, "MissingParameter")
	_, err = f.svc.RecordPayoutResult(f.ctx, finance, oct.PayoutID, operation.PayoutResult{Status: "failed", Reason: "账号已销户"})
	ok(t, err)
	// More owed than November's balance covers: what remains stays owed, and
	// nothing is left to make up the deposit the deduction emptied (R-DP5).
	f.setClock("2026-11-03 10:00")
	f.deduct(prov.ID, int64(prov.Deposit.RequiredFen)+50_000, "违规扣款")
	f.setClock("2026-12-01 00:10")
	f.settle("2026-11")
	nov, lines := f.statement(prov.ID, "2026-11")
	if got := lineTypes(lines); !slices.Equal(got, []string{"payout_returned 7000", "deposit_owed -7000"}) || lines[0].PayoutID != oct.PayoutID {
		t.Fatalf("November lines: %v", got)
	}
	if nov.ClosingFen != 0 || nov.PayoutFen != 0 || f.provider(prov.ID).Deposit.OwedFen != 43_000 {
		t.Fatalf("November: %+v owed %d", nov, f.provider(prov.ID).Deposit.OwedFen)
	}
	rows, err := f.svc.Payouts(f.ctx, finance, operation.PayoutQuery{Status: market.PayoutFailed})
	ok(t, err)
	if len(rows) != 1 || rows[0].Payout.ReturnedIn != "2026-11" || rows[0].Company == "" {
		t.Fatalf("failed payouts: %+v", rows)
	}
	_, err = f.svc.Payouts(f.ctx, seller, operation.PayoutQuery{})
	wantCode(t, err, "UnauthorizedOperation")
}

// Consignment (R-FE1, R-FE2): the provider's contract rate, set by finance,
// is frozen on each order at placement (the default before it was set); the
// provider invoices the platform the settlement amount, which finance marks
// received.
func TestSettlement_ConsignmentRateAndInvoice_R_FE1_R_FE2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prov := f.payInFull(f.sign(f.approve(f.applyWith("100002", otherOrg, func(a *market.ApplicationForm) {
		a.CooperationMode, a.Categories = "consignment", []string{"software"}
	}))))
	who := providerActor("100002")
	prod := f.listed(who, "software", 10_000)
	before := f.paidOrder(prod.ID, "4200000000202610080001")

	_, err := f.svc.SetConsignmentRate(f.ctx, who, prov.ID, 1500)
	wantCode(t, err, "UnauthorizedOperation")
	_, err = f.svc.SetConsignmentRate(f.ctx, finance, prov.ID, 0)
	wantCode(t, err, "InvalidParameterValue.ConsignmentRateBps")
	got, err := f.svc.SetConsignmentRate(f.ctx, finance, prov.ID, 1500)
	ok(t, err)
	if got.ConsignmentRate != 1500 || f.provider(prov.ID).ConsignmentRate != 1500 {
		t.Fatalf("rate: %d", got.ConsignmentRate)
	}
	after := f.paidOrder(prod.ID, "4200000000202610080002")
	if before.Fee.RateBps != 2000 || after.Fee.RateBps != 1500 || after.PlatformFee != 1_500 {
		t.Fatalf("R-FE1 frozen rates: before %d, after %d (%d)", before.Fee.RateBps, after.Fee.RateBps, after.PlatformFee)
	}
	platform, _ := f.onSale("100001", creditCode, "software", orderFen)
	_, err = f.svc.SetConsignmentRate(f.ctx, finance, f.order(f.paidOrder(platform.ID, "4200000000202610080003").ID).ProviderID, 1500)
	wantCode(t, err, "FailedOperation.NotConsignment")

	f.complete("2026-10-13 10:00")
	f.setClock("2026-11-01 00:10")
	f.settle("2026-10")
	st, lines := f.statement(prov.ID, "2026-10")
	if got := lineTypes(lines); len(got) != 4 || st.SalesFen != 20_000 || st.FeesFen != -3_500 || st.PayoutFen != 16_500 {
		t.Fatalf("consignment statement: %+v %v", st, got)
	}
	if inv := st.Invoices; len(inv) != 1 || inv[0].Issuer != "provider" || inv[0].Recipient != "platform" || inv[0].AmountFen != 16_500 || inv[0].Status != market.InvoiceAwaitingProvider {
		t.Fatalf("R-FE2 consignment invoice: %+v", inv)
	}
	_, err = f.svc.RecordInvoiceReceived(f.ctx, who, prov.ID, "2026-10")
	wantCode(t, err, "UnauthorizedOperation")
	st, err = f.svc.RecordInvoiceReceived(f.ctx, finance, prov.ID, "2026-10")
	ok(t, err)
	if st.Invoices[0].Status != market.InvoiceReceived || st.Invoices[0].StatusAt.IsZero() {
		t.Fatalf("received: %+v", st.Invoices)
	}
	_, err = f.svc.RecordInvoiceReceived(f.ctx, finance, prov.ID, "2026-10")
	wantCode(t, err, "FailedOperation.InvoiceAlreadyReceived")
	_, err = f.svc.RecordInvoiceReceived(f.ctx, finance, f.order(before.ID).ProviderID, "2026-09")
	wantCode(t, err, "ResourceNotFound.Statement")
}

// The timer and finance settling the same month at once write one statement,
// one payout and one ledger transaction.
func TestSettlement_ConcurrentRunsSettleOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", orderFen)
	f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00")
	f.setClock("2026-11-01 00:10")
	runs := make(chan *operation.SettlementRun, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			run, err := f.svc.SettlePeriod(f.ctx, finance, "2026-10")
			runs <- run
			errs <- err
		}()
	}
	for range 2 {
		ok(t, <-errs)
		if run := <-runs; run.Providers != 1 || run.PayoutFen != 27_000 {
			t.Fatalf("run: %+v", run)
		}
	}
	settlements := 0
	ok(t, f.st.EachLedgerTxn(f.ctx, prov.ID, func(tx market.LedgerTxn) error {
		if tx.Kind == market.LedgerSettlement {
			settlements++
		}
		return nil
	}))
	payouts, err := f.st.Payouts(f.ctx, store.PayoutQuery{ProviderID: prov.ID})
	ok(t, err)
	if list, err := f.st.Statements(f.ctx, prov.ID, "", 0); err != nil || len(list) != 1 || len(payouts) != 1 || settlements != 1 {
		t.Fatalf("statements %d, payouts %d, settlement transactions %d (%v)", len(list), len(payouts), settlements, err)
	}
}

// R-FE2: a provider may ask for the invoice of the fees it paid.
func TestSettlement_FeeInvoiceRequest_R_FE2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:30")
	prod, prov := f.onSale("100001", creditCode, "software", orderFen)
	f.paidOrder(prod.ID, "4200000000202610080001")
	f.complete("2026-10-13 10:00")
	f.setClock("2026-11-01 00:10")
	f.settle("2026-10")
	_, err := f.svc.RequestFeeInvoice(f.ctx, finance, prov.ID, "2026-10")
	wantCode(t, err, "UnauthorizedOperation")
	st, err := f.svc.RequestFeeInvoice(f.ctx, seller, prov.ID, "2026-10")
	ok(t, err)
	if inv := st.Invoices[1]; inv.Subject != "service_fee" || inv.Status != market.InvoiceRequested || inv.StatusAt.IsZero() || inv.AmountFen != 3_000 {
		t.Fatalf("requested: %+v", st.Invoices)
	}
	_, err = f.svc.RequestFeeInvoice(f.ctx, seller, prov.ID, "2026-10")
	wantCode(t, err, "FailedOperation.InvoiceAlreadyRequested")
	_, err = f.svc.RecordInvoiceReceived(f.ctx, finance, prov.ID, "2026-10")
	wantCode(t, err, "FailedOperation.NoProviderInvoice")
	if m := f.message(financePhone, "fee_invoice_requested"); len(m.Params) != 0 {
		t.Fatalf("finance SMS: %+v", m)
	}
}
