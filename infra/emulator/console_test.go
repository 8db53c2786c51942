package emulator

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The console in a real browser (headless Chromium driven by chromedp) against
// an in-process emulator: every page of the main journey, each one
// screenshotted into console/screenshots/run/.
//
// Without a browser the test skips on a developer's machine (`make test` needs
// only Go) but fails in CI (CI set): there it must never silently skip.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (CI is set, so the browser tests may not skip): apt-get install -y chromium, or set CHROMIUM")
	}
	t.Skip("no Chromium found; apt-get install -y chromium to run the console's browser tests")
	return ""
}

// licencePNG draws something that looks like a business licence.
func licencePNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 600, 420))
	paper, red, ink := color.RGBA{250, 246, 236, 255}, color.RGBA{200, 30, 30, 255}, color.RGBA{60, 60, 60, 255}
	for y := 0; y < 420; y++ {
		for x := 0; x < 600; x++ {
			c := paper
			switch {
			case x < 12 || x >= 588 || y < 12 || y >= 408: // border
				c = red
			case y >= 40 && y < 70 && x >= 180 && x < 420: // title
				c = red
			case y >= 110 && y < 330 && (y-110)%30 < 8 && x >= 60 && x < 360+((y/30)%3)*40: // lines of text
				c = ink
			}
			if dx, dy := x-470, y-300; dx*dx+dy*dy <= 60*60 && dx*dx+dy*dy >= 52*52 { // the seal
				c = red
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// field selects a TDesign input by the data-testid given to the component
// (the attribute lands on the wrapper or on the input itself).
func field(id string) string {
	return fmt.Sprintf(`[data-testid="%s"] input, input[data-testid="%s"], [data-testid="%s"] textarea, textarea[data-testid="%s"]`, id, id, id, id)
}

func tid(id string) string { return fmt.Sprintf(`[data-testid="%s"]`, id) }

func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// set types a value into a Vue-bound input the way a person's typing ends up:
// the value, then an input event.
func set(sel, value string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := chromedp.WaitVisible(sel, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.value = %q;
			el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value)
		var ok bool
		return chromedp.Evaluate(js, &ok).Do(ctx)
	})
}

// clickText clicks the element of the given CSS class whose text is text.
func clickText(class, text string) chromedp.Action {
	return chromedp.Click(fmt.Sprintf(`//*[contains(concat(" ", normalize-space(@class), " "), " %s ")][normalize-space(.)=%q]`, class, text), chromedp.BySearch)
}

// choose opens the TDesign select with the given data-testid and picks the
// option whose text contains text, as soon as the popup shows it. Closed
// popups of other selects stay in the page, hidden, so only a shown option
// counts; it is clicked from script, as a click at its coordinates can land
// beside it while the popup is still in its opening transition.
func choose(selectID, text string) chromedp.Action {
	shown := fmt.Sprintf(`[...document.querySelectorAll('.t-select-option')].find((o) => o.offsetParent !== null && o.textContent.includes(%q))`, text)
	var picked, closed bool
	return chromedp.Tasks{
		chromedp.Click(tid(selectID), chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`(() => { const o = %s; if (!o) return false; o.click(); return true })()`, shown), &picked),
		chromedp.Poll(fmt.Sprintf(`!(%s)`, shown), &closed), // the popup closed on the choice
	}
}

