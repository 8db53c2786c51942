package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"cloudmarket/shared/httpapi"
)

const (
	testIssuer   = "https://id.example.com/"
	testAudience = "cloudmarket-api"
)

// jwksServer is the identity provider's key set on loopback; keys can be
// swapped to rotate them, and fetches are counted.
type jwksServer struct {
	mu      sync.Mutex
	keys    []map[string]string
	fetches int
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
}

func (s *jwksServer) set(keys ...map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PrivateKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) map[string]string {
	pub, _ := k.PublicKey.ECDH()
	raw := pub.Bytes() // 0x04 || X || Y
	return map[string]string{"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
		"x": b64(raw[1:33]), "y": b64(raw[33:65])}
}

func sign(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProductionTokensAreVerifiedAgainstTheKeySet(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := &jwksServer{}
	keys.set(rsaJWK("rsa-1", rsaKey), ecJWK("ec-1", ecKey))
	srv := httptest.NewServer(keys)
	defer srv.Close()
	v := httpapi.JWKS(JWKSKeys(srv.URL, srv.Client(), slog.New(slog.NewTextHandler(io.Discard, nil))), testIssuer, testAudience)

	now := time.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "100001", "roles": []string{"provider"}, "iss": testIssuer, "aud": testAudience,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if change != nil {
			change(c)
		}
		return c
	}
	accept := func(name, token string) {
		t.Helper()
		actor, err := v.Verify("Bearer " + token)
		if err != nil || actor.Account != "100001" {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	refuse := func(name, token, why string) {
		t.Helper()
		_, err := v.Verify("Bearer " + token)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if why != "" && !strings.Contains(err.Error(), why) {
			t.Errorf("%s: refused with %q, want it to say %q", name, err, why)
		}
	}

	accept("RS256", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(nil)))
	accept("ES256", sign(t, jwt.SigningMethodES256, "ec-1", ecKey, claims(nil)))
	refuse("another application's token", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(func(c jwt.MapClaims) { c["aud"] = "other-app" })), "another application")
	refuse("no audience", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(func(c jwt.MapClaims) { delete(c, "aud") })), "")
	refuse("another issuer", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com/" })), "identity provider")
	refuse("no exp", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(func(c jwt.MapClaims) { delete(c, "exp") })), "")
	refuse("exp as a string", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(func(c jwt.MapClaims) { c["exp"] = "9999999999" })), "")
	refuse("expired", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), "expired")
	refuse("signed by a key not in the set", sign(t, jwt.SigningMethodRS256, "rsa-1", mustRSA(t), claims(nil)), "")

	// Algorithm confusion: the RSA public key, which anyone can fetch, used
	// as an HMAC secret; and an unsigned token.
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	refuse("HS256 with the public key as secret", sign(t, jwt.SigningMethodHS256, "rsa-1", der, claims(nil)), "")
	refuse("HS256 with the modulus as secret", sign(t, jwt.SigningMethodHS256, "rsa-1", rsaKey.N.Bytes(), claims(nil)), "")
	refuse("alg none", sign(t, jwt.SigningMethodNone, "rsa-1", jwt.UnsafeAllowNoneSignatureType, claims(nil)), "")

	// Rotation: the provider publishes a new key and drops the old one. A
	// token with the new kid makes the set be fetched again, and is accepted.
	before := keys.count()
	rotated := mustRSA(t)
	keys.set(rsaJWK("rsa-2", rotated), ecJWK("ec-1", ecKey))
	accept("a rotated key", sign(t, jwt.SigningMethodRS256, "rsa-2", rotated, claims(nil)))
	if keys.count() != before+1 {
		t.Errorf("the key set was fetched %d times for the new kid, want once", keys.count()-before)
	}
	// A made-up kid right after does not fetch again (rate-limited) and waits
	// for nothing.
	start := time.Now()
	refuse("an unknown kid", sign(t, jwt.SigningMethodRS256, "made-up", rotated, claims(nil)), "")
	if keys.count() != before+1 || time.Since(start) > 2*time.Second {
		t.Errorf("an unknown kid fetched the set again or waited: %d fetches, %v", keys.count()-before, time.Since(start))
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
