package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

type closureDoc struct {
	Reason  string     `bson:"reason"`
	Blocked bool       `bson:"blocked"`
	Since   time.Time  `bson:"since"`
	Until   *time.Time `bson:"until,omitempty"`
}

type depositDoc struct {
	RequiredFen       int64      `bson:"requiredFen"`
	BalanceFen        int64      `bson:"balanceFen"`
	OwedFen           int64      `bson:"owedFen"`
	EverHeld          bool       `bson:"everHeld"`
	TopUpDueAt        *time.Time `bson:"topUpDueAt"`
	StoreClosed       bool       `bson:"storeClosed"`
	ReceiptReturnedAt *time.Time `bson:"receiptReturnedAt,omitempty"`
	ReturnDueAt       *time.Time `bson:"returnDueAt"`
	ReturnOverdueAt   *time.Time `bson:"returnOverdueAt"`
	ReturnedAt        *time.Time `bson:"returnedAt"`
}

type contractDoc struct {
	SentAt        *time.Time `bson:"sentAt,omitempty"`
	SignedAt      *time.Time `bson:"signedAt,omitempty"`
	SignatoryName string     `bson:"signatoryName,omitempty"`
}

type providerDoc struct {
	ID                     string       `bson:"_id"`
	AccountID              string       `bson:"accountId"`
	ApplicationID          string       `bson:"applicationId"`
	CompanyName            string       `bson:"companyName"`
	OrgCode                string       `bson:"orgCode"`
	Organisation           string       `bson:"organisation"`
	Categories             []string     `bson:"categories"`
	CooperationMode        string       `bson:"cooperationMode"`
	Contact                contactDoc   `bson:"contact"`
	Status                 string       `bson:"status"`
	Closures               []closureDoc `bson:"closures"`
	PublishRestrictedUntil *time.Time   `bson:"publishRestrictedUntil,omitempty"`
	Deposit                depositDoc   `bson:"deposit"`
	Contract               contractDoc  `bson:"contract"`
	ExitReason             string       `bson:"exitReason,omitempty"`
	ExitRequestedAt        *time.Time   `bson:"exitRequestedAt,omitempty"`
	CreatedAt              time.Time    `bson:"createdAt"`
}

func providerToDoc(p *market.Provider) bson.M {
	closures := []closureDoc{}
	for _, c := range p.Store.Closures {
		closures = append(closures, closureDoc{Reason: c.Reason, Blocked: c.Blocked, Since: ms(c.Since), Until: timePtr(c.Until)})
	}
	d := p.Deposit
	return toM(providerDoc{
		ID: p.ID, AccountID: p.AccountID, ApplicationID: p.ApplicationID, CompanyName: p.CompanyName,
		OrgCode: p.OrgCode, Organisation: p.Organisation, Categories: categoriesOut(p.Categories),
		CooperationMode: p.CooperationMode, Contact: contactDoc(p.Contact), Status: string(p.Status),
		Closures: closures, PublishRestrictedUntil: timePtr(p.PublishRestrictedUntil),
		Deposit: depositDoc{
			RequiredFen: int64(d.RequiredFen), BalanceFen: int64(d.BalanceFen), OwedFen: int64(d.OwedFen),
			EverHeld: d.EverHeld, TopUpDueAt: timePtr(d.TopUpDueAt), StoreClosed: d.StoreClosed,
			ReceiptReturnedAt: timePtr(d.ReceiptReturnedAt), ReturnDueAt: timePtr(d.ReturnDueAt),
			ReturnOverdueAt: timePtr(d.ReturnOverdueAt), ReturnedAt: timePtr(d.ReturnedAt),
		},
		Contract:   contractDoc{SentAt: timePtr(p.Contract.SentAt), SignedAt: timePtr(p.Contract.SignedAt), SignatoryName: p.Contract.SignatoryName},
		ExitReason: p.ExitReason, ExitRequestedAt: timePtr(p.ExitRequestedAt), CreatedAt: ms(p.CreatedAt),
	})
}

func (d providerDoc) provider() *market.Provider {
	var closures []market.Closure
	for _, c := range d.Closures {
		closures = append(closures, market.Closure{Reason: c.Reason, Blocked: c.Blocked, Since: c.Since.UTC(), Until: timeOrZero(c.Until)})
	}
	dd := d.Deposit
	return &market.Provider{
		ID: d.ID, AccountID: d.AccountID, ApplicationID: d.ApplicationID, CompanyName: d.CompanyName,
		OrgCode: d.OrgCode, Organisation: d.Organisation, Categories: categoriesIn(d.Categories),
		CooperationMode: d.CooperationMode, Contact: market.Contact(d.Contact), Status: market.ProviderStatus(d.Status),
		Store: market.Storefront{Closures: closures}, PublishRestrictedUntil: timeOrZero(d.PublishRestrictedUntil),
		Deposit: market.Deposit{
			RequiredFen: money.Fen(dd.RequiredFen), BalanceFen: money.Fen(dd.BalanceFen), OwedFen: money.Fen(dd.OwedFen),
			EverHeld: dd.EverHeld, TopUpDueAt: timeOrZero(dd.TopUpDueAt), StoreClosed: dd.StoreClosed,
			ReceiptReturnedAt: timeOrZero(dd.ReceiptReturnedAt), ReturnDueAt: timeOrZero(dd.ReturnDueAt),
			ReturnOverdueAt: timeOrZero(dd.ReturnOverdueAt), ReturnedAt: timeOrZero(dd.ReturnedAt),
		},
		Contract:   market.Contract{SentAt: timeOrZero(d.Contract.SentAt), SignedAt: timeOrZero(d.Contract.SignedAt), SignatoryName: d.Contract.SignatoryName},
		ExitReason: d.ExitReason, ExitRequestedAt: timeOrZero(d.ExitRequestedAt), CreatedAt: d.CreatedAt.UTC(),
	}
}

