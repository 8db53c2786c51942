// Package payments reads WeChat Pay API v3 notifications with wechatpay-go:
// the signature over "timestamp\nnonce\nbody\n" is checked against the
// platform public key (and a timestamp older than 5 minutes is refused), then
// the AEAD_AES_256_GCM resource is decrypted with the APIv3 key. The local
// payment system that builds such notifications is the simulator subpackage.
package payments

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"

	"cloudmarket/shared/operation"
)

// Errors of Parse: the first is the caller's identity (401), the second the
// content (400). Nothing is stored or queued after either.
var (
	ErrSignature = operation.ErrNotificationSignature
	ErrResource  = operation.ErrNotificationResource
)

// Keys are what the merchant has from WeChat Pay.
type Keys struct {
	APIv3Key    string         // 32 bytes, set in the merchant platform
	PublicKey   *rsa.PublicKey // 微信支付公钥
	PublicKeyID string         // its ID: the Wechatpay-Serial of notifications
}

// Reader verifies and decrypts notifications.
type Reader struct {
	validator *validators.WechatPayNotifyValidator
	handler   *notify.Handler
}

// NewReader builds a reader for the merchant's keys.
func NewReader(k Keys) (*Reader, error) {
	if len(k.APIv3Key) != 32 {
		return nil, fmt.Errorf("payments: the APIv3 key must be 32 bytes, got %d", len(k.APIv3Key))
	}
	if k.PublicKey == nil || k.PublicKeyID == "" {
		return nil, errors.New("payments: the WeChat Pay public key and its ID are required")
	}
	verifier := verifiers.NewSHA256WithRSAPubkeyVerifier(k.PublicKeyID, *k.PublicKey)
	h, err := notify.NewRSANotifyHandler(k.APIv3Key, verifier)
	if err != nil {
		return nil, err
	}
	return &Reader{validator: validators.NewWechatPayNotifyValidator(verifier), handler: h}, nil
}

// open verifies a notification's signature (ErrSignature) and decrypts its
// resource into v (ErrResource): the same for payments and refunds.
func (r *Reader) open(ctx context.Context, path string, header http.Header, body []byte, v any) error {
	req := func() *http.Request {
		rq, _ := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
		rq.Header = header
		return rq
	}
	if err := r.validator.Validate(ctx, req()); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if _, err := r.handler.ParseNotifyRequest(ctx, req(), v); err != nil {
		return fmt.Errorf("%w: %v", ErrResource, err)
	}
	return nil
}

// Parse verifies a notification and returns its transaction.
func (r *Reader) Parse(ctx context.Context, header http.Header, body []byte) (operation.PaymentMessage, error) {
	var tx payments.Transaction
	if err := r.open(ctx, "/v1/payments/notify", header, body, &tx); err != nil {
		return operation.PaymentMessage{}, err
	}
	m := operation.PaymentMessage{TradeState: str(tx.TradeState), TransactionID: str(tx.TransactionId), OutTradeNo: str(tx.OutTradeNo), Attach: str(tx.Attach)}
	if tx.Amount != nil && tx.Amount.Total != nil {
		m.AmountFen = *tx.Amount.Total
	}
	if m.TransactionID == "" {
		return operation.PaymentMessage{}, fmt.Errorf("%w: no transaction_id", ErrResource)
	}
	if t := str(tx.SuccessTime); t != "" {
		var err error
		if m.SuccessTime, err = time.Parse(time.RFC3339, t); err != nil {
			return operation.PaymentMessage{}, fmt.Errorf("%w: success_time %q", ErrResource, t)
		}
	}
	// A successful payment says when it succeeded; without it the payment
	// would be dated year 1. Such a notification is garbled: refused, and the
	// payment system sends it again.
	if m.TradeState == "SUCCESS" && m.SuccessTime.IsZero() {
		return operation.PaymentMessage{}, fmt.Errorf("%w: a SUCCESS notification without success_time", ErrResource)
	}
	return m, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
