// Package simulator plays WeChat Pay for local runs: it builds notifications
// exactly as the payment system does (signed with the local platform key, the
// resource encrypted with the local APIv3 key). Only the emulator and tests
// import it; no function binary links it.
package simulator

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"cloudmarket/shared/payments"
)

// Simulator holds the platform's private key and the APIv3 key.
type Simulator struct{ keys *payments.LocalKeys }

// New simulates the payment system that owns keys.
func New(keys *payments.LocalKeys) *Simulator { return &Simulator{keys: keys} }

// Open loads the local keys from dir, generating them on first use (dir ""
// keeps them in memory).
func Open(dir string) (*Simulator, error) {
	k, err := payments.LoadLocalKeys(dir)
	if err != nil {
		return nil, err
	}
	return New(k), nil
}

// The local merchant and app the simulator pays (WeChat Pay's sample IDs).
const (
	MchID = "1900000001"
	AppID = "wxd678efh567hg6787"
)

// Keys are the merchant-side keys that verify this simulator's notifications,
// with the merchant and app they must name.
func (s *Simulator) Keys() payments.Keys {
	k := s.keys.Keys()
	k.MchID, k.AppID = MchID, AppID
	return k
}

// SigningWith is the same payment system signing with another key under
// another serial: a platform certificate's key and serial (the older mode),
// or an unknown one.
func (s *Simulator) SigningWith(key *rsa.PrivateKey, serial string) *Simulator {
	return &Simulator{keys: &payments.LocalKeys{Private: key, APIv3Key: s.keys.APIv3Key, KeyID: serial}}
}

// PlatformCertificate makes a self-signed platform certificate for key, as
// WeChat Pay issues one per merchant; its serial (upper-case hex) is the
// Wechatpay-Serial of what that key signs.
func PlatformCertificate(key *rsa.PrivateKey) (*x509.Certificate, string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Tenpay.com Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	return cert, fmt.Sprintf("%X", cert.SerialNumber.Bytes()), nil
}

// Transaction is what the simulator pays.
type Transaction struct {
	TransactionID string
	OutTradeNo    string
	AmountFen     int64
	Attach        string
	SuccessTime   time.Time
	// For notifications that claim what they should not (tests): another
	// merchant, app or event type than the simulator's own.
	MchID, AppID, EventType string
}

// Notification builds the signed, encrypted notification of a successful
// payment, created at created and signed at signed. The two differ on
// purpose: created is the system's notion of time (the emulator's clock),
// while the signature timestamp must be real time, because the verifier
// refuses one more than 5 minutes from its own time.Now().
func (s *Simulator) Notification(t Transaction, created, signed time.Time) (http.Header, []byte, error) {
	resource := t.Resource()
	if t.SuccessTime.IsZero() { // a garbled notification, for tests
		delete(resource, "success_time")
	}
	eventType := "TRANSACTION.SUCCESS"
	if t.EventType != "" {
		eventType = t.EventType
	}
	return s.notify(resource, notification{id: "EV-" + t.TransactionID, eventType: eventType, summary: "支付成功",
		originalType: "transaction", created: created, signed: signed})
}

// Resource is the transaction as WeChat Pay describes a paid one, in a
// notification or the answer to a query.
func (t Transaction) Resource() map[string]any {
	mch, app := MchID, AppID
	if t.MchID != "" {
		mch = t.MchID
	}
	if t.AppID != "" {
		app = t.AppID
	}
	return map[string]any{
		"mchid": mch, "appid": app, "out_trade_no": t.OutTradeNo, "transaction_id": t.TransactionID,
		"trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
		"attach": t.Attach, "success_time": t.SuccessTime.Format(time.RFC3339),
		"payer":  map[string]string{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		"amount": map[string]any{"total": t.AmountFen, "payer_total": t.AmountFen, "currency": "CNY", "payer_currency": "CNY"},
	}
}

// notification is the envelope of one notification.
type notification struct {
	id, eventType, summary, originalType string
	created, signed                      time.Time // the system's time; real time for the signature
}

// notify builds a notification as WeChat Pay does: the resource encrypted
// with the APIv3 key (AEAD_AES_256_GCM, the original type as associated
// data), wrapped in its envelope and signed.
func (s *Simulator) notify(resource map[string]any, n notification) (http.Header, []byte, error) {
	plain, err := json.Marshal(resource)
	if err != nil {
		return nil, nil, err
	}
	nonce := payments.RandomKey()[:12]
	block, err := aes.NewCipher([]byte(s.keys.APIv3Key))
	if err != nil {
		return nil, nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	sealed := gcm.Seal(nil, []byte(nonce), plain, []byte(n.originalType))
	body, err := json.Marshal(map[string]any{
		"id": n.id, "create_time": n.created.Format(time.RFC3339), "resource_type": "encrypt-resource",
		"event_type": n.eventType, "summary": n.summary,
		"resource": map[string]string{"original_type": n.originalType, "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(sealed), "associated_data": n.originalType, "nonce": nonce},
	})
	if err != nil {
		return nil, nil, err
	}
	h, err := s.Sign(body, n.signed)
	if err != nil {
		return nil, nil, err
	}
	return h, body, nil
}

// Sign signs an answer or notification body as the payment system does:
// "timestamp\nnonce\nbody\n" with the platform key, at real time at (the
// merchant refuses timestamps more than 5 minutes off).
func (s *Simulator) Sign(body []byte, at time.Time) (http.Header, error) {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := payments.RandomKey()
	sig, err := utils.SignSHA256WithRSA(ts+"\n"+nonce+"\n"+string(body)+"\n", s.keys.Private)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", "LOCAL-"+nonce[:16])
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", s.keys.KeyID)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return h, nil
}
