package operation_test

import (
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/market"
)

// The amount comes from the listed plan, never from the client; the platform's
// share is 10% in platform mode and the consignment rate otherwise, rounded
// half up, and the split sums back (R-FE1). Who invoices whom follows the
// mode (R-FE2).
func TestPlaceOrder_Fees_R_FE1_R_FE2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	platform, _ := f.onSale("100001", creditCode, "software", 99_999)
	cheap := f.listed(providerActor("100001"), "software", 5)
	consigned := f.approve(f.applyWith("100002", otherOrg, func(a *market.ApplicationForm) { a.CooperationMode = "consignment" }))
	f.payInFull(f.sign(consigned))
	consignedProduct := f.listed(providerActor("100002"), "software", 99_999)

	type invoice struct {
		issuer, recipient, subject string
		amount                     int64
	}
	for _, c := range []struct {
		name        string
		product     string
		quantity    int
		amount, fee int64
		mode        string
		rate        int64
		invoices    []invoice
	}{
		{"R-FE1 platform mode: 10% of 299,997 fen is 29,999.7, rounded half up", platform.ID, 3, 299_997, 30_000, "platform", 1000,
			[]invoice{{"provider", "buyer", "sale", 299_997}, {"platform", "provider", "service_fee", 30_000}}},
		{"R-FE1 half a fen rounds up", cheap.ID, 1, 5, 1, "platform", 1000,
			[]invoice{{"provider", "buyer", "sale", 5}, {"platform", "provider", "service_fee", 1}}},
		{"R-FE2 consignment: the platform sells, the provider bills its settlement", consignedProduct.ID, 3, 299_997, 59_999, "consignment", 2000,
			[]invoice{{"platform", "buyer", "sale", 299_997}, {"provider", "platform", "settlement", 239_998}}},
	} {
		o, err := f.svc.PlaceOrder(f.ctx, buyer, c.product, "std", c.quantity)
		ok(t, err)
		if o.Status != market.OrderPendingPayment || o.BuyerAccount != buyer.Account || !strings.HasPrefix(o.OutTradeNo, "CM") || o.ProductID != c.product {
			t.Fatalf("%s: %+v", c.name, o)
		}
		if int64(o.AmountFen) != c.amount || int64(o.PlatformFee) != c.fee || o.PlatformFee+o.ProviderNet != o.AmountFen ||
			string(o.Fee.Mode) != c.mode || int64(o.Fee.RateBps) != c.rate {
			t.Errorf("%s: amount %d fee %d net %d mode %s rate %d", c.name, o.AmountFen, o.PlatformFee, o.ProviderNet, o.Fee.Mode, o.Fee.RateBps)
		}
		var got []invoice
		for _, i := range o.Invoicing {
			got = append(got, invoice{i.Issuer, i.Recipient, i.Subject, int64(i.AmountFen)})
		}
		if len(got) != len(c.invoices) || got[0] != c.invoices[0] || got[1] != c.invoices[1] {
			t.Errorf("%s: invoicing %+v", c.name, got)
		}
		wantTime(t, c.name+" expiresAt", o.ExpiresAt, sh(t, "2026-07-01 11:30"))
		if d := f.eventData(o.ID, "order.created"); d["amountFen"] != c.amount || d["platformFeeFen"] != c.fee || d["feeMode"] != c.mode {
			t.Errorf("%s: event %v", c.name, d)
		}
		// What was stored is what was answered.
		if stored := f.order(o.ID); stored.AmountFen != o.AmountFen || stored.ProviderNet != o.ProviderNet || len(stored.Invoicing) != 2 {
			t.Errorf("%s: stored %+v", c.name, stored)
		}
	}
}

