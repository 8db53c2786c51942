package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/market"
)

// A small but real PDF: header, one object, trailer and end-of-file marker.
var voucherPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// uploadDoc uploads data for a purpose and returns its object key.
func (e *env) uploadDoc(token, purpose, contentType string, data []byte) string {
	e.t.Helper()
	up := e.must(e.call("POST", "/v1/license-uploads", token, map[string]any{"contentType": contentType, "sizeBytes": len(data), "purpose": purpose}), 201)
	putTo(e, up.Body["uploadUrl"].(string), contentType, data)
	return up.Body["objectKey"].(string)
}

func notice(voucher string) map[string]any {
	return map[string]any{
		"amountFen": 500000, "channel": "wire", "reference": "WIRE-N1", "payerAccountName": "李四", "paidAt": "2026-01-05T10:00:00+08:00",
		"voucherObjectKey": voucher, "receiptMailing": map[string]string{"address": "深圳市南山区科技园 1 号", "recipient": "张三", "phone": "0755-86013388"},
	}
}

func eventTypes(e *env, pid, token string) []string {
	var types []string
	for _, ev := range e.must(e.call("GET", "/v1/events?providerId="+pid+"&limit=200", token, nil), 200).Body["items"].([]any) {
		types = append(types, ev.(map[string]any)["type"].(string))
	}
	return types
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// waitOutbox polls until n messages match (delivery follows the commit).
func waitOutbox(e *env, n int, match func(m map[string]any) bool) {
	e.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := countOutbox(e, match)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d matching messages, want %d", got, n)
		}
	}
}

