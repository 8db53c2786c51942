package app

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"cloudmarket/shared/operation"
	"cloudmarket/shared/payments"
)

// wechatKeys are the merchant's WeChat Pay keys from the configuration: the
// public key, the platform certificates, or both during a switch-over, with
// the merchant and app a notification must name.
func (c Config) wechatKeys() (payments.Keys, error) {
	k := payments.Keys{APIv3Key: c.WechatAPIv3Key, PublicKeyID: c.WechatPublicKeyID, MchID: c.Refunds.MchID, AppID: c.Refunds.AppID}
	if c.WechatPublicKeyPEM != "" {
		pub, err := jwt.ParseRSAPublicKeyFromPEM([]byte(c.WechatPublicKeyPEM))
		if err != nil {
			return k, fmt.Errorf("WECHATPAY_PUBLIC_KEY: %w", err)
		}
		k.PublicKey = pub
	}
	rest := []byte(c.WechatPlatformCertsPEM)
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return k, fmt.Errorf("WECHATPAY_PLATFORM_CERTS: %w", err)
		}
		k.PlatformCerts = append(k.PlatformCerts, cert)
	}
	if c.WechatPlatformCertsPEM != "" && len(k.PlatformCerts) == 0 {
		return k, errors.New("WECHATPAY_PLATFORM_CERTS: no PEM certificate in it")
	}
	return k, nil
}

// NewNativePay builds the Native payment client (prepay, query, close) from
// the merchant's credentials; the emulator passes its own constructor (the
// local payment system's merchant). Without credentials, prepay fails and is
// retried by the deadline timer until it is configured (production refuses
// to start without them: Config.Require).
func NewNativePay(a *App) (operation.PaymentAPI, error) {
	cfg := a.Config
	rs := cfg.Refunds
	if rs.MchID == "" || rs.AppID == "" {
		return nil, errors.New("no Native payment API configured: set WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_MERCHANT_PRIVATE_KEY, WECHATPAY_MERCHANT_CERT_SERIAL, CLOUDMARKET_PUBLIC_URL")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(rs.KeyPEM))
	if err != nil {
		return nil, fmt.Errorf("WECHATPAY_MERCHANT_PRIVATE_KEY: %w", err)
	}
	keys, err := cfg.wechatKeys()
	if err != nil {
		return nil, err
	}
	m := payments.Merchant{MchID: rs.MchID, AppID: rs.AppID, CertSerial: rs.CertSerial, PrivateKey: key, BaseURL: rs.BaseURL,
		PaymentNotifyURL: rs.PublicURL + "/v1/payments/notify"}
	return payments.NewNativeClient(context.Background(), m, keys)
}

type lazyNativePay struct{ *lazy[operation.PaymentAPI] }

func (l lazyNativePay) Prepay(ctx context.Context, o operation.NativeOrder) (string, error) {
	c, err := l.get()
	if err != nil {
		return "", fmt.Errorf("%w: %v", operation.ErrPaymentAPI, err)
	}
	return c.Prepay(ctx, o)
}

func (l lazyNativePay) QueryPayment(ctx context.Context, outTradeNo string) (operation.PaymentMessage, error) {
	c, err := l.get()
	if err != nil {
		return operation.PaymentMessage{}, fmt.Errorf("%w: %v", operation.ErrPaymentAPI, err)
	}
	return c.QueryPayment(ctx, outTradeNo)
}

func (l lazyNativePay) ClosePayment(ctx context.Context, outTradeNo string) error {
	c, err := l.get()
	if err != nil {
		return fmt.Errorf("%w: %v", operation.ErrPaymentAPI, err)
	}
	return c.ClosePayment(ctx, outTradeNo)
}
