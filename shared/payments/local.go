package payments

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// LocalKeys are the simulated payment system's keys for local runs: the
// platform's private key and the APIv3 key. The emulator's simulator signs
// and encrypts notifications with them; a function run locally verifies with
// Keys().
type LocalKeys struct {
	Private  *rsa.PrivateKey
	APIv3Key string
	KeyID    string
}

// LocalKeyID is the local platform key's ID (Wechatpay-Serial).
const LocalKeyID = "PUB_KEY_ID_LOCAL_SIMULATOR"

// LoadLocalKeys loads the keys from dir, generating them on first use (dir ""
// keeps them in memory), so the emulator and a function run locally agree.
func LoadLocalKeys(dir string) (*LocalKeys, error) {
	k := &LocalKeys{KeyID: LocalKeyID}
	keyFile, apiFile := filepath.Join(dir, "platform_private_key.pem"), filepath.Join(dir, "apiv3.key")
	if dir != "" {
		if pemBytes, err := os.ReadFile(keyFile); err == nil {
			if apiKey, err := os.ReadFile(apiFile); err == nil {
				block, _ := pem.Decode(pemBytes)
				if block == nil {
					return nil, fmt.Errorf("payments: %s is not PEM", keyFile)
				}
				priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
				if err != nil {
					return nil, fmt.Errorf("payments: %s: %w", keyFile, err)
				}
				k.Private, k.APIv3Key = priv, string(apiKey)
				return k, nil
			}
		}
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	k.Private, k.APIv3Key = priv, RandomKey()
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(apiFile, []byte(k.APIv3Key), 0o600); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Keys are the merchant-side keys that verify notifications signed with k.
func (k *LocalKeys) Keys() Keys {
	return Keys{APIv3Key: k.APIv3Key, PublicKey: &k.Private.PublicKey, PublicKeyID: k.KeyID}
}

// RandomKey is 32 random letters and digits (an APIv3 key's shape).
func RandomKey() string {
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
