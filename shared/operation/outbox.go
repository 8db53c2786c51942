package operation

import (
	"context"
)

// DeliverPending sends the notifications waiting in the outbox. It runs after
// an operation commits and on every deadline timer run, so a send that failed,
// or a function that died before sending, is retried. Each notification is
// claimed first, so two deliverers never send the same one.
func (s *Service) DeliverPending(ctx context.Context) (sent, failed int) {
	now := s.now()
	pending, err := s.Store.DeliverableNotifications(ctx, now, sweepBatch)
	if err != nil {
		s.Log.ErrorContext(ctx, "outbox: list pending", "err", err)
		return 0, 0
	}
	for _, n := range pending {
		ok, err := s.Store.ClaimNotification(ctx, n.ID, now)
		if err != nil || !ok {
			continue
		}
		via, err := s.Sender.Send(ctx, n)
		if err != nil {
			failed++
			s.Log.WarnContext(ctx, "outbox: delivery failed", "notification", n.ID, "channel", n.Channel, "to", MaskPhone(n.To), "err", err)
			if err := s.Store.MarkNotificationFailed(ctx, n, err.Error()); err != nil {
				s.Log.ErrorContext(ctx, "outbox: record failure", "notification", n.ID, "err", err)
			}
			continue
		}
		sent++
		if err := s.Store.MarkNotificationSent(ctx, n.ID, via, s.now()); err != nil {
			s.Log.ErrorContext(ctx, "outbox: record delivery", "notification", n.ID, "err", err)
		}
	}
	return sent, failed
}

// MaskPhone hides the middle of a phone number for logs: +86138****0000.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return "****"
	}
	return p[:len(p)-8] + "****" + p[len(p)-4:]
}
