package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// JWKSKeys finds a token's key in the identity provider's key set at url. The
// set is fetched when the first token arrives (a function that verifies none
// never fetches it), kept, refreshed every hour, and fetched again when a
// token names a kid the set does not have — at most every five minutes, so a
// flood of made-up kids cannot hammer the provider. A rotated key is thus
// accepted as soon as the provider publishes it. client nil: the default
// client, with a 5 s timeout per fetch.
func JWKSKeys(jwksURL string, client *http.Client, log *slog.Logger) jwt.Keyfunc {
	keys := newLazy(func() (keyfunc.Keyfunc, error) {
		k, err := keyfunc.NewDefaultOverrideCtx(context.Background(), []string{jwksURL}, keyfunc.Override{
			Client:          client,
			HTTPTimeout:     5 * time.Second,
			RefreshInterval: time.Hour,
			RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
				return func(ctx context.Context, err error) {
					log.ErrorContext(ctx, "identity provider's key set: refresh failed; tokens signed with a new key are refused until it succeeds", "url", u, "error", err)
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("identity provider's key set %s: %w", jwksURL, err)
		}
		return k, nil
	})
	return func(t *jwt.Token) (any, error) {
		k, err := keys.get()
		if err != nil {
			return nil, err
		}
		return k.Keyfunc(t)
	}
}

// checkJWKSURL: the key set decides who may call the API, so it is fetched
// over HTTPS only.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("CLOUDMARKET_JWKS_URL must be the identity provider's https:// key set URL, got %q", raw)
	}
	return nil
}
