package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

// Collections of the settlement feature.
const (
	colLedger         = "ledger"
	colStatements     = "statements"
	colStatementLines = "statement_lines"
	colPayouts        = "payouts"
	colRuns           = "settlement_runs"
)

type postingDoc struct {
	Account   string `bson:"account"`
	AmountFen int64  `bson:"amountFen"`
}

type ledgerDoc struct {
	ID         string       `bson:"_id"`
	Kind       string       `bson:"kind"`
	Subject    string       `bson:"subject"`
	ProviderID string       `bson:"providerId"`
	At         time.Time    `bson:"at"`
	Postings   []postingDoc `bson:"postings"`
}

func (d ledgerDoc) txn() market.LedgerTxn {
	t := market.LedgerTxn{ID: d.ID, Kind: market.LedgerKind(d.Kind), Subject: d.Subject, ProviderID: d.ProviderID, At: d.At.UTC()}
	for _, p := range d.Postings {
		t.Postings = append(t.Postings, market.Posting{Account: market.Account(p.Account), AmountFen: money.Fen(p.AmountFen)})
	}
	return t
}

func ledgerToDoc(t market.LedgerTxn) bson.D {
	d := ledgerDoc{ID: t.ID, Kind: string(t.Kind), Subject: t.Subject, ProviderID: t.ProviderID, At: ms(t.At)}
	for _, p := range t.Postings {
		d.Postings = append(d.Postings, postingDoc{Account: string(p.Account), AmountFen: int64(p.AmountFen)})
	}
	return toM(d)
}

// PostLedger writes a balanced ledger transaction in the business change's
// transaction, straight from a builder of market (ok false: no money moved,
// nothing to write). Its ID is unique per kind and subject, so the same
// change is never posted twice; a posting is never edited.
func (tx *Tx) PostLedger(t market.LedgerTxn, ok bool, err error) error {
	if err != nil || !ok {
		return err
	}
	if err := t.Check(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := tx.col(colLedger).InsertOne(tx.ctx, ledgerToDoc(t)); err != nil {
		return fmt.Errorf("store: ledger %s: %w", t.ID, err)
	}
	return nil
}

// EachLedgerTxn streams the ledger, oldest first, one provider's or (with "")
// all of it, one transaction at a time.
func (s *Store) EachLedgerTxn(ctx context.Context, providerID string, fn func(market.LedgerTxn) error) error {
	filter := bson.M{}
	if providerID != "" {
		filter["providerId"] = providerID
	}
	cur, err := s.col(colLedger).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("store: ledger: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d ledgerDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("store: ledger: %w", err)
		}
		if err := fn(d.txn()); err != nil {
			return err
		}
	}
	return cur.Err()
}

type runDoc struct {
	ID          string     `bson:"_id"` // the period
	Status      string     `bson:"status"`
	Cursor      string     `bson:"cursor"`
	Providers   int        `bson:"providers"`
	PayoutFen   int64      `bson:"payoutFen"`
	StartedAt   time.Time  `bson:"startedAt"`
	CompletedAt *time.Time `bson:"completedAt,omitempty"`
}

// SettlementRun is the record of one period's run: where it is, so a crash
// resumes after the last provider it settled.
type SettlementRun struct {
	Period      string
	Status      string // running, completed
	Cursor      string // the last provider settled (or found with nothing to settle)
	Providers   int    // statements written
	PayoutFen   money.Fen
	StartedAt   time.Time
	CompletedAt time.Time
}

func runToDoc(r *SettlementRun) bson.D {
	return toM(runDoc{ID: r.Period, Status: r.Status, Cursor: r.Cursor, Providers: r.Providers, PayoutFen: int64(r.PayoutFen),
		StartedAt: ms(r.StartedAt), CompletedAt: timePtr(r.CompletedAt)})
}

func (d runDoc) run() *SettlementRun {
	return &SettlementRun{Period: d.ID, Status: d.Status, Cursor: d.Cursor, Providers: d.Providers, PayoutFen: money.Fen(d.PayoutFen),
		StartedAt: d.StartedAt.UTC(), CompletedAt: timeOrZero(d.CompletedAt)}
}

// InsertSettlementRun starts a period's run record.
func (tx *Tx) InsertSettlementRun(r *SettlementRun) error { return tx.insert(colRuns, runToDoc(r)) }

// SettlementRun reads a period's run for update.
func (tx *Tx) SettlementRun(period string) (*SettlementRun, error) {
	var d runDoc
	if err := tx.load(colRuns, period, &d); err != nil {
		return nil, err
	}
	return d.run(), nil
}

