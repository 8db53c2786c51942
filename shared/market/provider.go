package market

import (
	"slices"
	"time"

	"cloudmarket/shared/money"
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

// Store is the provider's storefront state.
type Store struct {
	Status string
	Reason string
	Until  time.Time // zero when open-ended
}

// Provider is an admitted company.
type Provider struct {
	ID                     string
	AccountID              string
	ApplicationID          string
	CompanyName            string
	OrgCode                string
	Organisation           string
	Categories             []Category
	CooperationMode        string
	Contact                Contact
	Status                 ProviderStatus
	Store                  Store
	PublishRestrictedUntil time.Time
	DepositRequiredFen     money.Fen
	CreatedAt              time.Time
}

// NewProvider opens the provider record of an approved application (R-ON2): the
// contract is yet to be signed.
func NewProvider(id string, a *Application, now time.Time) *Provider {
	return &Provider{
		ID:                 id,
		AccountID:          a.AccountID,
		ApplicationID:      a.ID,
		CompanyName:        a.CompanyName,
		OrgCode:            a.OrgCode.Canonical,
		Organisation:       a.OrgCode.Organisation,
		Categories:         slices.Clone(a.Categories),
		CooperationMode:    a.CooperationMode,
		Contact:            a.Contact,
		Status:             ProviderContractPending,
		Store:              Store{Status: StoreOpen},
		DepositRequiredFen: RequiredDeposit(a.Categories),
		CreatedAt:          now,
	}
}

// CanPublish tells whether the provider may submit products now (no penalty
// restriction in force).
func (p *Provider) CanPublish(now time.Time) bool {
	return p.PublishRestrictedUntil.IsZero() || !now.Before(p.PublishRestrictedUntil)
}
