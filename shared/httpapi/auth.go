package httpapi

import (
	"crypto/rsa"
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

// Verifier checks bearer tokens: RS256 against the identity provider's public
// key in production, HS256 with a shared secret only in local mode.
type Verifier struct {
	key    any
	method string
}

// RS256 verifies tokens signed by the gateway's identity provider.
func RS256(pub *rsa.PublicKey) *Verifier { return &Verifier{key: pub, method: "RS256"} }

// HS256 verifies locally minted tokens (make token). Never used in production:
// the app refuses it outside local mode.
func HS256(secret []byte) *Verifier { return &Verifier{key: secret, method: "HS256"} }

// Verify returns the caller named by an Authorization header value.
func (v *Verifier) Verify(authorization string) (market.Actor, error) {
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return market.Actor{}, fault.New(fault.AuthFailure, "Send Authorization: Bearer <token>.")
	}
	var c Claims
	_, err := jwt.ParseWithClaims(strings.TrimSpace(token), &c, func(*jwt.Token) (any, error) { return v.key, nil },
		jwt.WithValidMethods([]string{v.method}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		msg := "The token is not valid; get a new one."
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "The token has expired; get a new one."
		}
		return market.Actor{}, fault.New(fault.AuthFailure, "%s", msg)
	}
	if c.Subject == "" {
		return market.Actor{}, fault.New(fault.AuthFailure, "The token has no sub claim.")
	}
	return market.Actor{Account: c.Subject, Roles: c.Roles}, nil
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
