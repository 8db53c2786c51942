package operation_test

import (
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// Signing the contract opens the account (R-ON2); before it, nothing the
// provider does on its own account succeeds.
func TestSignContract_R_ON2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.approvedProvider("100001", creditCode)
	own := providerActor("100001")

	_, err := f.svc.ReportChange(f.ctx, own, p.ID, market.ChangeRequest{Field: "contact.name", NewValue: "李四", ChangedOn: "2026-10-01"})
	wantCode(t, err, "FailedOperation.ContractNotSigned")
	_, err = f.svc.RequestExit(f.ctx, own, p.ID, "业务调整")
	wantCode(t, err, "FailedOperation.ContractNotSigned")
	_, err = f.svc.CreateProduct(f.ctx, own, content("software", "云数据库备份", 100_000))
	wantCode(t, err, "FailedOperation.ContractNotSigned")

	for _, c := range []struct {
		name, id, signatory, code string
		who                       market.Actor
	}{
		{"another account", p.ID, "张三", "UnauthorizedOperation", providerActor("100009")},
		{"an operator cannot sign for it", p.ID, "张三", "UnauthorizedOperation", reviewer},
		{"no signatory", p.ID, " ", "MissingParameter", own},
		{"unknown provider", "prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", "张三", "ResourceNotFound.Provider", own},
	} {
		_, err := f.svc.SignContract(f.ctx, c.who, c.id, c.signatory)
		wantCode(t, err, c.code)
	}

	f.setClock("2026-10-09 11:00")
	signed, err := f.svc.SignContract(f.ctx, own, p.ID, "张三")
	ok(t, err)
	if signed.Status != market.ProviderActive || signed.Contract.SignatoryName != "张三" || f.provider(p.ID).Status != market.ProviderActive {
		t.Fatalf("signed: %+v", signed)
	}
	wantTime(t, "signedAt", signed.Contract.SignedAt, sh(t, "2026-10-09 11:00"))
	if d := f.eventData(p.ID, "provider.contract_signed"); d["signatoryName"] != "张三" {
		t.Errorf("event: %v", d)
	}
	// The deposit is still to be paid: signing lists nothing (R-ON2).
	if p := f.provider(p.ID); p.Deposit.Status() != market.DepositUnpaid {
		t.Errorf("deposit after signing: %s", p.Deposit.Status())
	}
	_, err = f.svc.SignContract(f.ctx, own, p.ID, "张三")
	wantCode(t, err, "FailedOperation.ContractAlreadySigned")
}

func TestGetProvider(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.approvedProvider("100001", creditCode)
	for _, c := range []struct {
		name string
		who  market.Actor
		id   string
		code string
	}{
		{"owner", providerActor("100001"), p.ID, ""},
		{"risk", risk, p.ID, ""},
		{"another provider", providerActor("100002"), p.ID, "UnauthorizedOperation"},
		{"a buyer", buyer, p.ID, "UnauthorizedOperation"},
		{"unknown", finance, "prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", "ResourceNotFound.Provider"},
	} {
		got, err := f.svc.GetProvider(f.ctx, c.who, c.id)
		if c.code != "" {
			wantCode(t, err, c.code)
		} else if err != nil || got.ID != p.ID {
			t.Errorf("%s: %v %v", c.name, got, err)
		}
	}
}

