package operation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// LicenseUpload is where the applicant PUTs its business licence image.
type LicenseUpload struct {
	ObjectKey string
	UploadURL string
	ExpiresAt time.Time
}

// uploadPrefix is the caller's own folder for a purpose: an application or
// notice may only refer to a file its own account uploaded for that purpose.
func uploadPrefix(account string, p market.Purpose) string {
	if p == market.PurposeLicense {
		return "licenses/" + account + "/"
	}
	return "documents/" + account + "/" + string(p) + "/"
}

var extensions = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}

// CreateLicenseUpload hands out a presigned PUT for an entry document: the
// business licence (R-EN6) by default, or another purpose (R-EN1 documents,
// the deposit's transfer voucher).
func (s *Service) CreateLicenseUpload(ctx context.Context, who market.Actor, purpose market.Purpose, contentType string, size int64) (LicenseUpload, error) {
	if err := purpose.CheckUpload(contentType, size); err != nil {
		return LicenseUpload{}, err
	}
	now := s.now()
	key := uploadPrefix(who.Account, purpose) + strings.TrimPrefix(ids.New("lic", now), "lic_") + extensions[contentType]
	url, exp, err := s.Objects.PresignPut(ctx, key, contentType, size)
	if err != nil {
		return LicenseUpload{}, fmt.Errorf("presign %s upload: %w", purpose, err)
	}
	return LicenseUpload{ObjectKey: key, UploadURL: url, ExpiresAt: exp}, nil
}

// checkUpload reads back an uploaded file of the caller (no I/O happens inside
// a transaction) and checks it by its bytes; it returns the detected type.
func (s *Service) checkUpload(ctx context.Context, who market.Actor, purpose market.Purpose, key string) (string, error) {
	if !strings.HasPrefix(key, uploadPrefix(who.Account, purpose)) {
		return "", purpose.Invalid("%q is not a %s upload of this account; upload the file through POST /v1/license-uploads with \"purpose\": %q first.", key, purpose, purpose)
	}
	data, err := s.Objects.Read(ctx, key, int64(purpose.MaxBytes()))
	if errors.Is(err, ErrNoObject) {
		return "", purpose.Invalid("Nothing was uploaded at %q; PUT the file to the upload URL first.", key)
	}
	if err != nil {
		return "", fmt.Errorf("read %s upload: %w", purpose, err)
	}
	return purpose.CheckContent(data)
}

// SubmitApplication validates and stores an application (R-EN*, R-ON1).
func (s *Service) SubmitApplication(ctx context.Context, who market.Actor, form market.ApplicationForm) (*market.Application, error) {
	now := s.now()
	a, err := market.NewApplication(ids.New(ids.Application, now), who.Account, form, now, s.Calendar)
	if err != nil {
		return nil, err
	}
	if _, err := s.checkUpload(ctx, who, market.PurposeLicense, a.LicenseObjectKey); err != nil {
		return nil, err
	}
	uploads := a.Documents.Uploads()
	for _, purpose := range market.Purposes { // the optional R-EN1 documents, in a fixed order
		if key, ok := uploads[purpose]; ok {
			if _, err := s.checkUpload(ctx, who, purpose, key); err != nil {
				return nil, err
			}
		}
	}

	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Application, error) {
		org, err := tx.Organisation(a.OrgCode.Organisation)
		if err != nil {
			return nil, err
		}
		if err := market.CheckMayApply(org.Standing, a.OrgCode.Organisation); err != nil { // R-EN7
			return nil, err
		}
		if err := tx.SetOrganisation(a.OrgCode.Organisation, store.OrganisationRef{Standing: market.OrganisationApplying, ApplicationID: a.ID}, now); err != nil {
			return nil, alreadyAppliedOnRace(err, a.OrgCode.Organisation)
		}
		if err := tx.InsertApplication(a); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{
			Type: market.EventApplicationSubmitted, At: now, Actor: who.Account, Subject: a.ID,
			Data: market.ApplicationSubmittedData{CompanyName: a.CompanyName, OrgCode: a.OrgCode.Canonical, ReviewDueAt: a.ReviewDueAt},
		})
		return a, err
	})
}

// alreadyAppliedOnRace turns the unique-key collision of two simultaneous
// first applications of one organisation into the documented refusal.
func alreadyAppliedOnRace(err error, org string) error {
	if store.IsDuplicate(err) {
		return market.CheckMayApply(market.OrganisationApplying, org)
	}
	return err
}

// GetApplication returns an application to its owner or an operator.
func (s *Service) GetApplication(ctx context.Context, who market.Actor, id string) (*market.Application, error) {
	a, err := s.Store.Application(ctx, id)
	if err != nil {
		return nil, notFound(err, "Application", id)
	}
	if a.AccountID != who.Account && !who.IsOperator() {
		return nil, fault.Forbidden("Application %s belongs to another account.", id)
	}
	return a, nil
}

