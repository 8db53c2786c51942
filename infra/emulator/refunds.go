package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"cloudmarket/shared/ids"
	"cloudmarket/shared/payments/simulator"
)

// refundSystem is the payment system's refund API as the emulator serves it
// (POST /v3/refund/domestic/refunds, GET …/{out_refund_no}): the production
// client (wechatpay-go refunddomestic) calls it with only the host changed. A
// refund is accepted as PROCESSING and, a moment later, its result is
// notified to the notify_url, signed and encrypted like a real one.
// POST /_local/payments/refund-outcome scripts the next outcomes.
type refundSystem struct {
	mu       sync.Mutex
	refunds  map[string]*simulator.RefundResult // by out_refund_no
	script   []refundOutcome
	delivery sync.WaitGroup
}

type refundOutcome struct {
	next          string // success, abnormal, closed, error, silent
	notifications int
}

func (e *Emulator) refundAPI() *refundSystem {
	e.refundsOnce.Do(func() { e.refunds = &refundSystem{refunds: map[string]*simulator.RefundResult{}} })
	return e.refunds
}

// serveLocalRefunds answers the refund API and the outcome script; false for
// any other path.
func (e *Emulator) serveLocalRefunds(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.URL.Path == "/_local/payments/refund-outcome":
		e.serveRefundOutcome(w, r)
	case r.URL.Path == "/v3/refund/domestic/refunds" && r.Method == http.MethodPost:
		e.serveCreateRefund(w, r)
	case strings.HasPrefix(r.URL.Path, "/v3/refund/domestic/refunds/") && r.Method == http.MethodGet:
		e.serveQueryRefund(w, r, strings.TrimPrefix(r.URL.Path, "/v3/refund/domestic/refunds/"))
	default:
		return false
	}
	return true
}

