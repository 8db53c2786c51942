package operation_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

func TestCreateLicenseUpload_R_EN6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	who := providerActor("100001")
	cases := []struct {
		name        string
		contentType string
		size        int64
		ext         string // "" when refused
	}{
		{"R-EN6 png", "image/png", 1000, ".png"},
		{"R-EN6 jpeg", "image/jpeg", 1000, ".jpg"},
		{"R-EN6 exactly 2 MiB", "image/png", 2 * 1024 * 1024, ".png"},
		{"R-EN6 one byte over 2 MiB", "image/png", 2*1024*1024 + 1, ""},
		{"R-EN6 pdf is not an image", "application/pdf", 1000, ""},
		{"R-EN6 text", "text/plain", 10, ""},
		{"R-EN6 empty", "image/png", 0, ""},
	}
	for _, c := range cases {
		up, err := f.svc.CreateLicenseUpload(f.ctx, who, market.PurposeLicense, c.contentType, c.size)
		if c.ext == "" {
			wantCode(t, err, "InvalidParameterValue.LicenseImage")
			continue
		}
		ok(t, err)
		// The key lies in the caller's own folder: an application may only name
		// an image its own account uploaded.
		if !strings.HasPrefix(up.ObjectKey, "licenses/100001/") || !strings.HasSuffix(up.ObjectKey, c.ext) || up.UploadURL == "" {
			t.Errorf("%s: %+v", c.name, up)
		}
		wantTime(t, c.name+" expiresAt", up.ExpiresAt, sh(t, "2026-09-29 10:15"))
	}
}

// The review is due within 7 working days (R-ON1), counted on the public
// calendar: submitted on 2026-09-29, the days are 9-30, 10-8, 10-9, 10-10 (an
// adjusted working Saturday), 10-12, 10-13 and 10-14 (R-WD2's example).
func TestSubmitApplication_ReviewDueAcrossNationalDay_R_ON1_R_WD2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	who := providerActor("100001")
	form := applicationForm(f.upload(who, "image/jpeg", jpegBytes(t)), " 9144030071526726xg ")
	form.Contact.Phone = "138 0000 0000"
	a, err := f.svc.SubmitApplication(f.ctx, who, form)
	ok(t, err)
	if a.Status != market.ApplicationSubmitted || a.AccountID != "100001" || !strings.HasPrefix(a.ID, "app_") || a.ProviderID != "" {
		t.Fatalf("application: %+v", a)
	}
	if a.OrgCode.Canonical != creditCode || a.OrgCode.Organisation != orgCodeSame || a.Contact.Phone != contactPhone {
		t.Errorf("normalised fields: %+v %+v", a.OrgCode, a.Contact)
	}
	wantTime(t, "submittedAt", a.SubmittedAt, sh(t, "2026-09-29 10:00"))
	wantTime(t, "reviewDueAt", a.ReviewDueAt, endOfDay(t, "2026-10-14"))

	// What was stored is what was answered, and the submission is on the trail.
	got, err := f.svc.GetApplication(f.ctx, who, a.ID)
	ok(t, err)
	wantTime(t, "stored reviewDueAt", got.ReviewDueAt, a.ReviewDueAt)
	d := f.eventData(a.ID, "application.submitted")
	if d["orgCode"] != creditCode || d["companyName"] != companyName {
		t.Errorf("event data: %v", d)
	}
	if due, _ := d["reviewDueAt"].(time.Time); !due.Equal(a.ReviewDueAt) {
		t.Errorf("event reviewDueAt %v", d["reviewDueAt"])
	}
	if f.eventActor(a.ID, "application.submitted") != "100001" {
		t.Error("event actor is not the applicant")
	}
	// R-ON1 notifies the result, not the submission.
	if n := len(f.sender.all()) + f.pending(); n != 0 {
		t.Errorf("%d notifications for a submission", n)
	}
}

