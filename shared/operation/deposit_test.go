package operation_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
)

// A deposit paid in two transfers (R-DP1: 5,000 CNY), each with its own
// receipt, numbered per year (R-DP2); the same transfer reference records once.
func TestRecordDepositPayment_R_DP1_R_DP2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)

	first := f.pay(p.ID, 200_000, "WIRE-0001")
	if !first.Created || first.Entry.ReceiptNo != "SJ2026000001" || first.Entry.BalanceAfterFen != 200_000 || first.Entry.Kind != "payment" ||
		first.Entry.Channel != "wire" || first.Entry.Actor != finance.Account || !strings.HasPrefix(first.Entry.ID, "dep_") {
		t.Fatalf("first payment: %+v", first)
	}
	if d := first.Provider.Deposit; d.Status() != market.DepositUnpaid || d.ShortfallFen() != 300_000 || d.EverHeld {
		t.Fatalf("partial deposit: %s short %d", d.Status(), d.ShortfallFen())
	}
	second := f.pay(p.ID, 300_000, "WIRE-0002")
	if second.Entry.ReceiptNo != "SJ2026000002" || second.Provider.Deposit.Status() != market.DepositHeld || !second.Provider.Deposit.EverHeld {
		t.Fatalf("second payment: %+v %s", second.Entry, second.Provider.Deposit.Status())
	}
	if sms := f.sent(contactPhone); joined(sms) != "application_approved deposit_received deposit_received" {
		t.Fatalf("provider SMS: %v", sms)
	}
	if m := f.sender.all(); len(m[len(m)-1].Params) != 0 {
		t.Errorf("the SMS points to the console for the receipt: %+v", m[len(m)-1])
	}

	// The same transfer again is the recorded entry; nothing changes.
	again := f.pay(p.ID, 300_000, "WIRE-0002")
	if again.Created || again.Entry.ID != second.Entry.ID || again.Entry.ReceiptNo != "SJ2026000002" || again.Provider.Deposit.BalanceFen != 500_000 {
		t.Fatalf("repeat: %+v", again)
	}
	// The reference on another amount or provider is a mistake, not a payment.
	other := f.signedProvider("100002", otherOrg)
	_, err := f.svc.RecordDepositPayment(f.ctx, finance, p.ID, f.wire(100_000, "WIRE-0002"))
	wantCode(t, err, "FailedOperation.ReferenceAlreadyRecorded")
	_, err = f.svc.RecordDepositPayment(f.ctx, finance, other.ID, f.wire(300_000, "WIRE-0002"))
	wantCode(t, err, "FailedOperation.ReferenceAlreadyRecorded")

	if got := joined(f.eventTypes(p.ID)); got != "application.approved deposit.held deposit.paid deposit.paid provider.contract_signed provider.created" {
		t.Errorf("events: %s", got)
	}
	if d := f.eventData(second.Entry.ID, "deposit.paid"); d["receiptNo"] != "SJ2026000002" || d["balanceFen"] != int64(500_000) || d["status"] != "held" {
		t.Errorf("deposit.paid: %v", d)
	}
	if l := f.wantLedgerMatches(p.ID); l.Kinds["payment"] != 2 || joined(l.Receipts) != "SJ2026000001 SJ2026000002" {
		t.Errorf("ledger: %+v", l)
	}
	if len(f.ledger(other.ID).Kinds) != 0 {
		t.Error("a refused payment reached the other provider's ledger")
	}
}

