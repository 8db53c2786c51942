package operation_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

// apply applies a violation as the risk team.
func (f *fixture) applyViolation(providerID string, req market.ViolationRequest) *market.Violation {
	f.t.Helper()
	v, err := f.svc.ApplyViolation(f.ctx, risk, providerID, req)
	ok(f.t, err)
	return v
}

func (f *fixture) violation(id string) *market.Violation {
	f.t.Helper()
	v, err := f.st.Violation(f.ctx, id)
	ok(f.t, err)
	return v
}

func stepOf(v *market.Violation, a market.PenaltyAction) market.PenaltyStep {
	for _, s := range v.Steps {
		if s.Action == a {
			return s
		}
	}
	return market.PenaltyStep{}
}

// R-VI1: spam ads block the content and delist the named product, and only
// it; the violation records the catalogue version that applied and the
// provider is told by SMS. Bad requests are refused with what to fix.
func TestApplyViolation_SpamAdsDelistsNamedProduct_R_VI1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	spam, p := f.onSale("100001", creditCode, "software", 10_000)
	other := f.listed(providerActor("100001"), "software", 20_000)
	foreign, _ := f.onSale("100002", otherOrg, "software", 10_000)

	for _, c := range []struct {
		name string
		req  market.ViolationRequest
		code string
	}{
		{"no type", market.ViolationRequest{Evidence: "x"}, "MissingParameter"},
		{"unknown type", market.ViolationRequest{Type: "littering", Evidence: "x"}, "InvalidParameterValue.Type"},
		{"no evidence", market.ViolationRequest{Type: "spam_ads", ProductID: spam.ID, Evidence: "  "}, "MissingParameter"},
		{"product-scoped without product", market.ViolationRequest{Type: "spam_ads", Evidence: "x"}, "MissingParameter"},
		{"another provider's product", market.ViolationRequest{Type: "spam_ads", ProductID: foreign.ID, Evidence: "x"}, "InvalidParameterValue.ProductId"},
		{"extra action unknown", market.ViolationRequest{Type: "spam_ads", ProductID: spam.ID, Evidence: "x",
			ExtraActions: []market.ExtraAction{{Action: "expel"}}}, "InvalidParameterValue.ExtraActions"},
		{"extra deduction of nothing", market.ViolationRequest{Type: "spam_ads", ProductID: spam.ID, Evidence: "x",
			ExtraActions: []market.ExtraAction{{Action: market.ActionDeductDeposit}}}, "InvalidParameterValue.ExtraActions"},
	} {
		_, err := f.svc.ApplyViolation(f.ctx, risk, p.ID, c.req)
		wantCode(t, err, c.code)
	}
	if !f.visible(spam.ID) {
		t.Fatal("a refused request changed something")
	}

	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "spam_ads", ProductID: spam.ID, Evidence: "商品描述中插入与服务无关的广告"})
	if v.Status != market.ViolationApplied || v.Level != market.LevelGeneral || v.CatalogueVersion != market.Catalogue.Version || len(v.Steps) != 2 {
		t.Fatalf("violation: %+v", v)
	}
	if !strings.HasPrefix(v.ID, "vio_") || !slices.Equal(v.Delisted, []string{spam.ID}) {
		t.Errorf("id %s delisted %v", v.ID, v.Delisted)
	}
	wantTime(t, "appealDueAt (7 working days)", v.AppealDueAt, endOfDay(t, "2026-07-10"))
	if f.visible(spam.ID) || !f.visible(other.ID) || !f.visible(foreign.ID) {
		t.Errorf("R-VI1 delists the named product only: spam %v other %v", f.visible(spam.ID), f.visible(other.ID))
	}
	if sms := f.message(contactPhone, "violation_applied"); joined(sms.Params) != "7月10日" {
		t.Errorf("SMS: %+v", sms)
	}
	if d := f.eventData(v.ID, "violation.applied"); d["type"] != "spam_ads" {
		t.Errorf("event: %v", d)
	}
	if prov := f.provider(p.ID); !prov.StoreOpen(f.clock.Now()) || !prov.CanPublish(f.clock.Now()) {
		t.Error("a general violation restricted the store")
	}
}