// Changes of registered information are reported within 30 days (R-ON4): a
// late report is accepted, marked, and the risk team is told; contact changes
// take effect at once.
func TestReportChange_R_ON4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-11-26 10:00")
	p := f.signedProvider("100001", creditCode)
	own := providerActor("100001")

	onTime, err := f.svc.ReportChange(f.ctx, own, p.ID, market.ChangeRequest{Field: "contact.phone", NewValue: "139 0000 1111", ChangedOn: "2026-10-27"})
	ok(t, err)
	if !onTime.OnTime || onTime.NewValue != "+8613900001111" || onTime.Field != "contact.phone" || !strings.HasPrefix(onTime.ID, "chg_") {
		t.Fatalf("on time: %+v", onTime)
	}
	wantTime(t, "R-ON4 dueBy of a change on 10-27", onTime.DueBy, endOfDay(t, "2026-11-26"))
	if got := f.provider(p.ID).Contact.Phone; got != "+8613900001111" {
		t.Errorf("contact phone not updated: %s", got)
	}
	if got := f.sent(riskPhone); len(got) != 0 {
		t.Errorf("risk told of an on-time report: %v", got)
	}

	late, err := f.svc.ReportChange(f.ctx, own, p.ID, market.ChangeRequest{Field: "registeredAddress", NewValue: "深圳市南山区", ChangedOn: "2026-10-26"})
	ok(t, err)
	if late.OnTime {
		t.Fatalf("R-ON4 a change on 10-26 reported on 11-26 is late: %+v", late)
	}
	wantTime(t, "R-ON4 dueBy of a change on 10-26", late.DueBy, endOfDay(t, "2026-11-25"))
	if sms := f.message(riskPhone, "change_reported_late"); len(sms.Params) != 0 {
		t.Errorf("risk alert: %+v", sms)
	}
	if got := joined(f.eventTypes(p.ID)); !strings.Contains(got, "provider.change_reported provider.change_reported provider.change_reported_late") {
		t.Errorf("events: %s", got)
	}
	if d := f.eventData(p.ID, "provider.change_reported_late"); d["onTime"] != false || d["changedOn"] != "2026-10-26" {
		t.Errorf("late event: %v", d)
	}

	// Notices go to the new contact from now on.
	f.pay(p.ID, 500_000, "WIRE-1")
	if got := f.sent("+8613900001111"); joined(got) != "deposit_received" {
		t.Errorf("new phone got %v", got)
	}
	_, err = f.svc.ReportChange(f.ctx, own, p.ID, market.ChangeRequest{Field: "contact.email", NewValue: " li@example.com ", ChangedOn: "2026-11-20"})
	ok(t, err)
	if got := f.provider(p.ID).Contact.Email; got != "li@example.com" {
		t.Errorf("contact e-mail: %q", got)
	}
}

func TestReportChange_Refusals_R_ON4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-11-26 10:00")
	p := f.signedProvider("100001", creditCode)
	own := providerActor("100001")
	for _, c := range []struct {
		name, id, field, value, changedOn, code string
		who                                     market.Actor
	}{
		{"unknown field", p.ID, "favouriteColour", "red", "2026-11-01", "InvalidParameterValue.Field", own},
		{"no field", p.ID, "", "x", "2026-11-01", "MissingParameter", own},
		{"no value", p.ID, "registeredAddress", "  ", "2026-11-01", "MissingParameter", own},
		{"no date", p.ID, "registeredAddress", "x", "", "MissingParameter", own},
		{"not a date", p.ID, "registeredAddress", "x", "2026/11/01", "InvalidParameterValue.ChangedOn", own},
		{"a change tomorrow", p.ID, "registeredAddress", "x", "2026-11-27", "InvalidParameterValue.ChangedOn", own},
		{"not a mobile number", p.ID, "contact.phone", "123", "2026-11-01", "InvalidParameterValue.NewValue", own},
		{"not an e-mail address", p.ID, "contact.email", "li at example", "2026-11-01", "InvalidParameterValue.NewValue", own},
		{"not a QQ number", p.ID, "contact.qq", "12", "2026-11-01", "InvalidParameterValue.NewValue", own},
		{"another account", p.ID, "registeredAddress", "x", "2026-11-01", "UnauthorizedOperation", providerActor("100009")},
		{"operators do not report for it", p.ID, "registeredAddress", "x", "2026-11-01", "UnauthorizedOperation", risk},
		{"unknown provider", "prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", "registeredAddress", "x", "2026-11-01", "ResourceNotFound.Provider", own},
	} {
		_, err := f.svc.ReportChange(f.ctx, c.who, c.id, market.ChangeRequest{Field: c.field, NewValue: c.value, ChangedOn: c.changedOn})
		wantCode(t, err, c.code)
	}
	// The changed-today boundary is allowed; nothing refused was recorded.
	_, err := f.svc.ReportChange(f.ctx, own, p.ID, market.ChangeRequest{Field: "licenseExpiry", NewValue: "2036-11-26", ChangedOn: "2026-11-26"})
	ok(t, err)
	if got := joined(f.eventTypes(p.ID)); strings.Count(got, "provider.change_reported") != 1 {
		t.Errorf("events: %s", got)
	}
}

