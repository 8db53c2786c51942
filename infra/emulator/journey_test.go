package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/market"
	"cloudmarket/shared/payments/simulator"
	"cloudmarket/shared/store"
)

// Identifiers of two real-format organisations: Tencent's published credit
// code and its embedded organisation code, and a second, computed one.
const (
	creditCode  = "9144030071526726XG"
	orgCodeSame = "71526726-X" // the same organisation as creditCode
	otherOrg    = "12345678-8"
)

type env struct {
	t   testing.TB
	emu *Emulator
}

// start gives a test its own emulator: its own clock, store, S3 and Kafka.
// Nothing is shared between tests, so those that move the clock run in
// parallel with the rest (t.Parallel) without seeing each other's time.
func start(t testing.TB, memory bool, dataDir string) *env {
	t.Helper()
	return startOpts(t, memory, dataDir, Options{})
}

// startWith starts an in-memory emulator with extra options.
func startWith(t testing.TB, o Options) *env {
	t.Helper()
	return startOpts(t, true, "", o)
}

func startOpts(t testing.TB, memory bool, dataDir string, o Options) *env {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{Mode: app.ModeLocal, DataDir: dataDir, JWTSecret: app.DefaultJWTSecret, ReviewerPhones: []string{"+8613900000000"}, FinancePhones: []string{"+8613900000001"}, RiskPhones: []string{"+8613900000002"}}
	cfg.Objects.Bucket, cfg.Objects.Region, cfg.Objects.SecretID, cfg.Objects.SecretKey = "cloudmarket-local", "ap-guangzhou", "local", "local"
	o.Config, o.Listener, o.Memory, o.Log = cfg, lis, memory, slog.New(slog.NewTextHandler(io.Discard, nil))
	emu, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = emu.Serve() }()
	t.Cleanup(func() { _ = emu.Close(); <-done })
	return &env{t: t, emu: emu}
}

func (e *env) token(sub string, roles ...string) string {
	tok, err := httpapi.Mint([]byte(app.DefaultJWTSecret), sub, roles, time.Hour, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type result struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r result) code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		return e["code"].(string)
	}
	return ""
}

