package operation_test

import (
	"fmt"
	"strings"
	"testing"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
)

func TestCreateProduct_R_CAT1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode) // software and ops
	own := providerActor("100001")
	plan := func(id string, price int64, period string, days int) market.Plan {
		return market.Plan{ID: id, Name: "套餐", PriceFen: money.Fen(price), Period: period, DurationDays: days}
	}
	with := func(edit func(*market.ProductContent)) market.ProductContent {
		c := content("software", "云数据库备份", 100_000)
		edit(&c)
		return c
	}
	many := make([]market.Plan, market.MaxPlans+1)
	for i := range many {
		many[i] = plan(fmt.Sprint("p", i), 100, "month", 30)
	}
	for _, c := range []struct {
		name    string
		content market.ProductContent
		code    string
	}{
		{"R-CAT1 a category the provider was not approved for", with(func(c *market.ProductContent) { c.Category = "image" }), "FailedOperation.CategoryNotApproved"},
		{"R-CAT1 unknown category", with(func(c *market.ProductContent) { c.Category = "hardware" }), "InvalidParameterValue.Category"},
		{"no category", with(func(c *market.ProductContent) { c.Category = "" }), "MissingParameter"},
		{"no name", with(func(c *market.ProductContent) { c.Name = " " }), "MissingParameter"},
		{"name too long", with(func(c *market.ProductContent) { c.Name = strings.Repeat("名", market.MaxNameLen+1) }), "InvalidParameterValue.Name"},
		{"no plans", with(func(c *market.ProductContent) { c.Plans = nil }), "InvalidParameterValue.Plans"},
		{"too many plans", with(func(c *market.ProductContent) { c.Plans = many }), "InvalidParameterValue.Plans"},
		{"duplicate plan ids", with(func(c *market.ProductContent) {
			c.Plans = []market.Plan{plan("a", 100, "month", 30), plan("a", 200, "year", 365)}
		}), "InvalidParameterValue.Plans"},
		{"bad plan id", with(func(c *market.ProductContent) { c.Plans = []market.Plan{plan("Std!", 100, "month", 30)} }), "InvalidParameterValue.Plans"},
		{"price over the ceiling", with(func(c *market.ProductContent) { c.Plans = []market.Plan{plan("a", 100_000_001, "once", 0)} }), "InvalidParameterValue.Plans"},
		{"zero price", with(func(c *market.ProductContent) { c.Plans = []market.Plan{plan("a", 0, "month", 30)} }), "InvalidParameterValue.Plans"},
		{"weekly plan", with(func(c *market.ProductContent) { c.Plans = []market.Plan{plan("a", 100, "week", 7)} }), "InvalidParameterValue.Plans"},
		{"monthly plan without duration", with(func(c *market.ProductContent) { c.Plans = []market.Plan{plan("a", 100, "month", 0)} }), "InvalidParameterValue.Plans"},
		{"R-RF6 refund policy with an unknown rule", with(func(c *market.ProductContent) { c.RefundPolicy = market.RefundPolicy{AfterReviewPeriod: "always"} }), "InvalidParameterValue.RefundPolicy"},
	} {
		_, err := f.svc.CreateProduct(f.ctx, own, c.content)
		wantCode(t, err, c.code)
	}
	_, err := f.svc.CreateProduct(f.ctx, buyer, content("software", "x", 100))
	wantCode(t, err, "UnauthorizedOperation") // no provider record
	if len(f.eventTypes(p.ID)) != 3 {
		t.Fatalf("refusals recorded events: %v", f.eventTypes(p.ID))
	}

	prod, err := f.svc.CreateProduct(f.ctx, own, with(func(c *market.ProductContent) {
		c.Plans = []market.Plan{plan("once", 100_000_000, "once", 0), plan("year", 1_000_000, "year", 365)}
	}))
	ok(t, err)
	if prod.Status != market.ProductDraft || prod.ProviderID != p.ID || prod.Listed != nil || !strings.HasPrefix(prod.ID, "prd_") || f.visible(prod.ID) {
		t.Fatalf("draft: %+v", prod)
	}
	if d := f.eventData(prod.ID, "product.created"); d["name"] != "云数据库备份" || d["category"] != "software" || d["status"] != "draft" {
		t.Errorf("event: %v", d)
	}
	ops := content("ops", "数据库迁移服务", 50_000)
	ops.RefundPolicy = market.RefundPolicy{AfterReviewPeriod: market.AfterReviewNone, Text: "服务确认完成后不予退款"}
	_, err = f.svc.CreateProduct(f.ctx, own, ops) // R-RF6: ops publishes its own agreement
	ok(t, err)
}