func TestRecordDepositPayment_Refusals_R_DP2_R_DP3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	pay := func(edit func(*market.Payment)) market.Payment {
		m := f.wire(500_000, "REF-1")
		edit(&m)
		return m
	}
	for _, c := range []struct {
		name string
		pay  market.Payment
		code string
	}{
		{"zero amount", pay(func(m *market.Payment) { m.AmountFen = 0 }), "InvalidParameterValue.AmountFen"},
		{"negative amount", pay(func(m *market.Payment) { m.AmountFen = -100 }), "InvalidParameterValue.AmountFen"},
		{"yuan typed as fen beyond the limit", pay(func(m *market.Payment) { m.AmountFen = market.MaxDepositAmount + 1 }), "InvalidParameterValue.AmountFen"},
		{"R-DP3 the cloud account balance", pay(func(m *market.Payment) { m.Channel = "balance" }), "InvalidParameterValue.Channel"},
		{"no channel", pay(func(m *market.Payment) { m.Channel = "" }), "MissingParameter"},
		{"no reference", pay(func(m *market.Payment) { m.Reference = " " }), "MissingParameter"},
		{"reference over 64 characters", pay(func(m *market.Payment) { m.Reference = strings.Repeat("R", 65) }), "InvalidParameterValue.Reference"},
		{"no paidAt", pay(func(m *market.Payment) { m.PaidAt = time.Time{} }), "MissingParameter"},
		{"paidAt in the future", pay(func(m *market.Payment) { m.PaidAt = f.clock.Now().Add(6 * time.Minute) }), "InvalidParameterValue.PaidAt"},
	} {
		_, err := f.svc.RecordDepositPayment(f.ctx, finance, p.ID, c.pay)
		wantCode(t, err, c.code)
	}
	_, err := f.svc.RecordDepositPayment(f.ctx, finance, "prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", f.wire(500_000, "REF-9"))
	wantCode(t, err, "ResourceNotFound.Provider")
	if l := f.ledger(p.ID); len(l.Kinds) != 0 || f.countEvents("deposit.paid") != 0 {
		t.Fatalf("refused payments touched the ledger: %+v", l)
	}

	// R-DP2: the corporate account's name as a bank statement writes it (spaces,
	// full-width brackets) is the provider's; a clock a few minutes behind the
	// bank is tolerated.
	res, err := f.svc.RecordDepositPayment(f.ctx, finance, p.ID, pay(func(m *market.Payment) {
		m.PayerAccountName, m.PaidAt, m.Channel = " 深圳示例科技 有限公司 ", f.clock.Now().Add(4*time.Minute), "online_banking"
	}))
	ok(t, err)
	if !res.Created || res.Provider.Deposit.Status() != market.DepositHeld {
		t.Fatalf("payment: %+v", res)
	}
}

// R-ON3: products approved while the deposit was missing are listed by the
// payment that completes it, in the same transaction; later ones list at once.
func TestRecordDepositPayment_ListsApprovedProducts_R_ON3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	own := providerActor("100001")
	waiting := f.listed(own, "software", 100_000)
	if waiting.Status != market.ProductApproved || f.visible(waiting.ID) {
		t.Fatalf("R-ON3 approved before the deposit: %s, visible %v", waiting.Status, f.visible(waiting.ID))
	}
	if sms := f.message(contactPhone, "product_approved_deposit"); len(sms.Params) != 0 {
		t.Errorf("SMS: %+v", sms)
	}
	f.pay(p.ID, 499_999, "WIRE-1")
	if f.visible(waiting.ID) {
		t.Fatal("listed before the deposit was whole")
	}
	f.setClock("2026-10-09 09:00")
	f.pay(p.ID, 1, "WIRE-2")
	got, err := f.svc.GetProduct(f.ctx, buyer, waiting.ID)
	ok(t, err)
	if got.Status != market.ProductListed || !got.OnSale() || got.Full || got.Listed == nil {
		t.Fatalf("after the deposit: %+v", got.Product)
	}
	wantTime(t, "listedAt", got.ListedAt, sh(t, "2026-10-09 09:00"))
	if d := f.eventData(waiting.ID, "product.listed"); d["cause"] != "deposit_received" {
		t.Errorf("product.listed: %v", d)
	}
	later := f.listed(own, "software", 100_000)
	if later.Status != market.ProductListed || !f.visible(later.ID) {
		t.Errorf("a product approved after the deposit: %s", later.Status)
	}
}

