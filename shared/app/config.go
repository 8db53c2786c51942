// Package app builds a function's dependencies from its environment, in one
// place, and hands out the handler of each function by name. Every main and the
// local emulator go through here, so they run the same handler values.
package app

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/notify"
	"cloudmarket/shared/objstore"
)

// Modes.
const (
	ModeLocal      = "local"
	ModeProduction = "production"
)

// DefaultJWTSecret is the local emulator's token secret; refused elsewhere.
const DefaultJWTSecret = "local-dev-secret"

// Config is everything read from the environment.
type Config struct {
	Mode           string // local or production (default production: never fall into dev auth by accident)
	DataDir        string // local: the lungo file and object store live here
	MongoURI       string // when set, real MongoDB instead of the embedded engine
	MongoDatabase  string
	JWTSecret      string
	JWTPublicKey   *rsa.PublicKey
	Objects        objstore.Config
	SMS            *notify.SMSConfig   // nil: SMS go to the outbox
	Email          *notify.EmailConfig // nil: e-mails go to the outbox
	ReviewerPhones []string
	FinancePhones  []string
	RiskPhones     []string
	CalendarDir    string // optional year files overriding lunar-go's tables
	Products       market.ProductRules
	// ConsignmentRate is the platform's share in consignment mode (R-FE1),
	// in basis points.
	ConsignmentRate money.BasisPoints
	KafkaBrokers    []string // CKafka; empty locally (the emulator runs kfake)
	// WeChat Pay: the APIv3 key and the platform public key with its ID. Locally
	// the simulator's keys under DataDir/wechatpay are used when these are empty.
	WechatAPIv3Key     string
	WechatPublicKeyPEM string
	WechatPublicKeyID  string
	// WechatPlatformCertsPEM are the platform certificates (the older mode
	// of verification), PEM, one or more: with the public key as well during
	// a switch-over, notifications signed either way verify.
	WechatPlatformCertsPEM string
	// Refunds: the merchant's refund API credentials (shared/app/refunds.go).
	Refunds RefundSettings
}

// ConfigFromEnv reads the environment. It is the only place that does.
func ConfigFromEnv() (Config, error) {
	env := func(k, def string) string {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Mode:          env("CLOUDMARKET_MODE", ModeProduction),
		DataDir:       env("CLOUDMARKET_DATA_DIR", ".data"),
		MongoURI:      env("MONGODB_URI", ""),
		MongoDatabase: env("MONGODB_DATABASE", "cloudmarket"),
		JWTSecret:     env("CLOUDMARKET_JWT_SECRET", ""),
		CalendarDir:   env("CLOUDMARKET_CALENDAR_DIR", ""),
	}
	// Unset product rules take their defaults in New.
	if v := env("CLOUDMARKET_ALLOWED_LINK_DOMAINS", ""); v != "" {
		c.Products.AllowedDomains = splitList(v)
	}
	if v := env("CLOUDMARKET_MAX_PLAN_PRICE_FEN", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("CLOUDMARKET_MAX_PLAN_PRICE_FEN must be a positive number of fen, got %q", v)
		}
		c.Products.MaxPriceFen = money.Fen(n)
	}
	c.ConsignmentRate = 2000
	if v := env("CLOUDMARKET_CONSIGNMENT_RATE_BPS", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 10000 {
			return c, fmt.Errorf("CLOUDMARKET_CONSIGNMENT_RATE_BPS must be 0..10000 basis points, got %q", v)
		}
		c.ConsignmentRate = money.BasisPoints(n)
	}
	c.KafkaBrokers = splitList(env("KAFKA_BROKERS", ""))
	c.Refunds = refundSettingsFromEnv(env)
	c.WechatAPIv3Key, c.WechatPublicKeyPEM, c.WechatPublicKeyID = env("WECHATPAY_APIV3_KEY", ""), env("WECHATPAY_PUBLIC_KEY", ""), env("WECHATPAY_PUBLIC_KEY_ID", "")
	c.WechatPlatformCertsPEM = env("WECHATPAY_PLATFORM_CERTS", "")
	if c.Mode != ModeLocal && c.Mode != ModeProduction {
		return c, fmt.Errorf("CLOUDMARKET_MODE must be %q or %q, got %q", ModeLocal, ModeProduction, c.Mode)
	}
	secretID, secretKey, token := env("TENCENTCLOUD_SECRETID", ""), env("TENCENTCLOUD_SECRETKEY", ""), env("TENCENTCLOUD_SESSIONTOKEN", "")
	region := env("TENCENTCLOUD_REGION", "ap-guangzhou")

	switch c.Mode {
	case ModeLocal:
		if c.JWTSecret == "" {
			c.JWTSecret = DefaultJWTSecret
		}
		c.Objects = objstore.Config{
			Endpoint: env("COS_ENDPOINT", "http://127.0.0.1:"+env("PORT", "8080")+"/_local/s3"), Region: region,
			Bucket: env("COS_BUCKET", "cloudmarket-local"), PathStyle: env("COS_ENDPOINT", "") == "" || env("COS_PATH_STYLE", "") == "true",
			SecretID: env("TENCENTCLOUD_SECRETID", "local"), SecretKey: env("TENCENTCLOUD_SECRETKEY", "local"), Token: token,
		}
		c.ReviewerPhones = splitList(env("CLOUDMARKET_REVIEWER_PHONES", "+8613900000000"))
		c.FinancePhones = splitList(env("CLOUDMARKET_FINANCE_PHONES", "+8613900000001"))
		c.RiskPhones = splitList(env("CLOUDMARKET_RISK_PHONES", "+8613900000002"))
	case ModeProduction:
		if c.JWTSecret != "" {
			return c, fmt.Errorf("CLOUDMARKET_JWT_SECRET is only accepted in local mode; production verifies RS256 tokens with CLOUDMARKET_JWT_PUBLIC_KEY")
		}
		if pem := env("CLOUDMARKET_JWT_PUBLIC_KEY", ""); pem != "" {
			key, err := jwt.ParseRSAPublicKeyFromPEM([]byte(pem))
			if err != nil {
				return c, fmt.Errorf("CLOUDMARKET_JWT_PUBLIC_KEY: %w", err)
			}
			c.JWTPublicKey = key
		}
		if c.MongoURI == "" {
			return c, fmt.Errorf("MONGODB_URI is required in production")
		}
		c.Objects = objstore.Config{
			Endpoint: env("COS_ENDPOINT", objstore.COSEndpoint(env("COS_REGION", region))), Region: env("COS_REGION", region),
			Bucket: env("COS_BUCKET", ""), SecretID: secretID, SecretKey: secretKey, Token: token,
		}
		c.ReviewerPhones = splitList(env("CLOUDMARKET_REVIEWER_PHONES", ""))
		c.FinancePhones = splitList(env("CLOUDMARKET_FINANCE_PHONES", ""))
		c.RiskPhones = splitList(env("CLOUDMARKET_RISK_PHONES", ""))
	}
	if appID := env("SMS_SDK_APP_ID", ""); appID != "" && secretID != "" {
		c.SMS = &notify.SMSConfig{
			SecretID: secretID, SecretKey: secretKey, Token: token, Region: env("SMS_REGION", region),
			SdkAppID: appID, SignName: env("SMS_SIGN_NAME", ""), TemplateIDs: parsePairs(env("SMS_TEMPLATE_IDS", "")),
			Endpoint: env("SMS_ENDPOINT", ""), Scheme: env("SMS_SCHEME", ""),
		}
	}
	if from := env("SES_FROM", ""); from != "" && secretID != "" {
		c.Email = &notify.EmailConfig{
			SecretID: secretID, SecretKey: secretKey, Token: token, Region: env("SES_REGION", "ap-guangzhou"),
			From: from, TemplateIDs: parsePairs(env("SES_TEMPLATE_IDS", "")), Endpoint: env("SES_ENDPOINT", ""), Scheme: env("SES_SCHEME", ""),
		}
	}
	return c, nil
}