// A later catalogue change does not rewrite history: each violation keeps
// the version and the steps that applied (R-VI10).
func TestViolationCatalogue_VersionKept_R_VI10(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	first := f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "辱骂买家"})

	changed := *market.Catalogue
	changed.Version = "2027-test.2"
	changed.Items = slices.Clone(changed.Items)
	for i, it := range changed.Items {
		if it.Code == "abuse_threat" {
			changed.Items[i].Days = 20
		}
	}
	f.svc.Config.Violations = &changed
	second := f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "再次辱骂买家"})

	old := f.violation(first.ID)
	if old.CatalogueVersion != market.Catalogue.Version || stepOf(old, market.ActionBlockStore).Days != 15 {
		t.Errorf("history rewritten: %+v", old)
	}
	if second.CatalogueVersion != "2027-test.2" || stepOf(second, market.ActionBlockStore).Days != 20 {
		t.Errorf("new version not applied: %+v", second)
	}
}

// R-VI3, R-WD4: fake trading blocks the store and restricts publishing for
// 15×24 hours; submissions and approvals are refused meanwhile (a product
// submitted before the penalty too); overlapping penalties keep the latest
// end; the timer lifts both exactly once, at until.
func TestApplyViolation_FakeTradingBlocksThenTimerLifts_R_VI3_R_WD4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	listed, p := f.onSale("100001", creditCode, "software", 10_000)
	own := providerActor("100001")
	waiting, err := f.svc.CreateProduct(f.ctx, own, content("software", "待审商品", 5_000))
	ok(t, err)
	_, err = f.svc.SubmitProduct(f.ctx, own, waiting.ID)
	ok(t, err)
	draft, err := f.svc.CreateProduct(f.ctx, own, content("software", "草稿", 5_000))
	ok(t, err)

	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "fake_trading", Evidence: "以买家身份购买自己的商品"})
	until := sh(t, "2026-07-16 09:30")
	wantTime(t, "block until", stepOf(v, market.ActionBlockStore).Until, until)
	wantTime(t, "restriction until", stepOf(v, market.ActionRestrictPublishing).Until, until)
	prov := f.provider(p.ID)
	if view := prov.Store.View(f.clock.Now()); view.Status != market.StoreBlocked || !view.Until.Equal(until) || prov.CanPublish(f.clock.Now()) {
		t.Fatalf("store %+v canPublish %v", view, prov.CanPublish(f.clock.Now()))
	}
	if f.visible(listed.ID) {
		t.Error("a blocked store's product is on sale")
	}
	_, err = f.svc.SubmitProduct(f.ctx, own, draft.ID)
	wantCode(t, err, "FailedOperation.PublishingRestricted")
	_, err = f.svc.ReviewProduct(f.ctx, reviewer, waiting.ID, "approve", "SEC-2", "")
	wantCode(t, err, "FailedOperation.PublishingRestricted")

	// A second penalty five days later ends later: the latest end is kept.
	f.setClock("2026-07-06 09:30")
	second := f.applyViolation(p.ID, market.ViolationRequest{Type: "malicious_report", Evidence: "恶意举报竞争对手"})
	later := sh(t, "2026-07-21 09:30")
	wantTime(t, "second until", stepOf(second, market.ActionBlockStore).Until, later)
	wantTime(t, "block extended", f.provider(p.ID).PenaltyBlockUntil(), later)

	f.setClock("2026-07-21 09:29:59")
	if rep := f.run(); rep.PenaltiesLifted != 0 {
		t.Fatalf("lifted early: %+v", rep)
	}
	f.setClock("2026-07-21 09:30:01")
	if rep := f.run(); rep.PenaltiesLifted != 1 {
		t.Fatalf("R-WD4 lift: %+v", rep)
	}
	prov = f.provider(p.ID)
	if !prov.StoreOpen(f.clock.Now()) || !prov.CanPublish(f.clock.Now()) || !f.visible(listed.ID) {
		t.Fatalf("not lifted: %+v", prov.Store)
	}
	if rep := f.run(); rep.PenaltiesLifted != 0 {
		t.Fatalf("lifted twice: %+v", rep)
	}
	if f.countEvents("store.reopened") != 1 || f.countEvents("publishing.restored") != 1 || f.countEvents("store.closed") != 1 {
		t.Errorf("events: %v", f.eventTypes(p.ID))
	}
	_, err = f.svc.ReviewProduct(f.ctx, reviewer, waiting.ID, "approve", "SEC-2", "")
	ok(t, err)
}

