package operation

import (
	"context"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
)

// DefaultStatsMonths is the dashboard's span when none is asked for.
const DefaultStatsMonths = 12

// Stats counts the operators' dashboard over the months up to now: the review
// queue and review times against R-ON1, the deposits (R-DP5), and orders,
// sales and refunds per month. Operators only: it sums every provider.
func (s *Service) Stats(ctx context.Context, who market.Actor, months int) (market.Stats, error) {
	if !who.IsOperator() {
		return market.Stats{}, fault.Forbidden("The dashboard is for operators.")
	}
	if months < 1 || months > market.MaxStatsMonths {
		return market.Stats{}, fault.Invalid("Months", "months must be between 1 and %d; got %d.", market.MaxStatsMonths, months)
	}
	now := s.now()
	facts, err := s.Store.StatsFacts(ctx, market.StatsFrom(now, months))
	if err != nil {
		return market.Stats{}, err
	}
	return market.CountStats(facts, now, months, s.Calendar), nil
}