func (e *env) call(method, path, token string, body any, headers ...string) result {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, e.emu.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := result{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	if resp.Header.Get("X-Request-Id") == "" {
		e.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	return out
}

func (e *env) must(r result, status int) result {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

func pngBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload asks for a presigned URL declaring declared bytes, then PUTs data.
func (e *env) upload(token string, data []byte, declared int) string {
	e.t.Helper()
	up := e.must(e.call("POST", "/v1/license-uploads", token, map[string]any{"contentType": "image/png", "sizeBytes": declared}), 201)
	putTo(e, up.Body["uploadUrl"].(string), "image/png", data)
	return up.Body["objectKey"].(string)
}

// putPresigned stores data at key through a URL the app presigns itself.
func putPresigned(e *env, key, contentType string, data []byte) error {
	url, _, err := e.emu.App.Objects.PresignPut(context.Background(), key, contentType, int64(len(data)))
	if err != nil {
		return err
	}
	putTo(e, url, contentType, data)
	return nil
}

func form(key, org string) map[string]any {
	return map[string]any{
		"companyName": "深圳示例科技有限公司", "companyType": "private", "orgCode": org,
		"licenseNo": "914403007152672600", "licenseObjectKey": key, "mainBusiness": "云上数据库运维",
		"registeredCapitalFen": 200000000, "foundedOn": "2015-03-01", "categories": []string{"software", "ops"},
		"cooperationMode": "platform", "supportHours": map[string]int{"days": 5, "hoursPerDay": 8},
		"contact": map[string]string{"name": "张三", "phone": "+8613800000000", "qq": "123456", "email": "zhang@example.com"},
	}
}

func with(f map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range f {
		out[key] = val
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func outbox(e *env) []map[string]any {
	r := e.must(e.call("GET", "/_local/outbox", "", nil), 200)
	var items []map[string]any
	for _, it := range r.Body["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

func TestJourney_ApplyApproveSMS_R_ON1_R_ON2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	prov := e.token("100001", market.RoleProvider)
	reviewer := e.token("900001", market.RoleReviewer)

	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	app := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode)), 201).Body
	if app["status"] != "submitted" || !strings.HasPrefix(app["id"].(string), "app_") || app["decision"] != nil || app["providerId"] != nil {
		t.Fatalf("submitted application: %v", app)
	}
	id := app["id"].(string)
	if !strings.HasSuffix(app["reviewDueAt"].(string), "T23:59:59.999+08:00") {
		t.Fatalf("reviewDueAt %v is not the end of a Shanghai day", app["reviewDueAt"])
	}

	// The owner reads it; another provider may not; a buyer may not decide.
	e.must(e.call("GET", "/v1/applications/"+id, prov, nil), 200)
	if r := e.call("GET", "/v1/applications/"+id, e.token("100002", market.RoleProvider), nil); r.Status != 403 || r.code() != "UnauthorizedOperation" {
		t.Fatalf("another provider reading: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/applications/"+id+"/decision", e.token("300001", market.RoleBuyer), map[string]string{"decision": "approve"}); r.Status != 403 || r.code() != "UnauthorizedOperation" {
		t.Fatalf("buyer deciding: %d %s", r.Status, r.Raw)
	}
	if r := e.call("GET", "/v1/applications/"+id, "", nil); r.Status != 401 || r.code() != "AuthFailure" {
		t.Fatalf("no token: %d %s", r.Status, r.Raw)
	}

	// The reviewer sees it in the queue and approves it.
	q := e.must(e.call("GET", "/v1/applications?status=submitted", reviewer, nil), 200).Body
	if items := q["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Fatalf("queue: %v", q)
	}
	dec := e.must(e.call("POST", "/v1/applications/"+id+"/decision", reviewer, map[string]string{"decision": "approve"}), 200).Body
	if dec["status"] != "approved" || !strings.HasPrefix(dec["providerId"].(string), "prv_") || dec["decidedBy"] != "900001" {
		t.Fatalf("approved: %v", dec)
	}
	if r := e.call("POST", "/v1/applications/"+id+"/decision", reviewer, map[string]string{"decision": "reject", "reason": "x"}); r.Status != 409 || r.code() != "FailedOperation.ApplicationAlreadyDecided" {
		t.Fatalf("second decision: %d %s", r.Status, r.Raw)
	}

	// The SMS went to the contact (R-ON1), the contract by e-mail (R-ON2).
	msgs := outbox(e)
	if len(msgs) != 2 || msgs[0]["to"] != "+8613800000000" || msgs[0]["template"] != "application_approved" || msgs[0]["text"] != "您的入驻申请已通过审核，合同已发送至联系人邮箱，请登录云市场控制台签署，签署后开通服务商账号。" {
		t.Fatalf("outbox: %v", msgs)
	}
	if msgs[1]["channel"] != "email" || msgs[1]["to"] != "zhang@example.com" || msgs[1]["template"] != "contract_sent" {
		t.Fatalf("contract e-mail: %v", msgs[1])
	}

	// The provider record exists, contract pending, deposit 5,000 CNY (R-DP1).
	p, err := e.emu.App.Store.Provider(context.Background(), dec["providerId"].(string))
	if err != nil || p.Status != market.ProviderContractPending || p.Deposit.RequiredFen != 500000 || p.AccountID != "100001" {
		t.Fatalf("provider: %+v %v", p, err)
	}

	// The same organisation cannot apply again, under either identifier.
	key2 := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	if r := e.call("POST", "/v1/applications", prov, form(key2, orgCodeSame)); r.Status != 409 || r.code() != "FailedOperation.AlreadyApplied" {
		t.Fatalf("second application: %d %s", r.Status, r.Raw)
	}
}

func TestReviewDueAtExample_R_WD2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-09-29T10:00:00+08:00"}), 200)
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	app := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode)), 201).Body
	if app["reviewDueAt"] != "2026-10-14T23:59:59.999+08:00" {
		t.Fatalf("reviewDueAt = %v, want 2026-10-14T23:59:59.999+08:00", app["reviewDueAt"])
	}
	if !strings.HasPrefix(app["submittedAt"].(string), "2026-09-29T10:00") {
		t.Fatalf("submittedAt = %v", app["submittedAt"])
	}
}