// R-VI2, R-EX1, R-EX2, R-EN7: offline trading expels: 5,000 deducted, every
// product off sale, the unfinished order refunded in full, the organisation
// refused under either of its codes, no new products.
func TestApplyViolation_OfflineTradingExpels_R_VI2_R_EX2_R_EN7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, p := f.onSale("100001", creditCode, "software", 10_000)
	second := f.listed(providerActor("100001"), "software", 30_000)
	o := f.paidOrder(prod.ID, "4200000000EXPEL")

	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "offline_trading", Evidence: "引导买家线下转账"})
	prov := f.provider(p.ID)
	if prov.Status != market.ProviderExpelled || prov.StoreOpen(f.clock.Now()) {
		t.Fatalf("provider %s store open %v", prov.Status, prov.StoreOpen(f.clock.Now()))
	}
	if prov.Deposit.BalanceFen != 0 || prov.Deposit.OwedFen != 0 || !prov.Deposit.TopUpDueAt.IsZero() {
		t.Errorf("R-VI2 deduct 5,000: %+v", prov.Deposit)
	}
	if d := stepOf(v, market.ActionDeductDeposit); d.TakenFen != money.Yuan(5000) || d.EntryID == "" {
		t.Errorf("deduction step %+v", d)
	}
	f.wantLedgerMatches(p.ID)
	for _, id := range []string{prod.ID, second.ID} {
		if f.visible(id) {
			t.Errorf("%s still on sale", id)
		}
	}
	refunded := f.order(o.ID)
	if refunded.OpenRefundID == "" && refunded.Status != market.OrderRefunded {
		t.Fatalf("R-EX2 unfinished order not refunded: %+v", refunded)
	}
	for _, org := range []string{creditCode, orgCodeSame} {
		who := providerActor("100009")
		_, err := f.svc.SubmitApplication(f.ctx, who, applicationForm(f.upload(who, "image/png", pngBytes(t)), org))
		wantCode(t, err, "FailedOperation.OrganisationBanned")
	}
	_, err := f.svc.CreateProduct(f.ctx, providerActor("100001"), content("software", "新商品", 1000))
	wantCode(t, err, "FailedOperation.ProviderClosed")
	_, err = f.svc.ApplyViolation(f.ctx, risk, p.ID, market.ViolationRequest{Type: "fraud", Evidence: "x"})
	wantCode(t, err, "FailedOperation.ProviderExpelled")
	if f.countEvents("provider.expelled") != 1 || f.countEvents("store.closed") != 1 {
		t.Errorf("events: %v", f.eventTypes(p.ID))
	}
}

// R-VI11: fraud on a 2,000 deposit takes the whole balance and owes 3,000.
func TestApplyViolation_FraudBeyondBalance_R_VI11(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.depositedProvider("100001", creditCode, "api")
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "fraud", Evidence: "冒用品牌行骗"})
	d := stepOf(v, market.ActionDeductDeposit)
	prov := f.provider(p.ID)
	if d.TakenFen != money.Yuan(2000) || d.OwedFen != money.Yuan(3000) || prov.Deposit.BalanceFen != 0 || prov.Deposit.OwedFen != money.Yuan(3000) {
		t.Fatalf("step %+v deposit %+v", d, prov.Deposit)
	}
	f.wantLedgerMatches(p.ID)
}

// R-VI11 with an appeal: an overturned deduction beyond the balance is no
// longer owed, on the deposit and in the settlement ledger alike.
func TestAppeal_OverturnForgivesOwed_R_VI11(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.depositedProvider("100001", creditCode, "api")
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "fraud", Evidence: "冒用品牌行骗"})
	owed := market.ProviderAccount(market.AccountDepositOwed, p.ID)
	if b := f.balances()[owed]; b != money.Yuan(3000) {
		t.Fatalf("owed in the ledger before: %s", b)
	}
	_, err := f.svc.AppealViolation(f.ctx, providerActor("100001"), v.ID, "误判")
	ok(t, err)
	_, err = f.svc.DecideAppeal(f.ctx, risk, v.ID, "overturn", "证据不足")
	ok(t, err)
	if prov := f.provider(p.ID); prov.Deposit.OwedFen != 0 || prov.Deposit.BalanceFen != money.Yuan(2000) {
		t.Errorf("deposit after overturn: %+v", prov.Deposit)
	}
	if b := f.balances()[owed]; b != 0 {
		t.Errorf("owed in the ledger after overturn: %s", b)
	}
	f.wantLedgerMatches(p.ID)
}

