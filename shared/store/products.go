package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

type planDoc struct {
	ID           string `bson:"id"`
	Name         string `bson:"name"`
	PriceFen     int64  `bson:"priceFen"`
	Period       string `bson:"period"`
	DurationDays int    `bson:"durationDays"`
}

type contentDoc struct {
	Category     string    `bson:"category"`
	Name         string    `bson:"name"`
	Summary      string    `bson:"summary"`
	Description  string    `bson:"description"`
	Tool         bool      `bson:"tool"`
	RefundPolicy string    `bson:"refundPolicy,omitempty"` // the policy's text (the whole policy before it had a rule)
	RefundAfter  string    `bson:"refundAfterReviewPeriod,omitempty"`
	Plans        []planDoc `bson:"plans"`
}

type reviewDoc struct {
	Decision          string    `bson:"decision"`
	SecurityReportRef string    `bson:"securityReportRef,omitempty"`
	Reason            string    `bson:"reason,omitempty"`
	Reviewer          string    `bson:"reviewer"`
	At                time.Time `bson:"at"`
}

type productDoc struct {
	ID           string      `bson:"_id"`
	ProviderID   string      `bson:"providerId"`
	Status       string      `bson:"status"`
	Content      contentDoc  `bson:"content"`
	Listed       *contentDoc `bson:"listed,omitempty"`
	EditStatus   string      `bson:"editStatus,omitempty"`
	SubmittedAt  *time.Time  `bson:"submittedAt,omitempty"`
	LastReview   *reviewDoc  `bson:"lastReview,omitempty"`
	CreatedAt    time.Time   `bson:"createdAt"`
	UpdatedAt    time.Time   `bson:"updatedAt"`
	ListedAt     *time.Time  `bson:"listedAt,omitempty"`
	DelistedAt   *time.Time  `bson:"delistedAt,omitempty"`
	DelistReason string      `bson:"delistReason,omitempty"`
	// Denormalised for the queries buyers and reviewers run (indexed).
	StoreOpen bool  `bson:"storeOpen"`
	Visible   bool  `bson:"visible"`  // listed and the store open: buyers see it
	InReview  bool  `bson:"inReview"` // waiting for a reviewer
	Version   int64 `bson:"version,omitempty"`
}

func contentToDoc(c market.ProductContent) contentDoc {
	d := contentDoc{Category: string(c.Category), Name: c.Name, Summary: c.Summary, Description: c.Description, Tool: c.Tool,
		RefundPolicy: c.RefundPolicy.Text, RefundAfter: c.RefundPolicy.AfterReviewPeriod, Plans: []planDoc{}}
	for _, p := range c.Plans {
		d.Plans = append(d.Plans, planDoc{ID: p.ID, Name: p.Name, PriceFen: int64(p.PriceFen), Period: p.Period, DurationDays: p.DurationDays})
	}
	return d
}

func (d contentDoc) content() market.ProductContent {
	c := market.ProductContent{Category: market.Category(d.Category), Name: d.Name, Summary: d.Summary, Description: d.Description, Tool: d.Tool,
		RefundPolicy: market.RefundPolicy{AfterReviewPeriod: d.RefundAfter, Text: d.RefundPolicy}}
	for _, p := range d.Plans {
		c.Plans = append(c.Plans, market.Plan{ID: p.ID, Name: p.Name, PriceFen: money.Fen(p.PriceFen), Period: p.Period, DurationDays: p.DurationDays})
	}
	return c
}

func productToDoc(p *market.Product) bson.D {
	d := productDoc{
		ID: p.ID, ProviderID: p.ProviderID, Status: string(p.Status), Content: contentToDoc(p.Content), EditStatus: p.EditStatus,
		SubmittedAt: timePtr(p.SubmittedAt), CreatedAt: ms(p.CreatedAt), UpdatedAt: ms(p.UpdatedAt), ListedAt: timePtr(p.ListedAt),
		DelistedAt: timePtr(p.DelistedAt), DelistReason: p.DelistReason,
		StoreOpen: p.StoreOpen, Visible: p.OnSale(), InReview: p.InReview(),
	}
	if p.Listed != nil {
		l := contentToDoc(*p.Listed)
		d.Listed = &l
	}
	if r := p.LastReview; r != nil {
		d.LastReview = &reviewDoc{Decision: r.Decision, SecurityReportRef: r.SecurityReportRef, Reason: r.Reason, Reviewer: r.Reviewer, At: ms(r.At)}
	}
	return toM(d)
}

func (d productDoc) product() *market.Product {
	p := &market.Product{
		ID: d.ID, ProviderID: d.ProviderID, Status: market.ProductStatus(d.Status), Content: d.Content.content(), EditStatus: d.EditStatus,
		SubmittedAt: timeOrZero(d.SubmittedAt), CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), ListedAt: timeOrZero(d.ListedAt),
		DelistedAt: timeOrZero(d.DelistedAt), DelistReason: d.DelistReason, StoreOpen: d.StoreOpen,
	}
	if d.Listed != nil {
		l := d.Listed.content()
		p.Listed = &l
	}
	if r := d.LastReview; r != nil {
		p.LastReview = &market.Review{Decision: r.Decision, SecurityReportRef: r.SecurityReportRef, Reason: r.Reason, Reviewer: r.Reviewer, At: r.At.UTC()}
	}
	return p
}

