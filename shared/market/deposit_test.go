package market

import (
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

func activeProvider() *Provider {
	return &Provider{ID: "prv_1", CompanyName: "示例（深圳）科技有限公司", Status: ProviderActive, Deposit: Deposit{RequiredFen: DepositStandard}}
}

func TestDepositStatusLifecycle_R_DP(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, workday.Shanghai)
	p := activeProvider()
	if p.Deposit.Status() != DepositUnpaid {
		t.Fatal("new deposit not unpaid")
	}
	if ch := p.ApplyPayment(money.Yuan(3000), "SJ1"); ch.FirstHeld || p.Deposit.Status() != DepositUnpaid || p.Deposit.ShortfallFen() != money.Yuan(2000) {
		t.Fatalf("partial: %+v %s", ch, p.Deposit.Status())
	}
	if ch := p.ApplyPayment(money.Yuan(2000), "SJ2"); !ch.FirstHeld || !ch.BecameWhole || p.Deposit.Status() != DepositHeld {
		t.Fatalf("whole: %+v", ch)
	}
	ch, err := p.Deduct(money.Yuan(1200), "R-VI5", now, cal)
	if err != nil || !ch.BecameShort || p.Deposit.Status() != DepositShort || p.Deposit.TopUpDueAt.Format(time.DateOnly) != "2026-12-07" {
		t.Fatalf("deduct: %+v %v %v", ch, err, p.Deposit.TopUpDueAt)
	}
	// A second deduction keeps the first deadline (the earliest applies).
	first := p.Deposit.TopUpDueAt
	if ch, _ := p.Deduct(money.Yuan(100), "again", now.AddDate(0, 0, 3), cal); ch.BecameShort || !p.Deposit.TopUpDueAt.Equal(first) {
		t.Fatalf("second deduction moved the deadline: %+v", ch)
	}
	if !p.TopUpOverdue(first.Add(time.Millisecond)) || p.TopUpOverdue(first) {
		t.Fatal("overdue boundary")
	}
	// More than the balance: the rest is owed (R-VI11).
	ch, _ = p.Deduct(money.Yuan(10000), "R-VI2", now, cal)
	if ch.TakenFen != money.Yuan(3700) || ch.OwedFen != money.Yuan(6300) || p.Deposit.BalanceFen != 0 || p.Deposit.OwedFen != money.Yuan(6300) {
		t.Fatalf("owed: %+v %+v", ch, p.Deposit)
	}
	if ch := p.ApplyPayment(money.Yuan(5000), "SJ3"); !ch.BecameWhole || ch.FirstHeld || !p.Deposit.TopUpDueAt.IsZero() {
		t.Fatalf("top-up: %+v", ch)
	}
}

func TestPaymentChecks_R_DP2_R_DP3(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, workday.Shanghai)
	p := activeProvider()
	ok := Payment{AmountFen: 500000, Channel: "online_banking", Reference: "R", PayerAccountName: "示例(深圳)科技 有限公司", PaidAt: now}
	if err := p.CheckPayment(ok, now); err != nil {
		t.Fatalf("bracket and space variants of the company name must match: %v", err)
	}
	for name, c := range map[string]struct {
		edit func(*Payment)
		code string
	}{
		"balance":  {func(p *Payment) { p.Channel = "account_balance" }, "InvalidParameterValue.Channel"},
		"too big":  {func(p *Payment) { p.AmountFen = MaxDepositAmount + 1 }, "InvalidParameterValue.AmountFen"},
		"no payer": {func(p *Payment) { p.PayerAccountName = " " }, "MissingParameter"},
		"no date":  {func(p *Payment) { p.PaidAt = time.Time{} }, "MissingParameter"},
	} {
		pay := ok
		c.edit(&pay)
		if err := p.CheckPayment(pay, now); !fault.HasCode(err, c.code) {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

// Money that has arrived is never refused for who paid it: it is recorded,
// and whether it came from the corporate account is told (R-DP2).
func TestPayerNeverRefusesMoney_R_DP2(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, workday.Shanghai)
	p := activeProvider()
	base := Payment{AmountFen: 500000, Channel: "wire", Reference: "R", PayerAccountName: "张三", PaidAt: now}
	cash := base
	cash.Channel, cash.PayerAccountName = ChannelBankCounter, ""
	viaSystem := Payment{AmountFen: 500000, Channel: "tenpay", Reference: "T", PaidAt: now, ViaPaymentSystem: true}
	own := base
	own.PayerAccountName = "示例(深圳)科技有限公司"
	for pay, want := range map[*Payment]PayerCheck{&base: PayerOtherAccount, &cash: PayerNoAccount, &viaSystem: PayerPaymentSystem, &own: PayerCorporateAccount} {
		if err := p.CheckPayment(*pay, now); err != nil {
			t.Errorf("%+v refused: %v", *pay, err)
		}
		if got := p.CheckPayer(*pay); got != want || got.FromCorporateAccount() != (want == PayerCorporateAccount) {
			t.Errorf("%+v: %s, want %s", *pay, got, want)
		}
	}
	// A reported rename counts at once (R-ON4).
	if _, err := p.ReportChange("chg_1", ChangeRequest{Field: "companyName", NewValue: "张三", ChangedOn: "2026-11-20"}, "1", now); err != nil {
		t.Fatal(err)
	}
	if p.CheckPayer(base) != PayerCorporateAccount {
		t.Fatal("the renamed company's transfer does not match")
	}
}

// After an exit the top-up rule no longer binds: the timer must not close the
// store of a provider that left, nor text it that its deposit is short.
func TestTopUpStopsAtExit_R_DP5_R_DP6(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, workday.Shanghai)
	p := activeProvider()
	p.ApplyPayment(DepositStandard, "SJ1")
	if _, err := p.Deduct(money.Yuan(1000), "R-VI5", now, cal); err != nil || p.Deposit.TopUpDueAt.IsZero() {
		t.Fatal(err)
	}
	if err := p.RequestExit("业务调整", now); err != nil {
		t.Fatal(err)
	}
	later := now.AddDate(0, 1, 0)
	if !p.Deposit.TopUpDueAt.IsZero() || p.TopUpOverdue(later) {
		t.Fatalf("top-up clock still running after exit: %+v", p.Deposit)
	}
	if _, err := p.Deduct(money.Yuan(100), "R-VI1", now, cal); err != nil || !p.Deposit.TopUpDueAt.IsZero() {
		t.Fatalf("a deduction during exit started the clock: %v %+v", err, p.Deposit)
	}
	if _, err := p.ReceiptReturned(Obligations{}, now, cal); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ReturnDeposit(Obligations{}, now); err != nil || p.TopUpOverdue(later) {
		t.Fatalf("returned: %v", err)
	}
}