// An exit (R-EX1) closes the store at once: nothing new is sold (R-EX2). The
// deposit's return waits for the paper receipt (R-DP6).
func TestRequestExit_R_EX1_R_EX2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	prod, p := f.onSale("100001", creditCode, "software", 100_000)
	own := providerActor("100001")
	if !f.visible(prod.ID) {
		t.Fatal("product not on sale before the exit")
	}
	for _, c := range []struct {
		name, reason, code string
		who                market.Actor
	}{
		{"no reason", " ", "MissingParameter", own},
		{"another provider", "x", "UnauthorizedOperation", providerActor("100009")},
		{"a reviewer is not the risk team", "x", "UnauthorizedOperation", reviewer},
	} {
		_, err := f.svc.RequestExit(f.ctx, c.who, p.ID, c.reason)
		wantCode(t, err, c.code)
	}

	f.setClock("2026-10-09 10:00")
	ex, err := f.svc.RequestExit(f.ctx, own, p.ID, "业务调整")
	ok(t, err)
	if ex.Provider.Status != market.ProviderExiting || ex.Provider.ExitReason != "业务调整" {
		t.Fatalf("exit: %+v", ex.Provider)
	}
	wantTime(t, "exitRequestedAt", ex.Provider.ExitRequestedAt, sh(t, "2026-10-09 10:00"))
	if v := f.provider(p.ID).Store.View(f.clock.Now()); v.Status != market.StoreClosed || v.Reason != market.ReasonExit {
		t.Errorf("store during exit: %+v", v)
	}
	if len(ex.Blockers) != 1 || ex.Blockers[0].Code != "ReceiptNotReturned" {
		t.Errorf("blockers: %+v", ex.Blockers)
	}
	if f.visible(prod.ID) {
		t.Error("R-EX2 the product of an exiting provider is still on sale")
	}
	_, err = f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	wantCode(t, err, "FailedOperation.ProductNotOnSale")
	d := f.eventData(p.ID, "provider.exit_requested")
	if bl, _ := d["returnBlockers"].([]market.ReturnBlocker); d["reason"] != "业务调整" || len(bl) != 1 {
		t.Errorf("event: %v", d)
	}

	_, err = f.svc.RequestExit(f.ctx, own, p.ID, "再来一次")
	wantCode(t, err, "FailedOperation.ExitAlreadyRequested")
}

// R-EX1: the risk team may end a provider's cooperation, even one that never
// signed; the provider itself cannot exit before signing.
func TestRequestExit_ByRisk_R_EX1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.approvedProvider("100001", creditCode)
	ex, err := f.svc.RequestExit(f.ctx, risk, p.ID, "R-VI9 入驻资料造假")
	ok(t, err)
	if ex.Provider.Status != market.ProviderExiting {
		t.Fatalf("exit by risk: %+v", ex.Provider)
	}
	if f.eventActor(p.ID, "provider.exit_requested") != risk.Account {
		t.Error("the exit is not recorded as the risk team's")
	}
	_, err = f.svc.RequestExit(f.ctx, risk, "prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", "x")
	wantCode(t, err, "ResourceNotFound.Provider")
}

// The audit trail: operators read everything, a provider only its own.
func TestListEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	other := f.signedProvider("100002", otherOrg)
	own := providerActor("100001")

	_, err := f.svc.ListEvents(f.ctx, own, store.EventQuery{})
	wantCode(t, err, "MissingParameter")
	_, err = f.svc.ListEvents(f.ctx, own, store.EventQuery{ProviderID: other.ID})
	wantCode(t, err, "UnauthorizedOperation")
	_, err = f.svc.ListEvents(f.ctx, buyer, store.EventQuery{ProviderID: p.ID})
	wantCode(t, err, "UnauthorizedOperation")

	mine, err := f.svc.ListEvents(f.ctx, own, store.EventQuery{ProviderID: p.ID})
	ok(t, err)
	all, err := f.svc.ListEvents(f.ctx, risk, store.EventQuery{})
	ok(t, err)
	// Each provider: provider.created, application.approved,
	// provider.contract_signed; plus the two application.submitted events,
	// which concern no provider yet.
	if len(mine) != 3 || len(all) != 8 {
		t.Fatalf("own %d, all %d", len(mine), len(all))
	}
	for _, e := range mine {
		if e.ProviderID != p.ID {
			t.Errorf("a provider sees another's event: %+v", e)
		}
	}
	page, err := f.svc.ListEvents(f.ctx, finance, store.EventQuery{ProviderID: p.ID, Limit: 2})
	ok(t, err)
	rest, err := f.svc.ListEvents(f.ctx, finance, store.EventQuery{ProviderID: p.ID, After: page[1].ID})
	ok(t, err)
	if len(page) != 2 || len(rest) != 1 {
		t.Errorf("paging: %d then %d", len(page), len(rest))
	}
	for _, e := range mine {
		if e.At.IsZero() || e.At.After(f.clock.Now().Add(time.Millisecond)) || e.Actor == "" {
			t.Errorf("event without time or actor: %+v", e)
		}
	}
}

// The service's time is the clock's, in UTC at the stored precision
// (milliseconds), so what views derive from it matches what was stored.
func TestNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	f.clock.Set(sh(t, "2026-10-08 09:00:00.123").Add(456 * time.Microsecond))
	if got := f.svc.Now(); got.Location() != time.UTC || !got.Equal(sh(t, "2026-10-08 09:00:00.123")) {
		t.Fatalf("Now = %v", got)
	}
}