// A deduction (R-DP4) that makes the deposit short starts the 7-working-day
// top-up clock (R-DP5): from 2026-10-08 the days are 10-9, 10-10 (an adjusted
// working Saturday), 10-12 … 10-16. A second deduction does not restart it.
func TestDeductDeposit_TopUpClock_R_DP4_R_DP5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	res, err := f.svc.DeductDeposit(f.ctx, risk, p.ID, operation.Deduction{AmountFen: 120_000, Reason: "R-VI5 未按时开始服务", RefundID: "rfd_1"})
	e, after := res.Entry, res.Provider
	ok(t, err)
	if e.Kind != "deduction" || e.AmountFen != -120_000 || e.OwedFen != 0 || e.BalanceAfterFen != 380_000 || e.RefundID != "rfd_1" || e.Actor != risk.Account {
		t.Fatalf("entry: %+v", e)
	}
	d := after.Deposit
	if d.Status() != market.DepositShort || d.ShortfallFen() != 120_000 {
		t.Fatalf("deposit: %s short %d", d.Status(), d.ShortfallFen())
	}
	wantTime(t, "R-DP5 topUpDueAt", d.TopUpDueAt, endOfDay(t, "2026-10-16"))
	sms := f.message(contactPhone, "deposit_deducted_short")
	if params := joined(sms.Params); params != "10月16日 23:59" {
		t.Errorf("the SMS must say by when (the amount and reason are in the console): %v", sms.Params)
	}
	if v := after.Store.View(f.clock.Now()); v.Status != market.StoreOpen {
		t.Errorf("R-DP5 the store closes only after the deadline: %+v", v)
	}
	if got := f.eventData(p.ID, "deposit.short"); got["shortfallFen"] != int64(120_000) {
		t.Errorf("deposit.short: %v", got)
	}

	f.setClock("2026-10-12 10:00")
	again := f.deduct(p.ID, 30_000, "赔付买家退款")
	wantTime(t, "R-DP5 topUpDueAt after a second deduction", again.Deposit.TopUpDueAt, endOfDay(t, "2026-10-16"))
	if n := f.countEvents("deposit.short"); n != 1 {
		t.Errorf("%d deposit.short events", n)
	}
	f.wantLedgerMatches(p.ID)
}

// A deduction the balance still covers leaves the deposit held: no clock.
func TestDeductDeposit_StillWhole_R_DP4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	f.pay(p.ID, 100_000, "WIRE-EXTRA")
	after := f.deduct(p.ID, 50_000, "R-VI1 违规内容")
	if after.Deposit.Status() != market.DepositHeld || !after.Deposit.TopUpDueAt.IsZero() || after.Deposit.BalanceFen != 550_000 {
		t.Fatalf("deposit: %+v", after.Deposit)
	}
	f.message(contactPhone, "deposit_deducted")
	if f.countEvents("deposit.short") != 0 {
		t.Error("deposit.short for a deposit still whole")
	}
}

func TestDeductDeposit_Refusals_R_DP4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	for _, c := range []struct {
		name, id string
		d        operation.Deduction
		code     string
	}{
		{"no reason", p.ID, operation.Deduction{AmountFen: 100}, "MissingParameter"},
		{"zero", p.ID, operation.Deduction{AmountFen: 0, Reason: "x"}, "InvalidParameterValue.AmountFen"},
		{"negative: a deduction never pays in", p.ID, operation.Deduction{AmountFen: -100, Reason: "x"}, "InvalidParameterValue.AmountFen"},
		{"beyond the limit", p.ID, operation.Deduction{AmountFen: market.MaxDepositAmount + 1, Reason: "x"}, "InvalidParameterValue.AmountFen"},
		{"unknown provider", "prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", operation.Deduction{AmountFen: 100, Reason: "x"}, "ResourceNotFound.Provider"},
	} {
		_, err := f.svc.DeductDeposit(f.ctx, risk, c.id, c.d)
		wantCode(t, err, c.code)
	}
	if l := f.wantLedgerMatches(p.ID); l.Kinds["deduction"] != 0 {
		t.Fatalf("ledger: %+v", l)
	}
}