// Require demands, in production, the settings of what fn uses and nothing
// more: a function that never produces to Kafka starts without its brokers.
// Locally everything has a default.
func (c Config) Require(fn Function) error {
	if c.Mode != ModeProduction {
		return nil
	}
	var errs []error
	if fn.VerifiesTokens() && c.JWTPublicKey == nil {
		errs = append(errs, fmt.Errorf("CLOUDMARKET_JWT_PUBLIC_KEY (PEM of the identity provider's RS256 key) is required in production"))
	}
	if fn.Needs.Objects && c.Objects.Bucket == "" {
		errs = append(errs, fmt.Errorf("COS_BUCKET (name-appid) is required in production"))
	}
	if fn.Needs.Queue && len(c.KafkaBrokers) == 0 {
		errs = append(errs, fmt.Errorf("KAFKA_BROKERS (the CKafka instance's address) is required in production"))
	}
	if fn.Needs.Payments {
		if c.WechatAPIv3Key == "" || (c.WechatPublicKeyPEM == "" || c.WechatPublicKeyID == "") && c.WechatPlatformCertsPEM == "" {
			errs = append(errs, fmt.Errorf("WECHATPAY_APIV3_KEY and WECHATPAY_PUBLIC_KEY with WECHATPAY_PUBLIC_KEY_ID (or WECHATPAY_PLATFORM_CERTS, or both during a switch-over) are required in production"))
		} else if c.Refunds.MchID == "" || c.Refunds.AppID == "" {
			errs = append(errs, fmt.Errorf("WECHATPAY_MCHID and WECHATPAY_APPID are required in production: a notification for another merchant or app is refused"))
		} else if _, err := c.wechatKeys(); err != nil {
			errs = append(errs, err)
		}
	}
	if fn.Needs.NativePay {
		r := c.Refunds
		if r.MchID == "" || r.AppID == "" || r.KeyPEM == "" || r.CertSerial == "" || r.PublicURL == "" || c.WechatPublicKeyPEM == "" || c.WechatPublicKeyID == "" {
			errs = append(errs, fmt.Errorf("WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_MERCHANT_PRIVATE_KEY, WECHATPAY_MERCHANT_CERT_SERIAL, CLOUDMARKET_PUBLIC_URL, WECHATPAY_PUBLIC_KEY and WECHATPAY_PUBLIC_KEY_ID are required in production (Native prepay, query and close)"))
		}
	}
	if fn.Needs.Refunds {
		r := c.Refunds
		if r.MchID == "" || r.KeyPEM == "" || r.CertSerial == "" || r.PublicURL == "" || c.WechatAPIv3Key == "" || c.WechatPublicKeyPEM == "" {
			errs = append(errs, fmt.Errorf("WECHATPAY_MCHID, WECHATPAY_MERCHANT_PRIVATE_KEY, WECHATPAY_MERCHANT_CERT_SERIAL, CLOUDMARKET_PUBLIC_URL, WECHATPAY_APIV3_KEY and WECHATPAY_PUBLIC_KEY are required in production (platform refunds, R-RF7)"))
		}
	}
	return errors.Join(errs...)
}

// LocalFile is the embedded database file.
func (c Config) LocalFile() string { return filepath.Join(c.DataDir, "cloudmarket.lungo") }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parsePairs reads "a=1,b=2".
func parsePairs(s string) map[string]string {
	m := map[string]string{}
	for _, p := range splitList(s) {
		if k, v, ok := strings.Cut(p, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}
