package emulator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"cloudmarket/shared/market"
)

// The pages of the later capabilities in a real browser: the buyer's QR code
// of the Native prepay, the provider's appeal of a penalty and its answer to
// a contact report, the risk team's decision on the appeal, finance settling
// October and recording the payout, and the provider's statement with its CSV.
func TestConsoleViolationsSettlementAndQRCode(t *testing.T) {
	exe := browserPath(t)
	e := start(t, true, "")
	setClock(e, "2026-10-08T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	paid := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	setClock(e, "2026-10-13T10:00:00+08:00")
	fire(e)
	waitOrder(e, paid, buyer, "completed")
	setClock(e, "2026-11-02T10:00:00+08:00")

	dir := filepath.Join("..", "..", "console", "screenshots", "run")
	downloads := t.TempDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1440, 900), chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Run(ctx, cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(downloads).WithEventsEnabled(true)); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, base: e.emu.URL, dir: dir}

	// The buyer orders: the order shows the prepay's QR code; the local scan pays it.
	b.signIn("buyer", "300001")
	b.open("/market", `[data-testid^="buy-prd_"]`)
	b.run("order",
		chromedp.Click(`[data-testid^="buy-prd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("placeOrder"), chromedp.ByQuery),
		chromedp.Sleep(400*time.Millisecond),
		chromedp.Click(tid("placeOrder"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid^="qr-ord_"] img`, chromedp.ByQuery),
	)
	var qr string
	b.run("read the QR code", chromedp.Evaluate(`document.querySelector('[data-testid^="qr-ord_"] img').src`, &qr))
	if !strings.HasPrefix(qr, "data:image/png;base64,") || len(qr) < 500 {
		t.Fatalf("QR code image %.60q", qr)
	}
	b.shot("30-buyer-qr-code")
	b.run("scan and pay", chromedp.Click(`[data-testid^="pay-ord_"]`, chromedp.ByQuery), chromedp.WaitNotPresent(`[data-testid^="qr-ord_"]`, chromedp.ByQuery))

	// A penalty to appeal (it blocks the store: so after the purchase), and a
	// contact report to answer.
	risk := e.token("700001", market.RoleRisk)
	vio := e.must(e.call("POST", "/v1/providers/"+pid+"/violations", risk, map[string]any{"type": "dishonest_behaviour", "evidence": "订单承诺的巡检未执行"}), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contact-reports", buyer, map[string]any{"orderId": paid, "channel": "phone", "note": "工作时间电话无人接听"}), 201)

	// The provider appeals the penalty and answers the contact report.
	b.signIn("provider", "100001")
	b.open("/provider/violations", tid("appeal-"+vio))
	b.run("answer the contact report",
		set(`[data-testid^="contactResponse-ctr_"] input, input[data-testid^="contactResponse-ctr_"]`, "已回电并处理"),
		chromedp.Click(`[data-testid^="respondContact-ctr_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="myContactReports"] [data-status="answered"]`, chromedp.ByQuery),
	)
	b.run("appeal",
		set(field("appealStatement-"+vio), "巡检已按时执行，附巡检记录"),
		chromedp.Click(tid("appeal-"+vio), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="myViolations"] [data-status="pending"]`, chromedp.ByQuery),
	)
	b.shot("31-provider-violations")

	// The risk team overturns it from the appeals queue.
	b.signIn("operator:risk", "700001")
	b.open("/risk/violations", tid("violationQueue"))
	b.run("the appeals queue", clickText("t-radio-button", "申诉待裁决"), chromedp.WaitVisible(tid("overturn-"+vio), chromedp.ByQuery))
	b.run("overturn",
		chromedp.Click(tid("overturn-"+vio), chromedp.ByQuery),
		set(field("appealReason-"+vio), "巡检记录属实"),
	)
	b.shot("32-risk-appeal")
	b.run("submit the decision", chromedp.Click(tid("decideAppeal-"+vio), chromedp.ByQuery), chromedp.WaitVisible(tid("violationOk"), chromedp.ByQuery))
	var ruled string
	b.run("read the decision", chromedp.Text(tid("violationOk"), &ruled, chromedp.ByQuery))
	if !strings.Contains(ruled, "申诉改判") {
		t.Fatalf("after overturning: %q", ruled)
	}

	// Finance settles October and records the payout.
	b.signIn("operator:finance", "800001")
	b.open("/finance/settlements", tid("settle"))
	b.run("settle October", set(field("settlePeriod"), "2026-10"), chromedp.Click(tid("settle"), chromedp.ByQuery), chromedp.WaitVisible(tid("settleDone"), chromedp.ByQuery))
	var settled string
	b.run("read the run", chromedp.Text(tid("settleDone"), &settled, chromedp.ByQuery))
	if !strings.Contains(settled, "2026-10：1 家服务商") || !strings.Contains(settled, "¥270.00") {
		t.Fatalf("settlement run: %q", settled)
	}
	b.open("/finance/payouts", `[data-testid^="payoutPaid-pay_"]`)
	b.shot("33-finance-payouts")
	b.run("record the payout",
		set(`[data-testid^="payoutRef-pay_"] input, input[data-testid^="payoutRef-pay_"]`, "CMB2026110200001"),
		chromedp.Click(`[data-testid^="payoutPaid-pay_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("payoutOk"), chromedp.ByQuery),
	)

	// The provider reads its statement and downloads it as CSV.
	b.signIn("provider", "100001")
	b.open("/provider/statements", tid("openStatement-2026-10"))
	b.run("open the statement", chromedp.Click(tid("openStatement-2026-10"), chromedp.ByQuery), chromedp.WaitVisible(`[data-testid="statementLines"] tbody tr`, chromedp.ByQuery))
	var payout string
	b.run("read the payout", chromedp.Text(tid("payoutFen"), &payout, chromedp.ByQuery))
	if payout != "¥270.00" {
		t.Fatalf("statement payout %q, want ¥270.00", payout)
	}
	// The statement's invoices: the platform's service-fee invoice, which the
	// provider asks for.
	b.run("read the invoices", chromedp.WaitVisible(`[data-testid="statementInvoices"] [data-status="to_issue"]`, chromedp.ByQuery))
	b.shot("34-provider-statement")
	b.run("ask for the fee invoice",
		chromedp.Click(tid("feeInvoiceRequest-2026-10"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("invoiceOk-2026-10"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="statementInvoices"] [data-status="requested"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(tid("feeInvoiceRequest-2026-10"), chromedp.ByQuery),
	)
	b.shot("35-provider-fee-invoice-requested")
	b.run("download the CSV", chromedp.Click(tid("csv-2026-10"), chromedp.ByQuery))
	var csv []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		files, _ := os.ReadDir(downloads)
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".crdownload") {
				csv, _ = os.ReadFile(filepath.Join(downloads, f.Name()))
			}
		}
		if len(csv) > 0 {
			break
		}
	}
	if !strings.Contains(string(csv), paid) {
		t.Fatalf("downloaded CSV %q does not list the October order %s", csv, paid)
	}

	// Finance sees the statement's invoices, and sets a consignment
	// provider's rate as a percentage (sent as basis points).
	cons := e.token("100002", market.RoleProvider)
	f := form(e.upload(cons, pngBytes(t), len(pngBytes(t))), otherOrg)
	f["cooperationMode"], f["categories"] = "consignment", []string{"software"}
	app := e.must(e.call("POST", "/v1/applications", cons, f), 201).Body["id"].(string)
	cid := e.must(e.call("POST", "/v1/applications/"+app+"/decision", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve"}), 200).Body["providerId"].(string)
	b.signIn("operator:finance", "800001")
	b.open("/finance/settlements", tid("statementProvider"))
	b.run("choose the provider", choose("statementProvider", pid), chromedp.WaitVisible(tid("openStatement-2026-10"), chromedp.ByQuery))
	b.run("open its statement", chromedp.Click(tid("openStatement-2026-10"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="statementInvoices"] [data-status="requested"]`, chromedp.ByQuery))
	b.shot("36-finance-statement-invoices")
	b.open("/finance/consignment-rates", tid("setRate-"+cid))
	b.run("set the rate",
		set(field("rateInput-"+cid), "12.5"),
		chromedp.Click(tid("setRate-"+cid), chromedp.ByQuery),
		chromedp.WaitVisible(tid("rateOk"), chromedp.ByQuery),
	)
	var rate string
	b.run("read the rate", chromedp.Text(tid("rate-"+cid), &rate, chromedp.ByQuery))
	if rate != "12.5%" {
		t.Fatalf("consignment rate shown %q, want 12.5%%", rate)
	}
	if got := e.must(e.call("GET", "/v1/providers/"+cid, e.token("800001", market.RoleFinance), nil), 200).Body["consignmentRateBps"]; got != float64(1250) {
		t.Fatalf("consignmentRateBps %v, want 1250", got)
	}
	b.run("an out-of-range rate", set(field("rateInput-"+cid), "150"), chromedp.Click(tid("setRate-"+cid), chromedp.ByQuery),
		chromedp.WaitVisible(tid("err-rate-"+cid), chromedp.ByQuery))
	b.shot("37-finance-consignment-rate")

	// The consignment provider sells in November; once November is settled,
	// finance records its settlement invoice received.
	e.must(e.call("POST", "/v1/providers/"+cid+"/contract/sign", cons, map[string]string{"signatoryName": "王五"}), 200)
	e.must(e.call("POST", "/v1/providers/"+cid+"/deposit/payments", e.token("800001", market.RoleFinance), payment(500000, "DEP-"+cid)), 201)
	sold := paidOrder(e, buyer, listedProduct(e, cons, "software", false, "month", 30, 30000, nil), "in_service")["id"].(string)
	setClock(e, "2026-11-09T10:00:00+08:00")
	fire(e)
	waitOrder(e, sold, buyer, "completed")
	setClock(e, "2026-12-01T00:10:00+08:00")
	e.must(e.call("POST", "/v1/settlements", e.token("800001", market.RoleFinance), map[string]string{"period": "2026-11"}), 200)
	b.open("/finance/settlements", tid("statementProvider"))
	b.run("choose the consignment provider", choose("statementProvider", cid),
		chromedp.WaitVisible(tid("openStatement-2026-11"), chromedp.ByQuery))
	b.run("open its November statement", chromedp.Click(tid("openStatement-2026-11"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="statementInvoices"] [data-status="awaiting_provider_invoice"]`, chromedp.ByQuery))
	b.run("record the invoice received",
		chromedp.Click(tid("invoiceReceived-2026-11"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("invoiceOk-2026-11"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="statementInvoices"] [data-status="received"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(tid("invoiceReceived-2026-11"), chromedp.ByQuery),
	)
	b.shot("38-finance-invoice-received")
}
