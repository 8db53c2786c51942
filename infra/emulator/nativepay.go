package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"cloudmarket/shared/ids"
	"cloudmarket/shared/payments/simulator"
)

// nativeSystem is the payment system's Native payment API as the emulator
// serves it (POST /v3/pay/transactions/native, GET
// …/out-trade-no/{out_trade_no}, POST …/out-trade-no/{out_trade_no}/close):
// the production client (wechatpay-go services/payments/native) calls it
// with only the host changed. A buyer pays a prepaid order by scanning its
// code (POST /_local/payments/simulate with "scan": true).
type nativeSystem struct {
	mu     sync.Mutex
	orders map[string]*nativeOrder // by out_trade_no
	// failPrepays is how many of the next prepays answer 500.
	failPrepays int
	// file keeps the orders across restarts of make run ("" in memory).
	file string
}

type nativeOrder struct {
	OutTradeNo    string    `json:"outTradeNo"`
	Description   string    `json:"description"`
	Attach        string    `json:"attach"`
	NotifyURL     string    `json:"notifyUrl"`
	CodeURL       string    `json:"codeUrl"`
	AmountFen     int64     `json:"amountFen"`
	TimeExpire    time.Time `json:"timeExpire"`
	State         string    `json:"state"` // NOTPAY, SUCCESS, CLOSED
	TransactionID string    `json:"transactionId,omitempty"`
	SuccessTime   time.Time `json:"successTime,omitzero"`
}

// save writes the orders to file, under ns.mu; a failure is logged, as the
// local payment system's memory is only a convenience.
func (ns *nativeSystem) save(log *slog.Logger) {
	if ns.file == "" {
		return
	}
	data, err := json.Marshal(ns.orders)
	if err == nil {
		tmp := ns.file + ".tmp"
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, ns.file)
		}
	}
	if err != nil {
		log.Warn("local payment system: orders not saved", "file", ns.file, "err", err)
	}
}

func (o *nativeOrder) transaction() simulator.Transaction {
	return simulator.Transaction{TransactionID: o.TransactionID, OutTradeNo: o.OutTradeNo, AmountFen: o.AmountFen, Attach: o.Attach, SuccessTime: o.SuccessTime}
}

// resource is the order as a query answers it: a paid one as its
// notification describes it, otherwise only its state.
func (o *nativeOrder) resource() map[string]any {
	if o.State == "SUCCESS" {
		return o.transaction().Resource()
	}
	desc := map[string]string{"NOTPAY": "未支付", "CLOSED": "已关闭"}[o.State]
	return map[string]any{"mchid": simulator.MchID, "appid": simulator.AppID, "out_trade_no": o.OutTradeNo, "trade_type": "NATIVE",
		"trade_state": o.State, "trade_state_desc": desc, "attach": o.Attach, "amount": map[string]any{"total": o.AmountFen, "currency": "CNY"}}
}

// nativeAPI is the local Native payment system, its orders loaded from the
// data folder on first use (make run keeps them across restarts).
func (e *Emulator) nativeAPI() *nativeSystem {
	e.nativeOnce.Do(func() {
		ns := &nativeSystem{orders: map[string]*nativeOrder{}}
		if e.dataDir != "" {
			ns.file = filepath.Join(e.dataDir, "wechatpay", "native-orders.json")
			if data, err := os.ReadFile(ns.file); err == nil {
				if err := json.Unmarshal(data, &ns.orders); err != nil {
					e.App.Log.Warn("local payment system: orders not read", "file", ns.file, "err", err)
				}
			} else if err := os.MkdirAll(filepath.Dir(ns.file), 0o700); err != nil {
				e.App.Log.Warn("local payment system: orders will not be kept", "err", err)
			}
		}
		e.native = ns
	})
	return e.native
}