// R-VI11: a deduction larger than the balance takes the whole balance and the
// rest is owed; the risk team is told, and the debt blocks the return (R-DP6).
func TestDeductDeposit_BeyondBalanceIsOwed_R_VI11(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode, "api") // R-DP1: 2,000 CNY
	if p.Deposit.RequiredFen != 200_000 {
		t.Fatalf("api-only deposit: %d", p.Deposit.RequiredFen)
	}
	res, err := f.svc.DeductDeposit(f.ctx, risk, p.ID, operation.Deduction{AmountFen: 500_000, Reason: "R-VI2 线下交易"})
	e, after := res.Entry, res.Provider
	ok(t, err)
	if e.AmountFen != -200_000 || e.OwedFen != 300_000 || e.BalanceAfterFen != 0 {
		t.Fatalf("entry: %+v", e)
	}
	if d := after.Deposit; d.BalanceFen != 0 || d.OwedFen != 300_000 || d.ShortfallFen() != 200_000 || d.Status() != market.DepositShort {
		t.Fatalf("deposit: %+v", d)
	}
	if sms := f.message(riskPhone, "deposit_owed"); len(sms.Params) != 0 {
		t.Errorf("risk alert: %+v", sms)
	}
	if d := f.eventData(p.ID, "deposit.owed"); d["owedFen"] != int64(300_000) {
		t.Errorf("deposit.owed: %v", d)
	}
	f.wantLedgerMatches(p.ID)

	ex, err := f.svc.RequestExit(f.ctx, risk, p.ID, "清退")
	ok(t, err)
	if codes := blockerCodes(ex.Blockers); codes != "AmountOwed ReceiptNotReturned" {
		t.Fatalf("blockers: %s", codes)
	}
	// The receipt comes back, twice: recorded once; the debt still blocks.
	for range 2 {
		rr, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
		ok(t, err)
		if codes := blockerCodes(rr.Blockers); codes != "AmountOwed" || !rr.Provider.Deposit.ReturnDueAt.IsZero() {
			t.Fatalf("receipt with debt: %s %+v", codes, rr.Provider.Deposit)
		}
	}
	if n := f.countEvents("deposit.receipt_returned"); n != 1 || f.countEvents("deposit.return_scheduled") != 0 {
		t.Errorf("%d receipt_returned events", n)
	}
	_, err = f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK")
	wantCode(t, err, "FailedOperation.DepositNotReturnable")
}

func blockerCodes(bs []market.ReturnBlocker) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Code)
	}
	return joined(out)
}

// R-DP6: at exit, once the receipt is back and nothing blocks, the deposit is
// due back in full within 15 working days (2026-10-21 → 2026-11-11); finance
// returns it and the exit is complete.
func TestExitAndDepositReturn_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	_, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	wantCode(t, err, "FailedOperation.ProviderNotExiting") // a provider who continues keeps its deposit
	_, err = f.svc.ReturnDeposit(f.ctx, finance, p.ID, "X")
	wantCode(t, err, "FailedOperation.DepositNotReturnable")
	led, err := f.svc.DepositLedger(f.ctx, providerActor("100001"), p.ID)
	ok(t, err)
	if led.Blockers != nil {
		t.Errorf("blockers of a provider that is not exiting: %+v", led.Blockers)
	}

	_, err = f.svc.RequestExit(f.ctx, providerActor("100001"), p.ID, "业务调整")
	ok(t, err)
	led, err = f.svc.DepositLedger(f.ctx, providerActor("100001"), p.ID)
	ok(t, err)
	if blockerCodes(led.Blockers) != "ReceiptNotReturned" {
		t.Errorf("ledger blockers: %+v", led.Blockers)
	}

	f.setClock("2026-10-21 10:00")
	rr, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if len(rr.Blockers) != 0 || rr.Provider.Deposit.Status() != market.DepositReturning {
		t.Fatalf("receipt returned: %+v", rr)
	}
	wantTime(t, "R-DP6 returnDueAt", rr.Provider.Deposit.ReturnDueAt, endOfDay(t, "2026-11-11"))
	wantTime(t, "receiptReturnedAt", rr.Provider.Deposit.ReceiptReturnedAt, sh(t, "2026-10-21 10:00"))
	if sms := f.message(financePhone, "deposit_return_due"); joined(sms.Params) != "11月11日" {
		t.Errorf("finance alert: %+v", sms)
	}
	_, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	wantCode(t, err, "FailedOperation.DepositReturning")
	// While the return is due the deposit neither takes money nor gives it.
	_, err = f.svc.RecordDepositPayment(f.ctx, finance, p.ID, f.wire(100, "LATE-1"))
	wantCode(t, err, "FailedOperation.DepositReturning")
	_, err = f.svc.DeductDeposit(f.ctx, risk, p.ID, operation.Deduction{AmountFen: 100, Reason: "x"})
	wantCode(t, err, "FailedOperation.DepositReturning")

	f.setClock("2026-10-28 15:00")
	done, err := f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK-1")
	ok(t, err)
	if done.Status != market.ProviderExited || done.Deposit.Status() != market.DepositReturned || done.Deposit.BalanceFen != 0 {
		t.Fatalf("returned: %+v", done)
	}
	if got := joined(f.eventTypes(p.ID)); !strings.Contains(got, "deposit.receipt_returned deposit.return_scheduled deposit.returned") ||
		!strings.Contains(got, "provider.exit_requested provider.exited") {
		t.Errorf("events: %s", got)
	}
	if l := f.wantLedgerMatches(p.ID); l.Kinds["return"] != 1 || l.BalanceFen != 0 {
		t.Errorf("ledger: %+v", l)
	}
	_, err = f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK-2")
	wantCode(t, err, "FailedOperation.DepositNotReturnable")
	_, err = f.svc.RecordDepositPayment(f.ctx, finance, p.ID, f.wire(100, "LATE-2"))
	wantCode(t, err, "FailedOperation.ProviderClosed")
	_, err = f.svc.RequestExit(f.ctx, providerActor("100001"), p.ID, "again")
	wantCode(t, err, "FailedOperation.ProviderClosed")
}