// Submission runs R-LS3's automatic check for links outside the
// marketplace's cloud (R-LS2) and asks for review (R-LS1).
func TestSubmitProduct_R_LS1_R_LS3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	own := providerActor("100001")
	create := func(edit func(*market.ProductContent)) string {
		c := content("software", "云数据库备份", 100_000)
		edit(&c)
		prod, err := f.svc.CreateProduct(f.ctx, own, c)
		ok(t, err)
		return prod.ID
	}
	for _, c := range []struct {
		name  string
		edit  func(*market.ProductContent)
		links []string
	}{
		{"R-LS3 web site and e-mail in the description", func(c *market.ProductContent) { c.Description = "购买请访问 www.my-shop.cn 或 sales@my-shop.cn" },
			[]string{"www.my-shop.cn", "sales@my-shop.cn"}},
		{"R-LS3 link in a plan name", func(c *market.ProductContent) { c.Plans[0].Name = "详见 shop.example.com" }, []string{"shop.example.com"}},
		{"R-LS3 link in the name", func(c *market.ProductContent) { c.Name = "备份 https://other-cloud.example/x" }, []string{"other-cloud.example"}},
		{"R-LS3 a look-alike of the platform's domain", func(c *market.ProductContent) { c.Summary = "见 cloud.tencent.com.evil.cn" }, []string{"cloud.tencent.com.evil.cn"}},
	} {
		_, err := f.svc.SubmitProduct(f.ctx, own, create(c.edit))
		wantCode(t, err, "InvalidParameterValue.ExternalLink")
		for _, l := range c.links {
			if !strings.Contains(faultMessage(err), l) {
				t.Errorf("%s: the message does not name %s: %s", c.name, l, faultMessage(err))
			}
		}
	}

	clean := create(func(c *market.ProductContent) {
		c.Description = "控制台 https://console.cloud.tencent.com/cdb ，文档 cloud.tencent.com/document"
	})
	for _, c := range []struct {
		name, id, code string
		who            market.Actor
	}{
		{"another provider", clean, "UnauthorizedOperation", providerActor("100009")},
		{"a reviewer", clean, "UnauthorizedOperation", reviewer},
		{"unknown product", "prd_01M8AP2Y8SCK8BWNJEDY9YE5W8", "ResourceNotFound.Product", own},
	} {
		_, err := f.svc.SubmitProduct(f.ctx, c.who, c.id)
		wantCode(t, err, c.code)
	}
	f.setClock("2026-10-08 10:00")
	sub, err := f.svc.SubmitProduct(f.ctx, own, clean)
	ok(t, err)
	if sub.Status != market.ProductPendingReview || !sub.InReview() {
		t.Fatalf("submitted: %+v", sub)
	}
	wantTime(t, "submittedAt", sub.SubmittedAt, sh(t, "2026-10-08 10:00"))
	if d := f.eventData(clean, "product.submitted"); d["status"] != "pending_review" {
		t.Errorf("event: %v", d)
	}
	_, err = f.svc.SubmitProduct(f.ctx, own, clean)
	wantCode(t, err, "FailedOperation.ProductUnderReview")

	// A penalty restricting publishing (R-VI3 etc.) holds until its end.
	f.change(p.ID, func(p *market.Provider) { p.PublishRestrictedUntil = sh(t, "2026-10-23 09:00") })
	other := create(func(*market.ProductContent) {})
	_, err = f.svc.SubmitProduct(f.ctx, own, other)
	wantCode(t, err, "FailedOperation.PublishingRestricted")
	f.setClock("2026-10-23 09:00")
	_, err = f.svc.SubmitProduct(f.ctx, own, other)
	ok(t, err)
}

