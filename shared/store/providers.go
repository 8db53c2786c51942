package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

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
	RequiredFen       int64         `bson:"requiredFen"`
	BalanceFen        int64         `bson:"balanceFen"`
	OwedFen           int64         `bson:"owedFen"`
	EverHeld          bool          `bson:"everHeld"`
	TopUpDueAt        *time.Time    `bson:"topUpDueAt"`
	StoreClosed       bool          `bson:"storeClosed"`
	ReceiptNos        []string      `bson:"receiptNos,omitempty"`
	ReceiptMailTo     *mailingDoc   `bson:"receiptMailTo,omitempty"`
	Dispatches        []dispatchDoc `bson:"dispatches,omitempty"`
	ReceiptReturnedAt *time.Time    `bson:"receiptReturnedAt,omitempty"`
	ReturnDueAt       *time.Time    `bson:"returnDueAt"`
	ReturnOverdueAt   *time.Time    `bson:"returnOverdueAt"`
	ReturnedAt        *time.Time    `bson:"returnedAt"`
}

type mailingDoc struct {
	Address   string `bson:"address"`
	Recipient string `bson:"recipient"`
	Phone     string `bson:"phone"`
}

func mailingOut(m market.ReceiptMailing) *mailingDoc {
	if m.IsZero() {
		return nil
	}
	d := mailingDoc(m)
	return &d
}

func mailingIn(d *mailingDoc) market.ReceiptMailing {
	if d == nil {
		return market.ReceiptMailing{}
	}
	return market.ReceiptMailing(*d)
}

type dispatchDoc struct {
	ReceiptNos []string   `bson:"receiptNos"`
	Courier    string     `bson:"courier"`
	TrackingNo string     `bson:"trackingNo"`
	MailTo     mailingDoc `bson:"mailTo"`
	At         time.Time  `bson:"at"`
	By         string     `bson:"by"`
}

// bankAccountDoc holds the whole account number: finance pays the deposit
// back to it. Views, events and logs show it masked (market.BankAccount).
type bankAccountDoc struct {
	Bank          string `bson:"bank"`
	AccountName   string `bson:"accountName"`
	AccountNumber string `bson:"accountNumber"`
}

type documentsDoc struct {
	LegalRepIDObjectKey       string          `bson:"legalRepIdObjectKey,omitempty"`
	BankAccountProofObjectKey string          `bson:"bankAccountProofObjectKey,omitempty"`
	SettlementAccount         *bankAccountDoc `bson:"settlementAccount,omitempty"`
	CustomerServiceEmail      string          `bson:"customerServiceEmail,omitempty"`
}

func documentsOut(d market.Documents) documentsDoc {
	out := documentsDoc{LegalRepIDObjectKey: d.LegalRepIDObjectKey, BankAccountProofObjectKey: d.BankAccountProofObjectKey, CustomerServiceEmail: d.CustomerServiceEmail}
	if !d.SettlementAccount.IsZero() {
		b := bankAccountDoc(d.SettlementAccount)
		out.SettlementAccount = &b
	}
	return out
}

