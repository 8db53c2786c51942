package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cloudmarket/shared/market"
)

// The risk team's violation work in a real browser: the two proposals the
// deadline timer raises (an order not started by startDueAt, R-SV2; a contact
// report unanswered at respondBy, R-VI6), one confirmed and one dismissed
// with a reason; then a violation recorded through the form, a product-scoped
// type with its product, evidence and an extra action (R-VI1, R-VI10); and
// three failed contacts filed through the contact form, which propose a lost
// contact (R-VI6). Every outcome is read back through the API: statuses,
// actions, the deposit, events.
func TestConsoleRiskConfirmsDismissesAndRecords_R_SV2_R_VI6_R_VI1_R_VI10(t *testing.T) {
	exe := browserPath(t)
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	risk := e.token("700001", market.RoleRisk)
	pid, prov := refundShop(e, "100001", creditCode, "ops")
	ops := listedProduct(e, prov, "ops", false, "once", 0, 50000, nil)
	advertised := listedProduct(e, prov, "ops", false, "once", 0, 20000, nil)
	order := paidOrder(e, buyer, ops, "paid")["id"].(string)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contact-reports", buyer, map[string]string{"orderId": order, "channel": "phone", "note": "电话无人接听"}), 201)
	// The buyer's requirement form starts the ops order's 2 working days
	// (R-SV2): due by the end of 07-06; the report is due 07-03 09:30.
	setClock(e, "2026-07-02T10:00:00+08:00")
	e.must(e.call("POST", "/v1/orders/"+order+"/requirements", buyer, map[string]string{"text": "迁移数据库"}), 200)
	setClock(e, "2026-07-07T00:00:01+08:00")
	fire(e)
	proposed := map[string]string{}
	for _, x := range e.must(e.call("GET", "/v1/violations?status=proposed", risk, nil), 200).Body["items"].([]any) {
		v := x.(map[string]any)
		proposed[v["type"].(string)] = v["id"].(string)
	}
	late, lost := proposed["dishonest_behaviour"], proposed["lost_contact"]
	if len(proposed) != 2 || late == "" || lost == "" {
		t.Fatalf("proposals after the timer: %v, want a late start and a lost contact", proposed)
	}
	if storeStatus(e, pid, prov) != "open" {
		t.Fatal("the store is no longer open: a proposal was applied before the risk team confirmed it")
	}

	dir := filepath.Join("..", "..", "console", "screenshots", "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1440, 900), chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, base: e.emu.URL, dir: dir}

	// The queue: both proposals.
	b.signIn("operator:risk", "700001")
	b.open("/risk/violations", tid("confirm-"+late))
	b.run("the other proposal", chromedp.WaitVisible(tid("dismiss-"+lost), chromedp.ByQuery))
	var source string
	b.run("read where it came from", chromedp.Text(tid("source-"+late), &source, chromedp.ByQuery))
	if source != "系统发现" {
		t.Fatalf("a timer's proposal is labelled %q, want found by the system (系统发现)", source)
	}
	b.shot("40-risk-proposals")

	// Dismissing needs a reason: without one the API refuses it and the
	// console says so beside the row.
	b.run("dismiss without a reason", chromedp.Click(tid("dismiss-"+lost), chromedp.ByQuery), chromedp.WaitVisible(tid("err-reason-"+lost), chromedp.ByQuery))
	var missing string
	b.run("read the refusal", chromedp.Text(tid("err-reason-"+lost), &missing, chromedp.ByQuery))
	if !strings.Contains(missing, "必填") {
		t.Fatalf("dismissal without a reason: %q, want the required-field message", missing)
	}
	b.run("dismiss with a reason",
		set(field("dismissReason-"+lost), "服务商已回电，联系畅通"),
		chromedp.Click(tid("dismiss-"+lost), chromedp.ByQuery),
		chromedp.WaitNotPresent(tid("dismiss-"+lost), chromedp.ByQuery), // it has left the queue
	)
	var said string
	b.run("read the dismissal", chromedp.Text(tid("violationOk"), &said, chromedp.ByQuery))
	if !strings.Contains(said, lost) || !strings.Contains(said, "已撤销") {
		t.Fatalf("after dismissing: %q", said)
	}
	b.run("confirm", chromedp.Click(tid("confirm-"+late), chromedp.ByQuery), chromedp.WaitNotPresent(tid("confirm-"+late), chromedp.ByQuery))
	b.run("read the confirmation", chromedp.Text(tid("violationOk"), &said, chromedp.ByQuery))
	if !strings.Contains(said, late) || !strings.Contains(said, "已处罚") {
		t.Fatalf("after confirming: %q", said)
	}
	b.shot("41-risk-proposals-decided")

	// Recording a violation: spam advertising on one product, with ¥1,000
	// off the deposit on top of the catalogue's actions.
	var spamName string
	for _, x := range e.must(e.call("GET", "/v1/violation-types", risk, nil), 200).Body["items"].([]any) {
		if ty := x.(map[string]any); ty["code"] == "spam_ads" {
			spamName = strings.FieldsFunc(ty["description"].(string), func(r rune) bool { return r == '：' || r == ':' })[0]
		}
	}
	b.run("open the form", chromedp.Click(tid("newViolation"), chromedp.ByQuery), chromedp.WaitVisible(tid("applyViolation"), chromedp.ByQuery))
	b.run("choose the provider and the type",
		choose("violationProvider", pid),
		choose("violationType", spamName),
		chromedp.WaitVisible(field("violationProduct"), chromedp.ByQuery), // a product-scoped type asks for its product
		set(field("violationProduct"), advertised),
	)
	b.run("submit without evidence", chromedp.Click(tid("applyViolation"), chromedp.ByQuery), chromedp.WaitVisible(tid("err-evidence"), chromedp.ByQuery))
	b.run("add an extra deduction in the wrong unit",
		set(field("violationEvidence"), "商品详情页第 2 段为与服务无关的贷款广告（截图已存档）"),
		chromedp.Click(tid("addExtraAction"), chromedp.ByQuery),
		choose("extraAction-0", "扣保证金"),
		set(field("extraValue-0"), "一千"),
		chromedp.Click(tid("applyViolation"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("err-extraActions"), chromedp.ByQuery),
	)
	var unit string
	b.run("read the unit error", chromedp.Text(tid("err-extraActions"), &unit, chromedp.ByQuery))
	if !strings.Contains(unit, "第 1 项") || !strings.Contains(unit, "元") {
		t.Fatalf("extra deduction typed in words: %q, want the row and the unit named", unit)
	}
	b.run("fix the amount, and delist a product that is not the provider's",
		set(field("extraValue-0"), "1000"),
		chromedp.Click(tid("addExtraAction"), chromedp.ByQuery),
		choose("extraAction-1", "下架商品"),
		set(field("extraValue-1"), "prd_NOTTHEIRS"),
		chromedp.Click(tid("applyViolation"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("err-extraActions")+` .api`, chromedp.ByQuery), // the API refused it: its message is shown too
	)
	b.run("read the refusal", chromedp.Text(tid("err-extraActions"), &unit, chromedp.ByQuery))
	if !strings.Contains(unit, "不是此服务商的") || !strings.Contains(unit, "extraActions[1].productId") {
		t.Fatalf("an extra delisting of another's product: %q, want it refused beside the extra actions", unit)
	}
	b.run("remove it", chromedp.Click(tid("removeExtra-1"), chromedp.ByQuery), chromedp.WaitNotPresent(tid("extraValue-1"), chromedp.ByQuery))
	b.shot("42-risk-record-violation")
	b.run("record it", chromedp.Click(tid("applyViolation"), chromedp.ByQuery), chromedp.WaitNotPresent(tid("applyViolation"), chromedp.ByQuery))
	b.run("read the result", chromedp.Text(tid("violationOk"), &said, chromedp.ByQuery))
	if !strings.Contains(said, "已认定 vio_") || !strings.Contains(said, "下架商品") || !strings.Contains(said, "扣保证金") {
		t.Fatalf("after recording: %q", said)
	}
	recorded := regexp.MustCompile(`vio_[0-9A-Z]+`).FindString(said)
	b.run("read where it came from", chromedp.Text(tid("source-"+recorded), &source, chromedp.ByQuery))
	if source != "人工认定" {
		t.Fatalf("the recorded violation is labelled %q, want recorded by the risk team (人工认定)", source)
	}
	b.shot("43-risk-violation-recorded")

	// Three failed contact attempts recorded through the contact form: the
	// third proposes a lost contact at once (R-VI6).
	b.open("/risk/contact-reports", tid("fileContact"))
	b.run("show every report", clickText("t-radio-button", "全部")) // the third attempt closes all three as unanswered
	for i, channel := range []string{"电话", "短信", "邮件"} {
		b.run("record a failed contact by "+channel,
			choose("contactProvider", pid),
			choose("contactChannel", channel),
			set(field("contactNote"), fmt.Sprintf("第 %d 次联系：无人回应", i+1)),
			chromedp.Click(tid("fileContact"), chromedp.ByQuery),
			chromedp.WaitVisible(fmt.Sprintf(`//*[@data-testid="contactQueue"]//td[contains(., "第 %d 次联系")]`, i+1), chromedp.BySearch),
		)
	}
	b.shot("44-risk-contact-attempts")
	var attempts []any
	for _, x := range e.must(e.call("GET", "/v1/violations?status=proposed", risk, nil), 200).Body["items"].([]any) {
		if v := x.(map[string]any); v["type"] == "lost_contact" && v["source"] == "contact_attempts" {
			attempts = append(attempts, v)
		}
	}
	if len(attempts) != 1 {
		t.Fatalf("after three failed contacts from the form: %d lost-contact proposals from attempts, want 1", len(attempts))
	}
	fromAttempts := attempts[0].(map[string]any)["id"].(string)
	b.run("the reports name the proposal", chromedp.WaitVisible(fmt.Sprintf(`//*[@data-testid="contactQueue"]//span[text()=%q]`, fromAttempts), chromedp.BySearch))

	// What the API holds now.
	byType := map[string]map[string]any{}
	for _, x := range e.must(e.call("GET", "/v1/violations?providerId="+pid, risk, nil), 200).Body["items"].([]any) {
		if v := x.(map[string]any); v["id"] != fromAttempts {
			byType[v["type"].(string)] = v
		}
	}
	if len(byType) != 3 || byType["lost_contact"]["id"] != lost {
		t.Fatalf("the provider's violations: %v, want the two proposals, the recorded one and the one from the attempts", byType)
	}
	if v := byType["lost_contact"]; v["status"] != "dismissed" || v["dismissReason"] != "服务商已回电，联系畅通" || len(v["actions"].([]any)) == 0 {
		t.Fatalf("dismissed proposal: %v", v)
	}
	if v := byType["dishonest_behaviour"]; v["status"] != "applied" || v["appliedAt"] == nil || actionOf(v, "block_store")["until"] == nil {
		t.Fatalf("confirmed proposal: %v", v)
	}
	spam := byType["spam_ads"]
	if spam["id"] != recorded || spam["status"] != "applied" || spam["productId"] != advertised || !strings.Contains(spam["evidence"].(string), "贷款广告") ||
		actionOf(spam, "delist_product")["productId"] != advertised || actionOf(spam, "deduct_deposit")["amountFen"] != float64(100000) {
		t.Fatalf("recorded violation: %v", spam)
	}
	if buyable(e, advertised) || storeStatus(e, pid, prov) != "blocked" {
		t.Fatalf("after the penalties: product %s buyable %v, store %s; want it delisted and the store blocked", advertised, buyable(e, advertised), storeStatus(e, pid, prov))
	}
	if bal := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", risk, nil), 200).Body["balanceFen"]; bal != float64(400000) {
		t.Fatalf("deposit balance %v after the ¥1,000 extra deduction, want 400000", bal)
	}
	// The audit trail: the timer proposed both, the risk account applied two
	// and dismissed one.
	events := map[string]string{}
	for _, x := range e.must(e.call("GET", "/v1/events?providerId="+pid, risk, nil), 200).Body["items"].([]any) {
		ev := x.(map[string]any)
		if strings.HasPrefix(ev["type"].(string), "violation.") {
			events[ev["type"].(string)+" "+ev["subject"].(string)] = ev["actor"].(string)
		}
	}
	for _, want := range []string{"violation.proposed " + late, "violation.proposed " + lost} {
		if _, ok := events[want]; !ok {
			t.Errorf("no event %s in %v", want, events)
		}
	}
	for _, want := range []string{"violation.applied " + late, "violation.dismissed " + lost, "violation.applied " + recorded} {
		if events[want] != "700001" {
			t.Errorf("event %s by %q, want the risk account 700001 (events %v)", want, events[want], events)
		}
	}
}