func TestReviewProduct_R_LS1_R_LS3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	f.depositedProvider("100001", creditCode)
	own := providerActor("100001")
	draft, err := f.svc.CreateProduct(f.ctx, own, content("software", "云数据库备份", 100_000))
	ok(t, err)
	_, err = f.svc.ReviewProduct(f.ctx, reviewer, draft.ID, "approve", "SEC-1", "")
	wantCode(t, err, "FailedOperation.ProductNotInReview")
	_, err = f.svc.SubmitProduct(f.ctx, own, draft.ID)
	ok(t, err)
	for _, c := range []struct {
		name, id, decision, report, reason, code string
	}{
		{"R-LS1 approval needs the security review", draft.ID, "approve", " ", "", "MissingParameter"},
		{"R-LS3 rejection needs a reason", draft.ID, "reject", "", " ", "MissingParameter"},
		{"no decision", draft.ID, "", "", "", "MissingParameter"},
		{"unknown decision", draft.ID, "defer", "", "", "InvalidParameterValue.Decision"},
		{"unknown product", "prd_01M8AP2Y8SCK8BWNJEDY9YE5W8", "approve", "SEC-1", "", "ResourceNotFound.Product"},
	} {
		_, err := f.svc.ReviewProduct(f.ctx, reviewer, c.id, c.decision, c.report, c.reason)
		wantCode(t, err, c.code)
	}

	f.setClock("2026-10-09 14:00")
	listed, err := f.svc.ReviewProduct(f.ctx, reviewer, draft.ID, "approve", "SEC-2026-001", "")
	ok(t, err)
	if listed.Status != market.ProductListed || listed.Listed == nil || listed.Listed.Name != "云数据库备份" || !f.visible(draft.ID) {
		t.Fatalf("R-ON3 with the deposit received approval lists: %+v", listed)
	}
	if r := listed.LastReview; r == nil || r.Reviewer != reviewer.Account || r.SecurityReportRef != "SEC-2026-001" || !r.At.Equal(sh(t, "2026-10-09 14:00")) {
		t.Errorf("review: %+v", listed.LastReview)
	}
	wantTime(t, "listedAt", listed.ListedAt, sh(t, "2026-10-09 14:00"))
	if d := f.eventData(draft.ID, "product.listed"); d["reviewer"] != reviewer.Account || d["securityReportRef"] != "SEC-2026-001" {
		t.Errorf("event: %v", d)
	}
	f.message(contactPhone, "product_listed")

	bad, err := f.svc.CreateProduct(f.ctx, own, content("software", "日志审计", 100_000))
	ok(t, err)
	_, err = f.svc.SubmitProduct(f.ctx, own, bad.ID)
	ok(t, err)
	rejected, err := f.svc.ReviewProduct(f.ctx, reviewer, bad.ID, "reject", "", "内置用户体系，需重新注册 (R-LS2)")
	ok(t, err)
	if rejected.Status != market.ProductRejected || f.visible(bad.ID) {
		t.Fatalf("rejected: %+v", rejected)
	}
	if sms := f.message(contactPhone, "product_rejected"); len(sms.Params) != 0 {
		t.Errorf("the SMS points to the console for the reason, it has no parameters: %+v", sms)
	}
	// Fixed and submitted again, it is reviewed again.
	_, err = f.svc.UpdateProduct(f.ctx, own, bad.ID, func(c market.ProductContent) market.ProductContent { c.Summary = "已移除用户体系"; return c })
	ok(t, err)
	again, err := f.svc.SubmitProduct(f.ctx, own, bad.ID)
	ok(t, err)
	if again.Status != market.ProductPendingReview {
		t.Errorf("resubmitted: %s", again.Status)
	}
}