func TestSubmitApplication_Refusals_R_EN(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	who := providerActor("100001")
	good := f.upload(who, "image/png", pngBytes(t))
	text := f.upload(who, "image/png", []byte("this is a text file, not a licence scan"))
	// Storage does not always enforce the signed length: the submission checks.
	big := f.upload(who, "image/png", pngBytes(t))
	f.objects.put(big, append(pngBytes(t), bytes.Repeat([]byte{0}, 3*1024*1024)...))
	foreign := f.upload(providerActor("100009"), "image/png", pngBytes(t))
	capital := func(fen int64) *int64 { return &fen }

	cases := []struct {
		name string
		edit func(*market.ApplicationForm)
		code string
	}{
		{"R-EN6 bad check digit", func(a *market.ApplicationForm) { a.OrgCode = "71526726-1" }, "InvalidParameterValue.OrgCode"},
		{"R-EN6 credit code with a bad check digit", func(a *market.ApplicationForm) { a.OrgCode = "9144030071526726X1" }, "InvalidParameterValue.OrgCode"},
		{"R-EN6 text file named .png", func(a *market.ApplicationForm) { a.LicenseObjectKey = text }, "InvalidParameterValue.LicenseImage"},
		{"R-EN6 image over 2 MiB", func(a *market.ApplicationForm) { a.LicenseObjectKey = big }, "InvalidParameterValue.LicenseImage"},
		{"R-EN6 licence never uploaded", func(a *market.ApplicationForm) { a.LicenseObjectKey = "licenses/100001/nothing.png" }, "InvalidParameterValue.LicenseImage"},
		{"R-EN6 another account's upload", func(a *market.ApplicationForm) { a.LicenseObjectKey = foreign }, "InvalidParameterValue.LicenseImage"},
		{"R-EN6 missing licence key", func(a *market.ApplicationForm) { a.LicenseObjectKey = "" }, "MissingParameter"},
		{"R-EN6 licence number too short", func(a *market.ApplicationForm) { a.LicenseNo = "12345" }, "InvalidParameterValue.LicenseNo"},
		{"R-EN6 unknown company type", func(a *market.ApplicationForm) { a.CompanyType = "sole_trader" }, "InvalidParameterValue.CompanyType"},
		{"R-EN6 missing contact", func(a *market.ApplicationForm) { a.Contact = nil }, "MissingParameter"},
		{"R-EN6 landline phone", func(a *market.ApplicationForm) {
			a.Contact = &market.Contact{Name: "a", Phone: "075586013388", Email: "a@b.cn"}
		}, "InvalidParameterValue.Contact"},
		{"R-EN6 e-mail with a display name", func(a *market.ApplicationForm) {
			a.Contact = &market.Contact{Name: "a", Phone: contactPhone, Email: "Zhang <z@b.cn>"}
		}, "InvalidParameterValue.Contact"},
		{"R-EN6 missing registered capital", func(a *market.ApplicationForm) { a.RegisteredCapitalFen = nil }, "MissingParameter"},
		{"R-EN3 founded in the future", func(a *market.ApplicationForm) { a.FoundedOn = "2027-01-01" }, "InvalidParameterValue.FoundedOn"},
		{"R-EN3 founded one year ago", func(a *market.ApplicationForm) { a.FoundedOn = "2025-09-29" }, "FailedOperation.InsufficientExperience"},
		{"R-EN3 one day short of two years", func(a *market.ApplicationForm) { a.FoundedOn = "2024-09-30" }, "FailedOperation.InsufficientExperience"},
		{"R-EN2 support 5x7", func(a *market.ApplicationForm) { a.SupportHours = &market.SupportHours{Days: 5, HoursPerDay: 7} }, "FailedOperation.SupportHoursTooLow"},
		{"R-EN2 support 4x8", func(a *market.ApplicationForm) { a.SupportHours = &market.SupportHours{Days: 4, HoursPerDay: 8} }, "FailedOperation.SupportHoursTooLow"},
		{"R-EN2 support 8 days a week", func(a *market.ApplicationForm) { a.SupportHours = &market.SupportHours{Days: 8, HoursPerDay: 8} }, "InvalidParameterValue.SupportHours"},
		{"R-EN5 miniprogram with exactly 1,000,000 CNY", func(a *market.ApplicationForm) {
			a.Categories, a.RegisteredCapitalFen = []string{"miniprogram"}, capital(100_000_000)
		}, "FailedOperation.MiniProgramRequirementsNotMet"},
		{"R-CAT1 unknown category", func(a *market.ApplicationForm) { a.Categories = []string{"hardware"} }, "InvalidParameterValue.Categories"},
		{"R-CAT1 category twice", func(a *market.ApplicationForm) { a.Categories = []string{"api", "api"} }, "InvalidParameterValue.Categories"},
		{"R-CAT1 no category", func(a *market.ApplicationForm) { a.Categories = nil }, "MissingParameter"},
		{"R-FE1 unknown cooperation mode", func(a *market.ApplicationForm) { a.CooperationMode = "resale" }, "InvalidParameterValue.CooperationMode"},
	}
	for _, c := range cases {
		form := applicationForm(good, creditCode)
		c.edit(&form)
		_, err := f.svc.SubmitApplication(f.ctx, who, form)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		wantCode(t, err, c.code)
	}
	// Nothing half-written: no application, no event, and the organisation
	// is still free to apply.
	apps, err := f.st.Applications(f.ctx, store.ApplicationQuery{})
	ok(t, err)
	if len(apps) != 0 || len(f.eventTypes("")) != 0 {
		t.Fatalf("refusals left %d applications and events %v", len(apps), f.eventTypes(""))
	}
	_, err = f.svc.SubmitApplication(f.ctx, who, applicationForm(good, creditCode))
	ok(t, err)
}

