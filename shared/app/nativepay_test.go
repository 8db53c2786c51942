package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/payments"
	"cloudmarket/shared/payments/simulator"
)

// The settings of a key switch-over: the public key and the platform
// certificate both configured, a notification signed under either serial
// verifies, one under an unknown serial does not; and production accepts the
// platform certificates alone for the notify route.
func TestWechatKeysSwitchOver(t *testing.T) {
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
	k := sim.Keys()
	der, _ := x509.MarshalPKIXPublicKey(k.PublicKey)
	cfg := Config{Mode: ModeProduction, WechatAPIv3Key: k.APIv3Key, WechatPublicKeyID: k.PublicKeyID,
		WechatPublicKeyPEM:     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		WechatPlatformCertsPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		KafkaBrokers:           []string{"ckafka:9092"}, Refunds: RefundSettings{MchID: simulator.MchID, AppID: simulator.AppID}}
	keys, err := cfg.wechatKeys()
	if err != nil {
		t.Fatal(err)
	}
	r, err := payments.NewReader(keys)
	if err != nil {
		t.Fatal(err)
	}
	tx := simulator.Transaction{TransactionID: "4200000000SWITCH", OutTradeNo: "CM1", AmountFen: 1, SuccessTime: time.Now()}
	for _, c := range []struct {
		name   string
		signer *simulator.Simulator
		ok     bool
	}{
		{"the new public key", sim, true},
		{"the old platform certificate", sim.SigningWith(oldKey, serial), true},
		{"an unknown serial", sim.SigningWith(oldKey, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"), false},
	} {
		h, body, err := c.signer.Notification(tx, time.Now(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Parse(context.Background(), h, body); c.ok && err != nil || !c.ok && !errors.Is(err, payments.ErrSignature) {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	fn, _ := Lookup("payment-notify")
	certsOnly := cfg
	certsOnly.WechatPublicKeyPEM, certsOnly.WechatPublicKeyID = "", ""
	if err := certsOnly.Require(fn); err != nil {
		t.Errorf("platform certificates alone: %v", err)
	}
	certsOnly.WechatPlatformCertsPEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	if err := certsOnly.Require(fn); err == nil || !strings.Contains(err.Error(), "WECHATPAY_PLATFORM_CERTS") {
		t.Errorf("a broken certificate: %v", err)
	}
}