// R-LS1: an online update of a listed product is reviewed before it is
// published; buyers keep the listed version meanwhile.
func TestUpdateProduct_ListedEditWaitsForReview_R_LS1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	prod, _ := f.onSale("100001", creditCode, "software", 100_000)
	own := providerActor("100001")
	rename := func(name string, price int64) func(market.ProductContent) market.ProductContent {
		return func(c market.ProductContent) market.ProductContent {
			c.Name, c.Plans[0].PriceFen = name, money.Fen(price)
			return c
		}
	}
	edited, err := f.svc.UpdateProduct(f.ctx, own, prod.ID, rename("云数据库备份 专业版", 150_000))
	ok(t, err)
	if edited.Status != market.ProductListed || edited.EditStatus != market.EditDraft || edited.Listed.Name != "商品-software" || edited.Content.Name != "云数据库备份 专业版" {
		t.Fatalf("edit: %+v", edited)
	}
	view, err := f.svc.GetProduct(f.ctx, buyer, prod.ID)
	ok(t, err)
	if view.Full || view.Listed.Name != "商品-software" || view.Listed.Plans[0].PriceFen != 100_000 || !view.OnSale() {
		t.Errorf("buyer view of an edited product: %+v", view.Listed)
	}
	// Buyers order the listed price, not the working edit.
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	if o.AmountFen != 100_000 || o.ProductName != "商品-software" {
		t.Errorf("order of the listed version: %d %s", o.AmountFen, o.ProductName)
	}

	sub, err := f.svc.SubmitProduct(f.ctx, own, prod.ID)
	ok(t, err)
	if sub.Status != market.ProductListed || sub.EditStatus != market.EditPendingReview {
		t.Fatalf("submitted edit: %+v", sub)
	}
	_, err = f.svc.UpdateProduct(f.ctx, own, prod.ID, rename("又改了", 1))
	wantCode(t, err, "FailedOperation.ProductUnderReview")
	rej, err := f.svc.ReviewProduct(f.ctx, reviewer, prod.ID, "reject", "", "价格说明不清")
	ok(t, err)
	if rej.Status != market.ProductListed || rej.EditStatus != market.EditRejected || rej.Listed.Name != "商品-software" || !f.visible(prod.ID) {
		t.Fatalf("rejected edit: %+v", rej)
	}
	f.eventData(prod.ID, "product.edit_rejected")

	_, err = f.svc.SubmitProduct(f.ctx, own, prod.ID)
	ok(t, err)
	f.setClock("2026-10-10 10:00")
	pub, err := f.svc.ReviewProduct(f.ctx, reviewer, prod.ID, "approve", "SEC-2", "")
	ok(t, err)
	if pub.Listed.Name != "云数据库备份 专业版" || pub.Listed.Plans[0].PriceFen != 150_000 || pub.EditStatus != "" {
		t.Fatalf("published edit: %+v", pub)
	}
	if d := f.eventData(prod.ID, "product.edit_published"); d["reviewer"] != reviewer.Account {
		t.Errorf("event: %v", d)
	}
	_, err = f.svc.SubmitProduct(f.ctx, own, prod.ID)
	wantCode(t, err, "FailedOperation.NothingToReview")

	for _, c := range []struct {
		name string
		who  market.Actor
		edit func(market.ProductContent) market.ProductContent
		code string
	}{
		{"R-CAT1 the category is fixed", own, func(c market.ProductContent) market.ProductContent { c.Category = "ops"; return c }, "InvalidParameterValue.Category"},
		{"invalid content", own, rename("x", 0), "InvalidParameterValue.Plans"},
		{"another provider", providerActor("100009"), rename("x", 1), "UnauthorizedOperation"},
	} {
		_, err := f.svc.UpdateProduct(f.ctx, c.who, prod.ID, c.edit)
		wantCode(t, err, c.code)
	}
}

// R-ON3: a product approved while waiting for the deposit, then changed, is
// reviewed again before anything is listed.
func TestUpdateProduct_ApprovedGoesBackToDraft_R_ON3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.signedProvider("100001", creditCode)
	own := providerActor("100001")
	prod := f.listed(own, "software", 100_000)
	_, err := f.svc.SubmitProduct(f.ctx, own, prod.ID)
	wantCode(t, err, "FailedOperation.ProductApproved")
	changed, err := f.svc.UpdateProduct(f.ctx, own, prod.ID, func(c market.ProductContent) market.ProductContent { c.Name = "新名字"; return c })
	ok(t, err)
	if changed.Status != market.ProductDraft {
		t.Fatalf("changed approved product: %s", changed.Status)
	}
	f.pay(p.ID, 500_000, "WIRE-1")
	if got := productOf(t, f, prod.ID); got.Status != market.ProductDraft || f.visible(prod.ID) {
		t.Fatalf("the deposit listed an unreviewed change: %s", got.Status)
	}
}

func productOf(t *testing.T, f *fixture, id string) *market.Product {
	t.Helper()
	v, err := f.svc.GetProduct(f.ctx, reviewer, id)
	ok(t, err)
	return v.Product
}

func TestDelistProduct(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	prod, _ := f.onSale("100001", creditCode, "software", 100_000)
	own := providerActor("100001")
	second := f.listed(own, "software", 200_000)

	for _, c := range []struct {
		name, id, reason, code string
		who                    market.Actor
	}{
		{"another provider", prod.ID, "", "UnauthorizedOperation", providerActor("100009")},
		{"a buyer", prod.ID, "", "UnauthorizedOperation", buyer},
		{"reason too long", prod.ID, strings.Repeat("长", 2001), "InvalidParameterValue.Reason", own},
		{"unknown", "prd_01M8AP2Y8SCK8BWNJEDY9YE5W8", "", "ResourceNotFound.Product", own},
	} {
		_, err := f.svc.DelistProduct(f.ctx, c.who, c.id, c.reason)
		wantCode(t, err, c.code)
	}
	d, err := f.svc.DelistProduct(f.ctx, own, prod.ID, "")
	ok(t, err)
	if d.Status != market.ProductDelisted || f.visible(prod.ID) {
		t.Fatalf("delisted: %+v", d)
	}
	_, err = f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	wantCode(t, err, "FailedOperation.ProductNotOnSale")
	_, err = f.svc.DelistProduct(f.ctx, own, prod.ID, "")
	wantCode(t, err, "FailedOperation.ProductDelisted")

	// R-VI1: an operator takes a product down, with the reason on record.
	byRisk, err := f.svc.DelistProduct(f.ctx, risk, second.ID, " R-VI1 侵权 ")
	ok(t, err)
	if byRisk.DelistReason != "R-VI1 侵权" || f.visible(second.ID) {
		t.Fatalf("delisted by risk: %+v", byRisk)
	}
	if f.eventActor(second.ID, "product.delisted") != risk.Account || f.eventData(second.ID, "product.delisted")["reason"] != "R-VI1 侵权" {
		t.Error("the delisting is not recorded as the risk team's, with its reason")
	}
}

