package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

type storeDoc struct {
	Status string     `bson:"status"`
	Reason string     `bson:"reason,omitempty"`
	Until  *time.Time `bson:"until,omitempty"`
}

type providerDoc struct {
	ID                     string     `bson:"_id"`
	AccountID              string     `bson:"accountId"`
	ApplicationID          string     `bson:"applicationId"`
	CompanyName            string     `bson:"companyName"`
	OrgCode                string     `bson:"orgCode"`
	Organisation           string     `bson:"organisation"`
	Categories             []string   `bson:"categories"`
	CooperationMode        string     `bson:"cooperationMode"`
	Contact                contactDoc `bson:"contact"`
	Status                 string     `bson:"status"`
	Store                  storeDoc   `bson:"store"`
	PublishRestrictedUntil *time.Time `bson:"publishRestrictedUntil,omitempty"`
	DepositRequiredFen     int64      `bson:"depositRequiredFen"`
	CreatedAt              time.Time  `bson:"createdAt"`
}

func providerToDoc(p *market.Provider) bson.M {
	return toM(providerDoc{
		ID: p.ID, AccountID: p.AccountID, ApplicationID: p.ApplicationID, CompanyName: p.CompanyName,
		OrgCode: p.OrgCode, Organisation: p.Organisation, Categories: categoriesOut(p.Categories),
		CooperationMode: p.CooperationMode, Contact: contactDoc(p.Contact), Status: string(p.Status),
		Store:                  storeDoc{Status: p.Store.Status, Reason: p.Store.Reason, Until: timePtr(p.Store.Until)},
		PublishRestrictedUntil: timePtr(p.PublishRestrictedUntil), DepositRequiredFen: int64(p.DepositRequiredFen),
		CreatedAt: ms(p.CreatedAt),
	})
}

func (d providerDoc) provider() *market.Provider {
	return &market.Provider{
		ID: d.ID, AccountID: d.AccountID, ApplicationID: d.ApplicationID, CompanyName: d.CompanyName,
		OrgCode: d.OrgCode, Organisation: d.Organisation, Categories: categoriesIn(d.Categories),
		CooperationMode: d.CooperationMode, Contact: market.Contact(d.Contact), Status: market.ProviderStatus(d.Status),
		Store:                  market.Store{Status: d.Store.Status, Reason: d.Store.Reason, Until: timeOrZero(d.Store.Until)},
		PublishRestrictedUntil: timeOrZero(d.PublishRestrictedUntil), DepositRequiredFen: money.Fen(d.DepositRequiredFen),
		CreatedAt: d.CreatedAt.UTC(),
	}
}

// InsertProvider stores a new provider record.
func (tx *Tx) InsertProvider(p *market.Provider) error {
	return tx.insert(colProviders, providerToDoc(p))
}

// Provider reads a provider record.
func (s *Store) Provider(ctx context.Context, id string) (*market.Provider, error) {
	var d providerDoc
	err := s.col(colProviders).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read provider: %w", err)
	}
	return d.provider(), nil
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
