package simulator

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"sync"
	"time"

	"cloudmarket/shared/payments"
)

var (
	merchantOnce sync.Once
	merchantKey  *rsa.PrivateKey
	merchantErr  error
)

// LocalMerchant is the merchant identity the local system signs its refund
// and Native payment requests with (a key made per process: the local
// payment system checks that requests are signed, not by whom).
func (s *Simulator) LocalMerchant(baseURL string) (payments.Merchant, error) {
	merchantOnce.Do(func() { merchantKey, merchantErr = rsa.GenerateKey(rand.Reader, 2048) })
	if merchantErr != nil {
		return payments.Merchant{}, merchantErr
	}
	return payments.Merchant{MchID: MchID, AppID: AppID, CertSerial: "LOCAL_MERCHANT_CERT_SERIAL", PrivateKey: merchantKey,
		RefundNotifyURL: baseURL + "/v1/payments/refund-notify", PaymentNotifyURL: baseURL + "/v1/payments/notify", BaseURL: baseURL}, nil
}

// RefundResult is a refund as the local payment system holds it.
type RefundResult struct {
	RefundID      string
	OutRefundNo   string
	TransactionID string
	OutTradeNo    string
	RefundFen     int64
	TotalFen      int64
	Status        string // SUCCESS, PROCESSING, ABNORMAL, CLOSED
	CreateTime    time.Time
	SuccessTime   time.Time
}

// Resource is the refund as the refund API answers it.
func (r RefundResult) Resource() map[string]any {
	m := map[string]any{
		"refund_id": r.RefundID, "out_refund_no": r.OutRefundNo, "transaction_id": r.TransactionID, "out_trade_no": r.OutTradeNo,
		"channel": "ORIGINAL", "user_received_account": "支付用户零钱", "create_time": r.CreateTime.Format(time.RFC3339), "status": r.Status,
		"funds_account": "AVAILABLE",
		"amount": map[string]any{"total": r.TotalFen, "refund": r.RefundFen, "payer_total": r.TotalFen, "payer_refund": r.RefundFen,
			"settlement_refund": r.RefundFen, "settlement_total": r.TotalFen, "discount_refund": 0, "currency": "CNY"},
	}
	if !r.SuccessTime.IsZero() {
		m["success_time"] = r.SuccessTime.Format(time.RFC3339)
	}
	return m
}

// RefundNotification builds the signed, encrypted notification of a refund
// result (REFUND.SUCCESS, REFUND.ABNORMAL or REFUND.CLOSED), sent at real
// time at.
func (s *Simulator) RefundNotification(r RefundResult, at time.Time) (http.Header, []byte, error) {
	resource := map[string]any{
		"mchid": MchID, "out_trade_no": r.OutTradeNo, "transaction_id": r.TransactionID, "out_refund_no": r.OutRefundNo,
		"refund_id": r.RefundID, "refund_status": r.Status, "success_time": r.SuccessTime.Format(time.RFC3339),
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": r.TotalFen, "refund": r.RefundFen, "payer_total": r.TotalFen, "payer_refund": r.RefundFen},
	}
	summary := map[string]string{"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}[r.Status]
	return s.notify(resource, notification{id: "EV-" + r.RefundID + "-" + r.Status, eventType: "REFUND." + r.Status, summary: summary,
		originalType: "refund", created: at, signed: at})
}
