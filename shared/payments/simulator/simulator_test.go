package simulator

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/payments"
)

func setup(t *testing.T) (*Simulator, *payments.Reader) {
	t.Helper()
	sim, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := payments.NewReader(sim.Keys())
	if err != nil {
		t.Fatal(err)
	}
	return sim, r
}

func TestRoundTrip(t *testing.T) {
	sim, r := setup(t)
	paid := time.Date(2026, 7, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	h, body, err := sim.Notification(Transaction{TransactionID: "4200000001", OutTradeNo: "CM01", AmountFen: 100000, Attach: "x", SuccessTime: paid}, paid, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Parse(context.Background(), h, body)
	if err != nil {
		t.Fatal(err)
	}
	if m.TransactionID != "4200000001" || m.OutTradeNo != "CM01" || m.AmountFen != 100000 || m.TradeState != "SUCCESS" || !m.SuccessTime.Equal(paid) || m.Attach != "x" {
		t.Fatalf("%+v", m)
	}
}

// A successful payment without success_time is garbled: refused, never
// dated year 1.
func TestNoSuccessTimeIsRefused(t *testing.T) {
	sim, r := setup(t)
	h, body, err := sim.Notification(Transaction{TransactionID: "4200000009", OutTradeNo: "CM09", AmountFen: 1}, time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Parse(context.Background(), h, body); !errors.Is(err, payments.ErrResource) {
		t.Fatalf("no success_time: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	sim, r := setup(t)
	tx := Transaction{TransactionID: "4200000002", OutTradeNo: "CM02", AmountFen: 1, SuccessTime: time.Now()}
	h, body, _ := sim.Notification(tx, time.Now(), time.Now())

	flipped := []byte(string(body))
	flipped[len(flipped)/2] ^= 1
	if _, err := r.Parse(context.Background(), h, flipped); !errors.Is(err, payments.ErrSignature) {
		t.Fatalf("flipped byte: %v", err)
	}
	// The signature window is real time, whatever the notification's own time.
	oldH, oldBody, _ := sim.Notification(tx, time.Now(), time.Now().Add(-6*time.Minute))
	if _, err := r.Parse(context.Background(), oldH, oldBody); !errors.Is(err, payments.ErrSignature) {
		t.Fatalf("stale timestamp: %v", err)
	}
	other, _ := Open("")
	oh, ob, _ := other.Notification(tx, time.Now(), time.Now())
	if _, err := r.Parse(context.Background(), oh, ob); !errors.Is(err, payments.ErrSignature) {
		t.Fatalf("another key: %v", err)
	}
	// Correctly signed, but the resource is garbage.
	garbled := strings.Replace(string(body), `"ciphertext":"`, `"ciphertext":"AAAA`, 1)
	gh, err := sim.Sign([]byte(garbled), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Parse(context.Background(), gh, []byte(garbled)); !errors.Is(err, payments.ErrResource) {
		t.Fatalf("garbled resource: %v", err)
	}
}