func (b *browser) shot(name string) {
	var buf []byte
	if err := chromedp.Run(b.ctx, chromedp.Sleep(150*time.Millisecond), chromedp.FullScreenshot(&buf, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), buf, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

func (b *browser) signIn(role, sub string) {
	b.t.Helper()
	b.run("sign in as "+role,
		chromedp.Navigate(b.base+"/console/signin"),
		chromedp.WaitVisible(tid("signin"), chromedp.ByQuery),
		chromedp.Click(fmt.Sprintf(`[data-role="%s"]`, role), chromedp.ByQuery),
		set(field("sub"), sub),
		chromedp.Click(tid("signin"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("who"), chromedp.ByQuery),
	)
	var who string
	b.run("who", chromedp.Text(tid("who"), &who, chromedp.ByQuery))
	if !strings.Contains(who, sub) {
		b.t.Fatalf("header shows %q, want account %s", who, sub)
	}
}

func (b *browser) open(path, waitFor string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+"/console"+path), chromedp.WaitVisible(waitFor, chromedp.ByQuery))
}

func TestConsoleJourney(t *testing.T) {
	exe := browserPath(t)
	env := start(t, true, "")
	dir := filepath.Join("..", "..", "console", "screenshots", "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	voucher, err := filepath.Abs(filepath.Join("..", "..", "samples", "voucher.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	licence := filepath.Join(t.TempDir(), "licence.png")
	if err := os.WriteFile(licence, licencePNG(t), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1440, 900), // chromedp makes and removes its own profile folder
		chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser on the long-lived context: the steps' shorter
	// timeouts must not close it.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, base: env.emu.URL, dir: dir}

	// A provider applies, with a licence upload; a bad check digit first.
	b.signIn("provider", "100001")
	b.open("/provider/apply", tid("submitApplication"))
	b.run("fill the application",
		set(field("companyName"), "深圳示例科技有限公司"),
		set(field("orgCode"), "9144030071526726X1"),
		set(field("licenseNo"), "914403007152672600"),
		chromedp.SetUploadFiles(tid("licenseFile"), []string{licence}, chromedp.ByQuery),
		chromedp.WaitVisible(tid("licenseUploaded"), chromedp.ByQuery),
		set(field("mainBusiness"), "云上数据库运维"),
		set(field("capital"), "2000000"),
		chromedp.SendKeys(field("foundedOn"), "2015-03-01\r", chromedp.ByQuery),
		clickText("t-checkbox", "软件"),
		clickText("t-checkbox", "运维服务"),
		set(field("contactName"), "张三"),
		set(field("contactPhone"), "+8613800000000"),
		set(field("contactQQ"), "123456"),
		set(field("contactEmail"), "zhang@example.com"),
		chromedp.Click(tid("submitApplication"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("err-orgCode"), chromedp.ByQuery),
	)
	var orgErr string
	b.run("read the orgCode error", chromedp.Text(tid("err-orgCode"), &orgErr, chromedp.ByQuery))
	if !strings.Contains(orgErr, "校验位") || !strings.Contains(orgErr, "orgCode") {
		t.Fatalf("orgCode error beside the field = %q, want the check-digit message", orgErr)
	}
	b.shot("01-apply-bad-org-code")
	b.run("fix and submit",
		set(field("orgCode"), "9144030071526726XG"),
		chromedp.Click(tid("submitApplication"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("apply-done"), chromedp.ByQuery),
	)
	b.shot("02-apply-submitted")

	// A reviewer approves it from the queue, looking at the licence.
	b.signIn("operator:reviewer", "900001")
	b.open("/review/applications", `[data-testid^="open-app_"]`)
	b.shot("03-review-queue")
	b.run("open the application",
		chromedp.Click(`[data-testid^="open-app_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("licenceImage"), chromedp.ByQuery),
	)
	b.shot("04-review-application")
	b.run("approve",
		chromedp.Click(tid("approve"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-status="approved"]`, chromedp.ByQuery),
	)

	// The provider sees the approval and signs the contract.
	b.signIn("provider", "100001")
	b.open("/provider/applications", tid("toAccount"))
	b.shot("05-provider-application-approved")
	b.run("sign",
		chromedp.Click(tid("toAccount"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("signContract"), chromedp.ByQuery),
		set(field("signatoryName"), "张三"),
		chromedp.Click(tid("signContract"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("contractSigned"), chromedp.ByQuery),
	)
	b.shot("06-provider-contract-signed")

	// The provider files the payment notice with its transfer voucher.
	b.open("/provider/deposit-notice", tid("fileNotice"))
	b.run("file the deposit notice",
		set(field("noticeAmount"), "5000"),
		set(field("noticeReference"), "NB-20261015-0001"),
		set(field("noticePayer"), "张三"),
		chromedp.SetUploadFiles(tid("voucherFile"), []string{voucher}, chromedp.ByQuery),
		chromedp.WaitVisible(tid("voucherUploaded"), chromedp.ByQuery),
		set(field("mailAddress"), "深圳市南山区科技园科苑路 1 号"),
		set(field("mailRecipient"), "张三"),
		set(field("mailPhone"), "+8613800000000"),
		chromedp.Click(tid("fileNotice"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("noticeFiled"), chromedp.ByQuery),
	)
	b.shot("06a-provider-deposit-notice")

	// Finance records the money against the notice and posts the receipt.
	b.signIn("operator:finance", "800001")
	b.open("/finance/notices", `[data-testid^="match-dnt_"]`)
	b.shot("07a-finance-notice-queue")
	b.run("record the payment from the notice",
		chromedp.Click(`[data-testid^="match-dnt_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("noticeOk"), chromedp.ByQuery),
	)
	b.run("show matched notices", clickText("t-radio-button", "已到账"), chromedp.WaitVisible(`[data-testid^="dispatch-dnt_"]`, chromedp.ByQuery))
	b.run("record the receipt dispatch",
		set(`[data-testid^="courier-dnt_"] input, input[data-testid^="courier-dnt_"]`, "顺丰速运"),
		set(`[data-testid^="trackingNo-dnt_"] input, input[data-testid^="trackingNo-dnt_"]`, "SF1234567890"),
		chromedp.Click(`[data-testid^="dispatch-dnt_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("noticeOk"), chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-testid^="dispatch-dnt_"]`, chromedp.ByQuery),
	)
	b.shot("07b-finance-notice-matched")
	b.open("/finance/deposits", `[data-testid^="deposit-prv_"]`)
	b.shot("07-finance-deposits")
	b.run("open the deposit",
		chromedp.Click(`[data-testid^="deposit-prv_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="ledger"] tbody tr`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="depositBalance"]`, chromedp.ByQuery),
	)
	var balance string
	b.run("read the balance", chromedp.Text(tid("depositBalance"), &balance, chromedp.ByQuery))
	if balance != "¥5,000.00" {
		t.Fatalf("deposit balance %q after the notice's payment, want ¥5,000.00", balance)
	}
	b.shot("08-finance-deposit-recorded")

	// The provider creates a product and submits it for review.
	b.signIn("provider", "100001")
	b.open("/provider/products", tid("newProduct"))
	b.run("create a product",
		chromedp.WaitEnabled(tid("newProduct"), chromedp.ByQuery), // the provider's categories have loaded
		chromedp.Click(tid("newProduct"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("saveProduct"), chromedp.ByQuery),
		chromedp.Sleep(400*time.Millisecond), // the dialog's opening animation
		set(field("productName"), "云数据库备份"),
		set(field("productSummary"), "每日自动备份，保留 30 天"),
		set(field("productDescription"), "支持 MySQL 与 PostgreSQL，备份文件加密存放。"),
		set(field("planPrice-0"), "1000"),
		chromedp.Click(tid("saveProduct"), chromedp.ByQuery),
		chromedp.WaitNotPresent(tid("saveProduct"), chromedp.ByQuery), // the dialog has gone
		chromedp.WaitVisible(`[data-testid^="submit-prd_"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid^="submit-prd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="products"] [data-status="pending_review"]`, chromedp.ByQuery),
	)
	b.shot("09-provider-products")

	// A reviewer approves it: with the deposit held, it is listed.
	b.signIn("operator:reviewer", "900001")
	b.open("/review/products", `[data-testid^="approveProduct-prd_"]`)
	b.shot("10-review-products")
	b.run("approve the product",
		set(`[data-testid^="secRef-prd_"] input, input[data-testid^="secRef-prd_"]`, "SEC-2026-001"),
		chromedp.Click(`[data-testid^="approveProduct-prd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("reviewDone"), chromedp.ByQuery),
	)
	var done string
	b.run("read the review result", chromedp.Text(tid("reviewDone"), &done, chromedp.ByQuery))
	if !strings.Contains(done, "已上架") {
		t.Fatalf("review result %q, want listed (已上架)", done)
	}

	// A buyer orders it and pays through the local payment simulator.
	b.signIn("buyer", "300001")
	b.open("/market", `[data-testid^="buy-prd_"]`)
	b.shot("11-buyer-market")
	b.run("order and pay",
		chromedp.Click(`[data-testid^="buy-prd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("placeOrder"), chromedp.ByQuery),
		chromedp.Sleep(400*time.Millisecond), // the dialog's opening animation
		chromedp.Click(tid("placeOrder"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid^="pay-ord_"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid^="pay-ord_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid^="paidAt-ord_"]`, chromedp.ByQuery),
	)
	var status string
	b.run("read the order status", chromedp.Text(`[data-testid="orders"] [data-status]`, &status, chromedp.ByQuery))
	if status != "已支付" && status != "服务中" { // a software order is delivered on payment
		t.Fatalf("order status %q after payment, want paid (已支付, or 服务中 once delivered)", status)
	}
	b.shot("12-buyer-order-paid")

	// The buyer asks for its money back, the provider declines, the risk team
	// rules a partial refund: the platform pays it back.
	b.signIn("buyer", "300001")
	b.open("/buyer/orders", `[data-testid^="refund-ord_"]`)
	b.run("quote and request a refund",
		chromedp.Click(`[data-testid^="refund-ord_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("submitRefund"), chromedp.ByQuery),
		set(field("refundAmount"), "99999"),
		set(field("refundReason"), "不需要了"),
		chromedp.Click(tid("submitRefund"), chromedp.ByQuery),
		chromedp.WaitVisible(tid("err-amountFen"), chromedp.ByQuery), // above the quote: beside the field
	)
	var quote string
	b.run("read the quote", chromedp.Text(tid("quoteMax"), &quote, chromedp.ByQuery))
	if quote != "¥1,000.00" {
		t.Fatalf("refund quote %q, want the whole ¥1,000.00 inside the review period", quote)
	}
	b.shot("14-buyer-refund-quote")
	b.run("request the refund",
		set(field("refundAmount"), ""),
		chromedp.Click(tid("submitRefund"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="myRefunds"] [data-status="requested"]`, chromedp.ByQuery),
	)

	b.signIn("provider", "100001")
	b.open("/provider/refunds", `[data-testid^="decline-rfd_"]`)
	b.run("decline without a reason",
		chromedp.Click(`[data-testid^="decline-rfd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid^="err-reason-rfd_"]`, chromedp.ByQuery),
	)
	b.shot("15-provider-refunds")
	b.run("decline",
		set(`[data-testid^="responseReason-rfd_"] input, input[data-testid^="responseReason-rfd_"]`, "已按需求完成部署"),
		chromedp.Click(`[data-testid^="decline-rfd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="providerRefunds"] [data-status="arbitrating"]`, chromedp.ByQuery),
	)

	b.signIn("operator:risk", "700001")
	b.open("/risk/refunds", `[data-testid^="rule-rfd_"]`)
	b.run("rule a partial refund",
		clickText("t-radio-button", "部分退款"),
		set(`[data-testid^="rulingAmount-rfd_"] input, input[data-testid^="rulingAmount-rfd_"]`, "200"),
		set(`[data-testid^="rulingReason-rfd_"] textarea, textarea[data-testid^="rulingReason-rfd_"]`, "部分服务已完成"),
	)
	b.shot("16-risk-arbitration")
	b.run("submit the ruling",
		chromedp.Click(`[data-testid^="rule-rfd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("rulingOk"), chromedp.ByQuery),
	)

	b.signIn("buyer", "300001")
	b.open("/buyer/orders", `[data-testid="myRefunds"] [data-status="accepted"], [data-testid="myRefunds"] [data-status="paid"]`)
	var amount string
	b.run("read the refund", chromedp.Text(`[data-testid="myRefunds"] [data-testid^="refundAmount-rfd_"]`, &amount, chromedp.ByQuery))
	if amount != "¥200.00" {
		t.Fatalf("refund amount %q after the ruling, want ¥200.00", amount)
	}
	b.shot("17-buyer-refund-ruled")

	// The provider edits the listed product; the reviewer sees the listed and
	// the pending version side by side, the changed fields marked.
	b.signIn("provider", "100001")
	b.open("/provider/products", `[data-testid="products"] [data-status="listed"]`)
	b.run("edit the listed product",
		chromedp.Click(`[data-testid="products"] tbody tr .t-link`, chromedp.ByQuery), // 编辑
		chromedp.WaitVisible(tid("saveProduct"), chromedp.ByQuery),
		chromedp.Sleep(400*time.Millisecond), // the dialog's opening animation
		set(field("productSummary"), "每日自动备份，保留 90 天"),
		set(field("planPrice-0"), "1200"),
		chromedp.Click(tid("saveProduct"), chromedp.ByQuery),
		chromedp.WaitNotPresent(tid("saveProduct"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid^="submit-prd_"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid^="submit-prd_"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-testid^="submit-prd_"]`, chromedp.ByQuery),
	)
	b.signIn("operator:reviewer", "900001")
	b.open("/review/products", `[data-testid^="compare-prd_"]`)
	var changed []string
	b.run("read the changed fields", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid^="compare-prd_"] [data-testid^="changed-"]')].map(e => e.dataset.testid)`, &changed))
	if strings.Join(changed, ",") != "changed-summary,changed-plans" {
		t.Fatalf("fields marked changed = %v, want the summary and the plans", changed)
	}
	var sides []string
	b.run("read both versions", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="changed-plans"] td.value')].map(e => e.textContent)`, &sides))
	if len(sides) != 2 || !strings.Contains(sides[0], "¥1,000.00") || !strings.Contains(sides[1], "¥1,200.00") {
		t.Fatalf("plans side by side = %q, want the listed ¥1,000.00 beside the pending ¥1,200.00", sides)
	}
	b.shot("18-review-product-side-by-side")
	b.run("approve the edit",
		set(`[data-testid^="secRef-prd_"] input, input[data-testid^="secRef-prd_"]`, "SEC-2026-002"),
		chromedp.Click(`[data-testid^="approveProduct-prd_"]`, chromedp.ByQuery),
		chromedp.WaitVisible(tid("reviewDone"), chromedp.ByQuery),
	)

	// The operators' dashboard, from GET /v1/stats, with everything above in it.
	b.open("/dashboard", tid("statOrders"))
	b.run("charts drawn", chromedp.WaitVisible(`[data-testid="chartRefunds"] canvas`, chromedp.ByQuery), chromedp.Sleep(800*time.Millisecond))
	var orders, gmv string
	var canvases int
	b.run("read the dashboard",
		chromedp.Text(tid("statOrders"), &orders, chromedp.ByQuery),
		chromedp.Text(tid("statGmv"), &gmv, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('.chart canvas').length`, &canvases))
	if !strings.Contains(orders, "1") || gmv != "¥1,000.00" || canvases != 6 {
		t.Fatalf("dashboard: orders %q, GMV %q, %d charts; want 1 order, ¥1,000.00, 6 charts", orders, gmv, canvases)
	}
	// The orders chart drew the paid order: a bar of the series colour
	// (#0052d9) far larger than its legend swatch.
	var barPixels int
	b.run("count the bar's pixels", chromedp.Evaluate(`(() => {
		const c = document.querySelector('[data-testid="chartOrders"] canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) if (d[i] < 20 && Math.abs(d[i+1] - 82) < 20 && d[i+2] > 200) n++;
		return n })()`, &barPixels))
	if barPixels < 2000 {
		t.Fatalf("the orders chart has %d pixels of the bar colour: no bar drawn for the paid order", barPixels)
	}
	b.shot("19-dashboard")
}

func TestConsoleServedWithFallback(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	for path, want := range map[string]int{"/console/": 200, "/console/review/applications": 200, "/console/config.js": 200, "/console/assets/missing.js": 404} {
		resp, err := http.Get(e.emu.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if want == 200 && (strings.HasSuffix(path, "/") || strings.HasSuffix(path, "applications")) {
			if !strings.Contains(string(body), `<div id="app">`) {
				t.Errorf("GET %s: not the console's index.html", path)
			}
		}
	}
}

func TestLocalTokenAndLicenceImage(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	bad := e.call("POST", "/_local/token", "", map[string]string{"role": "admin", "sub": "1"})
	if bad.Status != 400 {
		t.Fatalf("unknown role: %d %s", bad.Status, bad.Raw)
	}
	tok := e.must(e.call("POST", "/_local/token", "", map[string]string{"role": "provider", "sub": "100001"}), 200).Body["token"].(string)
	key := e.upload(tok, pngBytes(t), len(pngBytes(t)))
	app := e.must(e.call("POST", "/v1/applications", tok, form(key, creditCode)), 201)
	id := app.Body["id"].(string)

	rev := e.must(e.call("POST", "/_local/token", "", map[string]string{"role": "operator:reviewer", "sub": "900001"}), 200).Body["token"].(string)
	img := e.must(e.call("GET", "/v1/applications/"+id+"/license", rev, nil), 200)
	if img.Body["contentType"] != "image/png" || !strings.HasPrefix(img.Body["dataUrl"].(string), "data:image/png;base64,") {
		t.Fatalf("licence image: %s", img.Raw[:min(len(img.Raw), 200)])
	}
	other := e.token("100002", "provider")
	if r := e.call("GET", "/v1/applications/"+id+"/license", other, nil); r.Status != 403 {
		t.Fatalf("another provider reads the licence: %d", r.Status)
	}
}