// Appeals (beyond the seed): within 7 working days; overturning lifts the
// block and the restriction, credits the deduction back as its own ledger
// entry; an appeal out of time or twice is refused.
func TestAppeal_OverturnReverses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, p := f.onSale("100001", creditCode, "software", 10_000)
	own := providerActor("100001")
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "dishonest_behaviour", Evidence: "承诺的功能未兑现",
		ExtraActions: []market.ExtraAction{{Action: market.ActionDeductDeposit, AmountFen: 100_000}}})
	if f.visible(prod.ID) || f.provider(p.ID).Deposit.BalanceFen != money.Yuan(4000) {
		t.Fatal("not applied")
	}
	_, err := f.svc.AppealViolation(f.ctx, providerActor("100002"), v.ID, "不是我们")
	wantCode(t, err, "UnauthorizedOperation")
	_, err = f.svc.DecideAppeal(f.ctx, risk, v.ID, "overturn", "证据不足")
	wantCode(t, err, "FailedOperation.NoPendingAppeal")
	f.setClock("2026-07-03 10:00")
	_, err = f.svc.AppealViolation(f.ctx, own, v.ID, "功能已上线，附截图")
	ok(t, err)
	_, err = f.svc.AppealViolation(f.ctx, own, v.ID, "再次申诉")
	wantCode(t, err, "FailedOperation.AppealAlreadyFiled")
	_, err = f.svc.DecideAppeal(f.ctx, risk, v.ID, "overturn", "")
	wantCode(t, err, "MissingParameter")

	decided, err := f.svc.DecideAppeal(f.ctx, risk, v.ID, "overturn", "截图证明功能已兑现")
	ok(t, err)
	if decided.Status != market.ViolationOverturned || decided.Appeal.Status != market.AppealOverturned {
		t.Fatalf("decided: %+v", decided)
	}
	prov := f.provider(p.ID)
	if !prov.StoreOpen(f.clock.Now()) || !prov.CanPublish(f.clock.Now()) || !f.visible(prod.ID) {
		t.Fatalf("not reversed: %+v", prov.Store)
	}
	if prov.Deposit.BalanceFen != money.Yuan(5000) || prov.Deposit.Status() != market.DepositHeld || !prov.Deposit.TopUpDueAt.IsZero() {
		t.Errorf("deduction not credited back: %+v", prov.Deposit)
	}
	if l := f.wantLedgerMatches(p.ID); l.Kinds["credit"] != 1 || l.Kinds["deduction"] != 1 {
		t.Errorf("ledger: %+v", l)
	}
	if f.countEvents("store.reopened") != 1 || f.countEvents("deposit.credited") != 1 || f.countEvents("violation.overturned") != 1 {
		t.Errorf("events: %v", f.eventTypes(p.ID))
	}
	// The timer finds nothing left to lift.
	f.setClock("2026-08-01 10:00")
	if rep := f.run(); rep.PenaltiesLifted != 0 {
		t.Errorf("lifted after overturn: %+v", rep)
	}

	late := f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "威胁买家"})
	f.setClock("2026-08-20 10:00")
	_, err = f.svc.AppealViolation(f.ctx, own, late.ID, "太晚了")
	wantCode(t, err, "FailedOperation.AppealWindowClosed")
}

// An expulsion overturned after its appeal window closed stands; the
// deduction is still credited back.
func TestAppeal_ExpulsionStandsAfterWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "traffic_diversion", Evidence: "引流到其他平台"})
	_, err := f.svc.AppealViolation(f.ctx, providerActor("100001"), v.ID, "误判")
	ok(t, err)
	f.setClock("2026-07-20 10:00") // past appealDueAt (07-10)
	decided, err := f.svc.DecideAppeal(f.ctx, risk, v.ID, "overturn", "证据不足")
	ok(t, err)
	if !strings.Contains(strings.Join(decided.Appeal.NotReversed, " "), "expel") {
		t.Errorf("notReversed: %v", decided.Appeal.NotReversed)
	}
	prov := f.provider(p.ID)
	if prov.Status != market.ProviderExpelled || prov.Deposit.BalanceFen != money.Yuan(5000) {
		t.Errorf("provider %s deposit %+v", prov.Status, prov.Deposit)
	}
}

