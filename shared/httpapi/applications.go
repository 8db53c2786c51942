package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// API binds the endpoints to the operations.
type API struct{ Operations *operation.Service }

type licenseUploadRequest struct {
	ContentType *string `json:"contentType"`
	SizeBytes   *int64  `json:"sizeBytes"`
	// Purpose: "license" (the default), "legal_rep_id", "bank_account_proof"
	// or "deposit_voucher"; each has its own types and size limit.
	Purpose string `json:"purpose"`
}

// CreateLicenseUpload serves POST /v1/license-uploads.
func (a *API) CreateLicenseUpload(ctx context.Context, r *Request) (Reply, error) {
	var in licenseUploadRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	if in.ContentType == nil {
		return Reply{}, fault.Missing("contentType")
	}
	if in.SizeBytes == nil {
		return Reply{}, fault.Missing("sizeBytes")
	}
	purpose, err := market.ParsePurpose(in.Purpose)
	if err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusCreated, viewLicenseUpload(*in.ContentType, *in.SizeBytes), func(ctx context.Context) (operation.LicenseUpload, error) {
		return a.Operations.CreateLicenseUpload(ctx, r.Caller, purpose, *in.ContentType, *in.SizeBytes)
	})
}

type applicationRequest struct {
	CompanyName          string   `json:"companyName"`
	CompanyType          string   `json:"companyType"`
	OrgCode              string   `json:"orgCode"`
	LicenseNo            string   `json:"licenseNo"`
	LicenseObjectKey     string   `json:"licenseObjectKey"`
	MainBusiness         string   `json:"mainBusiness"`
	RegisteredCapitalFen *int64   `json:"registeredCapitalFen"`
	FoundedOn            string   `json:"foundedOn"`
	Categories           []string `json:"categories"`
	CooperationMode      string   `json:"cooperationMode"`
	SupportHours         *struct {
		Days        int `json:"days"`
		HoursPerDay int `json:"hoursPerDay"`
	} `json:"supportHours"`
	Contact *struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
		QQ    string `json:"qq"`
		Email string `json:"email"`
	} `json:"contact"`
	// R-EN1 documents and the R-ON2 mailbox: optional at submission.
	LegalRepIDObjectKey       string              `json:"legalRepIdObjectKey"`
	BankAccountProofObjectKey string              `json:"bankAccountProofObjectKey"`
	SettlementAccount         *bankAccountRequest `json:"settlementAccount"`
	CustomerServiceEmail      string              `json:"customerServiceEmail"`
}

type bankAccountRequest struct {
	Bank          string `json:"bank"`
	AccountName   string `json:"accountName"`
	AccountNumber string `json:"accountNumber"`
}

func (b *bankAccountRequest) account() *market.BankAccount {
	if b == nil {
		return nil
	}
	return &market.BankAccount{Bank: b.Bank, AccountName: b.AccountName, AccountNumber: b.AccountNumber}
}

func (in applicationRequest) form() market.ApplicationForm {
	f := market.ApplicationForm{
		CompanyName: in.CompanyName, CompanyType: in.CompanyType, OrgCode: in.OrgCode, LicenseNo: in.LicenseNo,
		LicenseObjectKey: in.LicenseObjectKey, MainBusiness: in.MainBusiness, RegisteredCapitalFen: in.RegisteredCapitalFen,
		FoundedOn: in.FoundedOn, Categories: in.Categories, CooperationMode: in.CooperationMode,
		Documents: market.DocumentForm{LegalRepIDObjectKey: in.LegalRepIDObjectKey, BankAccountProofObjectKey: in.BankAccountProofObjectKey,
			SettlementAccount: in.SettlementAccount.account(), CustomerServiceEmail: in.CustomerServiceEmail},
	}
	if in.SupportHours != nil {
		f.SupportHours = &market.SupportHours{Days: in.SupportHours.Days, HoursPerDay: in.SupportHours.HoursPerDay}
	}
	if in.Contact != nil {
		f.Contact = &market.Contact{Name: in.Contact.Name, Phone: in.Contact.Phone, QQ: in.Contact.QQ, Email: in.Contact.Email}
	}
	return f
}

// SubmitApplication serves POST /v1/applications.
func (a *API) SubmitApplication(ctx context.Context, r *Request) (Reply, error) {
	var in applicationRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusCreated, viewApplication, func(ctx context.Context) (*market.Application, error) {
		return a.Operations.SubmitApplication(ctx, r.Caller, in.form())
	})
}

// GetApplication serves GET /v1/applications/{id}.
func (a *API) GetApplication(ctx context.Context, r *Request) (Reply, error) {
	app, err := a.Operations.GetApplication(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewApplication(app)}, nil
}

// GetLicenseImage serves GET /v1/applications/{id}/license (an extension of
// API.md): the licence image as a data URL, for the reviewer's screen.
func (a *API) GetLicenseImage(ctx context.Context, r *Request) (Reply, error) {
	ct, data, err := a.Operations.LicenseImage(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]any{
		"contentType": ct, "sizeBytes": len(data),
		"dataUrl": "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(data),
	}}, nil
}

type queueCursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
}

// ListApplications serves GET /v1/applications?status=&limit=&cursor=.
func (a *API) ListApplications(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	q := operation.ApplicationQuery{Status: r.Query("status"), Limit: n + 1}
	if c := r.Query("cursor"); c != "" {
		var cur queueCursor
		if !decodeCursor(c, &cur) || cur.ID == "" {
			return Reply{}, badCursor()
		}
		q.AfterDue, q.AfterID = cur.Due, cur.ID
	}
	apps, err := a.Operations.ListApplicationsFor(ctx, r.Caller, q)
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, app := range apps {
		if i == n {
			last := apps[n-1]
			out.NextCursor = encodeCursor(queueCursor{Due: last.ReviewDueAt, ID: last.ID})
			break
		}
		out.Items = append(out.Items, viewApplication(app))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

type decisionRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// DecideApplication serves POST /v1/applications/{id}/decision.
func (a *API) DecideApplication(ctx context.Context, r *Request) (Reply, error) {
	var in decisionRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewApplication, func(ctx context.Context) (*market.Application, error) {
		return a.Operations.DecideApplication(ctx, r.Caller, r.Params["id"], in.Decision, in.Reason)
	})
}
