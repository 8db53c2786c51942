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
		Contact: &Contact{Name: "张三", Phone: "138 0000 0000", Email: "z@example.com", QQ: "123456"},
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
		"missing qq (3.1.3③)":  {func(f *ApplicationForm) { f.Contact = &Contact{Name: "a", Phone: "13800000000", Email: "a@b.cn"} }, "MissingParameter"},
		"account number with letters": {func(f *ApplicationForm) {
			f.Documents.SettlementAccount = &BankAccount{Bank: "招商银行", AccountName: "示例科技有限公司", AccountNumber: "7559ABC1234"}
		}, "InvalidParameterValue.AccountNumber"},
		"bad customer-service mailbox": {func(f *ApplicationForm) { f.Documents.CustomerServiceEmail = "kefu" }, "InvalidParameterValue.CustomerServiceEmail"},
		"documents given": {func(f *ApplicationForm) {
			f.Documents = DocumentForm{LegalRepIDObjectKey: "k1", BankAccountProofObjectKey: "k2", CustomerServiceEmail: "kefu@example.com",
				SettlementAccount: &BankAccount{Bank: "招商银行", AccountName: "示例科技有限公司", AccountNumber: "7559 0123 4567 8901"}}
		}, ""},
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

func TestMissingDocumentsAndMasking_R_EN1(t *testing.T) {
	t.Parallel()
	a, err := NewApplication("app_1", "1", validForm(), now, workday.New())
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Documents.Missing(); len(got) != 4 {
		t.Fatalf("missing %v", got)
	}
	f := validForm()
	f.Documents.SettlementAccount = &BankAccount{Bank: "招商银行", AccountName: "示例", AccountNumber: "7559-0123-4567-8901"}
	a, _ = NewApplication("app_1", "1", f, now, workday.New())
	if a.Documents.SettlementAccount.AccountNumber != "7559012345678901" || a.Documents.SettlementAccount.MaskedNumber() != "************8901" {
		t.Fatalf("account: %+v", a.Documents.SettlementAccount)
	}
	if got := a.Documents.Missing(); len(got) != 3 || got[2] != DocCustomerServiceEmail {
		t.Fatalf("missing %v", got)
	}
}

func TestDocumentBytes_R_EN1(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	if typ, err := PurposeDepositVoucher.CheckContent(pdf); err != nil || typ != "application/pdf" {
		t.Fatalf("pdf: %s %v", typ, err)
	}
	if _, err := PurposeLicense.CheckContent(pdf); !fault.HasCode(err, "InvalidParameterValue.LicenseImage") {
		t.Fatalf("a PDF licence: %v", err)
	}
	for _, bad := range [][]byte{[]byte("%PDF-1.4 but never ends"), []byte("hello, not a voucher at all"), append([]byte("%PDF-1.4\n"), make([]byte, MaxDocumentBytes)...)} {
		if _, err := PurposeDepositVoucher.CheckContent(bad); !fault.HasCode(err, "InvalidParameterValue.Voucher") {
			t.Errorf("accepted %.20q: %v", bad, err)
		}
	}
	if err := PurposeDepositVoucher.CheckUpload("application/pdf", 6<<20); !fault.HasCode(err, "InvalidParameterValue.Voucher") {
		t.Fatalf("6 MiB voucher: %v", err)
	}
	if _, err := ParsePurpose("selfie"); !fault.HasCode(err, "InvalidParameterValue.Purpose") {
		t.Fatal(err)
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