func TestBadInputsGetTheirCodes_R_EN(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	prov := e.token("100001", market.RoleProvider)
	good := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	text := e.upload(prov, []byte("this is a text file, not a licence scan"), 39)
	big := append(pngBytes(t), bytes.Repeat([]byte{0}, 3*1024*1024)...)
	// The API never signs an upload over 2 MiB, and the store refuses a body
	// of another length than signed; sign one directly so submission's own
	// check is what refuses it.
	bigKey := "licenses/100001/big.png"
	if err := putPresigned(e, bigKey, "image/png", big); err != nil {
		t.Fatal(err)
	}

	oneYearAgo := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(-1, 0, 0).Format(time.DateOnly)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"bad check digit", form(good, "71526726-1"), 400, "InvalidParameterValue.OrgCode"},
		{"text file named .png", form(text, creditCode), 400, "InvalidParameterValue.LicenseImage"},
		{"3 MiB image", form(bigKey, creditCode), 400, "InvalidParameterValue.LicenseImage"},
		{"licence never uploaded", form("licenses/100001/nothing.png", creditCode), 400, "InvalidParameterValue.LicenseImage"},
		{"someone else's licence", form("licenses/100009/x.png", creditCode), 400, "InvalidParameterValue.LicenseImage"},
		{"founded 1 year ago", with(form(good, creditCode), "foundedOn", oneYearAgo), 409, "FailedOperation.InsufficientExperience"},
		{"miniprogram with exactly 1,000,000 CNY", with(with(form(good, creditCode), "categories", []string{"miniprogram"}), "registeredCapitalFen", 100000000), 409, "FailedOperation.MiniProgramRequirementsNotMet"},
		{"support 5x7", with(form(good, creditCode), "supportHours", map[string]int{"days": 5, "hoursPerDay": 7}), 409, "FailedOperation.SupportHoursTooLow"},
		{"missing contact", with(form(good, creditCode), "contact", nil), 400, "MissingParameter"},
		{"unknown field", with(form(good, creditCode), "compnyName", "typo"), 400, "InvalidParameter"},
		{"wrong type", with(form(good, creditCode), "registeredCapitalFen", "lots"), 400, "InvalidParameterValue"},
		{"unknown category", with(form(good, creditCode), "categories", []string{"hardware"}), 400, "InvalidParameterValue.Categories"},
		{"not JSON", "{", 400, "InvalidParameter"},
		{"bad phone", with(form(good, creditCode), "contact", map[string]string{"name": "a", "phone": "12345", "email": "a@b.cn"}), 400, "InvalidParameterValue.Contact"},
	}
	for _, c := range cases {
		r := e.call("POST", "/v1/applications", prov, c.body)
		if r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
		}
		if msg, _ := r.Body["error"].(map[string]any)["message"].(string); msg == "" {
			t.Errorf("%s: no message", c.name)
		}
	}
	// Upload requests are checked before any URL is handed out.
	for _, up := range []map[string]any{{"contentType": "image/png", "sizeBytes": 3 * 1024 * 1024}, {"contentType": "text/plain", "sizeBytes": 10}} {
		if r := e.call("POST", "/v1/license-uploads", prov, up); r.Status != 400 || r.code() != "InvalidParameterValue.LicenseImage" {
			t.Errorf("upload %v: %d %s", up, r.Status, r.Raw)
		}
	}
	// Nothing half-written: none of these left an application behind.
	apps, _ := e.emu.App.Store.Applications(context.Background(), store.ApplicationQuery{})
	if len(apps) != 0 {
		t.Fatalf("%d applications stored by refused requests", len(apps))
	}
	// A valid one still goes through afterwards.
	e.must(e.call("POST", "/v1/applications", prov, form(good, creditCode)), 201)
}