// InsertProduct stores a new product; storeOpen is its provider's store
// state now.
func (tx *Tx) InsertProduct(p *market.Product, storeOpen bool) error {
	p.StoreOpen = storeOpen
	return tx.insert(colProducts, productToDoc(p))
}

// Product reads a product for update.
func (tx *Tx) Product(id string) (*market.Product, error) {
	var d productDoc
	if err := tx.load(colProducts, id, &d); err != nil {
		return nil, err
	}
	return d.product(), nil
}

// SaveProduct writes back a product read in this transaction; storeOpen is
// its provider's store state now.
func (tx *Tx) SaveProduct(p *market.Product, storeOpen bool) error {
	p.StoreOpen = storeOpen
	return tx.replace(colProducts, p.ID, productToDoc(p))
}

// ApprovedProducts lists a provider's products approved and waiting for the
// deposit (R-ON3).
func (tx *Tx) ApprovedProducts(providerID string) ([]*market.Product, error) {
	cur, err := tx.col(colProducts).Find(tx.ctx, bson.M{"providerId": providerID, "status": string(market.ProductApproved)})
	if err != nil {
		return nil, fmt.Errorf("store: approved products: %w", err)
	}
	var docs []productDoc
	if err := cur.All(tx.ctx, &docs); err != nil {
		return nil, err
	}
	var out []*market.Product
	for _, d := range docs {
		tx.versions[colProducts+"/"+d.ID] = d.Version
		out = append(out, d.product())
	}
	return out, nil
}

// SetStoreOpen records that a provider's store opened or closed: its listed
// products appear to or disappear from buyers, and come back with it. Each
// product is rewritten through the domain's on-sale rule (a provider has few).
func (tx *Tx) SetStoreOpen(providerID string, open bool) error {
	cur, err := tx.col(colProducts).Find(tx.ctx, bson.M{"providerId": providerID})
	if err != nil {
		return fmt.Errorf("store: products of %s: %w", providerID, err)
	}
	var docs []productDoc
	if err := cur.All(tx.ctx, &docs); err != nil {
		return fmt.Errorf("store: products of %s: %w", providerID, err)
	}
	for _, d := range docs {
		p := d.product()
		p.StoreOpen = open
		if _, err := tx.col(colProducts).UpdateOne(tx.ctx, bson.M{"_id": d.ID},
			bson.M{"$set": bson.M{"storeOpen": open, "visible": p.OnSale()}, "$inc": bson.M{"version": int64(1)}}); err != nil {
			return fmt.Errorf("store: product %s: %w", d.ID, err)
		}
		if v, read := tx.versions[colProducts+"/"+d.ID]; read {
			tx.versions[colProducts+"/"+d.ID] = v + 1
		}
	}
	return nil
}

// Product reads a product.
func (s *Store) Product(ctx context.Context, id string) (*market.Product, error) {
	var d productDoc
	if err := s.readOne(ctx, colProducts, id, &d); err != nil {
		return nil, err
	}
	return d.product(), nil
}

// ProductQuery selects products.
type ProductQuery struct {
	ProviderID  string
	Status      string
	VisibleOnly bool // buyers: listed products of open stores
	InReview    bool // the review queue, oldest submission first
	AfterKey    time.Time
	AfterID     string
	Limit       int
}

// Products lists products: the review queue by submission time, everything
// else by ID (creation order).
func (s *Store) Products(ctx context.Context, q ProductQuery) ([]*market.Product, error) {
	filter := bson.M{}
	if q.ProviderID != "" {
		filter["providerId"] = q.ProviderID
	}
	if q.Status != "" {
		filter["status"] = q.Status
	}
	if q.VisibleOnly {
		filter["visible"] = true
	}
	sort := bson.D{{Key: "_id", Value: 1}}
	if q.InReview {
		delete(filter, "status")
		filter["inReview"] = true
		sort = bson.D{{Key: "submittedAt", Value: 1}, {Key: "_id", Value: 1}}
		if q.AfterID != "" {
			at := ms(q.AfterKey)
			filter["$or"] = bson.A{bson.M{"submittedAt": bson.M{"$gt": at}}, bson.M{"submittedAt": at, "_id": bson.M{"$gt": q.AfterID}}}
		}
	} else if q.AfterID != "" {
		filter["_id"] = bson.M{"$gt": q.AfterID}
	}
	var docs []productDoc
	if err := s.find(ctx, colProducts, filter, sort, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.Product, len(docs))
	for i, d := range docs {
		out[i] = d.product()
	}
	return out, nil
}