// Money that has arrived is never refused (R-DP2): a transfer from another
// account and cash at a bank counter are recorded, counted, marked and flagged
// to finance; a reported rename makes the next transfer from the new name
// match (R-ON4).
func TestJourney_MoneyIsNeverRefused_R_DP2_R_ON4(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	finance := e.token("800001", market.RoleFinance)
	pid, prov := signed(e, "100001", creditCode)

	other := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, map[string]any{
		"amountFen": 300000, "channel": "wire", "reference": "WIRE-OTHER", "payerAccountName": "李四", "paidAt": "2026-01-05T10:00:00+08:00"}), 201).Body
	if other["fromCorporateAccount"] != false || other["payerCheck"] != "other_account" || deposit(result{Body: other})["balanceFen"] != float64(300000) {
		t.Fatalf("transfer from another account: %v", other)
	}
	cash := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, map[string]any{
		"amountFen": 200000, "channel": "bank_counter", "reference": "CASH-0001", "paidAt": "2026-01-06T10:00:00+08:00"}), 201).Body
	if cash["fromCorporateAccount"] != false || cash["payerCheck"] != "no_payer_account" || cash["payerAccountName"] != nil {
		t.Fatalf("bank-counter cash: %v", cash)
	}
	if d := deposit(result{Body: cash}); d["status"] != "held" || d["balanceFen"] != float64(500000) {
		t.Fatalf("both counted: %v", d)
	}
	types := eventTypes(e, pid, finance)
	if count(types, "deposit.payer_unverified") != 2 || count(types, "deposit.held") != 1 {
		t.Fatalf("events: %v", types)
	}
	waitOutbox(e, 2, func(m map[string]any) bool {
		return m["template"] == "deposit_payer_unverified" && m["to"] == "+8613900000001"
	})

	// The company renames itself and reports it: the record takes the new name
	// at once, the old one is kept in the report and the event.
	ch := e.must(e.call("POST", "/v1/providers/"+pid+"/changes", prov, map[string]string{"field": "companyName", "newValue": "深圳新名科技有限公司", "changedOn": time.Now().Format(time.DateOnly)}), 201).Body
	if ch["previousValue"] != companyName || ch["applied"] != true {
		t.Fatalf("change report: %v", ch)
	}
	if p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body; p["companyName"] != "深圳新名科技有限公司" {
		t.Fatalf("rename not applied: %v", p["companyName"])
	}
	ev := e.must(e.call("GET", "/v1/events?providerId="+pid+"&limit=200", prov, nil), 200).Body["items"].([]any)
	last := ev[len(ev)-1].(map[string]any)
	if last["type"] != "provider.change_reported" || last["data"].(map[string]any)["previousValue"] != companyName {
		t.Fatalf("change event: %v", last)
	}
	renamed := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, map[string]any{
		"amountFen": 1000, "channel": "online_banking", "reference": "NB-RENAMED", "payerAccountName": "深圳新名科技有限公司", "paidAt": "2026-01-07T10:00:00+08:00"}), 201).Body
	if renamed["fromCorporateAccount"] != true || renamed["payerCheck"] != "corporate_account" {
		t.Fatalf("transfer from the renamed company: %v", renamed)
	}
	if n := count(eventTypes(e, pid, finance), "deposit.payer_unverified"); n != 2 {
		t.Fatalf("a matching transfer was flagged: %d", n)
	}
	// A bank account change: the number is masked in the report and the views.
	acct := e.must(e.call("POST", "/v1/providers/"+pid+"/changes", prov, map[string]any{"field": "bankAccount", "changedOn": time.Now().Format(time.DateOnly),
		"settlementAccount": map[string]string{"bank": "招商银行深圳分行", "accountName": "深圳新名科技有限公司", "accountNumber": "7559 0123 4567 8901"}}), 201).Body
	if acct["newValue"] != "招商银行深圳分行 / 深圳新名科技有限公司 / ************8901" || strings.Contains(fmt.Sprint(acct), "75590123") {
		t.Fatalf("bank account change: %v", acct)
	}
	p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200)
	if strings.Contains(p.Raw, "7559012345678901") || p.Body["settlementAccount"].(map[string]any)["accountNumber"] != "************8901" {
		t.Fatalf("provider view: %s", p.Raw)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/changes", prov, map[string]any{"field": "bankAccount", "changedOn": time.Now().Format(time.DateOnly),
		"settlementAccount": map[string]string{"bank": "招商银行", "accountName": "x", "accountNumber": "7559ABC01234"}}); r.Status != 400 || r.code() != "InvalidParameterValue.AccountNumber" {
		t.Fatalf("account number with letters: %d %s", r.Status, r.Raw)
	}
}