func TestRejectNeedsReasonAndFreesTheOrganisation_R_ON1(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	prov := e.token("100001", market.RoleProvider)
	reviewer := e.token("900001", market.RoleReviewer)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	id := e.must(e.call("POST", "/v1/applications", prov, form(key, otherOrg)), 201).Body["id"].(string)
	if r := e.call("POST", "/v1/applications/"+id+"/decision", reviewer, map[string]string{"decision": "reject"}); r.Status != 400 || r.code() != "MissingParameter" {
		t.Fatalf("reject without reason: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/applications/"+id+"/decision", reviewer, map[string]string{"decision": "maybe"}); r.Status != 400 {
		t.Fatalf("bad decision: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/applications/app_01M8AP2Y8SCK8BWNJEDY9YE5W8/decision", reviewer, map[string]string{"decision": "approve"}); r.Status != 404 || r.code() != "ResourceNotFound.Application" {
		t.Fatalf("unknown application: %d %s", r.Status, r.Raw)
	}
	dec := e.must(e.call("POST", "/v1/applications/"+id+"/decision", reviewer, map[string]string{"decision": "reject", "reason": "营业执照图片不清晰"}), 200).Body
	if dec["status"] != "rejected" || dec["reason"] != "营业执照图片不清晰" || dec["providerId"] != nil {
		t.Fatalf("rejected: %v", dec)
	}
	if msgs := outbox(e); len(msgs) != 1 || msgs[0]["template"] != "application_rejected" || !strings.Contains(msgs[0]["text"].(string), "原因请登录云市场控制台") {
		t.Fatalf("outbox: %v", msgs)
	}
	// A rejected organisation may apply again.
	e.must(e.call("POST", "/v1/applications", prov, form(key, otherOrg)), 201)
}

func TestExpelledOrganisationIsRefused_R_EN7(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	ctx := context.Background()
	_, err := store.Transact(ctx, e.emu.App.Store, func(tx *store.Tx) (struct{}, error) {
		return struct{}{}, tx.SetOrganisation(orgCodeSame, store.OrganisationRef{Standing: market.OrganisationExpelled, Reason: "R-VI2"}, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	// Refused on its credit code, which carries the expelled organisation code.
	if r := e.call("POST", "/v1/applications", prov, form(key, creditCode)); r.Status != 409 || r.code() != "FailedOperation.OrganisationBanned" {
		t.Fatalf("expelled organisation: %d %s", r.Status, r.Raw)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	first := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode), "Idempotency-Key", "k-1"), 201)
	again := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode), "Idempotency-Key", "k-1"), 201)
	if first.Raw != again.Raw {
		t.Fatalf("replay differs:\n%s\n%s", first.Raw, again.Raw)
	}
	if r := e.call("POST", "/v1/applications", prov, form(key, otherOrg), "Idempotency-Key", "k-1"); r.Status != 409 || r.code() != "FailedOperation.IdempotencyKeyReused" {
		t.Fatalf("reused key: %d %s", r.Status, r.Raw)
	}
	// Another caller's identical key is its own.
	other := e.token("100002", market.RoleProvider)
	key2 := e.upload(other, pngBytes(t), len(pngBytes(t)))
	e.must(e.call("POST", "/v1/applications", other, form(key2, otherOrg), "Idempotency-Key", "k-1"), 201)
	if r := e.call("POST", "/v1/applications", prov, form(key, creditCode), "Idempotency-Key", strings.Repeat("k", 256)); r.Status != 400 {
		t.Fatalf("long key: %d", r.Status)
	}
	apps, _ := e.emu.App.Store.Applications(context.Background(), store.ApplicationQuery{})
	if len(apps) != 2 {
		t.Fatalf("%d applications, want 2", len(apps))
	}

	// Concurrent retries of one request: one application, every answer the same.
	e2 := start(t, true, "")
	prov = e2.token("100001", market.RoleProvider)
	key = e2.upload(prov, pngBytes(t), len(pngBytes(t)))
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := e2.call("POST", "/v1/applications", prov, form(key, creditCode), "Idempotency-Key", "same")
			bodies[i] = fmt.Sprint(r.Status, r.Raw)
		}(i)
	}
	wg.Wait()
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("concurrent replies differ:\n%s\n%s", bodies[0], b)
		}
	}
	apps, _ = e2.emu.App.Store.Applications(context.Background(), store.ApplicationQuery{})
	if len(apps) != 1 {
		t.Fatalf("%d applications from concurrent retries", len(apps))
	}
}