// ListApplications pages the review queue, oldest reviewDueAt first.
func (s *Service) ListApplications(ctx context.Context, q store.ApplicationQuery) ([]*market.Application, error) {
	if q.Status != "" {
		switch market.ApplicationStatus(q.Status) {
		case market.ApplicationSubmitted, market.ApplicationApproved, market.ApplicationRejected:
		default:
			return nil, fault.Invalid("Status", "status must be submitted, approved or rejected, got %q.", q.Status)
		}
	}
	return s.Store.Applications(ctx, q)
}

// ListApplicationsFor is GET /v1/applications by who asks: reviewers see the
// queue, an applicant (a provider) its own applications, whatever became of
// them — how the console shows an application's progress.
func (s *Service) ListApplicationsFor(ctx context.Context, who market.Actor, q store.ApplicationQuery) ([]*market.Application, error) {
	switch {
	case who.Has(market.RoleReviewer):
	case who.Has(market.RoleProvider):
		q.AccountID = who.Account
	default:
		return nil, fault.Forbidden("Application lists are for reviewers and applicants (their own).")
	}
	return s.ListApplications(ctx, q)
}

// DecideApplication records a reviewer's decision (R-ON1); approval opens the
// provider record (R-ON2). The applicant's contact is told by SMS.
func (s *Service) DecideApplication(ctx context.Context, who market.Actor, id, decision, reason string) (*market.Application, error) {
	now := s.now()
	a, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Application, error) {
		a, err := tx.Application(id)
		if err != nil {
			return nil, notFound(err, "Application", id)
		}
		if a.AccountID == who.Account { // separation of duties
			return nil, fault.Forbidden("Application %s was submitted by your own account %s; another reviewer must decide it.", a.ID, who.Account)
		}
		if err := a.Decide(decision, reason, who.Account, now); err != nil {
			return nil, err
		}
		org := store.OrganisationRef{Standing: market.OrganisationFree} // rejected: may apply again
		var providerID string
		if a.Status == market.ApplicationApproved {
			p := market.NewProvider(ids.New(ids.Provider, now), a, now)
			if err := tx.InsertProvider(p); err != nil {
				return nil, err
			}
			a.ProviderID, providerID = p.ID, p.ID
			org = store.OrganisationRef{Standing: market.OrganisationProvider, ApplicationID: a.ID, ProviderID: p.ID}
			if _, err := tx.Record(market.Event{
				Type: market.EventProviderCreated, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
				Data: market.ProviderCreatedData{ApplicationID: a.ID, Status: p.Status, DepositRequiredFen: int64(p.Deposit.RequiredFen)},
			}); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Organisation(a.OrgCode.Organisation); err != nil {
			return nil, err
		}
		if err := tx.SetOrganisation(a.OrgCode.Organisation, org, now); err != nil {
			return nil, err
		}
		if err := tx.SaveApplication(a); err != nil {
			return nil, err
		}
		notes := []market.Notification{{Channel: "sms", To: a.Contact.Phone, Template: "application_rejected"}}
		if a.Status == market.ApplicationApproved {
			notes = []market.Notification{
				{Channel: "sms", To: a.Contact.Phone, Template: "application_approved"},
				// R-ON2: the contract goes by e-mail to the contact.
				{Channel: "email", To: a.Contact.Email, Template: "contract_sent", Params: []string{a.CompanyName, providerID, a.Contact.Name}},
			}
			// …and to the customer-service mailbox (seed 三: 联系人及客服邮箱).
			if cs := a.Documents.CustomerServiceEmail; cs != "" && !strings.EqualFold(cs, a.Contact.Email) {
				notes = append(notes, market.Notification{Channel: "email", To: cs, Template: "contract_sent", Params: []string{a.CompanyName, providerID, a.Contact.Name}})
			}
		}
		_, err = tx.Record(market.Event{
			Type: a.DecisionEvent(), At: now, Actor: who.Account, Subject: a.ID, ProviderID: providerID,
			Data: market.ApplicationDecidedData{Decision: a.Decision, Reason: a.Reason},
		}, notes...)
		return a, err
	})
	if err != nil {
		return nil, err
	}
	s.DeliverPending(ctx)
	return a, nil
}

// LicenseImage returns the uploaded licence image of an application to its
// owner or an operator: the reviewer looks at it before deciding (R-ON1).
func (s *Service) LicenseImage(ctx context.Context, who market.Actor, id string) (contentType string, data []byte, err error) {
	a, err := s.GetApplication(ctx, who, id)
	if err != nil {
		return "", nil, err
	}
	data, err = s.Objects.Read(ctx, a.LicenseObjectKey, market.MaxLicenseBytes)
	if errors.Is(err, ErrNoObject) {
		return "", nil, fault.NotFound("LicenseImage", "The licence image of application %s is no longer in object storage.", id)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read licence image: %w", err)
	}
	contentType, err = market.CheckLicenseImage(data)
	return contentType, data, err
}