// Buyers see only what is on sale, in its listed version; the owner and
// operators see everything.
func TestGetAndListProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	a, p := f.onSale("100001", creditCode, "software", 100_000)
	own := providerActor("100001")
	f.setClock("2026-10-08 09:30") // IDs sort by creation time
	b := f.listed(own, "software", 200_000)
	f.setClock("2026-10-08 10:00")
	queued, err := f.svc.CreateProduct(f.ctx, own, content("software", "迁移", 50_000))
	ok(t, err)
	_, err = f.svc.SubmitProduct(f.ctx, own, queued.ID)
	ok(t, err)
	f.setClock("2026-10-08 11:00")
	_, err = f.svc.UpdateProduct(f.ctx, own, a.ID, func(c market.ProductContent) market.ProductContent { c.Name = "改名"; return c })
	ok(t, err)
	_, err = f.svc.SubmitProduct(f.ctx, own, a.ID) // an edit in review
	ok(t, err)
	draft, err := f.svc.CreateProduct(f.ctx, own, content("software", "草稿", 100))
	ok(t, err)

	for _, c := range []struct {
		name string
		who  market.Actor
		id   string
		full bool
		code string
	}{
		{"buyer, listed", buyer, a.ID, false, ""},
		{"buyer, draft", buyer, draft.ID, false, "ResourceNotFound.Product"},
		{"another provider, draft", providerActor("100009"), draft.ID, false, "ResourceNotFound.Product"},
		{"owner, draft", own, draft.ID, true, ""},
		{"reviewer, draft", reviewer, draft.ID, true, ""},
		{"unknown", reviewer, "prd_01M8AP2Y8SCK8BWNJEDY9YE5W8", false, "ResourceNotFound.Product"},
	} {
		v, err := f.svc.GetProduct(f.ctx, c.who, c.id)
		if c.code != "" {
			wantCode(t, err, c.code)
			continue
		}
		ok(t, err)
		if v.Full != c.full || v.ID != c.id {
			t.Errorf("%s: full %v", c.name, v.Full)
		}
	}

	ids := func(who market.Actor, q store.ProductQuery) string {
		vs, err := f.svc.ListProducts(f.ctx, who, q)
		ok(t, err)
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return joined(out)
	}
	onSale := joined([]string{a.ID, b.ID})
	for _, c := range []struct {
		name string
		who  market.Actor
		q    store.ProductQuery
		want string
	}{
		{"buyer", buyer, store.ProductQuery{}, onSale},
		{"buyer asking for drafts", buyer, store.ProductQuery{Status: "draft"}, ""},
		{"buyer asking for listed", buyer, store.ProductQuery{Status: "listed"}, onSale},
		{"buyer, one provider", buyer, store.ProductQuery{ProviderID: p.ID}, onSale},
		{"owner, own products", own, store.ProductQuery{ProviderID: p.ID}, joined([]string{a.ID, b.ID, queued.ID, draft.ID})},
		{"owner without a filter browses like a buyer", own, store.ProductQuery{}, onSale},
		{"owner, own drafts", own, store.ProductQuery{ProviderID: p.ID, Status: "draft"}, draft.ID},
		{"R-LS1 the review queue, oldest submission first", reviewer, store.ProductQuery{Status: "pending_review"}, joined([]string{queued.ID, a.ID})},
	} {
		if got := ids(c.who, c.q); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	_, err = f.svc.ListProducts(f.ctx, reviewer, store.ProductQuery{Status: "hidden"})
	wantCode(t, err, "InvalidParameterValue.Status")
}
