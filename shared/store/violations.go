package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

// Collections of the violation feature.
const (
	colViolations     = "violations"
	colContactReports = "contact_reports"
)

func init() {
	indexes[colViolations] = []mongo.IndexModel{
		// The lists: a provider's (newest first, by status too), the risk
		// team's queue by status, everything.
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		// R-DP6: a provider's penalties not executed yet.
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "openUntil", Value: 1}}},
		// One proposal per late order or unanswered report, even when the
		// timer runs twice at once.
		{Keys: bson.D{{Key: "sourceRef", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"sourceRef": bson.M{"$exists": true}})},
	}
	indexes[colContactReports] = []mongo.IndexModel{
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "respondBy", Value: 1}}}, // R-VI6 48-hour sweep
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "byOperator", Value: 1}, {Key: "filedAt", Value: 1}}},
	}
	// The lifting timer (R-WD4): providers with a penalty block or a
	// publishing restriction still recorded, by when the next one ends.
	indexes[colProviders] = append(indexes[colProviders], mongo.IndexModel{Keys: bson.D{{Key: "liftDueAt", Value: 1}}})
}

type stepDoc struct {
	Action    string     `bson:"action"`
	ProductID string     `bson:"productId,omitempty"`
	Days      int        `bson:"days,omitempty"`
	Until     *time.Time `bson:"until,omitempty"`
	AmountFen int64      `bson:"amountFen,omitempty"`
	Extra     bool       `bson:"extra,omitempty"`
	TakenFen  int64      `bson:"takenFen,omitempty"`
	OwedFen   int64      `bson:"owedFen,omitempty"`
	EntryID   string     `bson:"entryId,omitempty"`
}

type appealDoc struct {
	Statement   string     `bson:"statement"`
	Status      string     `bson:"status"`
	Reason      string     `bson:"reason,omitempty"`
	FiledAt     time.Time  `bson:"filedAt"`
	DecidedAt   *time.Time `bson:"decidedAt,omitempty"`
	DecidedBy   string     `bson:"decidedBy,omitempty"`
	NotReversed []string   `bson:"notReversed,omitempty"`
}

type violationDoc struct {
	ID               string     `bson:"_id"`
	ProviderID       string     `bson:"providerId"`
	Type             string     `bson:"type"`
	Level            string     `bson:"level"`
	RuleRef          string     `bson:"ruleRef"`
	CatalogueVersion string     `bson:"catalogueVersion"`
	ProductID        string     `bson:"productId,omitempty"`
	Evidence         string     `bson:"evidence"`
	Status           string     `bson:"status"`
	Steps            []stepDoc  `bson:"steps"`
	Source           string     `bson:"source"`
	SourceRef        string     `bson:"sourceRef,omitempty"`
	CreatedBy        string     `bson:"createdBy"`
	CreatedAt        time.Time  `bson:"createdAt"`
	AppliedAt        *time.Time `bson:"appliedAt,omitempty"`
	AppliedBy        string     `bson:"appliedBy,omitempty"`
	AppealDueAt      *time.Time `bson:"appealDueAt,omitempty"`
	DismissedAt      *time.Time `bson:"dismissedAt,omitempty"`
	DismissedBy      string     `bson:"dismissedBy,omitempty"`
	DismissReason    string     `bson:"dismissReason,omitempty"`
	Delisted         []string   `bson:"delisted,omitempty"`
	PriorStatus      string     `bson:"priorStatus,omitempty"`
	Appeal           *appealDoc `bson:"appeal,omitempty"`
	OpenUntil        *time.Time `bson:"openUntil,omitempty"` // R-DP6 count
}

func violationToDoc(v *market.Violation) bson.D {
	steps := []stepDoc{}
	for _, s := range v.Steps {
		steps = append(steps, stepDoc{Action: string(s.Action), ProductID: s.ProductID, Days: s.Days, Until: timePtr(s.Until), AmountFen: int64(s.AmountFen),
			Extra: s.Extra, TakenFen: int64(s.TakenFen), OwedFen: int64(s.OwedFen), EntryID: s.EntryID})
	}
	d := violationDoc{ID: v.ID, ProviderID: v.ProviderID, Type: v.Type, Level: string(v.Level), RuleRef: v.RuleRef, CatalogueVersion: v.CatalogueVersion,
		ProductID: v.ProductID, Evidence: v.Evidence, Status: string(v.Status), Steps: steps, Source: v.Source, SourceRef: v.SourceRef,
		CreatedBy: v.CreatedBy, CreatedAt: ms(v.CreatedAt), AppliedAt: timePtr(v.AppliedAt), AppliedBy: v.AppliedBy, AppealDueAt: timePtr(v.AppealDueAt),
		DismissedAt: timePtr(v.DismissedAt), DismissedBy: v.DismissedBy, DismissReason: v.DismissReason, Delisted: v.Delisted,
		PriorStatus: string(v.PriorStatus), OpenUntil: timePtr(v.OpenUntil())}
	if a := v.Appeal; a != nil {
		d.Appeal = &appealDoc{Statement: a.Statement, Status: a.Status, Reason: a.Reason, FiledAt: ms(a.FiledAt), DecidedAt: timePtr(a.DecidedAt),
			DecidedBy: a.DecidedBy, NotReversed: a.NotReversed}
	}
	return toM(d)
}