// serveLocalNative answers the Native payment API and its script; false for
// any other path.
func (e *Emulator) serveLocalNative(w http.ResponseWriter, r *http.Request) bool {
	const byOutTradeNo = "/v3/pay/transactions/out-trade-no/"
	switch {
	case r.URL.Path == "/_local/payments/prepay-outcome":
		e.servePrepayOutcome(w, r)
	case r.URL.Path == "/v3/pay/transactions/native" && r.Method == http.MethodPost:
		e.servePrepay(w, r)
	case strings.HasPrefix(r.URL.Path, byOutTradeNo) && strings.HasSuffix(r.URL.Path, "/close") && r.Method == http.MethodPost:
		e.serveClose(w, r, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, byOutTradeNo), "/close"))
	case strings.HasPrefix(r.URL.Path, byOutTradeNo) && r.Method == http.MethodGet:
		e.serveQueryOrder(w, r, strings.TrimPrefix(r.URL.Path, byOutTradeNo))
	default:
		return false
	}
	return true
}

// merchantRequest checks what every merchant API call must carry: local
// keys, a signed request, our mchid.
func (e *Emulator) merchantRequest(w http.ResponseWriter, r *http.Request, mchID string) bool {
	if e.simulator == nil {
		writeError(w, http.StatusConflict, "FailedOperation.RealPaymentKeys", "Real WeChat Pay keys are configured; the local payment API is off.")
		return false
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "WECHATPAY2-SHA256-RSA2048 ") {
		e.answerSigned(w, http.StatusUnauthorized, map[string]string{"code": "SIGN_ERROR", "message": "签名错误"})
		return false
	}
	if mchID != simulator.MchID {
		e.answerSigned(w, http.StatusBadRequest, map[string]string{"code": "MCH_NOT_EXISTS", "message": "商户号不存在"})
		return false
	}
	return true
}