// R-DP5 with a penalty: a store blocked by a penalty and closed for a
// deposit shortfall reopens only when both are over.
func TestPenaltyBlockAndDepositShortfall(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, p := f.onSale("100001", creditCode, "software", 10_000)
	f.deduct(p.ID, 100_000, "赔付买家")
	f.setClock("2026-07-11 09:30") // past the 7-working-day top-up deadline
	if rep := f.run(); rep.StoresClosed != 1 {
		t.Fatalf("R-DP5: %+v", rep)
	}
	f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "辱骂买家"}) // until 07-26 09:30
	f.pay(p.ID, 100_000, "TOPUP-1")
	if prov := f.provider(p.ID); prov.StoreOpen(f.clock.Now()) || f.visible(prod.ID) {
		t.Fatal("reopened by the top-up while blocked")
	}
	if n := f.countEvents("store.reopened"); n != 0 {
		t.Fatalf("%d store.reopened while still blocked", n)
	}
	f.setClock("2026-07-26 09:31")
	if rep := f.run(); rep.PenaltiesLifted != 1 {
		t.Fatalf("lift: %+v", rep)
	}
	if !f.visible(prod.ID) || f.countEvents("store.reopened") != 1 {
		t.Fatalf("not reopened after both: %v", f.eventTypes(p.ID))
	}

	// The other way round: the block ends first, the store waits for the deposit.
	f.deduct(p.ID, 100_000, "赔付买家")
	f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "再次辱骂"}) // until 08-10 09:31
	f.setClock("2026-08-10 09:32")
	if rep := f.run(); rep.PenaltiesLifted != 1 || rep.StoresClosed != 1 {
		t.Fatalf("lift and R-DP5 closure: %+v", rep)
	}
	if f.visible(prod.ID) || f.countEvents("store.reopened") != 1 {
		t.Fatal("reopened while the deposit is short")
	}
	f.pay(p.ID, 100_000, "TOPUP-2")
	if !f.visible(prod.ID) || f.countEvents("store.reopened") != 2 {
		t.Fatal("not reopened by the top-up")
	}
}

// R-VI6: a buyer's contact report left unanswered 48 hours becomes a
// proposed lost_contact, applied only when the risk team confirms it; an
// answered one closes.
func TestContactReport_UnansweredProposes_R_VI6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, p := f.onSale("100001", creditCode, "software", 10_000)
	o := f.paidOrder(prod.ID, "4200000000CONTACT")
	_, err := f.svc.FileContactReport(f.ctx, buyer, p.ID, "", "phone", "电话无人接听")
	wantCode(t, err, "MissingParameter")
	_, err = f.svc.FileContactReport(f.ctx, buyer2, p.ID, o.ID, "phone", "电话无人接听")
	wantCode(t, err, "ResourceNotFound.Order")
	_, err = f.svc.FileContactReport(f.ctx, providerActor("100001"), p.ID, o.ID, "phone", "x")
	wantCode(t, err, "UnauthorizedOperation")
	_, err = f.svc.FileContactReport(f.ctx, buyer, p.ID, o.ID, "pigeon", "x")
	wantCode(t, err, "InvalidParameterValue.Channel")

	answered, err := f.svc.FileContactReport(f.ctx, buyer, p.ID, o.ID, "qq", "QQ 不在线")
	ok(t, err)
	wantTime(t, "respondBy", answered.RespondBy, sh(t, "2026-07-03 09:30"))
	if len(f.sender.all()) == 0 || f.sentCount(contactEmail, "contact_report_filed") != 1 || f.sentCount(contactPhone, "contact_report_sms") != 1 {
		t.Fatalf("SMS and e-mail to the contact: %v", f.sender.all())
	}
	_, err = f.svc.RespondContactReport(f.ctx, buyer, answered.ID, "x")
	wantCode(t, err, "UnauthorizedOperation")
	closed, err := f.svc.RespondContactReport(f.ctx, providerActor("100001"), answered.ID, "已电话联系买家")
	ok(t, err)
	if closed.Status != market.ContactAnswered {
		t.Fatalf("answered: %+v", closed)
	}
	silent, err := f.svc.FileContactReport(f.ctx, buyer, p.ID, o.ID, "phone", "连续两天联系不上")
	ok(t, err)

	f.setClock("2026-07-03 09:30")
	if rep := f.run(); rep.ContactsProposed != 0 {
		t.Fatalf("proposed at respondBy: %+v", rep)
	}
	f.setClock("2026-07-03 09:31")
	if rep := f.run(); rep.ContactsProposed != 1 {
		t.Fatalf("R-VI6 proposal: %+v", rep)
	}
	if rep := f.run(); rep.ContactsProposed != 0 {
		t.Fatalf("proposed twice: %+v", rep)
	}
	queue, err := f.svc.ListViolations(f.ctx, risk, operation.ViolationQuery{Status: "proposed", Limit: 10})
	ok(t, err)
	if len(queue) != 1 || queue[0].Type != "lost_contact" || queue[0].SourceRef != silent.ID {
		t.Fatalf("queue: %+v", queue)
	}
	if !f.visible(prod.ID) {
		t.Fatal("a proposal was applied by the system")
	}
	_, err = f.svc.DismissViolation(f.ctx, risk, queue[0].ID, "")
	wantCode(t, err, "MissingParameter")
	confirmed, err := f.svc.ConfirmViolation(f.ctx, risk, queue[0].ID)
	ok(t, err)
	if confirmed.Status != market.ViolationApplied || f.visible(prod.ID) {
		t.Fatalf("confirm did not apply: %+v", confirmed)
	}
	_, err = f.svc.ConfirmViolation(f.ctx, risk, queue[0].ID)
	wantCode(t, err, "FailedOperation.ViolationNotProposed")
}