// InsertProvider stores a new provider record.
func (tx *Tx) InsertProvider(p *market.Provider) error {
	return tx.insert(colProviders, providerToDoc(p))
}

// Provider reads a provider for update.
func (tx *Tx) Provider(id string) (*market.Provider, error) {
	var d providerDoc
	if err := tx.load(colProviders, id, &d); err != nil {
		return nil, err
	}
	return d.provider(), nil
}

// SaveProvider writes back a provider read in this transaction.
func (tx *Tx) SaveProvider(p *market.Provider) error {
	return tx.replace(colProviders, p.ID, providerToDoc(p))
}

// Provider reads a provider record.
func (s *Store) Provider(ctx context.Context, id string) (*market.Provider, error) {
	var d providerDoc
	if err := s.readOne(ctx, colProviders, id, &d); err != nil {
		return nil, err
	}
	return d.provider(), nil
}

// providerIDs runs a timer query. Unsorted: a run acts on any batch of what is
// due, and the embedded engine would sort the whole collection first.
func (s *Store) providerIDs(ctx context.Context, filter bson.M, limit int) ([]string, error) {
	return s.ids(ctx, colProviders, filter, bson.D{}, limit)
}

// TopUpOverdueProviders lists providers whose deposit top-up deadline passed
// and whose store was not closed for it yet (R-DP5). Closing sets
// deposit.storeClosed; a payment that makes the deposit whole clears both.
func (s *Store) TopUpOverdueProviders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.providerIDs(ctx, bson.M{"deposit.storeClosed": false, "deposit.topUpDueAt": bson.M{"$lt": ms(now)}}, limit)
}

// ReturnOverdueProviders lists providers whose deposit return is past due and
// neither made nor flagged yet (R-DP6). Flagging sets deposit.returnOverdueAt,
// returning sets deposit.returnedAt: either takes the provider out of the
// query's index range.
func (s *Store) ReturnOverdueProviders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.providerIDs(ctx, bson.M{"deposit.returnedAt": nil, "deposit.returnOverdueAt": nil, "deposit.returnDueAt": bson.M{"$lt": ms(now)}}, limit)
}

type organisationDoc struct {
	ID            string    `bson:"_id"` // the organisation code, XXXXXXXX-X
	Standing      string    `bson:"standing"`
	ApplicationID string    `bson:"applicationId,omitempty"`
	ProviderID    string    `bson:"providerId,omitempty"`
	Reason        string    `bson:"reason,omitempty"`
	UpdatedAt     time.Time `bson:"updatedAt"`
}

// OrganisationRef is an organisation's standing and what it points to.
type OrganisationRef struct {
	Standing      market.OrganisationStanding
	ApplicationID string
	ProviderID    string
	Reason        string
}

// Organisation reads an organisation's standing for update; an organisation
// never seen is free.
func (tx *Tx) Organisation(key string) (OrganisationRef, error) {
	var d organisationDoc
	err := tx.load(colOrganisations, key, &d)
	if errors.Is(err, ErrNotFound) {
		return OrganisationRef{Standing: market.OrganisationFree}, nil
	}
	if err != nil {
		return OrganisationRef{}, err
	}
	return OrganisationRef{Standing: market.OrganisationStanding(d.Standing), ApplicationID: d.ApplicationID, ProviderID: d.ProviderID, Reason: d.Reason}, nil
}

// SetOrganisation writes an organisation's standing. A first write inserts, so
// two concurrent first applications of one organisation collide on _id and
// only one commits.
func (tx *Tx) SetOrganisation(key string, ref OrganisationRef, now time.Time) error {
	doc := toM(organisationDoc{ID: key, Standing: string(ref.Standing), ApplicationID: ref.ApplicationID, ProviderID: ref.ProviderID, Reason: ref.Reason, UpdatedAt: ms(now)})
	if _, seen := tx.versions[colOrganisations+"/"+key]; seen {
		return tx.replace(colOrganisations, key, doc)
	}
	return tx.insert(colOrganisations, doc)
}

// ProviderByAccount reads, for update, the provider record of a cloud account.
func (tx *Tx) ProviderByAccount(account string) (*market.Provider, error) {
	var d providerDoc
	if err := tx.loadBy(colProviders, bson.M{"accountId": account}, &d); err != nil {
		return nil, err
	}
	return d.provider(), nil
}