// The payment notice (seed 四.2): filed with a PDF voucher, worked by finance,
// matched to the payment; the receipt is posted to its address and comes back
// at exit, and the deposit shows each step.
func TestJourney_PaymentNoticeAndReceipt_R_DP2_R_DP6(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	finance := e.token("800001", market.RoleFinance)
	pid, prov := signed(e, "100001", creditCode)

	voucher := e.uploadDoc(prov, "deposit_voucher", "application/pdf", voucherPDF)
	n := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/notices", prov, notice(voucher)), 201).Body
	nid := n["id"].(string)
	if n["status"] != "open" || n["voucherType"] != "application/pdf" || n["fromCorporateAccount"] != false || n["receiptMailing"].(map[string]any)["recipient"] != "张三" {
		t.Fatalf("notice: %v", n)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/deposit/notices", prov, notice(voucher)); r.Status != 409 || r.code() != "FailedOperation.NoticeAlreadyFiled" {
		t.Fatalf("same notice twice: %d %s", r.Status, r.Raw)
	}
	waitOutbox(e, 1, func(m map[string]any) bool {
		return m["template"] == "deposit_notice_filed" && m["to"] == "+8613900000001"
	})
	// Finance's queue, oldest first; nobody else's.
	q := e.must(e.call("GET", "/v1/deposit-notices?status=open", finance, nil), 200).Body["items"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["id"] != nid {
		t.Fatalf("queue: %v", q)
	}
	if r := e.call("GET", "/v1/deposit-notices", prov, nil); r.Status != 403 {
		t.Fatalf("provider reading finance's queue: %d", r.Status)
	}
	// Nothing to post before a payment, nor before an address is known.
	if r := e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-dispatched", finance, map[string]string{"courier": "顺丰速运", "trackingNo": "SF1234567890"}); r.Status != 409 || r.code() != "FailedOperation.NoReceiptToDispatch" {
		t.Fatalf("dispatch before payment: %d %s", r.Status, r.Raw)
	}
	// The amount must be the notice's to be linked to it.
	wrong := map[string]any{"amountFen": 400000, "channel": "wire", "reference": "WIRE-N1", "payerAccountName": "李四", "paidAt": "2026-01-05T10:00:00+08:00", "noticeId": nid}
	if r := e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, wrong); r.Status != 409 || r.code() != "FailedOperation.NoticeAmountMismatch" {
		t.Fatalf("amount differs from the notice: %d %s", r.Status, r.Raw)
	}
	wrong["amountFen"] = 500000
	paid := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, wrong), 201).Body
	if paid["noticeId"] != nid || paid["fromCorporateAccount"] != false {
		t.Fatalf("payment against the notice: %v", paid)
	}
	if q := e.must(e.call("GET", "/v1/deposit-notices?status=matched", finance, nil), 200).Body["items"].([]any); len(q) != 1 ||
		q[0].(map[string]any)["entryId"] != paid["id"] || q[0].(map[string]any)["receiptNo"] != paid["receiptNo"] {
		t.Fatalf("matched notice: %v", q)
	}
	if q := e.must(e.call("GET", "/v1/deposit-notices?status=open", finance, nil), 200).Body["items"].([]any); len(q) != 0 {
		t.Fatalf("still open: %v", q)
	}
	d := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
	if rc := d["receipt"].(map[string]any); rc["status"] != "issued" || rc["mailTo"].(map[string]any)["address"] != "深圳市南山区科技园 1 号" {
		t.Fatalf("receipt issued: %v", rc)
	}
	// Finance posts the receipt: the provider is told the tracking number.
	sent := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-dispatched", finance, map[string]string{"courier": "顺丰速运", "trackingNo": "SF1234567890"}), 200).Body
	rc := sent["receipt"].(map[string]any)
	if rc["status"] != "dispatched" || len(sent["entries"].([]any)) != 1 {
		t.Fatalf("dispatched: %v", sent)
	}
	if x := rc["dispatches"].([]any)[0].(map[string]any); x["courier"] != "顺丰速运" || x["trackingNo"] != "SF1234567890" || x["receiptNos"].([]any)[0] != paid["receiptNo"] {
		t.Fatalf("dispatch: %v", x)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-dispatched", finance, map[string]string{"courier": "顺丰速运", "trackingNo": "SF1234567891"}); r.Status != 409 || r.code() != "FailedOperation.NoReceiptToDispatch" {
		t.Fatalf("posted twice: %d %s", r.Status, r.Raw)
	}
	waitOutbox(e, 1, func(m map[string]any) bool {
		return m["template"] == "receipt_dispatched" && strings.Contains(m["text"].(string), "运单号请登录云市场控制台")
	})

	// Exit: the receipt comes back, and the answer is the ledger, not null.
	e.must(e.call("POST", "/v1/providers/"+pid+"/exit", prov, map[string]string{"reason": "业务调整"}), 200)
	back := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", finance, nil), 200).Body
	if entries, ok := back["entries"].([]any); !ok || len(entries) != 1 {
		t.Fatalf("receipt-returned entries: %v", back["entries"])
	}
	if rc := back["receipt"].(map[string]any); rc["status"] != "returned" || rc["returnedAt"] == nil || len(rc["dispatches"].([]any)) != 1 {
		t.Fatalf("returned receipt: %v", rc)
	}
	types := eventTypes(e, pid, finance)
	for _, want := range []string{"deposit.notice_filed", "deposit.notice_matched", "deposit.receipt_dispatched", "deposit.receipt_returned"} {
		if count(types, want) != 1 {
			t.Errorf("%s: %v", want, types)
		}
	}
}

