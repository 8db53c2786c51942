package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
)

// Claims of API.md's identity section.
type Claims struct {
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// Verifier checks bearer tokens: in production against the identity
// provider's published keys (JWKS) with its issuer and this API's audience,
// HS256 with a shared secret only in local mode.
type Verifier struct {
	key     jwt.Keyfunc
	options []jwt.ParserOption
}

// ProductionAlgorithms are the only signatures production accepts: asymmetric
// ones, so neither a token signed with a public key as an HMAC secret nor an
// unsigned ("none") token gets through.
var ProductionAlgorithms = []string{"RS256", "ES256"}

// JWKS verifies the identity provider's tokens. keys finds a token's key by its
// kid in the provider's key set (app builds it: cached, refreshed, and fetched
// again when a kid is unknown, so rotated keys are picked up). iss and aud
// must be exactly these: a genuine token the provider issued for another
// application is refused.
func JWKS(keys jwt.Keyfunc, issuer, audience string) *Verifier {
	return &Verifier{key: keys, options: []jwt.ParserOption{
		jwt.WithValidMethods(ProductionAlgorithms), jwt.WithIssuer(issuer), jwt.WithAudience(audience),
	}}
}

// HS256 verifies locally minted tokens (make token). Never used in production:
// the app refuses it outside local mode.
func HS256(secret []byte) *Verifier {
	return &Verifier{key: func(*jwt.Token) (any, error) { return secret, nil }, options: []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"})}}
}

// Verify returns the caller named by an Authorization header value.
func (v *Verifier) Verify(authorization string) (market.Actor, error) {
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return market.Actor{}, fault.New(fault.AuthFailure, "Send Authorization: Bearer <token>.")
	}
	var c Claims
	opts := append([]jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithLeeway(30 * time.Second)}, v.options...)
	_, err := jwt.ParseWithClaims(token, &c, v.key, opts...)
	if err == nil {
		err = numericTimes(token)
	}
	if err != nil {
		msg := "The token is not valid; get a new one."
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			msg = "The token has expired; get a new one."
		case errors.Is(err, jwt.ErrTokenInvalidAudience):
			msg = "The token was issued for another application; get one for this API."
		case errors.Is(err, jwt.ErrTokenInvalidIssuer):
			msg = "The token was not issued by this API's identity provider."
		}
		return market.Actor{}, fault.New(fault.AuthFailure, "%s", msg)
	}
	if c.Subject == "" {
		return market.Actor{}, fault.New(fault.AuthFailure, "The token has no sub claim.")
	}
	return market.Actor{Account: c.Subject, Roles: c.Roles}, nil
}

// numericTimes refuses exp, nbf and iat written as strings: the JWT
// specification makes them numbers, and the parser would read "exp":"…" as one.
func numericTimes(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("token: not three parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("token payload: %w", err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("token payload: %w", err)
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if raw, ok := claims[name]; ok && !isJSONNumber(raw) {
			return fmt.Errorf("token: %s is not a number", name)
		}
	}
	return nil
}

func isJSONNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// Mint signs an HS256 token (make token, tests).
func Mint(secret []byte, sub string, roles []string, ttl time.Duration, now time.Time) (string, error) {
	c := Claims{Roles: roles, RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return s, nil
}
