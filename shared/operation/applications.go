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

// licensePrefix is the caller's own folder: an application may only refer to
// an image its own account uploaded.
func licensePrefix(account string) string { return "licenses/" + account + "/" }

// CreateLicenseUpload hands out a presigned PUT for a licence image (R-EN6).
func (s *Service) CreateLicenseUpload(ctx context.Context, who market.Actor, contentType string, size int64) (LicenseUpload, error) {
	if err := market.CheckLicenseUpload(contentType, size); err != nil {
		return LicenseUpload{}, err
	}
	now := s.now()
	ext := map[string]string{"image/png": ".png", "image/jpeg": ".jpg"}[contentType]
	key := licensePrefix(who.Account) + strings.TrimPrefix(ids.New("lic", now), "lic_") + ext
	url, exp, err := s.Objects.PresignPut(ctx, key, contentType, size)
	if err != nil {
		return LicenseUpload{}, fmt.Errorf("presign licence upload: %w", err)
	}
	return LicenseUpload{ObjectKey: key, UploadURL: url, ExpiresAt: exp}, nil
}

// SubmitApplication validates and stores an application (R-EN*, R-ON1).
func (s *Service) SubmitApplication(ctx context.Context, who market.Actor, form market.ApplicationForm) (*market.Application, error) {
	now := s.now()
	a, err := market.NewApplication(ids.New(ids.Application, now), who.Account, form, now, s.Calendar)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.LicenseObjectKey, licensePrefix(who.Account)) {
		return nil, fault.Invalid("LicenseImage", "licenseObjectKey %q is not an upload of this account; upload the licence through POST /v1/license-uploads first.", a.LicenseObjectKey)
	}
	// Re-read the uploaded bytes before the transaction (no I/O inside it).
	data, err := s.Objects.Read(ctx, a.LicenseObjectKey, market.MaxLicenseBytes)
	if errors.Is(err, ErrNoObject) {
		return nil, fault.Invalid("LicenseImage", "Nothing was uploaded at licenseObjectKey %q; PUT the image to the upload URL first.", a.LicenseObjectKey)
	}
	if err != nil {
		return nil, fmt.Errorf("read licence image: %w", err)
	}
	if _, err := market.CheckLicenseImage(data); err != nil {
		return nil, err
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

// DecideApplication records a reviewer's decision (R-ON1); approval opens the
// provider record (R-ON2). The applicant's contact is told by SMS.
func (s *Service) DecideApplication(ctx context.Context, who market.Actor, id, decision, reason string) (*market.Application, error) {
	now := s.now()
	a, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Application, error) {
		a, err := tx.Application(id)
		if err != nil {
			return nil, notFound(err, "Application", id)
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
		notes := []market.Notification{{Channel: "sms", To: a.Contact.Phone, Template: "application_rejected", Params: []string{a.CompanyName, a.ID, a.Reason}}}
		if a.Status == market.ApplicationApproved {
			notes = []market.Notification{
				{Channel: "sms", To: a.Contact.Phone, Template: "application_approved", Params: []string{a.CompanyName, a.ID}},
				// R-ON2: the contract goes by e-mail to the contact.
				{Channel: "email", To: a.Contact.Email, Template: "contract_sent", Params: []string{a.CompanyName, providerID, a.Contact.Name}},
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