func TestStorefrontKeepsReasonsApart(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, workday.Shanghai)
	var s Storefront
	if v := s.View(now); v.Status != StoreOpen {
		t.Fatal("new store not open")
	}
	s.Close(Closure{Reason: ReasonDepositShort, Since: now})
	s.Close(Closure{Reason: "penalty:vio_1", Blocked: true, Since: now.Add(time.Hour), Until: now.Add(15 * 24 * time.Hour)})
	if v := s.View(now.Add(2 * time.Hour)); v.Status != StoreBlocked || v.Reason != "penalty:vio_1" {
		t.Fatalf("block beats closure: %+v", v)
	}
	if !s.Reopen(ReasonDepositShort) || s.Reopen(ReasonDepositShort) {
		t.Fatal("reopen once")
	}
	if v := s.View(now.Add(2 * time.Hour)); v.Status != StoreBlocked {
		t.Fatal("paying the deposit lifted a penalty block")
	}
	if v := s.View(now.Add(16 * 24 * time.Hour)); v.Status != StoreOpen {
		t.Fatalf("expired block still counts: %+v", v)
	}
}

func TestExitAndReturn_R_DP6_R_EX1(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	now := time.Date(2026, 9, 29, 10, 0, 0, 0, workday.Shanghai)
	p := activeProvider()
	p.ApplyPayment(DepositStandard, "SJ1")
	if _, err := p.ReceiptReturned(Obligations{}, now, cal); !fault.HasCode(err, "FailedOperation.ProviderNotExiting") {
		t.Fatalf("receipt before exit: %v", err)
	}
	if err := p.RequestExit(" ", now); !fault.HasCode(err, "MissingParameter") {
		t.Fatal("exit without reason")
	}
	if err := p.RequestExit("业务调整", now); err != nil {
		t.Fatal(err)
	}
	if err := p.RequestExit("again", now); !fault.HasCode(err, "FailedOperation.ExitAlreadyRequested") {
		t.Fatal("second exit")
	}
	blockers, err := p.ReceiptReturned(Obligations{UnfinishedOrders: 1, OpenDisputes: 2}, now, cal)
	if err != nil || len(blockers) != 2 || !p.Deposit.ReturnDueAt.IsZero() {
		t.Fatalf("blocked: %v %v", blockers, err)
	}
	blockers, err = p.ReceiptReturned(Obligations{}, now, cal)
	if err != nil || len(blockers) != 0 || p.Deposit.ReturnDueAt.Format(time.DateOnly) != "2026-10-26" {
		t.Fatalf("scheduled: %v %v %v", blockers, err, p.Deposit.ReturnDueAt)
	}
	amount, err := p.ReturnDeposit(Obligations{}, now)
	if err != nil || amount != DepositStandard || p.Status != ProviderExited || p.Deposit.Status() != DepositReturned {
		t.Fatalf("returned: %v %v %+v", amount, err, p.Deposit)
	}
}