func (d violationDoc) violation() *market.Violation {
	v := &market.Violation{ID: d.ID, ProviderID: d.ProviderID, Type: d.Type, Level: market.ViolationLevel(d.Level), RuleRef: d.RuleRef,
		CatalogueVersion: d.CatalogueVersion, ProductID: d.ProductID, Evidence: d.Evidence, Status: market.ViolationStatus(d.Status),
		Source: d.Source, SourceRef: d.SourceRef, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), AppliedAt: timeOrZero(d.AppliedAt),
		AppliedBy: d.AppliedBy, AppealDueAt: timeOrZero(d.AppealDueAt), DismissedAt: timeOrZero(d.DismissedAt), DismissedBy: d.DismissedBy,
		DismissReason: d.DismissReason, Delisted: d.Delisted, PriorStatus: market.ProviderStatus(d.PriorStatus)}
	for _, s := range d.Steps {
		v.Steps = append(v.Steps, market.PenaltyStep{Action: market.PenaltyAction(s.Action), ProductID: s.ProductID, Days: s.Days, Until: timeOrZero(s.Until),
			AmountFen: money.Fen(s.AmountFen), Extra: s.Extra, TakenFen: money.Fen(s.TakenFen), OwedFen: money.Fen(s.OwedFen), EntryID: s.EntryID})
	}
	if a := d.Appeal; a != nil {
		v.Appeal = &market.Appeal{Statement: a.Statement, Status: a.Status, Reason: a.Reason, FiledAt: a.FiledAt.UTC(), DecidedAt: timeOrZero(a.DecidedAt),
			DecidedBy: a.DecidedBy, NotReversed: a.NotReversed}
	}
	return v
}

// InsertViolation stores a new violation; a second proposal from the same
// order or report fails with a duplicate-key error (IsDuplicate).
func (tx *Tx) InsertViolation(v *market.Violation) error {
	return tx.insert(colViolations, violationToDoc(v))
}

// Violation reads a violation for update.
func (tx *Tx) Violation(id string) (*market.Violation, error) {
	var d violationDoc
	if err := tx.load(colViolations, id, &d); err != nil {
		return nil, err
	}
	return d.violation(), nil
}

// SaveViolation writes back a violation read in this transaction.
func (tx *Tx) SaveViolation(v *market.Violation) error {
	return tx.replace(colViolations, v.ID, violationToDoc(v))
}

// Violation reads a violation.
func (s *Store) Violation(ctx context.Context, id string) (*market.Violation, error) {
	var d violationDoc
	if err := s.readOne(ctx, colViolations, id, &d); err != nil {
		return nil, err
	}
	return d.violation(), nil
}

// ViolationQuery filters the violation lists, newest first (oldest first
// with Oldest: the risk team's queue), after the cursor.
type ViolationQuery struct {
	ProviderID string
	Status     string
	Oldest     bool
	AfterID    string
	Limit      int
}

