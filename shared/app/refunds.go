package app

import (
	"context"
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
	// BaseURL replaces the payment system's host: the emulator sets its own
	// address, so the same client calls the local refund API.
	BaseURL string
}

func refundSettingsFromEnv(env func(k, def string) string) RefundSettings {
	return RefundSettings{MchID: env("WECHATPAY_MCHID", ""), KeyPEM: env("WECHATPAY_MERCHANT_PRIVATE_KEY", ""),
		CertSerial: env("WECHATPAY_MERCHANT_CERT_SERIAL", ""), PublicURL: strings.TrimRight(env("CLOUDMARKET_PUBLIC_URL", ""), "/")}
}

// refundAPI builds the refund client: the merchant's credentials with the real
// keys, or the simulator's local merchant against the emulator. Without
// either, refunds wait as intents (and the sweep logs each retry) until it is
// configured.
func refundAPI(ctx context.Context, cfg Config, sim *payments.Simulator) (operation.RefundAPI, error) {
	rs := cfg.Refunds
	if sim != nil {
		if rs.BaseURL == "" {
			return nil, nil
		}
		m, err := sim.LocalMerchant(rs.BaseURL)
		if err != nil {
			return nil, err
		}
		return payments.NewRefundClient(ctx, m, sim.Keys())
	}
	if rs.MchID == "" {
		return nil, nil
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(rs.KeyPEM))
	if err != nil {
		return nil, fmt.Errorf("WECHATPAY_MERCHANT_PRIVATE_KEY: %w", err)
	}
	pub, err := jwt.ParseRSAPublicKeyFromPEM([]byte(cfg.WechatPublicKeyPEM))
	if err != nil {
		return nil, fmt.Errorf("WECHATPAY_PUBLIC_KEY: %w", err)
	}
	m := payments.Merchant{MchID: rs.MchID, CertSerial: rs.CertSerial, PrivateKey: key, BaseURL: rs.BaseURL}
	if rs.PublicURL != "" {
		m.RefundNotifyURL = rs.PublicURL + "/v1/payments/refund-notify"
	}
	return payments.NewRefundClient(ctx, m, payments.Keys{APIv3Key: cfg.WechatAPIv3Key, PublicKey: pub, PublicKeyID: cfg.WechatPublicKeyID})
}
