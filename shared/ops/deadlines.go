package ops

import (
	"context"
	"errors"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// sweepBatch bounds the work one timer run does per kind of deadline; the next
// run (a minute later) takes the rest.
const sweepBatch = 200

// DeadlineReport is what one run of the deadline timer did.
type DeadlineReport struct {
	ReviewsOverdue    int `json:"reviewsOverdue"`
	NotificationsSent int `json:"notificationsSent"`
	NotificationsFail int `json:"notificationsFailed"`
}

// EnforceDeadlines is the enforce-deadlines timer: it flags applications whose
// review passed reviewDueAt (R-ON1) once each, then delivers the outbox. Safe to
// run twice, concurrently or late: each flag is a conditional write.
func (s *Service) EnforceDeadlines(ctx context.Context) (DeadlineReport, error) {
	now := s.now()
	var rep DeadlineReport
	overdue, err := s.Store.OverdueApplications(ctx, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	actor := market.System("enforce-deadlines")
	for _, candidate := range overdue {
		flagged, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
			a, err := tx.Application(candidate.ID)
			if err != nil {
				return false, err
			}
			if !a.ReviewOverdue(now) { // decided or flagged meanwhile
				return false, nil
			}
			a.OverdueFlaggedAt = now
			if err := tx.SaveApplication(a); err != nil {
				return false, err
			}
			var notes []store.Notification
			for _, phone := range s.Config.ReviewerPhones {
				notes = append(notes, store.Notification{Channel: "sms", To: phone, Template: "review_overdue", Params: []string{a.ID, a.CompanyName}})
			}
			_, err = tx.Record(store.Event{
				Type: "application.review_overdue", At: now, Actor: actor.Account, Subject: a.ID,
				Data: map[string]any{"reviewDueAt": a.ReviewDueAt},
			}, notes...)
			return err == nil, err
		})
		if errors.Is(err, store.ErrConflict) {
			continue // someone else changed it: the next run looks again
		}
		if err != nil {
			return rep, err
		}
		if flagged {
			rep.ReviewsOverdue++
		}
	}
	rep.NotificationsSent, rep.NotificationsFail = s.DeliverPending(ctx)
	return rep, nil
}