func (e *Emulator) servePrepayOutcome(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Next  string `json:"next"`
		Count *int   `json:"count"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if r.Method != http.MethodPost || dec.Decode(&in) != nil || in.Next != "error" || (in.Count != nil && (*in.Count < 1 || *in.Count > 100)) {
		writeError(w, http.StatusBadRequest, "InvalidParameter", `POST {"next": "error", "count": 1..100}: the next prepay requests answer 500, so the caller must retry.`)
		return
	}
	count := 1
	if in.Count != nil {
		count = *in.Count
	}
	ns := e.nativeAPI()
	ns.mu.Lock()
	ns.failPrepays += count
	queued := ns.failPrepays
	ns.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"queued": queued})
}

func (e *Emulator) servePrepay(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID       string    `json:"appid"`
		MchID       string    `json:"mchid"`
		Description string    `json:"description"`
		OutTradeNo  string    `json:"out_trade_no"`
		TimeExpire  time.Time `json:"time_expire"`
		Attach      string    `json:"attach"`
		NotifyURL   string    `json:"notify_url"`
		Amount      struct {
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 65536)).Decode(&in); err != nil {
		e.answerSigned(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "参数错误"})
		return
	}
	if !e.merchantRequest(w, r, in.MchID) {
		return
	}
	if in.AppID != simulator.AppID || in.OutTradeNo == "" || in.Description == "" || in.NotifyURL == "" || in.Amount.Total <= 0 || len(in.Attach) > 128 {
		e.answerSigned(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "参数错误"})
		return
	}
	ns := e.nativeAPI()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.failPrepays > 0 {
		ns.failPrepays--
		e.answerSigned(w, http.StatusInternalServerError, map[string]string{"code": "SYSTEM_ERROR", "message": "系统错误"})
		return
	}
	if o, ok := ns.orders[in.OutTradeNo]; ok { // a repeat: the same order, its same code
		if o.AmountFen != in.Amount.Total || o.Attach != in.Attach {
			e.answerSigned(w, http.StatusBadRequest, map[string]string{"code": "OUT_TRADE_NO_USED", "message": "商户订单号重复"})
			return
		}
		e.answerSigned(w, http.StatusOK, map[string]string{"code_url": o.CodeURL})
		return
	}
	o := &nativeOrder{OutTradeNo: in.OutTradeNo, Description: in.Description, Attach: in.Attach, NotifyURL: in.NotifyURL,
		CodeURL: "weixin://wxpay/bizpayurl?pr=" + ids.Code(7), AmountFen: in.Amount.Total, TimeExpire: in.TimeExpire, State: "NOTPAY"}
	ns.orders[in.OutTradeNo] = o
	ns.save(e.App.Log)
	e.answerSigned(w, http.StatusOK, map[string]string{"code_url": o.CodeURL})
}

func (e *Emulator) serveQueryOrder(w http.ResponseWriter, r *http.Request, outTradeNo string) {
	if !e.merchantRequest(w, r, r.URL.Query().Get("mchid")) {
		return
	}
	ns := e.nativeAPI()
	ns.mu.Lock()
	o, ok := ns.orders[outTradeNo]
	var res map[string]any
	if ok {
		res = o.resource()
	}
	ns.mu.Unlock()
	if !ok {
		e.answerSigned(w, http.StatusNotFound, map[string]string{"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
		return
	}
	e.answerSigned(w, http.StatusOK, res)
}

func (e *Emulator) serveClose(w http.ResponseWriter, r *http.Request, outTradeNo string) {
	var in struct {
		MchID string `json:"mchid"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in)
	if !e.merchantRequest(w, r, in.MchID) {
		return
	}
	ns := e.nativeAPI()
	ns.mu.Lock()
	o, ok := ns.orders[outTradeNo]
	paid := ok && o.State == "SUCCESS"
	if ok && !paid {
		o.State = "CLOSED"
		ns.save(e.App.Log)
	}
	ns.mu.Unlock()
	switch {
	case !ok:
		e.answerSigned(w, http.StatusNotFound, map[string]string{"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
	case paid:
		e.answerSigned(w, http.StatusBadRequest, map[string]string{"code": "ORDERPAID", "message": "订单已支付"})
	default:
		e.answerSigned(w, http.StatusNoContent, nil)
	}
}

// scanErr is why a buyer's scan could not pay.
type scanErr struct {
	status int
	code   string
	msg    string
}

// scan pays a prepaid order the way a buyer scanning its code does: only an
// open order within its time_expire (on the emulator's clock), for its own
// amount. The caller sends the notification, or withholds it.
func (e *Emulator) scan(outTradeNo, transactionID string) (simulator.Transaction, string, *scanErr) {
	ns := e.nativeAPI()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	o, ok := ns.orders[outTradeNo]
	now := e.Clock.Now()
	switch {
	case !ok:
		return simulator.Transaction{}, "", &scanErr{http.StatusNotFound, "ResourceNotFound.Prepay", fmt.Sprintf("No prepaid order %q at the local payment system: place the order first (its payment.codeUrl).", outTradeNo)}
	case o.State == "CLOSED":
		return simulator.Transaction{}, "", &scanErr{http.StatusConflict, "FailedOperation.OrderClosed", "The order was closed at the payment system; the buyer's scan is refused."}
	case o.State == "SUCCESS":
		return simulator.Transaction{}, "", &scanErr{http.StatusConflict, "FailedOperation.OrderPaid", "The order was paid already (transaction " + o.TransactionID + ")."}
	case !o.TimeExpire.IsZero() && now.After(o.TimeExpire):
		return simulator.Transaction{}, "", &scanErr{http.StatusConflict, "FailedOperation.OrderExpired", "The order's time_expire passed; the buyer's scan is refused."}
	}
	o.State, o.TransactionID, o.SuccessTime = "SUCCESS", transactionID, now
	ns.save(e.App.Log)
	return o.transaction(), o.NotifyURL, nil
}

// postNotification sends a payment notification to url as the payment
// system does, and returns the merchant's answer.
func (e *Emulator) postNotification(url string, header http.Header, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = header
	return http.DefaultClient.Do(req)
}

// notedPayment keeps the local payment system consistent with a notification
// simulated without a scan: a prepaid, open order of that out_trade_no and
// amount is paid by it, so a query finds what the notification says, and the
// notification carries the prepay's attach, as WeChat Pay echoes it.
func (e *Emulator) notedPayment(tx *simulator.Transaction) {
	ns := e.nativeAPI()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if o, ok := ns.orders[tx.OutTradeNo]; ok && o.State == "NOTPAY" && o.AmountFen == tx.AmountFen && tx.Attach == "" {
		tx.Attach = o.Attach
		o.State, o.TransactionID, o.SuccessTime = "SUCCESS", tx.TransactionID, tx.SuccessTime
		ns.save(e.App.Log)
	}
}