// SaveSettlementRun writes back a run read in this transaction.
func (tx *Tx) SaveSettlementRun(r *SettlementRun) error {
	return tx.replace(colRuns, r.Period, runToDoc(r))
}

// LaterSettlementRun names a run of a period after this one, "" if none:
// periods settle in order.
func (tx *Tx) LaterSettlementRun(period string) (string, error) {
	var d runDoc
	err := tx.loadBy(colRuns, bson.M{"_id": bson.M{"$gt": period}}, &d, options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err == ErrNotFound {
		return "", nil
	}
	return d.ID, err
}

// ProviderIDs lists provider IDs after the cursor, in ID order: the run walks
// every provider a page at a time.
func (s *Store) ProviderIDs(ctx context.Context, afterID string, limit int) ([]string, error) {
	filter := bson.M{}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return s.ids(ctx, colProviders, filter, bson.D{{Key: "_id", Value: 1}}, limit)
}

// settleable are the orders completed before end and not settled of a batch
// of providers. The provider comes first: the embedded engine matches every
// stored order against the filter in its order, and most fail there.
func settleable(providerIDs []string, end time.Time) bson.D {
	return bson.D{{Key: "providerId", Value: bson.M{"$in": providerIDs}}, {Key: "completedAt", Value: bson.M{"$lt": ms(end)}},
		{Key: "settledAt", Value: bson.M{"$exists": false}}}
}

// EachSettleableOrderIn streams the orders completed before end and not
// settled of a batch of providers, one at a time, so memory does not grow
// with their number.
func (tx *Tx) EachSettleableOrderIn(providerIDs []string, end time.Time, fn func(*market.Order) error) error {
	cur, err := tx.col(colOrders).Find(tx.ctx, settleable(providerIDs, end))
	if err != nil {
		return fmt.Errorf("store: settleable orders: %w", err)
	}
	defer cur.Close(tx.ctx)
	for cur.Next(tx.ctx) {
		var d orderDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("store: settleable orders: %w", err)
		}
		if err := fn(d.order()); err != nil {
			return err
		}
	}
	return cur.Err()
}

// MarkOrdersSettledIn stamps every order EachSettleableOrderIn found, in the
// same transaction, with one write; it bumps their version so a concurrent
// change of one of them conflicts.
func (tx *Tx) MarkOrdersSettledIn(providerIDs []string, end time.Time, period string, now time.Time) (int64, error) {
	res, err := tx.col(colOrders).UpdateMany(tx.ctx, settleable(providerIDs, end),
		bson.M{"$set": bson.M{"settledAt": ms(now), "settledIn": period}, "$inc": bson.M{"version": int64(1)}})
	if err != nil {
		return 0, fmt.Errorf("store: settle orders: %w", err)
	}
	return res.ModifiedCount, nil
}

func unsettledClawbacks(providerID string, end time.Time) bson.M {
	return bson.M{"providerId": providerID, "settledIn": "", "at": bson.M{"$lt": ms(end)}}
}