func TestPlaceOrder_Refusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 1000)
	f.signedProvider("100002", otherOrg)
	waiting := f.listed(providerActor("100002"), "software", 1000) // R-ON3: approved, waiting for the deposit
	draft, err := f.svc.CreateProduct(f.ctx, providerActor("100001"), content("software", "草稿", 1000))
	ok(t, err)
	for _, c := range []struct {
		name, product, plan string
		quantity            int
		code                string
	}{
		{"unknown plan", prod.ID, "pro", 1, "InvalidParameterValue.PlanId"},
		{"no plan", prod.ID, "", 1, "MissingParameter"},
		{"no product", "", "std", 1, "MissingParameter"},
		{"quantity 0", prod.ID, "std", 0, "InvalidParameterValue.Quantity"},
		{"quantity 101", prod.ID, "std", 101, "InvalidParameterValue.Quantity"},
		{"unknown product", "prd_01M8AP2Y8SCK8BWNJEDY9YE5W8", "std", 1, "ResourceNotFound.Product"},
		{"R-ON3 approved but the deposit not received", waiting.ID, "std", 1, "FailedOperation.ProductNotOnSale"},
		{"R-LS1 a draft was never reviewed", draft.ID, "std", 1, "FailedOperation.ProductNotOnSale"},
	} {
		_, err := f.svc.PlaceOrder(f.ctx, buyer, c.product, c.plan, c.quantity)
		wantCode(t, err, c.code)
	}
	if n := f.countEvents("order.created"); n != 0 {
		t.Fatalf("refusals created %d orders", n)
	}
	_, err = f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 100)
	ok(t, err)
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 1000)
	f.signedProvider("100002", otherOrg)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	for _, c := range []struct {
		name string
		who  market.Actor
		id   string
		code string
	}{
		{"its buyer", buyer, o.ID, ""},
		{"the product's provider", providerActor("100001"), o.ID, ""},
		{"finance", finance, o.ID, ""},
		{"another buyer", buyer2, o.ID, "UnauthorizedOperation"},
		{"another provider", providerActor("100002"), o.ID, "UnauthorizedOperation"},
		{"unknown", buyer, "ord_01M8AP2Y8SCK8BWNJEDY9YE5W8", "ResourceNotFound.Order"},
	} {
		got, err := f.svc.GetOrder(f.ctx, c.who, c.id)
		if c.code != "" {
			wantCode(t, err, c.code)
		} else if err != nil || got.ID != o.ID {
			t.Errorf("%s: %v %v", c.name, got, err)
		}
	}
}

