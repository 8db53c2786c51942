package store

import (
	"context"
	"testing"
	"time"

	"cloudmarket/shared/market"
)

// seedViolations stores, for the violation sweeps, rows acted on or not due:
// a provider whose penalty block ends in the future and one lifted long ago,
// an answered contact report and one whose 48 hours are not over.
func seedViolations(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	past, future := now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour)
	blocked := &market.Provider{ID: "prv_9", ApplicationID: "app_9", Status: market.ProviderActive, PublishRestrictedUntil: future}
	blocked.BlockStoreUntil(future, past)
	lifted := &market.Provider{ID: "prv_10", ApplicationID: "app_10", Status: market.ProviderActive}
	answered := &market.ContactReport{ID: "ctr_1", ProviderID: "prv_9", Channel: "phone", Note: "n", FiledAt: past, RespondBy: past.Add(48 * time.Hour), Status: market.ContactAnswered}
	waiting := &market.ContactReport{ID: "ctr_2", ProviderID: "prv_9", Channel: "qq", Note: "n", ByOperator: true, FiledAt: now, RespondBy: future, Status: market.ContactOpen}
	applied := &market.Violation{ID: "vio_1", ProviderID: "prv_9", Type: "fake_trading", Status: market.ViolationApplied, CreatedAt: past, AppliedAt: past,
		Steps: []market.PenaltyStep{{Action: market.ActionBlockStore, Days: 60, Until: future}}}
	_, err := Transact(context.Background(), s, func(tx *Tx) (struct{}, error) {
		for _, p := range []*market.Provider{blocked, lifted} {
			if err := tx.InsertProvider(p); err != nil {
				return struct{}{}, err
			}
		}
		for _, c := range []*market.ContactReport{answered, waiting} {
			if err := tx.InsertContactReport(c); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, tx.InsertViolation(applied)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// violationExercises are the violation feature's queries, for
// TestEveryQueryHasAnIndex.
func violationExercises(now time.Time) map[string]exercise {
	tx := func(fn func(tx *Tx) error) func(context.Context, *Store) (int, error) {
		return func(ctx context.Context, s *Store) (int, error) {
			_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, fn(tx) })
			return 0, err
		}
	}
	return map[string]exercise{
		"Store.LiftDueProviders": {kindSweep, func(ctx context.Context, s *Store) (int, error) {
			due, err := s.LiftDueProviders(ctx, now, 200)
			return len(due), err
		}},
		"Store.UnansweredContactReports": {kindSweep, func(ctx context.Context, s *Store) (int, error) {
			due, err := s.UnansweredContactReports(ctx, now, 200)
			return len(due), err
		}},
		"Store.Violations": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// A provider's list (its owner, operators), by status too; the
			// risk team's queue by status, oldest first; everything.
			for _, prov := range []string{"", "prv_9"} {
				for _, status := range []string{"", string(market.ViolationProposed)} {
					for _, after := range []string{"", "vio_x"} {
						q := ViolationQuery{ProviderID: prov, Status: status, Oldest: prov == "" && status != "", AfterID: after, Limit: 21}
						if _, err := s.Violations(ctx, q); err != nil {
							return 0, err
						}
					}
				}
			}
			return 0, nil
		}},
		"Store.ContactReports": {kindList, func(ctx context.Context, s *Store) (int, error) {
			for _, after := range []string{"", "ctr_x"} {
				if _, err := s.ContactReports(ctx, "prv_9", after, 21); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}},
		"Store.Violation":        {kindOther, func(ctx context.Context, s *Store) (int, error) { return none2(s.Violation(ctx, "vio_1")) }},
		"Tx.Violation":           {kindOther, tx(func(tx *Tx) error { return second(tx.Violation("vio_1")) })},
		"Tx.SaveViolation":       {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.Violation("vio_1"))(tx.SaveViolation) })},
		"Tx.OpenViolations":      {kindOther, tx(func(tx *Tx) error { return second(tx.OpenViolations("prv_9", now)) })},
		"Tx.CountOpenViolations": {kindOther, tx(func(tx *Tx) error { return second(tx.CountOpenViolations("prv_9", now)) })},
		"Tx.ProviderProducts":    {kindOther, tx(func(tx *Tx) error { return second(tx.ProviderProducts("prv_1")) })},
		"Tx.ContactReport":       {kindOther, tx(func(tx *Tx) error { return second(tx.ContactReport("ctr_1")) })},
		"Tx.SaveContactReport":   {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.ContactReport("ctr_1"))(tx.SaveContactReport) })},
		"Tx.OpenStaffAttempts":   {kindOther, tx(func(tx *Tx) error { return second(tx.OpenStaffAttempts("prv_9", now.Add(-7*24*time.Hour))) })},
	}
}