// UnsettledClawbacks reads a provider's clawbacks recorded before end and not
// on a statement yet (R-RF7).
func (tx *Tx) UnsettledClawbacks(providerID string, end time.Time) ([]market.Clawback, error) {
	cur, err := tx.col(colClawbacks).Find(tx.ctx, unsettledClawbacks(providerID, end), options.Find().SetSort(bson.D{{Key: "at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: clawbacks: %w", err)
	}
	var docs []struct {
		ID        string    `bson:"_id"`
		RefundID  string    `bson:"refundId"`
		OrderID   string    `bson:"orderId"`
		AmountFen int64     `bson:"amountFen"`
		At        time.Time `bson:"at"`
	}
	if err := cur.All(tx.ctx, &docs); err != nil {
		return nil, fmt.Errorf("store: clawbacks: %w", err)
	}
	out := make([]market.Clawback, len(docs))
	for i, d := range docs {
		out[i] = market.Clawback{ID: d.ID, ProviderID: providerID, RefundID: d.RefundID, OrderID: d.OrderID, AmountFen: money.Fen(d.AmountFen), At: d.At.UTC()}
	}
	return out, nil
}

// MarkClawbacksSettled closes the clawbacks UnsettledClawbacks read.
func (tx *Tx) MarkClawbacksSettled(providerID string, end time.Time, period string) error {
	if _, err := tx.col(colClawbacks).UpdateMany(tx.ctx, unsettledClawbacks(providerID, end), bson.M{"$set": bson.M{"settledIn": period}}); err != nil {
		return fmt.Errorf("store: settle clawbacks: %w", err)
	}
	return nil
}

type statementInvoiceDoc struct {
	Issuer    string     `bson:"issuer"`
	Recipient string     `bson:"recipient"`
	Subject   string     `bson:"subject"`
	AmountFen int64      `bson:"amountFen"`
	Status    string     `bson:"status"`
	StatusAt  *time.Time `bson:"statusAt,omitempty"`
}

type statementDoc struct {
	ID                string                `bson:"_id"`
	ProviderID        string                `bson:"providerId"`
	Period            string                `bson:"period"`
	Mode              string                `bson:"mode"`
	OpeningFen        int64                 `bson:"openingBalanceFen"`
	SalesFen          int64                 `bson:"salesFen"`
	FeesFen           int64                 `bson:"feesFen"`
	ClawbacksFen      int64                 `bson:"clawbacksFen"`
	OwedRecoveredFen  int64                 `bson:"owedRecoveredFen"`
	ReturnedFen       int64                 `bson:"returnedFen"`
	TopUpFen          int64                 `bson:"depositTopUpFen,omitempty"`
	ClosingFen        int64                 `bson:"closingBalanceFen"`
	PayoutFen         int64                 `bson:"payoutFen"`
	CarriedForwardFen int64                 `bson:"carriedForwardFen"`
	LineCount         int                   `bson:"lineCount"`
	PayoutID          string                `bson:"payoutId,omitempty"`
	Invoices          []statementInvoiceDoc `bson:"invoices"`
	CreatedAt         time.Time             `bson:"createdAt"`
}

func statementToDoc(s *market.Statement) bson.D {
	d := statementDoc{ID: s.ID, ProviderID: s.ProviderID, Period: s.Period, Mode: string(s.Mode), OpeningFen: int64(s.OpeningFen), SalesFen: int64(s.SalesFen),
		FeesFen: int64(s.FeesFen), ClawbacksFen: int64(s.ClawbacksFen), OwedRecoveredFen: int64(s.OwedRecoveredFen), ReturnedFen: int64(s.ReturnedFen), TopUpFen: int64(s.TopUpFen),
		ClosingFen: int64(s.ClosingFen), PayoutFen: int64(s.PayoutFen), CarriedForwardFen: int64(s.CarriedForwardFen), LineCount: s.LineCount,
		PayoutID: s.PayoutID, Invoices: []statementInvoiceDoc{}, CreatedAt: ms(s.CreatedAt)}
	for _, inv := range s.Invoices {
		d.Invoices = append(d.Invoices, statementInvoiceDoc{Issuer: inv.Issuer, Recipient: inv.Recipient, Subject: inv.Subject, AmountFen: int64(inv.AmountFen),
			Status: inv.Status, StatusAt: timePtr(inv.StatusAt)})
	}
	return toM(d)
}

func (d statementDoc) statement() *market.Statement {
	s := &market.Statement{ID: d.ID, ProviderID: d.ProviderID, Period: d.Period, Mode: market.FeeMode(d.Mode), OpeningFen: money.Fen(d.OpeningFen),
		SalesFen: money.Fen(d.SalesFen), FeesFen: money.Fen(d.FeesFen), ClawbacksFen: money.Fen(d.ClawbacksFen), OwedRecoveredFen: money.Fen(d.OwedRecoveredFen),
		ReturnedFen: money.Fen(d.ReturnedFen), TopUpFen: money.Fen(d.TopUpFen), ClosingFen: money.Fen(d.ClosingFen), PayoutFen: money.Fen(d.PayoutFen),
		CarriedForwardFen: money.Fen(d.CarriedForwardFen), LineCount: d.LineCount, PayoutID: d.PayoutID, CreatedAt: d.CreatedAt.UTC()}
	for _, inv := range d.Invoices {
		s.Invoices = append(s.Invoices, market.StatementInvoice{Issuer: inv.Issuer, Recipient: inv.Recipient, Subject: inv.Subject,
			AmountFen: money.Fen(inv.AmountFen), Status: inv.Status, StatusAt: timeOrZero(inv.StatusAt)})
	}
	return s
}

// InsertStatement stores a closed statement; one per provider and period.
func (tx *Tx) InsertStatement(s *market.Statement) error {
	return tx.insert(colStatements, statementToDoc(s))
}

// Statement reads a statement for update.
func (tx *Tx) Statement(id string) (*market.Statement, error) {
	var d statementDoc
	if err := tx.load(colStatements, id, &d); err != nil {
		return nil, err
	}
	return d.statement(), nil
}

// SaveStatement writes back a statement read in this transaction (its
// invoices' status; its amounts never change).
func (tx *Tx) SaveStatement(s *market.Statement) error {
	return tx.replace(colStatements, s.ID, statementToDoc(s))
}

// LastStatement reads a provider's latest statement before period; ErrNotFound
// when it has none.
func (tx *Tx) LastStatement(providerID, period string) (*market.Statement, error) {
	var d statementDoc
	if err := tx.loadBy(colStatements, bson.M{"providerId": providerID, "period": bson.M{"$lt": period}}, &d,
		options.FindOne().SetSort(bson.D{{Key: "period", Value: -1}})); err != nil {
		return nil, err
	}
	return d.statement(), nil
}

// Statement reads a statement.
func (s *Store) Statement(ctx context.Context, id string) (*market.Statement, error) {
	var d statementDoc
	if err := s.readOne(ctx, colStatements, id, &d); err != nil {
		return nil, err
	}
	return d.statement(), nil
}

// Statements lists a provider's statements, newest first, before the cursor
// (a period).
func (s *Store) Statements(ctx context.Context, providerID, beforePeriod string, limit int) ([]*market.Statement, error) {
	filter := bson.M{"providerId": providerID}
	if beforePeriod != "" {
		filter["period"] = bson.M{"$lt": beforePeriod}
	}
	var docs []statementDoc
	if err := s.find(ctx, colStatements, filter, bson.D{{Key: "period", Value: -1}}, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.Statement, len(docs))
	for i, d := range docs {
		out[i] = d.statement()
	}
	return out, nil
}

type lineDoc struct {
	Type        string    `bson:"type"`
	OrderID     string    `bson:"orderId,omitempty"`
	RefundID    string    `bson:"refundId,omitempty"`
	ViolationID string    `bson:"violationId,omitempty"`
	PayoutID    string    `bson:"payoutId,omitempty"`
	AmountFen   int64     `bson:"amountFen"`
	At          time.Time `bson:"at"`
	Description string    `bson:"description"`
}

type linesDoc struct {
	ID          string    `bson:"_id"`
	StatementID string    `bson:"statementId"`
	Seq         int       `bson:"seq"`
	Lines       []lineDoc `bson:"lines"`
}

// StatementLinesPerDoc bounds one stored chunk of lines: a statement of any
// size is written and read a chunk at a time.
const StatementLinesPerDoc = 500

// InsertStatementLines stores the seq-th chunk of a statement's lines.
func (tx *Tx) InsertStatementLines(statementID string, seq int, lines []market.StatementLine) error {
	d := linesDoc{ID: fmt.Sprintf("%s_%06d", statementID, seq), StatementID: statementID, Seq: seq}
	for _, l := range lines {
		d.Lines = append(d.Lines, lineDoc{Type: l.Type, OrderID: l.OrderID, RefundID: l.RefundID, ViolationID: l.ViolationID, PayoutID: l.PayoutID,
			AmountFen: int64(l.AmountFen), At: ms(l.At), Description: l.Description})
	}
	if _, err := tx.col(colStatementLines).InsertOne(tx.ctx, d); err != nil {
		return fmt.Errorf("store: statement lines: %w", err)
	}
	return nil
}

// EachStatementLine streams a statement's lines in order.
func (s *Store) EachStatementLine(ctx context.Context, statementID string, fn func(market.StatementLine) error) error {
	cur, err := s.col(colStatementLines).Find(ctx, bson.M{"statementId": statementID}, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		return fmt.Errorf("store: statement lines: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d linesDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("store: statement lines: %w", err)
		}
		for _, l := range d.Lines {
			if err := fn(market.StatementLine{Type: l.Type, OrderID: l.OrderID, RefundID: l.RefundID, ViolationID: l.ViolationID, PayoutID: l.PayoutID,
				AmountFen: money.Fen(l.AmountFen), At: l.At.UTC(), Description: l.Description}); err != nil {
				return err
			}
		}
	}
	return cur.Err()
}

type payoutDoc struct {
	ID            string     `bson:"_id"`
	ProviderID    string     `bson:"providerId"`
	StatementID   string     `bson:"statementId"`
	Period        string     `bson:"period"`
	AmountFen     int64      `bson:"amountFen"`
	Status        string     `bson:"status"`
	Reference     string     `bson:"reference,omitempty"`
	FailureReason string     `bson:"failureReason,omitempty"`
	CreatedAt     time.Time  `bson:"createdAt"`
	PaidAt        *time.Time `bson:"paidAt,omitempty"`
	FailedAt      *time.Time `bson:"failedAt,omitempty"`
	ReturnedIn    string     `bson:"returnedIn"`
}

func payoutToDoc(p *market.Payout) bson.D {
	return toM(payoutDoc{ID: p.ID, ProviderID: p.ProviderID, StatementID: p.StatementID, Period: p.Period, AmountFen: int64(p.AmountFen), Status: p.Status,
		Reference: p.Reference, FailureReason: p.FailureReason, CreatedAt: ms(p.CreatedAt), PaidAt: timePtr(p.PaidAt), FailedAt: timePtr(p.FailedAt), ReturnedIn: p.ReturnedIn})
}

func (d payoutDoc) payout() *market.Payout {
	return &market.Payout{ID: d.ID, ProviderID: d.ProviderID, StatementID: d.StatementID, Period: d.Period, AmountFen: money.Fen(d.AmountFen), Status: d.Status,
		Reference: d.Reference, FailureReason: d.FailureReason, CreatedAt: d.CreatedAt.UTC(), PaidAt: timeOrZero(d.PaidAt), FailedAt: timeOrZero(d.FailedAt), ReturnedIn: d.ReturnedIn}
}

// InsertPayout stores a statement's payout.
func (tx *Tx) InsertPayout(p *market.Payout) error { return tx.insert(colPayouts, payoutToDoc(p)) }

// Payout reads a payout for update.
func (tx *Tx) Payout(id string) (*market.Payout, error) {
	var d payoutDoc
	if err := tx.load(colPayouts, id, &d); err != nil {
		return nil, err
	}
	return d.payout(), nil
}

// SavePayout writes back a payout read in this transaction.
func (tx *Tx) SavePayout(p *market.Payout) error { return tx.replace(colPayouts, p.ID, payoutToDoc(p)) }

func returnedPayouts(providerID string, end time.Time) bson.M {
	return bson.M{"providerId": providerID, "status": market.PayoutFailed, "returnedIn": "", "failedAt": bson.M{"$lt": ms(end)}}
}

// ReturnedPayouts reads a provider's failed payouts before end not yet back on
// a statement.
func (tx *Tx) ReturnedPayouts(providerID string, end time.Time) ([]*market.Payout, error) {
	cur, err := tx.col(colPayouts).Find(tx.ctx, returnedPayouts(providerID, end), options.Find().SetSort(bson.D{{Key: "failedAt", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: failed payouts: %w", err)
	}
	var docs []payoutDoc
	if err := cur.All(tx.ctx, &docs); err != nil {
		return nil, fmt.Errorf("store: failed payouts: %w", err)
	}
	out := make([]*market.Payout, len(docs))
	for i, d := range docs {
		out[i] = d.payout()
	}
	return out, nil
}

// MarkPayoutsReturned closes the failed payouts ReturnedPayouts read.
func (tx *Tx) MarkPayoutsReturned(providerID string, end time.Time, period string) error {
	if _, err := tx.col(colPayouts).UpdateMany(tx.ctx, returnedPayouts(providerID, end),
		bson.M{"$set": bson.M{"returnedIn": period}, "$inc": bson.M{"version": int64(1)}}); err != nil {
		return fmt.Errorf("store: return payouts: %w", err)
	}
	return nil
}

// PayoutQuery filters the payout list, oldest first, after the cursor.
type PayoutQuery struct {
	ProviderID string
	Status     string
	AfterID    string
	Limit      int
}

// Payouts lists payouts, oldest first.
func (s *Store) Payouts(ctx context.Context, q PayoutQuery) ([]*market.Payout, error) {
	return listAfter(ctx, s, colPayouts, map[string]string{"providerId": q.ProviderID, "status": q.Status}, q.AfterID, q.Limit, payoutDoc.payout)
}

// SettlementRun reads a period's run record.
func (s *Store) SettlementRun(ctx context.Context, period string) (*SettlementRun, error) {
	var d runDoc
	if err := s.readOne(ctx, colRuns, period, &d); err != nil {
		return nil, err
	}
	return d.run(), nil
}
