package operation_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"cloudmarket/shared/clock"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// flakySender fails its first n sends, like an SMS gateway that is down.
type flakySender struct{ failures, sends atomic.Int32 }

func (f *flakySender) Send(context.Context, market.Notification) (string, error) {
	if f.failures.Add(-1) >= 0 {
		return "", errors.New("gateway unavailable")
	}
	f.sends.Add(1)
	return "test", nil
}

// A notification whose delivery failed stays in the outbox and is sent by the
// next timer run, once.
func TestOutboxRetriesFailedDeliveryOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sender := &flakySender{}
	sender.failures.Store(1)
	svc := &operation.Service{Store: st, Clock: clock.System{}, Calendar: workday.New(), Sender: sender, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	_, err = store.Transact(ctx, st, func(tx *store.Tx) (struct{}, error) {
		_, err := tx.Record(market.Event{Type: market.EventProviderExited, At: time.Now(), Actor: "t", Subject: "x"},
			market.SMS("+8613800000000", "review_overdue", "a", "b"))
		return struct{}{}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent, failed := svc.DeliverPending(ctx); sent != 0 || failed != 1 {
		t.Fatalf("first attempt: sent %d failed %d", sent, failed)
	}
	rep, err := svc.EnforceDeadlines(ctx)
	if err != nil || rep.NotificationsSent != 1 {
		t.Fatalf("timer: %+v %v", rep, err)
	}
	if rep, _ := svc.EnforceDeadlines(ctx); rep.NotificationsSent != 0 || sender.sends.Load() != 1 {
		t.Fatalf("sent again: %+v, sends %d", rep, sender.sends.Load())
	}
	sent, _ := st.SentNotifications(ctx, 10)
	if len(sent) != 1 || sent[0].Attempts != 2 || sent[0].Via != "test" {
		t.Fatalf("outbox row: %+v", sent)
	}
}

// Phone numbers in logs keep only their ends.
func TestMaskPhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"+8613812345678": "+86138****5678", "13812345678": "138****5678", "1234567": "****", "": "****"} {
		if got := operation.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
