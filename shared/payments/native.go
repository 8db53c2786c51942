package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"

	"cloudmarket/shared/operation"
)

// NativeClient is the Native payment API (services/payments/native):
// prepay, query and close, with the same client code in production and
// locally.
type NativeClient struct {
	api          native.NativeApiService
	mchID, appID string
	notifyURL    string
	reader       *Reader // checks a queried transaction is ours
}

// NewNativeClient builds the client for the merchant's Native payments.
func NewNativeClient(ctx context.Context, m Merchant, k Keys) (*NativeClient, error) {
	if m.MchID == "" || m.AppID == "" || m.CertSerial == "" || m.PrivateKey == nil || m.PaymentNotifyURL == "" {
		return nil, errors.New("payments: the merchant ID, app ID, certificate serial, private key and notify URL are required for Native payments")
	}
	c, err := newCoreClient(ctx, m, k)
	if err != nil {
		return nil, fmt.Errorf("payments: Native client: %w", err)
	}
	return &NativeClient{api: native.NativeApiService{Client: c}, mchID: m.MchID, appID: m.AppID, notifyURL: m.PaymentNotifyURL,
		reader: &Reader{mchID: m.MchID, appID: m.AppID}}, nil
}

// Prepay implements operation.PaymentAPI. out_trade_no is the order's one
// number: WeChat Pay answers a repeated prepay of it with the same code_url,
// so a retry never opens a second payment.
func (c *NativeClient) Prepay(ctx context.Context, o operation.NativeOrder) (string, error) {
	expire := o.ExpiresAt
	resp, _, err := c.api.Prepay(ctx, native.PrepayRequest{
		Appid: core.String(c.appID), Mchid: core.String(c.mchID), Description: core.String(o.Description),
		OutTradeNo: core.String(o.OutTradeNo), TimeExpire: &expire, Attach: core.String(o.Attach), NotifyUrl: core.String(c.notifyURL),
		Amount: &native.Amount{Total: core.Int64(o.AmountFen), Currency: core.String("CNY")},
	})
	if err != nil {
		return "", apiError("prepay", err)
	}
	if resp == nil || str(resp.CodeUrl) == "" {
		return "", fmt.Errorf("%w: prepay answered no code_url", operation.ErrPaymentAPI)
	}
	return *resp.CodeUrl, nil
}

// QueryPayment implements operation.PaymentAPI (QueryOrderByOutTradeNo):
// the transaction as the payment system holds it; ErrPaymentUnknown when it
// has no such order.
func (c *NativeClient) QueryPayment(ctx context.Context, outTradeNo string) (operation.PaymentMessage, error) {
	tx, _, err := c.api.QueryOrderByOutTradeNo(ctx, native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(outTradeNo), Mchid: core.String(c.mchID)})
	if err != nil {
		return operation.PaymentMessage{}, apiError("query", err)
	}
	if err := c.reader.ours(str(tx.Mchid), str(tx.Appid)); err != nil {
		return operation.PaymentMessage{}, err
	}
	return messageOf(tx)
}

// ClosePayment implements operation.PaymentAPI (CloseOrder): the order can
// no longer be paid.
func (c *NativeClient) ClosePayment(ctx context.Context, outTradeNo string) error {
	if _, err := c.api.CloseOrder(ctx, native.CloseOrderRequest{OutTradeNo: core.String(outTradeNo), Mchid: core.String(c.mchID)}); err != nil {
		return apiError("close", err)
	}
	return nil
}

// apiError tells an order the payment system does not have
// (ErrPaymentUnknown) from any other failure (ErrPaymentAPI), which the
// caller retries later.
func apiError(what string, err error) error {
	var apiErr *core.APIError
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode == http.StatusNotFound || apiErr.Code == "ORDER_NOT_EXIST" {
			return fmt.Errorf("%w: %s: %s", operation.ErrPaymentUnknown, what, apiErr.Message)
		}
		return fmt.Errorf("%w: %s: HTTP %d %s %s", operation.ErrPaymentAPI, what, apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	return fmt.Errorf("%w: %s: %v", operation.ErrPaymentAPI, what, err)
}