func (d documentsDoc) documents() market.Documents {
	out := market.Documents{LegalRepIDObjectKey: d.LegalRepIDObjectKey, BankAccountProofObjectKey: d.BankAccountProofObjectKey, CustomerServiceEmail: d.CustomerServiceEmail}
	if d.SettlementAccount != nil {
		out.SettlementAccount = market.BankAccount(*d.SettlementAccount)
	}
	return out
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
	LicenseNo              string       `bson:"licenseNo,omitempty"`
	MainBusiness           string       `bson:"mainBusiness,omitempty"`
	Categories             []string     `bson:"categories"`
	CooperationMode        string       `bson:"cooperationMode"`
	ConsignmentRateBps     int64        `bson:"consignmentRateBps,omitempty"`
	Contact                contactDoc   `bson:"contact"`
	Documents              documentsDoc `bson:"documents"`
	Status                 string       `bson:"status"`
	Closures               []closureDoc `bson:"closures"`
	PublishRestrictedUntil *time.Time   `bson:"publishRestrictedUntil,omitempty"`
	LiftDueAt              *time.Time   `bson:"liftDueAt,omitempty"` // the penalty lifting timer's key (R-WD4)
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
	var dispatches []dispatchDoc
	for _, x := range d.Dispatches {
		dispatches = append(dispatches, dispatchDoc{ReceiptNos: x.ReceiptNos, Courier: x.Courier, TrackingNo: x.TrackingNo, MailTo: mailingDoc(x.MailTo), At: ms(x.At), By: x.By})
	}
	return toM(providerDoc{
		ID: p.ID, AccountID: p.AccountID, ApplicationID: p.ApplicationID, CompanyName: p.CompanyName,
		OrgCode: p.OrgCode, Organisation: p.Organisation, LicenseNo: p.LicenseNo, MainBusiness: p.MainBusiness,
		Categories: categoriesOut(p.Categories), CooperationMode: p.CooperationMode, Contact: contactDoc(p.Contact), ConsignmentRateBps: int64(p.ConsignmentRate),
		Documents: documentsOut(p.Documents), Status: string(p.Status),
		Closures: closures, PublishRestrictedUntil: timePtr(p.PublishRestrictedUntil), LiftDueAt: timePtr(p.NextLiftAt()),
		Deposit: depositDoc{
			RequiredFen: int64(d.RequiredFen), BalanceFen: int64(d.BalanceFen), OwedFen: int64(d.OwedFen),
			EverHeld: d.EverHeld, TopUpDueAt: timePtr(d.TopUpDueAt), StoreClosed: d.StoreClosed,
			ReceiptNos: d.ReceiptNos, ReceiptMailTo: mailingOut(d.ReceiptMailTo), Dispatches: dispatches,
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
	var dispatches []market.ReceiptDispatch
	for _, x := range dd.Dispatches {
		dispatches = append(dispatches, market.ReceiptDispatch{ReceiptNos: x.ReceiptNos, Courier: x.Courier, TrackingNo: x.TrackingNo, MailTo: market.ReceiptMailing(x.MailTo), At: x.At.UTC(), By: x.By})
	}
	return &market.Provider{
		ID: d.ID, AccountID: d.AccountID, ApplicationID: d.ApplicationID, CompanyName: d.CompanyName,
		OrgCode: d.OrgCode, Organisation: d.Organisation, LicenseNo: d.LicenseNo, MainBusiness: d.MainBusiness,
		Categories: categoriesIn(d.Categories), CooperationMode: d.CooperationMode, Contact: market.Contact(d.Contact), ConsignmentRate: money.BasisPoints(d.ConsignmentRateBps),
		Documents: d.Documents.documents(), Status: market.ProviderStatus(d.Status),
		Store: market.Storefront{Closures: closures}, PublishRestrictedUntil: timeOrZero(d.PublishRestrictedUntil),
		Deposit: market.Deposit{
			RequiredFen: money.Fen(dd.RequiredFen), BalanceFen: money.Fen(dd.BalanceFen), OwedFen: money.Fen(dd.OwedFen),
			EverHeld: dd.EverHeld, TopUpDueAt: timeOrZero(dd.TopUpDueAt), StoreClosed: dd.StoreClosed,
			ReceiptNos: dd.ReceiptNos, ReceiptMailTo: mailingIn(dd.ReceiptMailTo), Dispatches: dispatches,
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

// ProviderByAccount reads, for update, the provider record of a cloud account:
// its newest, since an organisation that exited may be admitted again.
func (tx *Tx) ProviderByAccount(account string) (*market.Provider, error) {
	var d providerDoc
	if err := tx.loadBy(colProviders, bson.M{"accountId": account}, &d, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})); err != nil {
		return nil, err
	}
	return d.provider(), nil
}