// The boundaries of the entry rules are inside.
func TestSubmitApplication_Boundaries_R_EN3_R_EN5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	orgs := []string{creditCode, otherOrg}
	capital := int64(100_000_001)
	for i, edit := range []func(*market.ApplicationForm){
		func(a *market.ApplicationForm) { a.FoundedOn = "2024-09-29" }, // R-EN3: exactly two years today
		func(a *market.ApplicationForm) { // R-EN5: one fen above 1,000,000 CNY
			a.Categories, a.RegisteredCapitalFen = []string{"miniprogram", "api"}, &capital
		},
	} {
		who := providerActor(fmt.Sprint("10000", i))
		form := applicationForm(f.upload(who, "image/png", pngBytes(t)), orgs[i])
		edit(&form)
		_, err := f.svc.SubmitApplication(f.ctx, who, form)
		ok(t, err)
	}
}

// One open application or provider per organisation, under either of its
// identifiers; an expelled organisation never again (R-EN7).
func TestSubmitApplication_OnePerOrganisation_R_EN7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	submit := func(account, org string) error {
		who := providerActor(account)
		_, err := f.svc.SubmitApplication(f.ctx, who, applicationForm(f.upload(who, "image/png", pngBytes(t)), org))
		return err
	}
	a := f.apply("100001", creditCode)
	wantCode(t, submit("100002", orgCodeSame), "FailedOperation.AlreadyApplied") // open application, other identifier
	_, err := f.svc.DecideApplication(f.ctx, reviewer, a.ID, "approve", "")
	ok(t, err)
	wantCode(t, submit("100002", creditCode), "FailedOperation.AlreadyApplied") // already a provider

	rejected := f.apply("100003", otherOrg)
	_, err = f.svc.DecideApplication(f.ctx, reviewer, rejected.ID, "reject", "营业执照图片不清晰")
	ok(t, err)
	ok(t, submit("100003", otherOrg)) // a rejected organisation may apply again

	banned := orgCodeOf(t, "MA5U0Y3C")
	f.expel(banned)
	wantCode(t, submit("100004", banned), "FailedOperation.OrganisationBanned")
	// R-EN7 on the credit code that carries the expelled organisation code.
	banned = orgCodeOf(t, "87654321")
	f.expel(banned)
	wantCode(t, submit("100005", creditCodeOf(t, banned)), "FailedOperation.OrganisationBanned")
}

// Of ten simultaneous first applications of one organisation exactly one is
// accepted; the others get the documented refusal, not an internal error.
func TestSubmitApplication_ConcurrentSameOrganisation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	const n = 10
	forms := make([]market.ApplicationForm, n)
	for i := range forms {
		forms[i] = applicationForm(f.upload(providerActor(fmt.Sprint("2000", i)), "image/png", pngBytes(t)), creditCode)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range forms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.SubmitApplication(f.ctx, providerActor(fmt.Sprint("2000", i)), forms[i])
		}()
	}
	wg.Wait()
	accepted := 0
	for _, err := range errs {
		if err == nil {
			accepted++
			continue
		}
		wantCode(t, err, "FailedOperation.AlreadyApplied")
	}
	apps, err := f.st.Applications(f.ctx, store.ApplicationQuery{})
	ok(t, err)
	if accepted != 1 || len(apps) != 1 {
		t.Fatalf("%d accepted, %d stored", accepted, len(apps))
	}
}