func TestDepositLedger(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	f.deduct(p.ID, 10_000, "R-VI1")
	for _, c := range []struct {
		name string
		who  market.Actor
		code string
	}{
		{"owner", providerActor("100001"), ""},
		{"finance", finance, ""},
		{"another provider", providerActor("100009"), "UnauthorizedOperation"},
		{"a buyer", buyer, "UnauthorizedOperation"},
	} {
		l, err := f.svc.DepositLedger(f.ctx, c.who, p.ID)
		if c.code != "" {
			wantCode(t, err, c.code)
			continue
		}
		ok(t, err)
		var sum int64
		for _, e := range l.Entries {
			sum += int64(e.AmountFen)
		}
		if len(l.Entries) != 2 || sum != int64(l.Provider.Deposit.BalanceFen) || sum != 490_000 {
			t.Errorf("%s: %d entries summing to %d, balance %d", c.name, len(l.Entries), sum, l.Provider.Deposit.BalanceFen)
		}
	}
}

// The deposit ledger under load: 20 transfers, each recorded twice at the
// same time, and 20 deductions, all concurrent. The balance is the sum of the
// entries, it never goes below zero, each transfer has one entry, and the
// receipts are numbered 1..20 without gap or repeat (R-DP2). (50 concurrent
// payments through the queue: TestApplyPayment_ConcurrentDepositPayments.)
func TestDepositLedger_Concurrent_R_DP2_R_DP4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	const transfers, deductions = 20, 20
	var wg sync.WaitGroup
	entryOf := make([][2]string, transfers)
	errs := make(chan error, 2*transfers+deductions)
	for i := range transfers {
		for twin := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := f.svc.RecordDepositPayment(f.ctx, finance, p.ID, f.wire(50_000, fmt.Sprint("CONC-", i)))
				errs <- err
				entryOf[i][twin] = res.Entry.ID
			}()
		}
	}
	for i := range deductions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.DeductDeposit(f.ctx, risk, p.ID, operation.Deduction{AmountFen: money.Fen(1000 + i), Reason: fmt.Sprint("扣款", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	for i, ids := range entryOf {
		if ids[0] == "" || ids[0] != ids[1] {
			t.Errorf("transfer %d: twins answered %v", i, ids)
		}
	}
	l := f.wantLedgerMatches(p.ID)
	if l.Kinds["payment"] != transfers || l.Kinds["deduction"] != deductions {
		t.Fatalf("entries: %+v", l.Kinds)
	}
	var want []string
	for i := 1; i <= transfers; i++ {
		want = append(want, fmt.Sprintf("SJ2026%06d", i))
	}
	if joined(l.Receipts) != joined(want) {
		t.Errorf("receipts %v", l.Receipts)
	}
	led, err := f.svc.DepositLedger(f.ctx, finance, p.ID)
	ok(t, err)
	for _, e := range led.Entries {
		if e.BalanceAfterFen < 0 {
			t.Fatalf("balance below zero: %+v", e)
		}
	}
	if f.countEvents("deposit.paid") != transfers || f.countEvents("deposit.held") != 1 {
		t.Errorf("events: %d paid, %d held", f.countEvents("deposit.paid"), f.countEvents("deposit.held"))
	}
}

// R-DP6, R-EX1, R-EN7: an expelled provider whose deposit held 6,000.00 has
// 1,000.00 left after the 5,000.00 deduction (R-VI2). It goes back on the
// exit's path: the paper receipt, no unfinished trade (the expulsion's refund
// must be paid first), the appeal window closed, then within 15 working days,
// flagged by the sweep when late. The provider stays expelled, the
// organisation stays banned, and no exit is recorded.
func TestExpelledDepositReturn_R_DP6_R_EX1_R_EN7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, p := f.onSale("100001", creditCode, "software", 10_000)
	f.pay(p.ID, 100_000, "WIRE-OVERPAID") // 6,000.00 held
	o := f.paidOrder(prod.ID, "4200000000EXPRET")
	f.applyViolation(p.ID, market.ViolationRequest{Type: "offline_trading", Evidence: "引导买家线下转账"})
	if d := f.provider(p.ID).Deposit; d.BalanceFen != 100_000 || d.OwedFen != 0 {
		t.Fatalf("after the deduction: %+v", d)
	}

	led, err := f.svc.DepositLedger(f.ctx, finance, p.ID)
	ok(t, err)
	if codes := blockerCodes(led.Blockers); codes != "UnexecutedPenalty OpenDispute UnfinishedOrder ReceiptNotReturned" {
		t.Fatalf("ledger blockers: %s", codes)
	}
	rr, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if codes := blockerCodes(rr.Blockers); codes != "UnexecutedPenalty OpenDispute UnfinishedOrder" || !rr.Provider.Deposit.ReturnDueAt.IsZero() {
		t.Fatalf("receipt with the order unfinished: %s", codes)
	}
	_, err = f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK-1")
	wantCode(t, err, "FailedOperation.DepositNotReturnable")

	// The expulsion's refund of the unfinished order is paid (R-EX2).
	refund := f.refund(f.order(o.ID).OpenRefundID)
	f.paid(refund)
	rr, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if codes := blockerCodes(rr.Blockers); codes != "UnexecutedPenalty" {
		t.Fatalf("within the appeal window: %s", codes) // an overturn now would readmit it
	}

	f.setClock("2026-07-13 09:00") // the appeal window closed on 2026-07-10
	rr, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if len(rr.Blockers) != 0 || rr.Provider.Deposit.Status() != market.DepositReturning {
		t.Fatalf("nothing blocks: %s %s", blockerCodes(rr.Blockers), rr.Provider.Deposit.Status())
	}
	wantTime(t, "R-DP6 returnDueAt", rr.Provider.Deposit.ReturnDueAt, endOfDay(t, "2026-08-03"))
	if d := f.eventData(p.ID, "deposit.return_scheduled"); d["amountFen"] != int64(100_000) {
		t.Errorf("scheduled: %v", d)
	}
	if sms := f.message(financePhone, "deposit_return_due"); joined(sms.Params) != "8月3日" {
		t.Errorf("finance alert: %+v", sms)
	}

	f.setClock("2026-08-04 09:00")
	f.run()
	if n := f.countEvents("deposit.return_overdue"); n != 1 {
		t.Errorf("%d return_overdue events", n)
	}

	done, err := f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK-1")
	ok(t, err)
	if done.Status != market.ProviderExpelled || done.Deposit.Status() != market.DepositReturned || done.Deposit.BalanceFen != 0 {
		t.Fatalf("returned: %s %+v", done.Status, done.Deposit)
	}
	if l := f.wantLedgerMatches(p.ID); l.Kinds["return"] != 1 || l.BalanceFen != 0 {
		t.Errorf("ledger: %+v", l)
	}
	led, err = f.svc.DepositLedger(f.ctx, finance, p.ID)
	ok(t, err)
	if led.Blockers != nil {
		t.Errorf("blockers after the return: %+v", led.Blockers)
	}
	ret := led.Entries[len(led.Entries)-1]
	if ret.Kind != market.EntryReturn || ret.AmountFen != -100_000 || ret.Reference != "WIRE-BACK-1" {
		t.Fatalf("return entry: %+v", ret)
	}
	if d := f.eventData(ret.ID, "deposit.returned"); d["amountFen"] != int64(100_000) || d["providerStatus"] != "expelled" {
		t.Errorf("deposit.returned: %v", d)
	}
	if n := f.countEvents("provider.exited"); n != 0 {
		t.Errorf("%d provider.exited events for an expelled provider", n)
	}
	if f.provider(p.ID).Status != market.ProviderExpelled {
		t.Error("the stored provider is no longer expelled")
	}
	for _, org := range []string{creditCode, orgCodeSame} {
		who := providerActor("100009")
		_, err := f.svc.SubmitApplication(f.ctx, who, applicationForm(f.upload(who, "image/png", pngBytes(t)), org))
		wantCode(t, err, "FailedOperation.OrganisationBanned")
	}
	_, err = f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK-2")
	wantCode(t, err, "FailedOperation.DepositNotReturnable")
	_, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	wantCode(t, err, "FailedOperation.DepositReturning")
	_, err = f.svc.RecordDepositPayment(f.ctx, finance, p.ID, f.wire(100, "LATE-1"))
	wantCode(t, err, "FailedOperation.ProviderClosed")
}

// R-DP6: an expulsion that took the whole deposit leaves nothing to pay; once
// the receipt is back finance records the return of 0.00, which closes the
// deposit account and the return-overdue clock.
func TestExpelledDepositReturn_ZeroBalance_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.depositedProvider("100001", creditCode)
	f.applyViolation(p.ID, market.ViolationRequest{Type: "fraud", Evidence: "冒用品牌行骗"})
	f.setClock("2026-07-13 09:00")
	rr, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if len(rr.Blockers) != 0 || rr.Provider.Deposit.BalanceFen != 0 {
		t.Fatalf("receipt: %s %+v", blockerCodes(rr.Blockers), rr.Provider.Deposit)
	}
	done, err := f.svc.ReturnDeposit(f.ctx, finance, p.ID, "NOTHING-LEFT")
	ok(t, err)
	if done.Status != market.ProviderExpelled || done.Deposit.Status() != market.DepositReturned {
		t.Fatalf("returned: %s %s", done.Status, done.Deposit.Status())
	}
	if l := f.wantLedgerMatches(p.ID); l.Kinds["return"] != 1 || l.BalanceFen != 0 {
		t.Errorf("ledger: %+v", l)
	}
	f.setClock("2026-08-04 09:00")
	f.run()
	if n := f.countEvents("deposit.return_overdue"); n != 0 {
		t.Errorf("a closed deposit was flagged overdue %d times", n)
	}
}