// Bad inputs on every new field get their documented codes.
func TestNewFieldsBadInputs_R_EN1_R_DP2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	finance := e.token("800001", market.RoleFinance)
	pid, prov := signed(e, "100001", creditCode)
	text := e.uploadDoc(prov, "deposit_voucher", "application/pdf", []byte("a text file that only claims to be a PDF"))
	good := e.uploadDoc(prov, "deposit_voucher", "image/png", pngBytes(t))
	licence := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	with2 := func(f func(map[string]any)) map[string]any { n := notice(good); f(n); return n }
	cases := []struct {
		name, path, token string
		body              any
		status            int
		code              string
	}{
		{"voucher not a PDF/JPEG/PNG by its bytes", "/v1/providers/" + pid + "/deposit/notices", prov, notice(text), 400, "InvalidParameterValue.Voucher"},
		{"6 MiB voucher", "/v1/license-uploads", prov, map[string]any{"purpose": "deposit_voucher", "contentType": "application/pdf", "sizeBytes": 6 << 20}, 400, "InvalidParameterValue.Voucher"},
		{"voucher as a text type", "/v1/license-uploads", prov, map[string]any{"purpose": "deposit_voucher", "contentType": "text/plain", "sizeBytes": 10}, 400, "InvalidParameterValue.Voucher"},
		{"licence as a PDF", "/v1/license-uploads", prov, map[string]any{"contentType": "application/pdf", "sizeBytes": 10}, 400, "InvalidParameterValue.LicenseImage"},
		{"unknown purpose", "/v1/license-uploads", prov, map[string]any{"purpose": "selfie", "contentType": "image/png", "sizeBytes": 10}, 400, "InvalidParameterValue.Purpose"},
		{"voucher of another purpose", "/v1/providers/" + pid + "/deposit/notices", prov, notice(licence), 400, "InvalidParameterValue.Voucher"},
		{"voucher never uploaded", "/v1/providers/" + pid + "/deposit/notices", prov, notice("documents/100001/deposit_voucher/none.pdf"), 400, "InvalidParameterValue.Voucher"},
		{"notice: unknown channel", "/v1/providers/" + pid + "/deposit/notices", prov, with2(func(n map[string]any) { n["channel"] = "alipay" }), 400, "InvalidParameterValue.Channel"},
		{"notice: no mailing address", "/v1/providers/" + pid + "/deposit/notices", prov, with2(func(n map[string]any) { delete(n, "receiptMailing") }), 400, "MissingParameter"},
		{"notice: bad phone", "/v1/providers/" + pid + "/deposit/notices", prov, with2(func(n map[string]any) {
			n["receiptMailing"] = map[string]string{"address": "x", "recipient": "y", "phone": "call me"}
		}), 400, "InvalidParameterValue.ReceiptMailing"},
		{"notice: another provider's", "/v1/providers/" + pid + "/deposit/notices", e.token("100002", market.RoleProvider), notice(good), 403, "UnauthorizedOperation"},
		{"payment: unknown channel", "/v1/providers/" + pid + "/deposit/payments", finance, map[string]any{"amountFen": 1, "channel": "alipay", "reference": "R", "payerAccountName": "x", "paidAt": "2026-01-05T10:00:00+08:00"}, 400, "InvalidParameterValue.Channel"},
		{"payment: wire without payer", "/v1/providers/" + pid + "/deposit/payments", finance, map[string]any{"amountFen": 1, "channel": "wire", "reference": "R", "paidAt": "2026-01-05T10:00:00+08:00"}, 400, "MissingParameter"},
		{"payment: unknown notice", "/v1/providers/" + pid + "/deposit/payments", finance, map[string]any{"amountFen": 1, "channel": "wire", "reference": "R", "payerAccountName": "x", "paidAt": "2026-01-05T10:00:00+08:00", "noticeId": "dnt_nope"}, 404, "ResourceNotFound.Notice"},
		{"dispatch: no tracking number", "/v1/providers/" + pid + "/deposit/receipt-dispatched", finance, map[string]string{"courier": "顺丰速运"}, 400, "MissingParameter"},
		{"dispatch: bad tracking number", "/v1/providers/" + pid + "/deposit/receipt-dispatched", finance, map[string]string{"courier": "顺丰速运", "trackingNo": "顺丰 123"}, 400, "InvalidParameterValue.TrackingNo"},
		{"application: account number with letters", "/v1/applications", e.token("100003", market.RoleProvider), nil, 400, "InvalidParameterValue.AccountNumber"},
		{"application: no QQ (3.1.3③)", "/v1/applications", e.token("100004", market.RoleProvider), nil, 400, "MissingParameter"},
		{"application: ID copy not an image or PDF", "/v1/applications", e.token("100005", market.RoleProvider), nil, 400, "InvalidParameterValue.LegalRepId"},
		{"application: bad customer-service mailbox", "/v1/applications", e.token("100006", market.RoleProvider), nil, 400, "InvalidParameterValue.CustomerServiceEmail"},
	}
	applications := map[string]func(tok string, f map[string]any){
		"application: account number with letters": func(_ string, f map[string]any) {
			f["settlementAccount"] = map[string]string{"bank": "招商银行", "accountName": "示例", "accountNumber": "6222ABCD1234"}
		},
		"application: no QQ (3.1.3③)": func(_ string, f map[string]any) {
			f["contact"] = map[string]string{"name": "张三", "phone": "+8613800000000", "email": "zhang@example.com"}
		},
		"application: ID copy not an image or PDF": func(tok string, f map[string]any) {
			f["legalRepIdObjectKey"] = e.uploadDoc(tok, "legal_rep_id", "application/pdf", []byte("not a pdf at all, only words"))
		},
		"application: bad customer-service mailbox": func(_ string, f map[string]any) { f["customerServiceEmail"] = "kefu at example" },
	}
	for _, c := range cases {
		if edit, ok := applications[c.name]; ok { // an application of its own account
			f := form(e.upload(c.token, pngBytes(t), len(pngBytes(t))), otherOrg)
			edit(c.token, f)
			c.body = f
		}
		r := e.call("POST", c.path, c.token, c.body)
		if r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
		}
	}
	if led := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body; len(led["entries"].([]any)) != 0 {
		t.Fatalf("refused requests left entries: %v", led)
	}
}