func TestGetApplication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	a := f.apply("100001", creditCode)
	for _, c := range []struct {
		name string
		who  market.Actor
		id   string
		code string
	}{
		{"owner", providerActor("100001"), a.ID, ""},
		{"reviewer", reviewer, a.ID, ""},
		{"finance", finance, a.ID, ""},
		{"another provider", providerActor("100002"), a.ID, "UnauthorizedOperation"},
		{"a buyer", buyer, a.ID, "UnauthorizedOperation"},
		{"unknown", reviewer, "app_01M8AP2Y8SCK8BWNJEDY9YE5W8", "ResourceNotFound.Application"},
	} {
		got, err := f.svc.GetApplication(f.ctx, c.who, c.id)
		if c.code != "" {
			wantCode(t, err, c.code)
			continue
		}
		if err != nil || got.ID != a.ID {
			t.Errorf("%s: %v %v", c.name, got, err)
		}
	}
}

// The review queue is oldest reviewDueAt first (R-ON1), filtered by status.
func TestListApplications_R_ON1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-20 10:00")
	orgs := []string{creditCode, otherOrg, orgCodeOf(t, "MA5U0Y3C")}
	days := []string{"2026-10-20 10:00", "2026-10-05 10:00", "2026-10-12 10:00"}
	ids := map[string]string{}
	for i, org := range orgs {
		f.setClock(days[i])
		ids[org] = f.apply(fmt.Sprint("10000", i), org).ID
	}
	orgsOf := func(status string) string {
		apps, err := f.svc.ListApplications(f.ctx, store.ApplicationQuery{Status: status})
		ok(t, err)
		var out []string
		for _, a := range apps {
			out = append(out, a.OrgCode.Canonical)
		}
		return joined(out)
	}
	if got, want := orgsOf(""), joined([]string{otherOrg, orgs[2], creditCode}); got != want {
		t.Fatalf("queue %s, want %s", got, want)
	}
	_, err := f.svc.DecideApplication(f.ctx, reviewer, ids[otherOrg], "approve", "")
	ok(t, err)
	if got := orgsOf("submitted"); got != joined([]string{orgs[2], creditCode}) {
		t.Errorf("submitted: %s", got)
	}
	if got := orgsOf("approved"); got != otherOrg {
		t.Errorf("approved: %s", got)
	}
	_, err = f.svc.ListApplications(f.ctx, store.ApplicationQuery{Status: "pending"})
	wantCode(t, err, "InvalidParameterValue.Status")
}

// Approval opens the provider record with its contract pending (R-ON2), tells
// the contact by SMS (R-ON1) and sends the contract by e-mail (R-ON2).
func TestDecideApplication_Approve_R_ON1_R_ON2_R_DP1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	a := f.apply("100001", creditCode)
	f.setClock("2026-10-09 15:00")
	dec, err := f.svc.DecideApplication(f.ctx, reviewer, a.ID, "approve", "")
	ok(t, err)
	if dec.Status != market.ApplicationApproved || dec.DecidedBy != "900001" || !strings.HasPrefix(dec.ProviderID, "prv_") {
		t.Fatalf("decided: %+v", dec)
	}
	wantTime(t, "decidedAt", dec.DecidedAt, sh(t, "2026-10-09 15:00"))
	p := f.provider(dec.ProviderID)
	if p.Status != market.ProviderContractPending || p.AccountID != "100001" || p.ApplicationID != a.ID || p.CompanyName != companyName ||
		p.Deposit.RequiredFen != 500_000 || p.Deposit.Status() != market.DepositUnpaid || p.Contact.Phone != contactPhone {
		t.Fatalf("provider: %+v", p)
	}
	wantTime(t, "contract sentAt", p.Contract.SentAt, sh(t, "2026-10-09 15:00"))

	sms := f.message(contactPhone, "application_approved")
	if sms.Channel != "sms" || len(sms.Params) != 0 {
		t.Errorf("SMS: %+v", sms)
	}
	mail := f.message(contactEmail, "contract_sent")
	if mail.Channel != "email" || !strings.Contains(joined(mail.Params), p.ID) {
		t.Errorf("contract e-mail: %+v", mail)
	}
	if f.pending() != 0 {
		t.Error("notifications left in the outbox after the decision")
	}
	if got := joined(f.eventTypes(p.ID)); got != "application.approved provider.created" {
		t.Errorf("events: %s", got)
	}
	if d := f.eventData(p.ID, "provider.created"); d["applicationId"] != a.ID || d["depositRequiredFen"] != int64(500_000) {
		t.Errorf("provider.created: %v", d)
	}

	// A decision is final.
	_, err = f.svc.DecideApplication(f.ctx, reviewer, a.ID, "reject", "改主意了")
	wantCode(t, err, "FailedOperation.ApplicationAlreadyDecided")
}

