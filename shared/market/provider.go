package market

import (
	"slices"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// ProviderStatus of a provider record.
type ProviderStatus string

const (
	ProviderContractPending ProviderStatus = "contract_pending"
	ProviderActive          ProviderStatus = "active"
	ProviderExiting         ProviderStatus = "exiting"
	ProviderExited          ProviderStatus = "exited"
	ProviderExpelled        ProviderStatus = "expelled"
)

// Store status values.
const (
	StoreOpen    = "open"
	StoreClosed  = "closed"
	StoreBlocked = "blocked"
)

// Deposit amounts (R-DP1).
var (
	DepositStandard = money.Yuan(5000)
	DepositAPIOnly  = money.Yuan(2000)
)

// RequiredDeposit is R-DP1: 2,000 CNY only when every category is api; one
// deposit at the highest applicable amount otherwise.
func RequiredDeposit(categories []Category) money.Fen {
	if len(categories) > 0 && !slices.ContainsFunc(categories, func(c Category) bool { return c != CategoryAPI }) {
		return DepositAPIOnly
	}
	return DepositStandard
}

// Provider is an admitted company.
type Provider struct {
	ID                     string
	AccountID              string
	ApplicationID          string
	CompanyName            string
	OrgCode                string
	Organisation           string
	LicenseNo              string
	MainBusiness           string
	Categories             []Category
	CooperationMode        string
	ConsignmentRate        money.BasisPoints // the contract's consignment share (R-FE1); 0: the platform default
	Contact                Contact
	Documents              Documents // R-EN1; what is missing is listed
	Status                 ProviderStatus
	Store                  Storefront
	PublishRestrictedUntil time.Time
	Deposit                Deposit
	Contract               Contract
	ExitReason             string
	ExitRequestedAt        time.Time
	CreatedAt              time.Time
}

// Contract is the signed access agreement (R-ON2, R-EN4).
type Contract struct {
	SentAt        time.Time
	SignedAt      time.Time
	SignatoryName string
}

// NewProvider opens the provider record of an approved application (R-ON2): the
// contract is yet to be signed.
func NewProvider(id string, a *Application, now time.Time) *Provider {
	return &Provider{
		ID:              id,
		AccountID:       a.AccountID,
		ApplicationID:   a.ID,
		CompanyName:     a.CompanyName,
		OrgCode:         a.OrgCode.Canonical,
		Organisation:    a.OrgCode.Organisation,
		LicenseNo:       a.LicenseNo,
		MainBusiness:    a.MainBusiness,
		Categories:      slices.Clone(a.Categories),
		CooperationMode: a.CooperationMode,
		Contact:         a.Contact,
		Documents:       a.Documents,
		Status:          ProviderContractPending,
		Deposit:         Deposit{RequiredFen: RequiredDeposit(a.Categories)},
		Contract:        Contract{SentAt: now},
		CreatedAt:       now,
	}
}

// CanPublish tells whether the provider may submit products now (no penalty
// restriction in force).
func (p *Provider) CanPublish(now time.Time) bool {
	return p.PublishRestrictedUntil.IsZero() || !now.Before(p.PublishRestrictedUntil)
}

// SignContract moves a provider whose contract is pending to active (R-ON2).
func (p *Provider) SignContract(signatory string, now time.Time) error {
	signatory, err := requiredText("signatoryName", signatory, MaxTextLen)
	if err != nil {
		return err
	}
	if p.Status != ProviderContractPending {
		return fault.Failed("ContractAlreadySigned", "Provider %s signed its contract on %s.", p.ID, p.Contract.SignedAt.In(workday.Shanghai).Format(time.DateOnly))
	}
	p.Contract.SignedAt, p.Contract.SignatoryName = now, signatory
	p.Status = ProviderActive
	return nil
}

// CheckActing refuses what a provider does on its own account before its
// contract is signed, and after it left.
func (p *Provider) CheckActing() error {
	switch p.Status {
	case ProviderContractPending:
		return fault.Failed("ContractNotSigned", "Provider %s has not signed its contract yet: sign it with POST /v1/providers/%s/contract/sign first (R-ON2).", p.ID, p.ID)
	case ProviderExited, ProviderExpelled:
		return fault.Failed("ProviderClosed", "Provider %s has %s the marketplace.", p.ID, map[ProviderStatus]string{ProviderExited: "exited", ProviderExpelled: "been expelled from"}[p.Status])
	}
	return nil
}

// RequestExit starts the exit (R-EX1).
func (p *Provider) RequestExit(reason string, now time.Time) error {
	reason, err := requiredText("reason", reason, MaxMainBusinessLen)
	if err != nil {
		return err
	}
	switch p.Status {
	case ProviderExiting:
		return fault.Failed("ExitAlreadyRequested", "Provider %s is already exiting since %s.", p.ID, p.ExitRequestedAt.In(workday.Shanghai).Format(time.DateOnly))
	case ProviderExited, ProviderExpelled:
		return p.CheckActing()
	}
	p.Status, p.ExitReason, p.ExitRequestedAt = ProviderExiting, reason, now
	// R-EX2: nothing new is sold. The top-up clock of R-DP5 stops: the store is
	// closed for the exit and the deposit is settled by R-DP6 from here on.
	p.Deposit.TopUpDueAt, p.Deposit.StoreClosed = time.Time{}, false
	p.Store.Close(Closure{Reason: ReasonExit, Since: now})
	return nil
}