// Documents of R-EN1 are optional at submission and listed when missing; the
// reviewer sees them in the queue; the contract goes to the contact and the
// customer-service mailbox (R-ON2).
func TestDocumentsAndContractMailbox_R_EN1_R_ON2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	reviewer := e.token("900001", market.RoleReviewer)
	prov := e.token("100001", market.RoleProvider)
	bare := e.must(e.call("POST", "/v1/applications", prov, form(e.upload(prov, pngBytes(t), len(pngBytes(t))), creditCode)), 201).Body
	if fmt.Sprint(bare["missingDocuments"]) != "[legalRepIdObjectKey bankAccountProofObjectKey settlementAccount customerServiceEmail]" {
		t.Fatalf("missing: %v", bare["missingDocuments"])
	}
	other := e.token("100002", market.RoleProvider)
	f := form(e.upload(other, pngBytes(t), len(pngBytes(t))), otherOrg)
	f["legalRepIdObjectKey"] = e.uploadDoc(other, "legal_rep_id", "application/pdf", voucherPDF)
	f["bankAccountProofObjectKey"] = e.uploadDoc(other, "bank_account_proof", "image/png", pngBytes(t))
	f["settlementAccount"] = map[string]string{"bank": "招商银行深圳分行", "accountName": companyName, "accountNumber": "755901234567890"}
	f["customerServiceEmail"] = "kefu@example.com"
	full := e.must(e.call("POST", "/v1/applications", other, f), 201)
	if full.Body["missingDocuments"] == nil || len(full.Body["missingDocuments"].([]any)) != 0 || strings.Contains(full.Raw, "755901234567890") {
		t.Fatalf("full application: %s", full.Raw)
	}
	q := e.must(e.call("GET", "/v1/applications?status=submitted", reviewer, nil), 200)
	if strings.Contains(q.Raw, "755901234567890") || len(q.Body["items"].([]any)[0].(map[string]any)["missingDocuments"].([]any)) != 4 {
		t.Fatalf("queue: %s", q.Raw)
	}
	dec := e.must(e.call("POST", "/v1/applications/"+full.Body["id"].(string)+"/decision", reviewer, map[string]string{"decision": "approve"}), 200).Body
	waitOutbox(e, 2, func(m map[string]any) bool { return m["template"] == "contract_sent" })
	if countOutbox(e, func(m map[string]any) bool { return m["template"] == "contract_sent" && m["to"] == "kefu@example.com" }) != 1 {
		t.Fatal("no contract to the customer-service mailbox")
	}
	p := e.must(e.call("GET", "/v1/providers/"+dec["providerId"].(string), other, nil), 200)
	if len(p.Body["missingDocuments"].([]any)) != 0 || p.Body["settlementAccount"].(map[string]any)["accountNumber"] != "***********7890" || strings.Contains(p.Raw, "755901234567890") {
		t.Fatalf("provider: %s", p.Raw)
	}
	// A missing document supplied later, as a reported change.
	dec = e.must(e.call("POST", "/v1/applications/"+bare["id"].(string)+"/decision", reviewer, map[string]string{"decision": "approve"}), 200).Body
	bp := dec["providerId"].(string)
	e.must(e.call("POST", "/v1/providers/"+bp+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	key := e.uploadDoc(prov, "legal_rep_id", "image/png", pngBytes(t))
	e.must(e.call("POST", "/v1/providers/"+bp+"/changes", prov, map[string]string{"field": "legalRepIdCopy", "newValue": key, "changedOn": time.Now().Format(time.DateOnly)}), 201)
	if got := e.must(e.call("GET", "/v1/providers/"+bp, prov, nil), 200).Body["missingDocuments"]; fmt.Sprint(got) != "[bankAccountProofObjectKey settlementAccount customerServiceEmail]" {
		t.Fatalf("after supplying the ID copy: %v", got)
	}
	if r := e.call("POST", "/v1/providers/"+bp+"/changes", prov, map[string]string{"field": "bankAccountProof", "newValue": key, "changedOn": time.Now().Format(time.DateOnly)}); r.Status != 400 || r.code() != "InvalidParameterValue.BankAccountProof" {
		t.Fatalf("a file of another purpose: %d %s", r.Status, r.Raw)
	}
}

// Exit → receipt back → deposit returned → exited; the timer leaves the store
// of a provider that left alone; the organisation may apply again (R-EX1) and
// its new record is the one its account acts through.
func TestJourney_ExitedOrganisationAppliesAgain_R_EX1_R_DP5(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-08T09:00:00+08:00"}), 200)
	finance := e.token("800001", market.RoleFinance)
	pid, prov := signed(e, "100001", creditCode)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(500000, "WIRE-X1")), 201)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", finance, map[string]any{"amountFen": 1000, "reason": "R-VI1"}), 201)
	ex := e.must(e.call("POST", "/v1/providers/"+pid+"/exit", prov, map[string]string{"reason": "业务调整"}), 200).Body
	if deposit(result{Body: ex})["topUpDueAt"] != nil {
		t.Fatalf("top-up clock still running during the exit: %v", ex["deposit"])
	}
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", finance, nil), 200)
	done := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/return", finance, map[string]string{"reference": "BACK-1"}), 200).Body
	if done["status"] != "exited" {
		t.Fatalf("exited: %v", done)
	}
	// Long after the old top-up deadline: nothing closes, nobody is texted.
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-12-01T09:00:00+08:00"}), 200)
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["storesClosed"] != float64(0) {
		t.Fatalf("timer closed an exited store: %s", r.Raw)
	}
	if n := countOutbox(e, func(m map[string]any) bool { return m["template"] == "store_closed_deposit" }); n != 0 {
		t.Fatalf("%d deposit-short texts to a provider that left", n)
	}
	// The same organisation, under its other identifier, applies again.
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	again := e.must(e.call("POST", "/v1/applications", prov, form(key, orgCodeSame)), 201).Body
	dec := e.must(e.call("POST", "/v1/applications/"+again["id"].(string)+"/decision", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve"}), 200).Body
	np := dec["providerId"].(string)
	if np == pid {
		t.Fatal("re-admission reused the old record")
	}
	e.must(e.call("POST", "/v1/providers/"+np+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	if prd := e.must(e.call("POST", "/v1/products", prov, productBody("重新入驻")), 201).Body; prd["providerId"] != np {
		t.Fatalf("product on the old record: %v", prd)
	}
}

// Separation of duties: nobody reviews their own application or product, and
// a provider's account cannot buy its own products (R-CD2), whatever roles its
// token carries.
func TestSeparationOfDuties_R_CD2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	everything := []string{market.RoleProvider, market.RoleBuyer, market.RoleReviewer, market.RoleFinance, market.RoleRisk}
	self := e.token("100001", everything...)
	key := e.upload(self, pngBytes(t), len(pngBytes(t)))
	app := e.must(e.call("POST", "/v1/applications", self, form(key, creditCode)), 201).Body
	if r := e.call("POST", "/v1/applications/"+app["id"].(string)+"/decision", self, map[string]string{"decision": "approve"}); r.Status != 403 || r.code() != "UnauthorizedOperation" {
		t.Fatalf("own application: %d %s", r.Status, r.Raw)
	}
	dec := e.must(e.call("POST", "/v1/applications/"+app["id"].(string)+"/decision", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve"}), 200).Body
	pid := dec["providerId"].(string)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", self, map[string]string{"signatoryName": "张三"}), 200)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", e.token("800001", market.RoleFinance), payment(500000, "W-SELF")), 201)
	prd := e.must(e.call("POST", "/v1/products", self, productBody("自审商品")), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/products/"+prd+"/submit", self, nil), 200)
	if r := e.call("POST", "/v1/products/"+prd+"/review", self, map[string]string{"decision": "approve", "securityReportRef": "S"}); r.Status != 403 || r.code() != "UnauthorizedOperation" {
		t.Fatalf("own product: %d %s", r.Status, r.Raw)
	}
	rev := e.must(e.call("POST", "/v1/products/"+prd+"/review", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve", "securityReportRef": "S"}), 200).Body
	// The review reply and GET agree on onSale (one rule).
	got := e.must(e.call("GET", "/v1/products/"+prd, self, nil), 200).Body
	if rev["onSale"] != true || got["onSale"] != rev["onSale"] {
		t.Fatalf("onSale: review %v, GET %v", rev["onSale"], got["onSale"])
	}
	if r := e.call("POST", "/v1/orders", self, map[string]any{"productId": prd, "planId": "std"}); r.Status != 403 || r.code() != "UnauthorizedOperation" {
		t.Fatalf("buying one's own product: %d %s", r.Status, r.Raw)
	}
	e.must(e.call("POST", "/v1/orders", e.token("300001", market.RoleBuyer), map[string]any{"productId": prd, "planId": "std"}), 201)
	// A draft's onSale is false in the POST reply as in GET.
	draft := e.must(e.call("POST", "/v1/products", self, productBody("草稿")), 201).Body
	if g := e.must(e.call("GET", "/v1/products/"+draft["id"].(string), self, nil), 200).Body; draft["onSale"] != false || g["onSale"] != false {
		t.Fatalf("draft onSale: %v / %v", draft["onSale"], g["onSale"])
	}
}

// A deposit paid through the payment system that cannot be applied is
// recorded and finance is told; it is not only a dead letter.
func TestUnappliedPaymentSystemDeposit_R_DP2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	r := e.call("POST", "/_local/payments/simulate", "", map[string]any{"attach": "deposit:prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", "amountFen": 500000, "transactionId": "4200000000LOST"})
	if r.Status != 204 {
		t.Fatalf("simulate: %d %s", r.Status, r.Raw)
	}
	if n := waitApplied(e, "4200000000LOST"); n.Outcome != "deposit_unapplied" {
		t.Fatalf("outcome %q", n.Outcome)
	}
	if countEvents(e, market.EventDepositPaymentUnapplied) != 1 {
		t.Fatal("no deposit.payment_unapplied event")
	}
	waitOutbox(e, 1, func(m map[string]any) bool {
		return m["template"] == "deposit_payment_unapplied" && m["to"] == "+8613900000001"
	})
	if dead := e.must(e.call("GET", "/_local/dead-letters", "", nil), 200).Body["items"].([]any); len(dead) != 0 {
		t.Fatalf("dead letters: %v", dead)
	}
	// Finance lists what it has to look at.
	evs := e.must(e.call("GET", "/v1/events?type=deposit.payment_unapplied", e.token("800001", market.RoleFinance), nil), 200).Body["items"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["data"].(map[string]any)["amountFen"] != float64(500000) {
		t.Fatalf("finance's list: %v", evs)
	}
	if r := e.call("GET", "/v1/events?type=deposit.lost", e.token("800001", market.RoleFinance), nil); r.Status != 400 || r.code() != "InvalidParameterValue.Type" {
		t.Fatalf("unknown type: %d %s", r.Status, r.Raw)
	}
}

// The fake S3 checks signatures as COS does: an unsigned read, a tampered or
// expired URL, or a body of another length than signed is refused.
func TestFakeS3ChecksSignatures(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	status := func(method, url string, body []byte, contentType string) int {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status("GET", e.emu.URL+"/_local/s3/cloudmarket-local/"+key, nil, ""); s != 403 {
		t.Fatalf("unsigned read: %d", s)
	}
	up := e.must(e.call("POST", "/v1/license-uploads", prov, map[string]any{"contentType": "image/png", "sizeBytes": len(pngBytes(t))}), 201).Body
	url := up["uploadUrl"].(string)
	tampered := strings.Replace(url, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	if s := status("PUT", tampered, pngBytes(t), "image/png"); s != 403 {
		t.Fatalf("tampered signature: %d", s)
	}
	otherKey := strings.Replace(url, up["objectKey"].(string), "licenses/100002/mine.png", 1)
	if s := status("PUT", otherKey, pngBytes(t), "image/png"); s != 403 {
		t.Fatalf("another key under the same signature: %d", s)
	}
	if s := status("PUT", url, append(pngBytes(t), 0), "image/png"); s != 403 {
		t.Fatalf("another length than signed: %d", s)
	}
	if s := status("PUT", url, pngBytes(t), "image/jpeg"); s != 403 {
		t.Fatalf("another type than signed: %d", s)
	}
	if s := status("PUT", url, pngBytes(t), "image/png"); s != 200 {
		t.Fatalf("the signed PUT: %d", s)
	}
	// Expired: the same URL sixteen minutes later.
	late := signedS3{next: http.NotFoundHandler(), accessKey: "local", secretKey: "local", now: func() time.Time { return time.Now().Add(16 * time.Minute) }}
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(pngBytes(t)))
	req.Header.Set("Content-Type", "image/png")
	req.Host = req.URL.Host
	if msg := late.verify(req); msg != "the presigned URL has expired" {
		t.Fatalf("expired URL: %q", msg)
	}
}