// An ops order (R-CAT1): after paying, the buyer submits a requirement form,
// the provider starts work (R-SV2), and the buyer's confirmation ends the
// review period and completes the order (R-RF1).
func TestOpsOrderFlow_R_SV2_R_RF1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "ops", 50_000)
	f.signedProvider("100002", otherOrg)
	own := providerActor("100001")
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)

	_, err = f.svc.StartOrder(f.ctx, own, o.ID)
	wantCode(t, err, "FailedOperation.OrderNotPaid")
	_, err = f.svc.SubmitRequirements(f.ctx, buyer, o.ID, "迁移 MySQL")
	wantCode(t, err, "FailedOperation.OrderNotPaid")
	_, err = f.svc.ConfirmOrder(f.ctx, buyer, o.ID)
	wantCode(t, err, "FailedOperation.OrderNotInService")

	ok(t, f.payOrder(o, 50_000, "4200000000202607010001"))
	paid := f.order(o.ID)
	if paid.Status != market.OrderPaid || !paid.ReviewPeriodEndsAt.IsZero() || paid.RedemptionCode != "" || !paid.StartedAt.IsZero() {
		t.Fatalf("R-RF1 a paid ops order is in review until confirmed: %+v", paid)
	}
	wantTime(t, "R-SV2 startDueAt", paid.StartDueAt, endOfDay(t, "2026-07-03"))

	for _, c := range []struct {
		name, text, code string
		who              market.Actor
	}{
		{"the provider writes no requirements", "x", "UnauthorizedOperation", own},
		{"another buyer", "x", "UnauthorizedOperation", buyer2},
		{"empty form", "  ", "MissingParameter", buyer},
		{"too long", strings.Repeat("字", market.MaxRequirementLength+1), "InvalidParameterValue.Text", buyer},
	} {
		_, err := f.svc.SubmitRequirements(f.ctx, c.who, o.ID, c.text)
		wantCode(t, err, c.code)
	}
	f.setClock("2026-07-01 10:00")
	req, err := f.svc.SubmitRequirements(f.ctx, buyer, o.ID, "请帮我把 MySQL 迁移到云数据库")
	ok(t, err)
	if req.Requirements != "请帮我把 MySQL 迁移到云数据库" || req.Status != market.OrderPaid {
		t.Fatalf("requirements: %+v", req)
	}
	wantTime(t, "requirementsAt", req.RequirementsAt, sh(t, "2026-07-01 10:00"))
	wantTime(t, "R-SV2 a form the same day keeps startDueAt", req.StartDueAt, endOfDay(t, "2026-07-03"))

	for _, who := range []market.Actor{buyer, providerActor("100002"), reviewer} {
		_, err := f.svc.StartOrder(f.ctx, who, o.ID)
		wantCode(t, err, "UnauthorizedOperation")
	}
	f.setClock("2026-07-02 09:00")
	started, err := f.svc.StartOrder(f.ctx, own, o.ID)
	ok(t, err)
	if started.Status != market.OrderInService {
		t.Fatalf("started: %s", started.Status)
	}
	wantTime(t, "startedAt", started.StartedAt, sh(t, "2026-07-02 09:00"))
	_, err = f.svc.StartOrder(f.ctx, own, o.ID)
	wantCode(t, err, "FailedOperation.OrderAlreadyStarted")

	_, err = f.svc.ConfirmOrder(f.ctx, own, o.ID)
	wantCode(t, err, "UnauthorizedOperation")
	f.setClock("2026-07-20 18:00")
	done, err := f.svc.ConfirmOrder(f.ctx, buyer, o.ID)
	ok(t, err)
	if done.Status != market.OrderCompleted {
		t.Fatalf("confirmed: %s", done.Status)
	}
	for what, at := range map[string]time.Time{"confirmedAt": done.ConfirmedAt, "reviewPeriodEndsAt": done.ReviewPeriodEndsAt, "completedAt": done.CompletedAt} {
		wantTime(t, "R-RF1 "+what, at, sh(t, "2026-07-20 18:00"))
	}
	_, err = f.svc.ConfirmOrder(f.ctx, buyer, o.ID)
	wantCode(t, err, "FailedOperation.OrderNotInService")
	_, err = f.svc.SubmitRequirements(f.ctx, buyer, o.ID, "再加一项")
	wantCode(t, err, "FailedOperation.OrderNotPaid")
	if got := joined(f.eventTypes(o.ProviderID)); !strings.Contains(got, "order.completed order.created order.paid order.requirements_submitted order.started") {
		t.Errorf("events: %s", got)
	}
}

// A buyer may confirm an ops service the provider never marked started: the
// confirmation is the start too.
func TestConfirmOrder_WithoutStart_R_RF1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "ops", 50_000)
	o := f.paidOrder(prod.ID, "4200000000202607010002")
	f.setClock("2026-07-01 15:00")
	done, err := f.svc.ConfirmOrder(f.ctx, buyer, o.ID)
	ok(t, err)
	wantTime(t, "startedAt", done.StartedAt, sh(t, "2026-07-01 15:00"))
}

// Requirement forms and confirmation are for ops orders; other categories
// are delivered on payment (R-CAT1) and complete when the review period ends.
func TestNonOpsOrders_R_CAT1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 1000)
	unpaid, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	_, err = f.svc.SubmitRequirements(f.ctx, buyer, unpaid.ID, "x")
	wantCode(t, err, "FailedOperation.NotAnOpsOrder")
	o := f.paidOrder(prod.ID, "4200000000202607010003")
	_, err = f.svc.SubmitRequirements(f.ctx, buyer, o.ID, "x")
	wantCode(t, err, "FailedOperation.NotAnOpsOrder")
	_, err = f.svc.ConfirmOrder(f.ctx, buyer, o.ID)
	wantCode(t, err, "FailedOperation.NotAnOpsOrder")
	_, err = f.svc.StartOrder(f.ctx, providerActor("100001"), o.ID)
	wantCode(t, err, "FailedOperation.OrderAlreadyStarted")
}
