package payments_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloudmarket/shared/operation"
	"cloudmarket/shared/payments"
	"cloudmarket/shared/payments/simulator"
)

// The Native client against a payment system on loopback: answers are
// verified (the public key, or during a switch-over also the platform
// certificate), a transaction for another merchant is refused, an unknown
// order is ErrPaymentUnknown.
func TestNativeClientAnswers(t *testing.T) {
	t.Parallel()
	sim, err := simulator.Open("")
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, serial, err := simulator.PlatformCertificate(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	var signer atomic.Pointer[simulator.Simulator] // who signs the answers
	signer.Store(sim)
	paid := simulator.Transaction{TransactionID: "4200000000Q", OutTradeNo: "CM1", AmountFen: 100, Attach: "order:ord_1", SuccessTime: time.Now().Truncate(time.Second)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, v := http.StatusOK, any(paid.Resource())
		switch {
		case !strings.HasPrefix(r.Header.Get("Authorization"), "WECHATPAY2-SHA256-RSA2048 "):
			status, v = http.StatusUnauthorized, map[string]string{"code": "SIGN_ERROR", "message": "签名错误"}
		case strings.HasSuffix(r.URL.Path, "/CMNONE"):
			status, v = http.StatusNotFound, map[string]string{"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
		case strings.HasSuffix(r.URL.Path, "/CMOTHER"):
			other := paid
			other.MchID = "1900000099"
			v = other.Resource()
		}
		body, _ := json.Marshal(v)
		h, err := signer.Load().Sign(body, time.Now())
		if err != nil {
			t.Error(err)
		}
		for k := range h {
			w.Header().Set(k, h.Get(k))
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	m, err := sim.LocalMerchant(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys := sim.Keys()
	c, err := payments.NewNativeClient(ctx, m, keys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.QueryPayment(ctx, "CM1")
	if err != nil || got.TransactionID != paid.TransactionID || got.TradeState != "SUCCESS" || got.AmountFen != 100 || got.Attach != "order:ord_1" || !got.SuccessTime.Equal(paid.SuccessTime) {
		t.Fatalf("query: %+v %v", got, err)
	}
	if _, err := c.QueryPayment(ctx, "CMNONE"); !errors.Is(err, operation.ErrPaymentUnknown) {
		t.Errorf("unknown order: %v", err)
	}
	if _, err := c.QueryPayment(ctx, "CMOTHER"); !errors.Is(err, payments.ErrMerchant) {
		t.Errorf("another merchant's transaction: %v", err)
	}

	// Answers signed with the old platform certificate: refused with the
	// public key alone, accepted once the certificate is configured too.
	signer.Store(sim.SigningWith(oldKey, serial))
	if _, err := c.QueryPayment(ctx, "CM1"); !errors.Is(err, operation.ErrPaymentAPI) {
		t.Errorf("an answer under an unknown serial: %v", err)
	}
	keys.PlatformCerts = []*x509.Certificate{cert}
	both, err := payments.NewNativeClient(ctx, m, keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := both.QueryPayment(ctx, "CM1"); err != nil {
		t.Errorf("switch-over: %v", err)
	}
}
