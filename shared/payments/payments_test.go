package payments

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

func setup(t *testing.T) (*Simulator, *Reader) {
	t.Helper()
	sim, err := LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(sim.Keys())
	if err != nil {
		t.Fatal(err)
	}
	return sim, r
}

func TestRoundTrip(t *testing.T) {
	sim, r := setup(t)
	paid := time.Date(2026, 7, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	h, body, err := sim.Notification(Transaction{TransactionID: "4200000001", OutTradeNo: "CM01", AmountFen: 100000, Attach: "x", SuccessTime: paid}, time.Now())
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
	h, body, err := sim.Notification(Transaction{TransactionID: "4200000009", OutTradeNo: "CM09", AmountFen: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Parse(context.Background(), h, body); !errors.Is(err, ErrResource) {
		t.Fatalf("no success_time: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	sim, r := setup(t)
	tx := Transaction{TransactionID: "4200000002", OutTradeNo: "CM02", AmountFen: 1, SuccessTime: time.Now()}
	h, body, _ := sim.Notification(tx, time.Now())

	flipped := []byte(string(body))
	flipped[len(flipped)/2] ^= 1
	if _, err := r.Parse(context.Background(), h, flipped); !errors.Is(err, ErrSignature) {
		t.Fatalf("flipped byte: %v", err)
	}
	oldH, oldBody, _ := sim.Notification(tx, time.Now().Add(-6*time.Minute))
	if _, err := r.Parse(context.Background(), oldH, oldBody); !errors.Is(err, ErrSignature) {
		t.Fatalf("stale timestamp: %v", err)
	}
	other, _ := LocalKeys("")
	oh, ob, _ := other.Notification(tx, time.Now())
	if _, err := r.Parse(context.Background(), oh, ob); !errors.Is(err, ErrSignature) {
		t.Fatalf("another key: %v", err)
	}
	// Correctly signed, but the resource is garbage.
	garbled := strings.Replace(string(body), `"ciphertext":"`, `"ciphertext":"AAAA`, 1)
	gh := resign(t, sim, garbled)
	if _, err := r.Parse(context.Background(), gh, []byte(garbled)); !errors.Is(err, ErrResource) {
		t.Fatalf("garbled resource: %v", err)
	}
	if _, err := NewReader(Keys{APIv3Key: "short"}); err == nil {
		t.Fatal("short APIv3 key accepted")
	}
}

func resign(t *testing.T, s *Simulator, body string) http.Header {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, err := utils.SignSHA256WithRSA(ts+"\nnonce123\n"+body+"\n", s.key)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", "nonce123")
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", s.keyID)
	return h
}

func TestLocalKeysPersist(t *testing.T) {
	dir := t.TempDir()
	a, err := LocalKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LocalKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.apiV3Key != b.apiV3Key || !a.key.Equal(b.key) {
		t.Fatal("keys regenerated on the second start")
	}
}
