package payments

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"cloudmarket/shared/operation"
)

// Merchant is the merchant's own identity at WeChat Pay: what signs its API
// requests, and where results are sent.
type Merchant struct {
	MchID      string
	CertSerial string // serial of the merchant API certificate
	PrivateKey *rsa.PrivateKey
	// RefundNotifyURL is our POST /v1/payments/refund-notify, as the payment
	// system reaches it.
	RefundNotifyURL string
	// AppID is the app a Native order is paid in; PaymentNotifyURL our POST
	// /v1/payments/notify as the payment system reaches it.
	AppID, PaymentNotifyURL string
	// BaseURL replaces the payment system's API host (the local emulator);
	// empty for the real one.
	BaseURL string
}

// RefundClient calls the refund API (services/refunddomestic) with the same
// client code in production and locally.
type RefundClient struct {
	api       refunddomestic.RefundsApiService
	notifyURL string
}

// NewRefundClient builds the client: requests signed with the merchant key,
// answers verified with the payment system's public key.
func NewRefundClient(ctx context.Context, m Merchant, k Keys) (*RefundClient, error) {
	if m.MchID == "" || m.CertSerial == "" || m.PrivateKey == nil {
		return nil, errors.New("payments: the merchant ID, certificate serial and private key are required for refunds")
	}
	c, err := newCoreClient(ctx, m, k)
	if err != nil {
		return nil, fmt.Errorf("payments: refund client: %w", err)
	}
	return &RefundClient{api: refunddomestic.RefundsApiService{Client: c}, notifyURL: m.RefundNotifyURL}, nil
}

// newCoreClient is the merchant API client every service shares: requests
// signed with the merchant key, answers verified with the payment system's
// public key (and its platform certificates during a switch-over), sent to
// BaseURL when set (the local payment system).
func newCoreClient(ctx context.Context, m Merchant, k Keys) (*core.Client, error) {
	if k.PublicKey == nil || k.PublicKeyID == "" {
		return nil, errors.New("the WeChat Pay public key and its ID are required to verify the API's answers")
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if m.BaseURL != "" {
		base, err := url.Parse(m.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("payments: base URL: %w", err)
		}
		hc.Transport = rebase{base: base, next: http.DefaultTransport}
	}
	opts := []core.ClientOption{option.WithWechatPayPublicKeyAuthCipher(m.MchID, m.CertSerial, m.PrivateKey, k.PublicKeyID, k.PublicKey),
		option.WithHTTPClient(hc)}
	if len(k.PlatformCerts) > 0 { // a switch-over: answers may come signed either way
		v, err := k.verifier()
		if err != nil {
			return nil, err
		}
		opts = append(opts, option.WithVerifier(v))
	}
	return core.NewClient(ctx, opts...)
}

// rebase sends the client's requests to another host (the local payment
// system), keeping path and query: the wechatpay-go services build absolute
// URLs on the production host, and core.Client takes any http.Client.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = r.base.Scheme, r.base.Host
	out.Host = r.base.Host
	if req.Body != nil && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = body
	}
	return r.next.RoundTrip(out)
}

// CreateRefund implements operation.RefundAPI: out_refund_no is the
// idempotency key, so a retry never refunds twice.
func (c *RefundClient) CreateRefund(ctx context.Context, r operation.RefundOrder) (operation.RefundState, error) {
	req := refunddomestic.CreateRequest{
		OutRefundNo: core.String(r.OutRefundNo), Reason: core.String(r.Reason),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(r.RefundFen), Total: core.Int64(r.TotalFen), Currency: core.String("CNY")},
	}
	if r.TransactionID != "" {
		req.TransactionId = core.String(r.TransactionID)
	} else {
		req.OutTradeNo = core.String(r.OutTradeNo)
	}
	if c.notifyURL != "" {
		req.NotifyUrl = core.String(c.notifyURL)
	}
	resp, _, err := c.api.Create(ctx, req)
	if err != nil {
		return operation.RefundState{}, classify(err)
	}
	return stateOf(resp), nil
}

// QueryRefund implements operation.RefundAPI (reconciliation of a result that
// never arrived).
func (c *RefundClient) QueryRefund(ctx context.Context, outRefundNo string) (operation.RefundState, error) {
	resp, _, err := c.api.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(outRefundNo)})
	if err != nil {
		var apiErr *core.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
			return operation.RefundState{}, fmt.Errorf("%w: %s", operation.ErrRefundUnknown, apiErr.Message)
		}
		return operation.RefundState{}, classify(err)
	}
	return stateOf(resp), nil
}

// classify tells a temporary failure (5xx, 429, timeout, no or unverifiable
// answer: retry with the same out_refund_no) from a refusal.
func classify(err error) error {
	var apiErr *core.APIError
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusTooManyRequests {
			return fmt.Errorf("%w: HTTP %d %s %s", operation.ErrRefundAPITemporary, apiErr.StatusCode, apiErr.Code, apiErr.Message)
		}
		return fmt.Errorf("refund refused: HTTP %d %s %s", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	return fmt.Errorf("%w: %v", operation.ErrRefundAPITemporary, err)
}

func stateOf(r *refunddomestic.Refund) operation.RefundState {
	if r == nil {
		return operation.RefundState{}
	}
	st := operation.RefundState{RefundID: str(r.RefundId)}
	if r.Status != nil {
		st.Status = string(*r.Status)
	}
	if r.SuccessTime != nil {
		st.SuccessTime = *r.SuccessTime
	}
	return st
}

// refundResource is the decrypted resource of a refund notification.
type refundResource struct {
	MchID         string `json:"mchid"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	OutRefundNo   string `json:"out_refund_no"`
	RefundID      string `json:"refund_id"`
	RefundStatus  string `json:"refund_status"`
	SuccessTime   string `json:"success_time"`
	Amount        struct {
		Total  int64 `json:"total"`
		Refund int64 `json:"refund"`
	} `json:"amount"`
}

// ParseRefund verifies a refund notification exactly like a payment one and
// returns its result.
func (r *Reader) ParseRefund(ctx context.Context, header http.Header, body []byte) (operation.RefundMessage, error) {
	var res refundResource
	if err := r.open(ctx, "/v1/payments/refund-notify", header, body, refundKind, &res); err != nil {
		return operation.RefundMessage{}, err
	}
	if err := r.ours(res.MchID, r.appID); err != nil { // a refund result names no appid
		return operation.RefundMessage{}, err
	}
	if res.RefundID == "" || res.OutRefundNo == "" {
		return operation.RefundMessage{}, fmt.Errorf("%w: no refund_id or out_refund_no", ErrResource)
	}
	m := operation.RefundMessage{Kind: operation.KindRefund, RefundID: res.RefundID, OutRefundNo: res.OutRefundNo, RefundStatus: res.RefundStatus, AmountFen: res.Amount.Refund}
	if res.SuccessTime != "" {
		t, err := time.Parse(time.RFC3339, res.SuccessTime)
		if err != nil {
			return operation.RefundMessage{}, fmt.Errorf("%w: success_time %q", ErrResource, res.SuccessTime)
		}
		m.SuccessTime = t
	}
	return m, nil
}
