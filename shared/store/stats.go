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

// The dashboard's facts (GET /v1/stats): each read projects only the fields
// counted, on an index (indexes.go), and the domain counts them
// (market.CountStats). The embedded engine has no aggregation pipeline and the
// store is one code for both engines, so the facts of the months shown are
// read, not grouped by the database.

// StatsFacts reads what the dashboard since from is counted from.
func (s *Store) StatsFacts(ctx context.Context, from time.Time) (market.StatsFacts, error) {
	var f market.StatsFacts
	var err error
	if f.Waiting, err = s.WaitingApplications(ctx); err != nil {
		return f, err
	}
	if f.Decided, err = s.DecidedApplications(ctx, from); err != nil {
		return f, err
	}
	if f.Paid, err = s.PaidOrders(ctx, from); err != nil {
		return f, err
	}
	f.Providers, err = s.ProviderDeposits(ctx)
	return f, err
}

// WaitingApplications lists the applications waiting for a decision.
func (s *Store) WaitingApplications(ctx context.Context) ([]market.WaitingApplication, error) {
	var docs []struct {
		SubmittedAt time.Time `bson:"submittedAt"`
		ReviewDueAt time.Time `bson:"reviewDueAt"`
	}
	err := s.project(ctx, colApplications, bson.M{"status": string(market.ApplicationSubmitted)}, bson.M{"submittedAt": 1, "reviewDueAt": 1}, &docs)
	out := make([]market.WaitingApplication, len(docs))
	for i, d := range docs {
		out[i] = market.WaitingApplication{SubmittedAt: d.SubmittedAt.UTC(), ReviewDueAt: d.ReviewDueAt.UTC()}
	}
	return out, err
}

// DecidedApplications lists the applications decided since from.
func (s *Store) DecidedApplications(ctx context.Context, from time.Time) ([]market.DecidedApplication, error) {
	var docs []struct {
		SubmittedAt time.Time `bson:"submittedAt"`
		ReviewDueAt time.Time `bson:"reviewDueAt"`
		DecidedAt   time.Time `bson:"decidedAt"`
		Status      string    `bson:"status"`
	}
	err := s.project(ctx, colApplications, bson.M{"decidedAt": bson.M{"$gte": ms(from)}},
		bson.M{"submittedAt": 1, "reviewDueAt": 1, "decidedAt": 1, "status": 1}, &docs)
	out := make([]market.DecidedApplication, len(docs))
	for i, d := range docs {
		out[i] = market.DecidedApplication{SubmittedAt: d.SubmittedAt.UTC(), ReviewDueAt: d.ReviewDueAt.UTC(), DecidedAt: d.DecidedAt.UTC(),
			Approved: d.Status == string(market.ApplicationApproved)}
	}
	return out, err
}

// PaidOrders lists the orders paid since from, with what was refunded of them.
func (s *Store) PaidOrders(ctx context.Context, from time.Time) ([]market.PaidOrder, error) {
	var docs []struct {
		PaidAt      time.Time `bson:"paidAt"`
		AmountFen   int64     `bson:"amountFen"`
		RefundedFen int64     `bson:"refundedFen"`
	}
	err := s.project(ctx, colOrders, bson.M{"paidAt": bson.M{"$gte": ms(from)}}, bson.M{"paidAt": 1, "amountFen": 1, "refundedFen": 1}, &docs)
	out := make([]market.PaidOrder, len(docs))
	for i, d := range docs {
		out[i] = market.PaidOrder{PaidAt: d.PaidAt.UTC(), AmountFen: money.Fen(d.AmountFen), RefundedFen: money.Fen(d.RefundedFen)}
	}
	return out, err
}

// ProviderDeposits lists the deposits of the providers that hold or owe one:
// contract pending, active or exiting (exited ones were paid back).
func (s *Store) ProviderDeposits(ctx context.Context) ([]market.ProviderDeposit, error) {
	var docs []struct {
		Status  string     `bson:"status"`
		Deposit depositDoc `bson:"deposit"`
	}
	statuses := bson.A{string(market.ProviderContractPending), string(market.ProviderActive), string(market.ProviderExiting)}
	err := s.project(ctx, colProviders, bson.M{"status": bson.M{"$in": statuses}}, bson.M{"status": 1, "deposit": 1}, &docs)
	out := make([]market.ProviderDeposit, len(docs))
	for i, d := range docs {
		dd := d.Deposit
		out[i] = market.ProviderDeposit{Status: market.ProviderStatus(d.Status), Deposit: market.Deposit{
			RequiredFen: money.Fen(dd.RequiredFen), BalanceFen: money.Fen(dd.BalanceFen), OwedFen: money.Fen(dd.OwedFen),
			EverHeld: dd.EverHeld, TopUpDueAt: timeOrZero(dd.TopUpDueAt), StoreClosed: dd.StoreClosed,
			ReturnDueAt: timeOrZero(dd.ReturnDueAt), ReturnedAt: timeOrZero(dd.ReturnedAt),
		}}
	}
	return out, err
}

// project runs an unsorted query returning only the projected fields.
func (s *Store) project(ctx context.Context, col string, filter, fields bson.M, out any) error {
	cur, err := s.col(col).Find(ctx, filter, options.Find().SetProjection(fields))
	if err != nil {
		return fmt.Errorf("store: query %s: %w", col, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("store: read %s: %w", col, err)
	}
	return nil
}