// R-DP6, R-EX1: an expulsion ends the cooperation, so what is left of the
// deposit goes back on the exit's path (receipt, blockers, 15 working days);
// the provider stays expelled. A zero balance is returned as 0.
func TestExpelledDepositReturn_R_DP6_R_EX1(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	now := time.Date(2026, 9, 29, 10, 0, 0, 0, workday.Shanghai)
	cases := []struct {
		name        string
		paid        money.Fen
		deducted    money.Fen
		obl         Obligations
		wantBlocked string // blocker codes at the receipt's return, space separated
		wantReturn  money.Fen
	}{
		{name: "overpaid deposit keeps 1,000.00 after the 5,000.00 deduction", paid: money.Yuan(6000), deducted: money.Yuan(5000), wantReturn: money.Yuan(1000)},
		{name: "smaller deduction by extraActions", paid: money.Yuan(5000), deducted: money.Yuan(2000), wantReturn: money.Yuan(3000)},
		{name: "nothing left is returned as 0", paid: money.Yuan(5000), deducted: money.Yuan(5000), wantReturn: 0},
		{name: "unfinished trade and open dispute block", paid: money.Yuan(6000), deducted: money.Yuan(5000),
			obl: Obligations{UnfinishedOrders: 1, OpenDisputes: 1}, wantBlocked: "OpenDispute UnfinishedOrder"},
		{name: "unexecuted penalty blocks", paid: money.Yuan(6000), deducted: money.Yuan(5000),
			obl: Obligations{UnexecutedPenalties: 1}, wantBlocked: "UnexecutedPenalty"},
		{name: "an amount owed blocks", paid: money.Yuan(2000), deducted: money.Yuan(5000), wantBlocked: "AmountOwed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := activeProvider()
			p.ApplyPayment(tc.paid, "SJ1")
			p.Expel(now)
			if _, err := p.Deduct(tc.deducted, "R-VI2 线下交易", now, cal); err != nil {
				t.Fatal(err)
			}
			if codes := blockerCodesOf(p.ReturnBlockers(tc.obl)); !strings.Contains(codes, "ReceiptNotReturned") || strings.Contains(codes, "NotExiting") {
				t.Fatalf("before the receipt: %s", codes)
			}
			blockers, err := p.ReceiptReturned(tc.obl, now, cal)
			if err != nil {
				t.Fatal(err)
			}
			if got := blockerCodesOf(blockers); got != tc.wantBlocked {
				t.Fatalf("blockers %q, want %q", got, tc.wantBlocked)
			}
			if tc.wantBlocked != "" {
				if !p.Deposit.ReturnDueAt.IsZero() {
					t.Fatal("a blocked return was scheduled")
				}
				if _, err := p.ReturnDeposit(tc.obl, now); !fault.HasCode(err, "FailedOperation.DepositNotReturnable") {
					t.Fatalf("return while blocked: %v", err)
				}
				return
			}
			if p.Deposit.Status() != DepositReturning || p.Deposit.ReturnDueAt.Format(time.DateOnly) != "2026-10-26" {
				t.Fatalf("scheduled: %s %v", p.Deposit.Status(), p.Deposit.ReturnDueAt)
			}
			// Checked again at payout: a dispute opened since blocks it.
			if _, err := p.ReturnDeposit(Obligations{OpenDisputes: 1}, now); !fault.HasCode(err, "FailedOperation.DepositReturnBlocked") {
				t.Fatalf("return with a new dispute: %v", err)
			}
			amount, err := p.ReturnDeposit(Obligations{}, now)
			if err != nil || amount != tc.wantReturn || p.Deposit.BalanceFen != 0 || p.Deposit.Status() != DepositReturned {
				t.Fatalf("returned %v %v %+v", amount, err, p.Deposit)
			}
			if p.Status != ProviderExpelled {
				t.Fatalf("status after the return: %s, want expelled", p.Status)
			}
			if _, err := p.ReturnDeposit(Obligations{}, now); !fault.HasCode(err, "FailedOperation.DepositNotReturnable") {
				t.Fatalf("second return: %v", err)
			}
		})
	}
}

// R-DP6: only a provider whose cooperation ends has its deposit returned.
func TestReturnBlockers_CooperationEnding_R_DP6(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status ProviderStatus
		ending bool
	}{
		{ProviderContractPending, false}, {ProviderActive, false}, {ProviderExiting, true}, {ProviderExpelled, true}, {ProviderExited, false},
	} {
		p := activeProvider()
		p.Status = tc.status
		p.Deposit.ReceiptReturnedAt = time.Date(2026, 9, 29, 10, 0, 0, 0, workday.Shanghai)
		codes := blockerCodesOf(p.ReturnBlockers(Obligations{}))
		if p.CooperationEnding() != tc.ending || (codes == "") != tc.ending {
			t.Errorf("%s: ending %v, blockers %q", tc.status, p.CooperationEnding(), codes)
		}
	}
}

func blockerCodesOf(bs []ReturnBlocker) string {
	codes := make([]string, len(bs))
	for i, b := range bs {
		codes[i] = b.Code
	}
	return strings.Join(codes, " ")
}