// R-VI6: three staff contact attempts within 7 days without an answer
// propose lost_contact at once; a dismissal keeps its reason.
func TestContactReport_ThreeStaffAttempts_R_VI6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	for i, ch := range []string{"phone", "email", "sms"} {
		f.setClock("2026-07-0" + string(rune('1'+i)) + " 10:00")
		c, err := f.svc.FileContactReport(f.ctx, risk, p.ID, "", ch, "就退款纠纷联系，未获实质答复")
		ok(t, err)
		if (i < 2) != (c.Status == market.ContactOpen) {
			t.Fatalf("attempt %d: %+v", i+1, c)
		}
	}
	queue, err := f.svc.ListViolations(f.ctx, reviewer, operation.ViolationQuery{ProviderID: p.ID, Status: "proposed", Limit: 10})
	ok(t, err)
	if len(queue) != 1 || queue[0].Source != market.SourceContactAttempts {
		t.Fatalf("queue: %+v", queue)
	}
	d, err := f.svc.DismissViolation(f.ctx, risk, queue[0].ID, "服务商已提供住院证明")
	ok(t, err)
	if d.Status != market.ViolationDismissed || d.DismissReason != "服务商已提供住院证明" {
		t.Fatalf("dismissed: %+v", d)
	}
	if f.provider(p.ID).PenaltyBlockUntil() != (time.Time{}) {
		t.Error("a dismissed proposal blocked the store")
	}
}

// R-DP6: a penalty not executed blocks the deposit return; once it has run
// its course the return proceeds. R-EX1: an exited organisation may apply
// again.
func TestDepositReturn_BlockedByUnexecutedPenalty_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "辱骂买家"})
	_, err := f.svc.RequestExit(f.ctx, providerActor("100001"), p.ID, "业务调整")
	ok(t, err)
	led, err := f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if !slices.ContainsFunc(led.Blockers, func(b market.ReturnBlocker) bool { return b.Code == "UnexecutedPenalty" }) {
		t.Fatalf("blockers: %+v", led.Blockers)
	}
	f.setClock("2026-07-16 09:31")
	f.run()
	led, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID)
	ok(t, err)
	if len(led.Blockers) != 0 || led.Provider.Deposit.ReturnDueAt.IsZero() {
		t.Fatalf("after the penalty ran: %+v", led.Blockers)
	}
}