func TestOverdueReviewFlaggedOnce_R_ON1(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-09-29T10:00:00+08:00"}), 200)
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	id := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode)), 201).Body["id"].(string)

	// Still inside the review window on its last day.
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-14T23:00:00+08:00"}), 200)
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["reviewsOverdue"] != float64(0) {
		t.Fatalf("flagged early: %s", r.Raw)
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-15T00:00:01+08:00"}), 200)
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["reviewsOverdue"] != float64(1) {
		t.Fatalf("first run: %s", r.Raw)
	}
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["reviewsOverdue"] != float64(0) {
		t.Fatalf("second run flagged again: %s", r.Raw)
	}
	evs, _ := e.emu.App.Store.Events(context.Background(), store.EventQuery{Subject: id})
	n := 0
	for _, ev := range evs {
		if ev.Type == "application.review_overdue" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d review_overdue events, want 1", n)
	}
	msgs := outbox(e)
	if len(msgs) != 1 || msgs[0]["to"] != "+8613900000000" || msgs[0]["template"] != "review_overdue" {
		t.Fatalf("reviewer alert: %v", msgs)
	}
	app := e.must(e.call("GET", "/v1/applications/"+id, e.token("900001", market.RoleReviewer), nil), 200).Body
	if app["reviewOverdue"] != true {
		t.Fatalf("reviewOverdue not shown: %v", app)
	}
	if r := e.call("POST", "/_local/timers/nope/fire", "", nil); r.Status != 404 {
		t.Fatalf("unknown timer: %d", r.Status)
	}
}

func TestReviewQueueOldestDueFirstWithPaging(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	reviewer := e.token("900001", market.RoleReviewer)
	orgs := []string{creditCode, otherOrg, "MA5U0Y3C-3"}
	days := []string{"2026-10-20T10:00:00+08:00", "2026-10-05T10:00:00+08:00", "2026-10-12T10:00:00+08:00"}
	for i, org := range orgs {
		e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": days[i]}), 200)
		prov := e.token(fmt.Sprint("10000", i), market.RoleProvider)
		key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
		e.must(e.call("POST", "/v1/applications", prov, form(key, org)), 201)
	}
	var seen []string
	cursor := ""
	for page := 0; page < 5; page++ {
		r := e.must(e.call("GET", "/v1/applications?limit=1"+cursor, reviewer, nil), 200).Body
		for _, it := range r["items"].([]any) {
			seen = append(seen, it.(map[string]any)["orgCode"].(string))
		}
		next, ok := r["nextCursor"].(string)
		if !ok {
			break
		}
		cursor = "&cursor=" + next
	}
	want := []string{otherOrg, "MA5U0Y3C-3", creditCode}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("queue order %v, want %v", seen, want)
	}
	for _, bad := range []string{"?limit=0", "?limit=201", "?cursor=zz", "?status=pending"} {
		if r := e.call("GET", "/v1/applications"+bad, reviewer, nil); r.Status != 400 {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
	if r := e.call("GET", "/v1/applications", e.token("300000", market.RoleBuyer), nil); r.Status != 403 {
		t.Errorf("buyer listing the queue: %d", r.Status)
	}
	// An applicant lists its own applications only, never the queue.
	mine := e.must(e.call("GET", "/v1/applications", e.token("100000", market.RoleProvider), nil), 200).Body["items"].([]any)
	if len(mine) != 1 || mine[0].(map[string]any)["orgCode"] != creditCode {
		t.Errorf("applicant 100000 sees %v, want its one application", mine)
	}
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := start(t, false, dir)
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	id := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode)), 201).Body["id"].(string)
	if err := e.emu.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := start(t, false, dir)
	got := e2.must(e2.call("GET", "/v1/applications/"+id, prov, nil), 200).Body
	if got["id"] != id {
		t.Fatalf("after restart: %v", got)
	}
	// The uploaded licence survived too: a new application may use it.
	data, err := e2.emu.App.Objects.Read(context.Background(), key, 1<<20)
	if err != nil || !bytes.Equal(data, pngBytes(t)) {
		t.Fatalf("licence after restart: %v", err)
	}
}

