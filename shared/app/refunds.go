package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"cloudmarket/shared/operation"
	"cloudmarket/shared/payments"
)

// RefundSettings are the merchant's credentials for the payment system's
// refund API, read from the environment (see ConfigFromEnv).
type RefundSettings struct {
	MchID      string // WECHATPAY_MCHID
	KeyPEM     string // WECHATPAY_MERCHANT_PRIVATE_KEY
	CertSerial string // WECHATPAY_MERCHANT_CERT_SERIAL
	PublicURL  string // CLOUDMARKET_PUBLIC_URL: where the payment system reaches our refund-notify route
	AppID      string // WECHATPAY_APPID: the app Native orders are paid in (Native payments, nativepay.go)
	// BaseURL replaces the payment system's host: the emulator sets its own
	// address, so the same client calls the local refund API.
	BaseURL string
}

func refundSettingsFromEnv(env func(k, def string) string) RefundSettings {
	return RefundSettings{MchID: env("WECHATPAY_MCHID", ""), KeyPEM: env("WECHATPAY_MERCHANT_PRIVATE_KEY", ""),
		CertSerial: env("WECHATPAY_MERCHANT_CERT_SERIAL", ""), PublicURL: strings.TrimRight(env("CLOUDMARKET_PUBLIC_URL", ""), "/"),
		AppID: env("WECHATPAY_APPID", "")}
}

// NewRefunds builds the refund client from the merchant's credentials. The
// emulator passes its own constructor (the local payment system's merchant).
// Without credentials refunds wait as intents, retried by the sweep, until it
// is configured (production refuses to start without them: Config.Require).
func NewRefunds(a *App) (operation.RefundAPI, error) {
	cfg := a.Config
	rs := cfg.Refunds
	if rs.MchID == "" {
		return nil, errors.New("no refund API configured: set WECHATPAY_MCHID, WECHATPAY_MERCHANT_PRIVATE_KEY, WECHATPAY_MERCHANT_CERT_SERIAL")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(rs.KeyPEM))
	if err != nil {
		return nil, fmt.Errorf("WECHATPAY_MERCHANT_PRIVATE_KEY: %w", err)
	}
	keys, err := cfg.wechatKeys()
	if err != nil {
		return nil, err
	}
	m := payments.Merchant{MchID: rs.MchID, CertSerial: rs.CertSerial, PrivateKey: key, BaseURL: rs.BaseURL}
	if rs.PublicURL != "" {
		m.RefundNotifyURL = rs.PublicURL + "/v1/payments/refund-notify"
	}
	return payments.NewRefundClient(context.Background(), m, keys)
}