// Only the risk team applies, confirms, dismisses and decides: no provider,
// buyer, reviewer or finance user can, whatever route they reach.
func TestViolations_AuthorizationMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: "x"})
	_, err := f.svc.AppealViolation(f.ctx, providerActor("100001"), v.ID, "申诉")
	ok(t, err)
	for _, who := range []market.Actor{providerActor("100001"), buyer, reviewer, finance} {
		_, err := f.svc.ApplyViolation(f.ctx, who, p.ID, market.ViolationRequest{Type: "fraud", Evidence: "x"})
		wantCode(t, err, "UnauthorizedOperation")
		_, err = f.svc.ConfirmViolation(f.ctx, who, v.ID)
		wantCode(t, err, "UnauthorizedOperation")
		_, err = f.svc.DismissViolation(f.ctx, who, v.ID, "x")
		wantCode(t, err, "UnauthorizedOperation")
		_, err = f.svc.DecideAppeal(f.ctx, who, v.ID, "overturn", "x")
		wantCode(t, err, "UnauthorizedOperation")
	}
	if got := f.violation(v.ID); got.Status != market.ViolationApplied || got.Appeal.Status != market.AppealPending {
		t.Fatalf("changed: %+v", got)
	}
	// Reading: the owner and operators; another provider or a buyer sees nothing.
	for _, who := range []market.Actor{providerActor("100002"), buyer} {
		_, err := f.svc.GetViolation(f.ctx, who, v.ID)
		wantCode(t, err, "ResourceNotFound.Violation")
	}
	for _, who := range []market.Actor{providerActor("100001"), reviewer, finance, risk} {
		_, err := f.svc.GetViolation(f.ctx, who, v.ID)
		ok(t, err)
	}
	_, err = f.svc.ListViolations(f.ctx, providerActor("100001"), operation.ViolationQuery{Limit: 10})
	wantCode(t, err, "UnauthorizedOperation")
}

// sentCount counts the delivered messages of a template to an address.
func (f *fixture) sentCount(to, template string) int {
	n := 0
	for _, m := range f.sender.all() {
		if m.To == to && m.Template == template {
			n++
		}
	}
	return n
}

// Overturning one of two overlapping penalties brings the block and the
// restriction down to what the other still imposes, and says so.
func TestAppeal_OverturnKeepsOtherPenalty_R_WD4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	f.applyViolation(p.ID, market.ViolationRequest{Type: "fake_trading", Evidence: "刷单"}) // until 07-16 09:30
	f.setClock("2026-07-02 09:30")
	long := f.applyViolation(p.ID, market.ViolationRequest{Type: "dishonest_behaviour", Evidence: "未兑现承诺"}) // until 08-01 09:30
	wantTime(t, "block", f.provider(p.ID).PenaltyBlockUntil(), sh(t, "2026-08-01 09:30"))
	_, err := f.svc.AppealViolation(f.ctx, providerActor("100001"), long.ID, "已兑现")
	ok(t, err)
	d, err := f.svc.DecideAppeal(f.ctx, risk, long.ID, "overturn", "证据不足")
	ok(t, err)
	prov := f.provider(p.ID)
	wantTime(t, "block back to the other penalty", prov.PenaltyBlockUntil(), sh(t, "2026-07-16 09:30"))
	wantTime(t, "restriction back to the other penalty", prov.PublishRestrictedUntil, sh(t, "2026-07-16 09:30"))
	if len(d.Appeal.NotReversed) != 2 || prov.StoreOpen(f.clock.Now()) {
		t.Fatalf("notReversed %v, store open %v", d.Appeal.NotReversed, prov.StoreOpen(f.clock.Now()))
	}
	if f.countEvents("store.reopened") != 0 || f.countEvents("publishing.restored") != 0 {
		t.Errorf("events: %v", f.eventTypes(p.ID))
	}
}

