package simulator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
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

// A signed body with no resource is refused as unreadable (400), never a
// panic inside the SDK.
func TestNoResourceIsRefused(t *testing.T) {
	sim, r := setup(t)
	body := []byte(`{"id":"EV-1","create_time":"2026-07-01T09:30:00+08:00","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","summary":"支付成功"}`)
	h, err := sim.Sign(body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Parse(context.Background(), h, body); !errors.Is(err, payments.ErrResource) {
		t.Fatalf("no resource: %v", err)
	}
	if _, err := r.ParseRefund(context.Background(), h, body); !errors.Is(err, payments.ErrResource) {
		t.Fatalf("no resource (refund route): %v", err)
	}
}

// A notification is read only as what it says it is: a REFUND.SUCCESS
// carrying a transaction is not a payment, and a payment is not a refund.
func TestEventTypeIsChecked(t *testing.T) {
	sim, r := setup(t)
	h, body, err := sim.Notification(Transaction{TransactionID: "4200000003", OutTradeNo: "CM03", AmountFen: 1, SuccessTime: time.Now(), EventType: "REFUND.SUCCESS"}, time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Parse(context.Background(), h, body); !errors.Is(err, payments.ErrResource) {
		t.Fatalf("REFUND.SUCCESS read as a payment: %v", err)
	}
	h, body, _ = sim.Notification(Transaction{TransactionID: "4200000004", OutTradeNo: "CM04", AmountFen: 1, SuccessTime: time.Now()}, time.Now(), time.Now())
	if _, err := r.ParseRefund(context.Background(), h, body); !errors.Is(err, payments.ErrResource) {
		t.Fatalf("a payment read as a refund: %v", err)
	}
}

// A transaction WeChat Pay signed, but for another merchant or app, is
// refused.
func TestOtherMerchantOrAppIsRefused(t *testing.T) {
	sim, r := setup(t)
	for _, tx := range []Transaction{{MchID: "1900000099"}, {AppID: "wx0000000000000000"}} {
		tx.TransactionID, tx.OutTradeNo, tx.AmountFen, tx.SuccessTime = "4200000005", "CM05", 1, time.Now()
		h, body, _ := sim.Notification(tx, time.Now(), time.Now())
		if _, err := r.Parse(context.Background(), h, body); !errors.Is(err, payments.ErrMerchant) {
			t.Fatalf("%+v: %v", tx, err)
		}
	}
}

// During a switch-over from the platform certificate to the public key, both
// verify (NewSHA256WithRSACombinedVerifier); a serial neither knows does not.
func TestKeySwitchOver(t *testing.T) {
	sim, _ := setup(t)
	oldKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, serial, err := PlatformCertificate(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	keys := sim.Keys()
	keys.PlatformCerts = []*x509.Certificate{cert}
	both, err := payments.NewReader(keys)
	if err != nil {
		t.Fatal(err)
	}
	certOnly := keys
	certOnly.PublicKey, certOnly.PublicKeyID = nil, ""
	oldMode, err := payments.NewReader(certOnly)
	if err != nil {
		t.Fatal(err)
	}
	tx := Transaction{TransactionID: "4200000006", OutTradeNo: "CM06", AmountFen: 1, SuccessTime: time.Now()}
	signedOld := sim.SigningWith(oldKey, serial)
	cases := []struct {
		name   string
		signer *Simulator
		reader *payments.Reader
		ok     bool
	}{
		{"old certificate, both configured", signedOld, both, true},
		{"new public key, both configured", sim, both, true},
		{"old certificate, certificate mode", signedOld, oldMode, true},
		{"new public key, certificate mode only", sim, oldMode, false},
		{"unknown serial", sim.SigningWith(oldKey, "7777777777777777777777777777777777777777"), both, false},
		{"old key under the public key's ID", sim.SigningWith(oldKey, keys.PublicKeyID), both, false},
	}
	for _, c := range cases {
		h, body, err := c.signer.Notification(tx, time.Now(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.reader.Parse(context.Background(), h, body)
		if c.ok && err != nil || !c.ok && !errors.Is(err, payments.ErrSignature) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
