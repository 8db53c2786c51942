package payments

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// Simulator plays the payment system locally: it holds the platform's
// private key and the APIv3 key, and builds notifications exactly as WeChat
// Pay does.
type Simulator struct {
	key      *rsa.PrivateKey
	apiV3Key string
	keyID    string
}

// LocalKeys loads the simulator's keys from dir, generating them on first use
// (dir "" keeps them in memory).
func LocalKeys(dir string) (*Simulator, error) {
	s := &Simulator{keyID: "PUB_KEY_ID_LOCAL_SIMULATOR"}
	keyFile, apiFile := filepath.Join(dir, "platform_private_key.pem"), filepath.Join(dir, "apiv3.key")
	if dir != "" {
		if pemBytes, err := os.ReadFile(keyFile); err == nil {
			if apiKey, err := os.ReadFile(apiFile); err == nil {
				block, _ := pem.Decode(pemBytes)
				if block == nil {
					return nil, fmt.Errorf("payments: %s is not PEM", keyFile)
				}
				k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
				if err != nil {
					return nil, fmt.Errorf("payments: %s: %w", keyFile, err)
				}
				s.key, s.apiV3Key = k, string(apiKey)
				return s, nil
			}
		}
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	s.key, s.apiV3Key = k, randomKey()
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(apiFile, []byte(s.apiV3Key), 0o600); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func randomKey() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Keys are the merchant-side keys that verify this simulator's notifications.
func (s *Simulator) Keys() Keys {
	return Keys{APIv3Key: s.apiV3Key, PublicKey: &s.key.PublicKey, PublicKeyID: s.keyID}
}

// Transaction is what the simulator pays.
type Transaction struct {
	TransactionID string
	OutTradeNo    string
	AmountFen     int64
	Attach        string
	SuccessTime   time.Time
}

// Notification builds the signed, encrypted notification of a successful
// payment, as sent at time at.
func (s *Simulator) Notification(t Transaction, at time.Time) (http.Header, []byte, error) {
	plain, err := json.Marshal(map[string]any{
		"mchid": "1900000001", "appid": "wxd678efh567hg6787", "out_trade_no": t.OutTradeNo, "transaction_id": t.TransactionID,
		"trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
		"attach": t.Attach, "success_time": t.SuccessTime.Format(time.RFC3339),
		"payer":  map[string]string{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		"amount": map[string]any{"total": t.AmountFen, "payer_total": t.AmountFen, "currency": "CNY", "payer_currency": "CNY"},
	})
	if err != nil {
		return nil, nil, err
	}
	nonce := randomKey()[:12]
	block, err := aes.NewCipher([]byte(s.apiV3Key))
	if err != nil {
		return nil, nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	sealed := gcm.Seal(nil, []byte(nonce), plain, []byte("transaction"))
	body, err := json.Marshal(map[string]any{
		"id": "EV-" + t.TransactionID, "create_time": at.Format(time.RFC3339), "resource_type": "encrypt-resource",
		"event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
		"resource": map[string]string{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(sealed), "associated_data": "transaction", "nonce": nonce},
	})
	if err != nil {
		return nil, nil, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	headerNonce := randomKey()
	sig, err := utils.SignSHA256WithRSA(ts+"\n"+headerNonce+"\n"+string(body)+"\n", s.key)
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", headerNonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", s.keyID)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return h, body, nil
}