// R-DP1: 5,000 CNY; 2,000 CNY when the provider sells only on the API market;
// several categories pay the highest amount once.
func TestDecideApplication_DepositAmount_R_DP1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	for i, c := range []struct {
		categories []string
		want       int64
	}{
		{[]string{"api"}, 200_000},
		{[]string{"api", "software"}, 500_000},
		{[]string{"image"}, 500_000},
		{[]string{"ops", "image", "software"}, 500_000},
	} {
		p := f.approvedProvider(fmt.Sprint("10000", i), orgCodeOf(t, fmt.Sprintf("A000000%d", i)), c.categories...)
		if int64(p.Deposit.RequiredFen) != c.want {
			t.Errorf("R-DP1 %v: required %d, want %d", c.categories, p.Deposit.RequiredFen, c.want)
		}
	}
}

func TestDecideApplication_Reject_R_ON1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	a := f.apply("100001", otherOrg)
	for _, c := range []struct {
		name, id, decision, reason, code string
	}{
		{"R-ON1 reject needs a reason", a.ID, "reject", "  ", "MissingParameter"},
		{"no decision", a.ID, "", "", "MissingParameter"},
		{"unknown decision", a.ID, "maybe", "", "InvalidParameterValue.Decision"},
		{"reason too long", a.ID, "reject", strings.Repeat("长", 2001), "InvalidParameterValue.Reason"},
		{"unknown application", "app_01M8AP2Y8SCK8BWNJEDY9YE5W8", "approve", "", "ResourceNotFound.Application"},
	} {
		_, err := f.svc.DecideApplication(f.ctx, reviewer, c.id, c.decision, c.reason)
		wantCode(t, err, c.code)
	}
	if n := len(f.sender.all()); n != 0 {
		t.Fatalf("refused decisions sent %d messages", n)
	}
	dec, err := f.svc.DecideApplication(f.ctx, reviewer, a.ID, "reject", "营业执照图片不清晰")
	ok(t, err)
	if dec.Status != market.ApplicationRejected || dec.Reason != "营业执照图片不清晰" || dec.ProviderID != "" {
		t.Fatalf("rejected: %+v", dec)
	}
	if sms := f.message(contactPhone, "application_rejected"); len(sms.Params) != 0 {
		t.Errorf("the SMS points to the console for the reason, it has no parameters: %+v", sms)
	}
	if got := f.sent(contactEmail); len(got) != 0 {
		t.Errorf("contract sent to a rejected applicant: %v", got)
	}
	if d := f.eventData(a.ID, "application.rejected"); d["reason"] != "营业执照图片不清晰" {
		t.Errorf("event: %v", d)
	}
}

// Of twelve racing decisions exactly one wins; one SMS goes out.
func TestDecideApplication_Concurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	a := f.apply("100001", creditCode)
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			decision, reason := "approve", ""
			if i%2 == 1 {
				decision, reason = "reject", "并发测试"
			}
			_, errs[i] = f.svc.DecideApplication(f.ctx, reviewer, a.ID, decision, reason)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		wantCode(t, err, "FailedOperation.ApplicationAlreadyDecided")
	}
	if wins != 1 {
		t.Fatalf("%d decisions won", wins)
	}
	if sms := f.sent(contactPhone); len(sms) != 1 {
		t.Fatalf("SMS to the contact: %v", sms)
	}
}