// Violations lists violations.
func (s *Store) Violations(ctx context.Context, q ViolationQuery) ([]*market.Violation, error) {
	filter := bson.M{}
	if q.ProviderID != "" {
		filter["providerId"] = q.ProviderID
	}
	if q.Status != "" {
		filter["status"] = q.Status
	}
	dir, after := -1, "$lt"
	if q.Oldest {
		dir, after = 1, "$gt"
	}
	if q.AfterID != "" {
		filter["_id"] = bson.M{after: q.AfterID}
	}
	var docs []violationDoc
	if err := s.find(ctx, colViolations, filter, bson.D{{Key: "_id", Value: dir}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.Violation, len(docs))
	for i, d := range docs {
		out[i] = d.violation()
	}
	return out, nil
}

// OpenViolations reads, for update, a provider's violations that are
// proposed or whose restrictions run past now (R-DP6, R-WD4).
func (tx *Tx) OpenViolations(providerID string, now time.Time) ([]*market.Violation, error) {
	ids, err := tx.idsOf(colViolations, bson.M{"providerId": providerID, "openUntil": bson.M{"$gt": ms(now)}})
	if err != nil {
		return nil, err
	}
	out := make([]*market.Violation, 0, len(ids))
	for _, id := range ids {
		v, err := tx.Violation(id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// CountOpenViolations counts a provider's penalties not executed yet at now
// (R-DP6).
func (tx *Tx) CountOpenViolations(providerID string, now time.Time) (int64, error) {
	return tx.count(colViolations, bson.M{"providerId": providerID, "openUntil": bson.M{"$gt": ms(now)}})
}

// idsOf lists, inside the transaction, the IDs of the documents matching
// filter.
func (tx *Tx) idsOf(col string, filter bson.M) ([]string, error) {
	cur, err := tx.col(col).Find(tx.ctx, filter, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("store: query %s: %w", col, err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(tx.ctx, &docs); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", col, err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// ProviderProducts reads, for update, every product of a provider (an
// expulsion delists them all).
func (tx *Tx) ProviderProducts(providerID string) ([]*market.Product, error) {
	ids, err := tx.idsOf(colProducts, bson.M{"providerId": providerID})
	if err != nil {
		return nil, err
	}
	out := make([]*market.Product, 0, len(ids))
	for _, id := range ids {
		p, err := tx.Product(id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// LiftDueProviders lists providers whose penalty block or publishing
// restriction has ended and was not lifted yet (R-WD4). Lifting moves
// liftDueAt to the next end, or removes it.
func (s *Store) LiftDueProviders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.providerIDs(ctx, bson.M{"liftDueAt": bson.M{"$lte": ms(now)}}, limit)
}

type contactReportDoc struct {
	ID          string     `bson:"_id"`
	ProviderID  string     `bson:"providerId"`
	OrderID     string     `bson:"orderId,omitempty"`
	Channel     string     `bson:"channel"`
	Note        string     `bson:"note"`
	FiledBy     string     `bson:"filedBy"`
	ByOperator  bool       `bson:"byOperator"`
	FiledAt     time.Time  `bson:"filedAt"`
	RespondBy   time.Time  `bson:"respondBy"`
	Status      string     `bson:"status"`
	Response    string     `bson:"response,omitempty"`
	RespondedAt *time.Time `bson:"respondedAt,omitempty"`
	ViolationID string     `bson:"violationId,omitempty"`
}

func contactReportToDoc(c *market.ContactReport) bson.D {
	return toM(contactReportDoc{ID: c.ID, ProviderID: c.ProviderID, OrderID: c.OrderID, Channel: c.Channel, Note: c.Note, FiledBy: c.FiledBy,
		ByOperator: c.ByOperator, FiledAt: ms(c.FiledAt), RespondBy: ms(c.RespondBy), Status: c.Status, Response: c.Response,
		RespondedAt: timePtr(c.RespondedAt), ViolationID: c.ViolationID})
}

func (d contactReportDoc) report() *market.ContactReport {
	return &market.ContactReport{ID: d.ID, ProviderID: d.ProviderID, OrderID: d.OrderID, Channel: d.Channel, Note: d.Note, FiledBy: d.FiledBy,
		ByOperator: d.ByOperator, FiledAt: d.FiledAt.UTC(), RespondBy: d.RespondBy.UTC(), Status: d.Status, Response: d.Response,
		RespondedAt: timeOrZero(d.RespondedAt), ViolationID: d.ViolationID}
}

// InsertContactReport stores a new contact report.
func (tx *Tx) InsertContactReport(c *market.ContactReport) error {
	return tx.insert(colContactReports, contactReportToDoc(c))
}

// ContactReport reads a contact report for update.
func (tx *Tx) ContactReport(id string) (*market.ContactReport, error) {
	var d contactReportDoc
	if err := tx.load(colContactReports, id, &d); err != nil {
		return nil, err
	}
	return d.report(), nil
}

// SaveContactReport writes back a contact report read in this transaction.
func (tx *Tx) SaveContactReport(c *market.ContactReport) error {
	return tx.replace(colContactReports, c.ID, contactReportToDoc(c))
}

// OpenStaffAttempts reads, for update, a provider's staff contact attempts
// still unanswered and filed after since (R-VI6: three in a row).
func (tx *Tx) OpenStaffAttempts(providerID string, since time.Time) ([]*market.ContactReport, error) {
	ids, err := tx.idsOf(colContactReports, bson.M{"providerId": providerID, "status": market.ContactOpen, "byOperator": true, "filedAt": bson.M{"$gt": ms(since)}})
	if err != nil {
		return nil, err
	}
	out := make([]*market.ContactReport, 0, len(ids))
	for _, id := range ids {
		c, err := tx.ContactReport(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ContactReports lists a provider's contact reports, newest first.
func (s *Store) ContactReports(ctx context.Context, providerID, afterID string, limit int) ([]*market.ContactReport, error) {
	filter := bson.M{"providerId": providerID}
	if afterID != "" {
		filter["_id"] = bson.M{"$lt": afterID}
	}
	var docs []contactReportDoc
	if err := s.find(ctx, colContactReports, filter, bson.D{{Key: "_id", Value: -1}}, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.ContactReport, len(docs))
	for i, d := range docs {
		out[i] = d.report()
	}
	return out, nil
}

// UnansweredContactReports lists open reports past respondBy (R-VI6); the
// proposal marks them unanswered, which takes them out of the range.
func (s *Store) UnansweredContactReports(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, colContactReports, bson.M{"status": market.ContactOpen, "respondBy": bson.M{"$lt": ms(now)}}, bson.D{}, limit)
}
