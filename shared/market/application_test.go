package market

import (
	"testing"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/workday"
)

func validForm() ApplicationForm {
	capital := int64(200_000_000)
	return ApplicationForm{
		CompanyName: "示例科技有限公司", CompanyType: "private", OrgCode: "9144030071526726XG",
		LicenseNo: "914403007152672600", LicenseObjectKey: "licenses/1/x.png", MainBusiness: "运维",
		RegisteredCapitalFen: &capital, FoundedOn: "2024-11-26", Categories: []string{"software"},
		CooperationMode: "platform", SupportHours: &SupportHours{Days: 5, HoursPerDay: 8},
		Contact: &Contact{Name: "张三", Phone: "138 0000 0000", Email: "z@example.com"},
	}
}

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, workday.Shanghai)

func TestNewApplicationEdges_R_EN(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	a, err := NewApplication("app_1", "1", validForm(), now, cal)
	if err != nil {
		t.Fatalf("founded exactly 2 years ago today must pass R-EN3: %v", err)
	}
	if a.Contact.Phone != "+8613800000000" || a.OrgCode.Organisation != "71526726-X" {
		t.Fatalf("normalised: %+v", a)
	}
	if got := a.ReviewDueAt.Format(time.DateOnly); got != "2026-12-07" {
		t.Fatalf("reviewDueAt %s", got)
	}
	cases := map[string]struct {
		edit func(*ApplicationForm)
		code string
	}{
		"one day short of 2 years": {func(f *ApplicationForm) { f.FoundedOn = "2024-11-27" }, "FailedOperation.InsufficientExperience"},
		"founded in the future":    {func(f *ApplicationForm) { f.FoundedOn = "2027-01-01" }, "InvalidParameterValue.FoundedOn"},
		"capital just above 1M": {func(f *ApplicationForm) {
			c := int64(100_000_001)
			f.RegisteredCapitalFen = &c
			f.Categories = []string{"miniprogram"}
		}, ""},
		"capital exactly 1M": {func(f *ApplicationForm) {
			c := int64(100_000_000)
			f.RegisteredCapitalFen = &c
			f.Categories = []string{"miniprogram"}
		}, "FailedOperation.MiniProgramRequirementsNotMet"},
		"4 days a week":      {func(f *ApplicationForm) { f.SupportHours = &SupportHours{Days: 4, HoursPerDay: 12} }, "FailedOperation.SupportHoursTooLow"},
		"8 days a week":      {func(f *ApplicationForm) { f.SupportHours = &SupportHours{Days: 8, HoursPerDay: 8} }, "InvalidParameterValue.SupportHours"},
		"missing capital":    {func(f *ApplicationForm) { f.RegisteredCapitalFen = nil }, "MissingParameter"},
		"negative capital":   {func(f *ApplicationForm) { c := int64(-1); f.RegisteredCapitalFen = &c }, "InvalidParameterValue.RegisteredCapitalFen"},
		"duplicate category": {func(f *ApplicationForm) { f.Categories = []string{"api", "api"} }, "InvalidParameterValue.Categories"},
		"bad company type":   {func(f *ApplicationForm) { f.CompanyType = "partnership" }, "InvalidParameterValue.CompanyType"},
		"bad email":          {func(f *ApplicationForm) { f.Contact = &Contact{Name: "a", Phone: "13800000000", Email: "nope"} }, "InvalidParameterValue.Contact"},
		"bad qq": {func(f *ApplicationForm) {
			f.Contact = &Contact{Name: "a", Phone: "13800000000", Email: "a@b.cn", QQ: "12"}
		}, "InvalidParameterValue.Contact"},
		"missing company name": {func(f *ApplicationForm) { f.CompanyName = "  " }, "MissingParameter"},
	}
	for name, c := range cases {
		f := validForm()
		c.edit(&f)
		_, err := NewApplication("app_1", "1", f, now, cal)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if e, ok := fault.As(err); !ok || e.Code != c.code {
			t.Errorf("%s: got %v, want %s", name, err, c.code)
		}
	}
}

func TestRequiredDeposit_R_DP1(t *testing.T) {
	t.Parallel()
	if RequiredDeposit([]Category{CategoryAPI}) != 200000 {
		t.Fatal("api only must be 2,000 CNY")
	}
	if RequiredDeposit([]Category{CategoryAPI, CategoryOps}) != 500000 {
		t.Fatal("mixed categories take the highest amount")
	}
}

func TestCheckLicenseImage_R_EN6(t *testing.T) {
	t.Parallel()
	jpegHeader := []byte{0xFF, 0xD8, 0xFF, 0xE0} // a JPEG signature alone is not an image
	for _, bad := range [][]byte{nil, []byte("GIF89a"), jpegHeader, []byte("\x89PNG\r\n\x1a\n")} {
		if _, err := CheckLicenseImage(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