// Concurrent writers never lose an update nor double one: of many racing
// decisions exactly one wins; of many racing applications of one organisation
// exactly one is accepted.
func TestConcurrentDecisionsAndApplications(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	reviewer := e.token("900001", market.RoleReviewer)
	provs := make([]string, 12)
	keys := make([]string, len(provs))
	for i := range provs {
		provs[i] = e.token(fmt.Sprint("2000", i), market.RoleProvider)
		keys[i] = e.upload(provs[i], pngBytes(t), len(pngBytes(t)))
	}
	statuses := make([]int, len(provs))
	var ids []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range provs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := e.call("POST", "/v1/applications", provs[i], form(keys[i], creditCode))
			statuses[i] = r.Status
			if r.Status == 201 {
				mu.Lock()
				ids = append(ids, r.Body["id"].(string))
				mu.Unlock()
			} else if r.code() != "FailedOperation.AlreadyApplied" {
				t.Errorf("racing application: %d %s", r.Status, r.Raw)
			}
		}(i)
	}
	wg.Wait()
	if len(ids) != 1 {
		t.Fatalf("%d applications accepted for one organisation: %v", len(ids), statuses)
	}

	wins := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			decision := map[string]string{"decision": "approve"}
			if i%2 == 1 {
				decision = map[string]string{"decision": "reject", "reason": "并发测试"}
			}
			r := e.call("POST", "/v1/applications/"+ids[0]+"/decision", reviewer, decision)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Status == 200:
				wins++
			case r.code() != "FailedOperation.ApplicationAlreadyDecided":
				t.Errorf("racing decision: %d %s", r.Status, r.Raw)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d decisions won", wins)
	}
	if sms := countOutbox(e, func(m map[string]any) bool { return m["channel"] == "sms" }); sms != 1 {
		t.Fatalf("%d SMS for one decision", sms)
	}
}

func paymentsTx(trade string, amount int64, txID string) simulator.Transaction {
	return simulator.Transaction{TransactionID: txID, OutTradeNo: trade, AmountFen: amount, SuccessTime: time.Now()}
}

// countOutbox counts the delivered messages that match.
func countOutbox(e *env, match func(m map[string]any) bool) int {
	n := 0
	for _, m := range outbox(e) {
		if match(m) {
			n++
		}
	}
	return n
}

// countEvents counts the recorded events of one type.
func countEvents(e *env, eventType market.EventType) int {
	evs, err := e.emu.App.Store.Events(context.Background(), store.EventQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == eventType {
			n++
		}
	}
	return n
}

// waitApplied polls until the consumer has applied a payment notification.
func waitApplied(e *env, transactionID string) market.PaymentNotification {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n, err := e.emu.App.Store.PaymentNotification(context.Background(), transactionID); err == nil && n.Status == "applied" {
			return n
		}
	}
	e.t.Fatalf("payment %s never applied", transactionID)
	return market.PaymentNotification{}
}