func (e *Emulator) serveRefundOutcome(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Next          string `json:"next"`
		Count         *int   `json:"count"`
		Notifications *int   `json:"notifications"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	valid := map[string]bool{"success": true, "abnormal": true, "closed": true, "error": true, "silent": true}
	if r.Method != http.MethodPost || dec.Decode(&in) != nil || !valid[in.Next] || (in.Count != nil && (*in.Count < 1 || *in.Count > 100)) ||
		(in.Notifications != nil && (*in.Notifications < 1 || *in.Notifications > 5)) {
		writeError(w, http.StatusBadRequest, "InvalidParameter", `POST {"next": "success"|"abnormal"|"closed"|"error"|"silent", "count": 1..100, "notifications": 1..5}: the outcome of the next refund requests ("error": the refund API answers 500; "silent": accepted, but no notification is sent; "notifications": how often the result is notified).`)
		return
	}
	count, times := 1, 1
	if in.Count != nil {
		count = *in.Count
	}
	if in.Notifications != nil {
		times = *in.Notifications
	}
	rs := e.refundAPI()
	rs.mu.Lock()
	for range count {
		rs.script = append(rs.script, refundOutcome{next: in.Next, notifications: times})
	}
	queued := len(rs.script)
	rs.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"queued": queued})
}

// answer writes a signed answer, as the payment system signs its answers.
func (e *Emulator) answerSigned(w http.ResponseWriter, status int, v any) {
	var body []byte
	if v != nil { // a 204 is signed over its empty body
		body, _ = json.Marshal(v)
	}
	sim, err := e.Simulator()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	h, err := sim.Sign(body, time.Now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		return
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (e *Emulator) serveCreateRefund(w http.ResponseWriter, r *http.Request) {
	if e.simulator == nil {
		writeError(w, http.StatusConflict, "FailedOperation.RealPaymentKeys", "Real WeChat Pay keys are configured; the local refund API is off.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "WECHATPAY2-SHA256-RSA2048 ") {
		e.answerSigned(w, http.StatusUnauthorized, map[string]string{"code": "SIGN_ERROR", "message": "签名错误"})
		return
	}
	var in struct {
		TransactionID string `json:"transaction_id"`
		OutTradeNo    string `json:"out_trade_no"`
		OutRefundNo   string `json:"out_refund_no"`
		NotifyURL     string `json:"notify_url"`
		Amount        struct {
			Refund int64 `json:"refund"`
			Total  int64 `json:"total"`
		} `json:"amount"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 65536)).Decode(&in); err != nil || in.OutRefundNo == "" || in.Amount.Refund <= 0 ||
		in.Amount.Refund > in.Amount.Total || (in.TransactionID == "" && in.OutTradeNo == "") {
		e.answerSigned(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "参数错误"})
		return
	}
	rs := e.refundAPI()
	rs.mu.Lock()
	outcome := refundOutcome{next: "success", notifications: 1}
	if len(rs.script) > 0 {
		outcome, rs.script = rs.script[0], rs.script[1:]
	}
	if outcome.next == "error" {
		rs.mu.Unlock()
		e.answerSigned(w, http.StatusInternalServerError, map[string]string{"code": "SYSTEM_ERROR", "message": "系统错误"})
		return
	}
	if prior, ok := rs.refunds[in.OutRefundNo]; ok { // the idempotency key: the same refund, once
		res := *prior
		rs.mu.Unlock()
		e.answerSigned(w, http.StatusOK, res.Resource())
		return
	}
	res := &simulator.RefundResult{RefundID: "50000" + strings.ToUpper(ids.New("", time.Now())[1:]), OutRefundNo: in.OutRefundNo,
		TransactionID: in.TransactionID, OutTradeNo: in.OutTradeNo, RefundFen: in.Amount.Refund, TotalFen: in.Amount.Total,
		Status: "PROCESSING", CreateTime: e.Clock.Now()}
	rs.refunds[in.OutRefundNo] = res
	answer := *res
	rs.delivery.Add(1)
	rs.mu.Unlock()
	e.answerSigned(w, http.StatusOK, answer.Resource())

	notifyURL := in.NotifyURL
	if notifyURL == "" {
		notifyURL = e.URL + "/v1/payments/refund-notify"
	}
	go func() {
		defer rs.delivery.Done()
		time.Sleep(30 * time.Millisecond) // "a moment later"
		rs.mu.Lock()
		res.Status = map[string]string{"success": "SUCCESS", "silent": "SUCCESS", "abnormal": "ABNORMAL", "closed": "CLOSED"}[outcome.next]
		if res.Status == "SUCCESS" {
			res.SuccessTime = e.Clock.Now()
		}
		final := *res
		rs.mu.Unlock()
		if outcome.next == "silent" {
			return
		}
		for range outcome.notifications {
			if err := e.postRefundNotification(notifyURL, final); err != nil {
				e.App.Log.Warn("local payment system: refund notification not delivered", "outRefundNo", final.OutRefundNo, "err", err)
			}
		}
	}()
}

func (e *Emulator) postRefundNotification(url string, res simulator.RefundResult) error {
	sim, err := e.Simulator()
	if err != nil {
		return err
	}
	h, body, err := sim.RefundNotification(res, time.Now())
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("refund-notify answered %d: %s", resp.StatusCode, b)
	}
	return nil
}

func (e *Emulator) serveQueryRefund(w http.ResponseWriter, r *http.Request, outRefundNo string) {
	if e.simulator == nil {
		writeError(w, http.StatusConflict, "FailedOperation.RealPaymentKeys", "Real WeChat Pay keys are configured; the local refund API is off.")
		return
	}
	rs := e.refundAPI()
	rs.mu.Lock()
	res, ok := rs.refunds[outRefundNo]
	var out simulator.RefundResult
	if ok {
		out = *res
	}
	rs.mu.Unlock()
	if !ok {
		e.answerSigned(w, http.StatusNotFound, map[string]string{"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
		return
	}
	e.answerSigned(w, http.StatusOK, out.Resource())
}
