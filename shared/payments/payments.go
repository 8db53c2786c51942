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
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
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
	ErrMerchant  = operation.ErrNotificationMerchant
)

// Keys are what the merchant has from WeChat Pay. WeChat Pay signs with its
// public key (public-key mode) or a platform certificate (the older mode);
// during a switch-over from one to the other both are given and a
// notification is checked by its Wechatpay-Serial against either.
type Keys struct {
	APIv3Key    string         // 32 bytes, set in the merchant platform
	PublicKey   *rsa.PublicKey // 微信支付公钥
	PublicKeyID string         // its ID: the Wechatpay-Serial of notifications
	// PlatformCerts are the platform certificates (平台证书), found by their
	// serial number.
	PlatformCerts []*x509.Certificate
	// MchID and AppID are ours: a transaction for another merchant or app is
	// refused even when WeChat Pay signed it. Empty: not checked.
	MchID, AppID string
}

// verifier builds the verifier of WeChat Pay's documented modes: public key,
// platform certificates, or both (NewSHA256WithRSACombinedVerifier).
func (k Keys) verifier() (auth.Verifier, error) {
	hasKey, hasCerts := k.PublicKey != nil && k.PublicKeyID != "", len(k.PlatformCerts) > 0
	if k.PublicKey != nil && k.PublicKeyID == "" {
		return nil, errors.New("payments: the WeChat Pay public key needs its ID (PUB_KEY_ID_…)")
	}
	switch {
	case hasKey && hasCerts:
		return verifiers.NewSHA256WithRSACombinedVerifier(core.NewCertificateMapWithList(k.PlatformCerts), k.PublicKeyID, *k.PublicKey), nil
	case hasKey:
		return verifiers.NewSHA256WithRSAPubkeyVerifier(k.PublicKeyID, *k.PublicKey), nil
	case hasCerts:
		return verifiers.NewSHA256WithRSAVerifier(core.NewCertificateMapWithList(k.PlatformCerts)), nil
	}
	return nil, errors.New("payments: the WeChat Pay public key and its ID, or the platform certificates, are required")
}

// Reader verifies and decrypts notifications.
type Reader struct {
	validator    *validators.WechatPayNotifyValidator
	handler      *notify.Handler
	mchID, appID string
}

// NewReader builds a reader for the merchant's keys.
func NewReader(k Keys) (*Reader, error) {
	if len(k.APIv3Key) != 32 {
		return nil, fmt.Errorf("payments: the APIv3 key must be 32 bytes, got %d", len(k.APIv3Key))
	}
	verifier, err := k.verifier()
	if err != nil {
		return nil, err
	}
	h, err := notify.NewRSANotifyHandler(k.APIv3Key, verifier)
	if err != nil {
		return nil, err
	}
	return &Reader{validator: validators.NewWechatPayNotifyValidator(verifier), handler: h, mchID: k.MchID, appID: k.AppID}, nil
}

// open verifies a notification's signature (ErrSignature), checks that it is
// the kind this route takes (its event_type and the resource's
// original_type), and decrypts its resource into v (ErrResource): the same
// for payments and refunds.
func (r *Reader) open(ctx context.Context, path string, header http.Header, body []byte, kind notificationKind, v any) error {
	req := func() *http.Request {
		rq, _ := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
		rq.Header = header
		return rq
	}
	if err := r.validator.Validate(ctx, req()); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	// wechatpay-go dereferences the resource unchecked: a signed body without
	// one would panic there.
	var envelope notify.Request
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("%w: the body is not a notification: %v", ErrResource, err)
	}
	if envelope.Resource == nil {
		return fmt.Errorf("%w: no resource", ErrResource)
	}
	if !kind.eventTypes[envelope.EventType] {
		return fmt.Errorf("%w: event_type %q is not a %s notification", ErrResource, envelope.EventType, kind.originalType)
	}
	if envelope.Resource.OriginalType != kind.originalType {
		return fmt.Errorf("%w: resource original_type %q, expected %q", ErrResource, envelope.Resource.OriginalType, kind.originalType)
	}
	if _, err := r.handler.ParseNotifyRequest(ctx, req(), v); err != nil {
		return fmt.Errorf("%w: %v", ErrResource, err)
	}
	return nil
}

// notificationKind is what one notify route accepts.
type notificationKind struct {
	originalType string
	eventTypes   map[string]bool
}

var (
	transactionKind = notificationKind{"transaction", map[string]bool{"TRANSACTION.SUCCESS": true}}
	refundKind      = notificationKind{"refund", map[string]bool{"REFUND.SUCCESS": true, "REFUND.ABNORMAL": true, "REFUND.CLOSED": true}}
)

// ours refuses a transaction for another merchant or app (ErrMerchant).
func (r *Reader) ours(mchID, appID string) error {
	if r.mchID != "" && mchID != r.mchID {
		return fmt.Errorf("%w: mchid %q is not ours (%s)", ErrMerchant, mchID, r.mchID)
	}
	if r.appID != "" && appID != r.appID {
		return fmt.Errorf("%w: appid %q is not ours (%s)", ErrMerchant, appID, r.appID)
	}
	return nil
}

// Parse verifies a notification and returns its transaction.
func (r *Reader) Parse(ctx context.Context, header http.Header, body []byte) (operation.PaymentMessage, error) {
	var tx payments.Transaction
	if err := r.open(ctx, "/v1/payments/notify", header, body, transactionKind, &tx); err != nil {
		return operation.PaymentMessage{}, err
	}
	if err := r.ours(str(tx.Mchid), str(tx.Appid)); err != nil {
		return operation.PaymentMessage{}, err
	}
	if str(tx.TransactionId) == "" {
		return operation.PaymentMessage{}, fmt.Errorf("%w: no transaction_id", ErrResource)
	}
	return messageOf(&tx)
}

// messageOf reads a transaction, notified or queried, into the queue's message.
func messageOf(tx *payments.Transaction) (operation.PaymentMessage, error) {
	m := operation.PaymentMessage{TradeState: str(tx.TradeState), TransactionID: str(tx.TransactionId), OutTradeNo: str(tx.OutTradeNo), Attach: str(tx.Attach)}
	if tx.Amount != nil && tx.Amount.Total != nil {
		m.AmountFen = *tx.Amount.Total
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
	if m.TradeState == "SUCCESS" && (m.SuccessTime.IsZero() || m.TransactionID == "") {
		return operation.PaymentMessage{}, fmt.Errorf("%w: a SUCCESS transaction without success_time or transaction_id", ErrResource)
	}
	return m, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