// R-DP6: while an appeal may still overturn an expulsion, the deposit is not
// paid out; the overturn readmits the provider with its deposit credited back
// and held. An appeal that awaits its decision blocks the return even after
// the window (its overturn would credit the deduction back).
func TestExpelledDepositReturn_WaitsForTheAppeal_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.depositedProvider("100001", creditCode)
	f.pay(p.ID, 100_000, "WIRE-OVERPAID")
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "offline_trading", Evidence: "引导买家线下转账"})
	_, err := f.svc.AppealViolation(f.ctx, providerActor("100001"), v.ID, "买家自行提出线下付款，已拒绝")
	ok(t, err)
	f.setClock("2026-07-13 09:00") // the window closed; the appeal is still open
	rr, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if codes := blockerCodes(rr.Blockers); codes != "UnexecutedPenalty" || !rr.Provider.Deposit.ReturnDueAt.IsZero() {
		t.Fatalf("with the appeal open: %s", codes)
	}
	_, err = f.svc.DecideAppeal(f.ctx, risk, v.ID, "uphold", "聊天记录显示服务商主动引导")
	ok(t, err)
	rr, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if len(rr.Blockers) != 0 || rr.Provider.Deposit.Status() != market.DepositReturning {
		t.Fatalf("appeal upheld: %s", blockerCodes(rr.Blockers))
	}

	// Overturned in time: readmitted, nothing was paid out, the deposit is whole.
	g := newFixture(t, "2026-07-01 09:30")
	q := g.depositedProvider("100001", creditCode)
	w := g.applyViolation(q.ID, market.ViolationRequest{Type: "offline_trading", Evidence: "引导买家线下转账"})
	rr, err = g.svc.ReceiptReturned(g.ctx, finance, q.ID)
	ok(t, err)
	if codes := blockerCodes(rr.Blockers); codes != "UnexecutedPenalty" {
		t.Fatalf("within the window: %s", codes)
	}
	_, err = g.svc.AppealViolation(g.ctx, providerActor("100001"), w.ID, "误判")
	ok(t, err)
	_, err = g.svc.DecideAppeal(g.ctx, risk, w.ID, "overturn", "证据不足")
	ok(t, err)
	back := g.provider(q.ID)
	if back.Status != market.ProviderActive || back.Deposit.Status() != market.DepositHeld || back.Deposit.BalanceFen != 500_000 {
		t.Fatalf("readmitted: %s %+v", back.Status, back.Deposit)
	}
	_, err = g.svc.ReturnDeposit(g.ctx, finance, q.ID, "WIRE-BACK-1")
	wantCode(t, err, "FailedOperation.DepositNotReturnable")
}