// An expulsion delists every product of the provider in its one transaction,
// however many: 300 listed products and 40 unfinished orders here.
func TestApplyViolation_ExpelsLargeCatalogue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	first, p := f.onSale("100001", creditCode, "software", 10_000)
	for i := range 40 {
		f.paidOrder(first.ID, fmt.Sprintf("4200000000MANY%03d", i))
	}
	listed := content("software", "批量商品", 10_000)
	_, err := store.Transact(f.ctx, f.st, func(tx *store.Tx) (struct{}, error) {
		for i := range 299 {
			prod := &market.Product{ID: fmt.Sprintf("prd_bulk%04d", i), ProviderID: p.ID, Status: market.ProductListed, Content: listed, Listed: &listed,
				CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(), ListedAt: f.clock.Now()}
			if err := tx.InsertProduct(prod, true); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	ok(t, err)
	began := time.Now()
	v := f.applyViolation(p.ID, market.ViolationRequest{Type: "account_theft", Evidence: "盗用他人账户"})
	t.Logf("expelled with %d products delisted and 40 orders refunded in %v", len(v.Delisted), time.Since(began))
	if len(v.Delisted) != 300 {
		t.Fatalf("delisted %d of 300", len(v.Delisted))
	}
	on, err := f.svc.ListProducts(f.ctx, buyer, operation.ProductQuery{ProviderID: p.ID, Limit: 500})
	ok(t, err)
	if len(on) != 0 {
		t.Fatalf("%d products still on sale", len(on))
	}
	if n := f.countEvents("refund.accepted"); n != 40 {
		t.Fatalf("R-EX2: %d exit refunds, want 40", n)
	}
}

// R-VI6 "consecutive": an answer to a staff attempt closes the attempts
// before it, so two more unanswered ones do not make three.
func TestContactReport_AnswerBreaksTheSeries_R_VI6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	file := func() *market.ContactReport {
		c, err := f.svc.FileContactReport(f.ctx, finance, p.ID, "", "phone", "未接通")
		ok(t, err)
		return c
	}
	file()
	answered := file()
	a, err := f.svc.RespondContactReport(f.ctx, providerActor("100001"), answered.ID, "") // answering is what counts
	ok(t, err)
	if a.Status != market.ContactAnswered {
		t.Fatalf("answered: %+v", a)
	}
	file()
	file()
	queue, err := f.svc.ListViolations(f.ctx, risk, operation.ViolationQuery{Status: "proposed", Limit: 10})
	ok(t, err)
	if len(queue) != 0 {
		t.Fatalf("proposed across an answer: %+v", queue)
	}
	file()
	if queue, _ = f.svc.ListViolations(f.ctx, risk, operation.ViolationQuery{Status: "proposed", Limit: 10}); len(queue) != 1 {
		t.Fatalf("three in a row after the answer: %+v", queue)
	}
}

// Penalties applied at the same moment all land, each once: the ledger
// still sums to the balance and the block ends at the latest end.
func TestApplyViolation_Concurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, p := f.onSale("100001", creditCode, "software", 10_000)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.ApplyViolation(f.ctx, risk, p.ID, market.ViolationRequest{Type: "abuse_threat", Evidence: fmt.Sprint("辱骂 ", i),
				ExtraActions: []market.ExtraAction{{Action: market.ActionDeductDeposit, AmountFen: 10_000}, {Action: market.ActionBlockStore, Days: i + 1}}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		ok(t, err)
	}
	prov := f.provider(p.ID)
	if prov.Deposit.BalanceFen != money.Yuan(5000)-n*10_000 {
		t.Fatalf("balance %v", prov.Deposit.BalanceFen)
	}
	f.wantLedgerMatches(p.ID)
	wantTime(t, "latest end", prov.PenaltyBlockUntil(), sh(t, "2026-07-16 09:30"))
	if all, err := f.svc.ListViolations(f.ctx, risk, operation.ViolationQuery{ProviderID: p.ID, Limit: 50}); err != nil || len(all) != n {
		t.Fatalf("%d violations: %v", len(all), err)
	}
}

// Listing is publishing: a product approved while the deposit was missing
// (R-ON3) is not listed by a deposit that arrives during a publishing
// restriction (R-VI3), but when the restriction ends (R-WD4).
func TestRestrictionHoldsListingOnDeposit_R_ON3_R_VI3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	waiting := f.listed(providerActor("100001"), "software", 100_000)
	if waiting.Status != market.ProductApproved {
		t.Fatalf("approved before the deposit: %s", waiting.Status)
	}
	f.applyViolation(p.ID, market.ViolationRequest{Type: "fake_trading", Evidence: "刷单"}) // 15 days: until 10-23 09:00
	f.pay(p.ID, 500_000, "WIRE-1")
	got, err := f.svc.GetProduct(f.ctx, risk, waiting.ID)
	ok(t, err)
	if got.Status != market.ProductApproved || f.visible(waiting.ID) {
		t.Fatalf("listed during the restriction: %s, visible %v", got.Status, f.visible(waiting.ID))
	}
	f.setClock("2026-10-23 09:00")
	if rep := f.run(); rep.PenaltiesLifted != 1 { // at until exactly (R-WD4)
		t.Fatalf("lifted: %+v", rep)
	}
	got, err = f.svc.GetProduct(f.ctx, risk, waiting.ID)
	ok(t, err)
	if got.Status != market.ProductListed || !f.visible(waiting.ID) {
		t.Fatalf("after the restriction: %s, visible %v", got.Status, f.visible(waiting.ID))
	}
	if d := f.eventData(waiting.ID, "product.listed"); d["cause"] != "publishing_restored" {
		t.Errorf("product.listed: %v", d)
	}
}
