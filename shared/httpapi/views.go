package httpapi

import (
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/workday"
)

// Timestamp renders a time as API.md wants: RFC 3339 in Asia/Shanghai.
func Timestamp(t time.Time) string {
	return t.Truncate(time.Millisecond).In(workday.Shanghai).Format(time.RFC3339Nano)
}

func optTimestamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := Timestamp(t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type supportHoursView struct {
	Days        int `json:"days"`
	HoursPerDay int `json:"hoursPerDay"`
}

type contactView struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	QQ    string `json:"qq,omitempty"`
	Email string `json:"email"`
}

// bankAccountView shows a settlement account; the number is always masked.
type bankAccountView struct {
	Bank          string `json:"bank"`
	AccountName   string `json:"accountName"`
	AccountNumber string `json:"accountNumber"` // masked: ************1234
}

// documentsView is what is on file of the R-EN1 documents, and what is not.
type documentsView struct {
	LegalRepIDObjectKey       *string          `json:"legalRepIdObjectKey"`
	BankAccountProofObjectKey *string          `json:"bankAccountProofObjectKey"`
	SettlementAccount         *bankAccountView `json:"settlementAccount"`
	CustomerServiceEmail      *string          `json:"customerServiceEmail"`
	MissingDocuments          []string         `json:"missingDocuments"`
}

func viewDocuments(d market.Documents) documentsView {
	v := documentsView{LegalRepIDObjectKey: optString(d.LegalRepIDObjectKey), BankAccountProofObjectKey: optString(d.BankAccountProofObjectKey),
		CustomerServiceEmail: optString(d.CustomerServiceEmail), MissingDocuments: d.Missing()}
	if b := d.SettlementAccount; !b.IsZero() {
		v.SettlementAccount = &bankAccountView{Bank: b.Bank, AccountName: b.AccountName, AccountNumber: b.MaskedNumber()}
	}
	return v
}

type applicationView struct {
	ID                   string           `json:"id"`
	AccountID            string           `json:"accountId"`
	Status               string           `json:"status"`
	CompanyName          string           `json:"companyName"`
	CompanyType          string           `json:"companyType"`
	OrgCode              string           `json:"orgCode"`
	OrgCodeKind          string           `json:"orgCodeKind"`
	LicenseNo            string           `json:"licenseNo"`
	LicenseObjectKey     string           `json:"licenseObjectKey"`
	MainBusiness         string           `json:"mainBusiness"`
	RegisteredCapitalFen int64            `json:"registeredCapitalFen"`
	FoundedOn            string           `json:"foundedOn"`
	Categories           []string         `json:"categories"`
	CooperationMode      string           `json:"cooperationMode"`
	SupportHours         supportHoursView `json:"supportHours"`
	Contact              contactView      `json:"contact"`
	documentsView
	SubmittedAt   string  `json:"submittedAt"`
	ReviewDueAt   string  `json:"reviewDueAt"`
	ReviewOverdue bool    `json:"reviewOverdue"`
	Decision      *string `json:"decision"`
	Reason        *string `json:"reason"`
	DecidedBy     *string `json:"decidedBy"`
	DecidedAt     *string `json:"decidedAt"`
	ProviderID    *string `json:"providerId"`
}

func viewApplication(a *market.Application) any {
	cats := make([]string, len(a.Categories))
	for i, c := range a.Categories {
		cats[i] = string(c)
	}
	return applicationView{
		ID: a.ID, AccountID: a.AccountID, Status: string(a.Status), CompanyName: a.CompanyName,
		CompanyType: a.CompanyType, OrgCode: a.OrgCode.Canonical, OrgCodeKind: string(a.OrgCode.Kind),
		LicenseNo: a.LicenseNo, LicenseObjectKey: a.LicenseObjectKey, MainBusiness: a.MainBusiness,
		RegisteredCapitalFen: int64(a.RegisteredCapitalFen), FoundedOn: a.FoundedOn, Categories: cats,
		CooperationMode: a.CooperationMode,
		SupportHours:    supportHoursView{a.SupportHours.Days, a.SupportHours.HoursPerDay},
		Contact:         contactView{a.Contact.Name, a.Contact.Phone, a.Contact.QQ, a.Contact.Email},
		documentsView:   viewDocuments(a.Documents),
		SubmittedAt:     Timestamp(a.SubmittedAt), ReviewDueAt: Timestamp(a.ReviewDueAt),
		ReviewOverdue: !a.OverdueFlaggedAt.IsZero() && a.Status == market.ApplicationSubmitted,
		Decision:      optString(a.Decision), Reason: optString(a.Reason), DecidedBy: optString(a.DecidedBy),
		DecidedAt: optTimestamp(a.DecidedAt), ProviderID: optString(a.ProviderID),
	}
}

type licenseUploadView struct {
	ObjectKey string `json:"objectKey"`
	UploadURL string `json:"uploadUrl"`
	ExpiresAt string `json:"expiresAt"`
	Method    string `json:"method"`
	// Headers the PUT must carry: they are signed into the URL.
	Headers map[string]string `json:"headers"`
}

type listView struct {
	Items      []any  `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

func viewLicenseUpload(contentType string, size int64) func(operation.LicenseUpload) any {
	return func(u operation.LicenseUpload) any {
		return licenseUploadView{
			ObjectKey: u.ObjectKey, UploadURL: u.UploadURL, ExpiresAt: Timestamp(u.ExpiresAt), Method: "PUT",
			Headers: map[string]string{"Content-Type": contentType, "Content-Length": itoa(size)},
		}
	}
}
