package httpapi

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
)

type storeView struct {
	Status string  `json:"status"`
	Reason *string `json:"reason"`
	Until  *string `json:"until"`
}

type depositSummaryView struct {
	RequiredFen       int64       `json:"requiredFen"`
	BalanceFen        int64       `json:"balanceFen"`
	ShortfallFen      int64       `json:"shortfallFen"`
	OwedFen           int64       `json:"owedFen"`
	Status            string      `json:"status"`
	TopUpDueAt        *string     `json:"topUpDueAt"`
	ReceiptReturnedAt *string     `json:"receiptReturnedAt"`
	ReturnDueAt       *string     `json:"returnDueAt"`
	ReturnedAt        *string     `json:"returnedAt"`
	Receipt           receiptView `json:"receipt"`
}

type mailingView struct {
	Address   string `json:"address"`
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
}

func viewMailing(m market.ReceiptMailing) *mailingView {
	if m.IsZero() {
		return nil
	}
	v := mailingView(m)
	return &v
}

type dispatchView struct {
	ReceiptNos []string    `json:"receiptNos"`
	Courier    string      `json:"courier"`
	TrackingNo string      `json:"trackingNo"`
	MailTo     mailingView `json:"mailTo"`
	At         string      `json:"at"`
}

// receiptView is the paper receipt's journey (R-DP2, R-DP6): issued with each
// payment, posted to the payment notice's address, returned at exit.
type receiptView struct {
	Status     string         `json:"status"` // none, issued, dispatched, returned
	ReceiptNos []string       `json:"receiptNos"`
	MailTo     *mailingView   `json:"mailTo"`
	Dispatches []dispatchView `json:"dispatches"`
	ReturnedAt *string        `json:"returnedAt"`
}

func viewReceipt(d market.Deposit) receiptView {
	v := receiptView{Status: string(d.ReceiptStatus()), ReceiptNos: append([]string{}, d.ReceiptNos...), MailTo: viewMailing(d.ReceiptMailTo),
		Dispatches: []dispatchView{}, ReturnedAt: optTimestamp(d.ReceiptReturnedAt)}
	for _, x := range d.Dispatches {
		v.Dispatches = append(v.Dispatches, dispatchView{ReceiptNos: x.ReceiptNos, Courier: x.Courier, TrackingNo: x.TrackingNo, MailTo: mailingView(x.MailTo), At: Timestamp(x.At)})
	}
	return v
}

type contractView struct {
	SentAt        *string `json:"sentAt"`
	SignedAt      *string `json:"signedAt"`
	SignatoryName *string `json:"signatoryName"`
}

type providerView struct {
	ID              string      `json:"id"`
	AccountID       string      `json:"accountId"`
	ApplicationID   string      `json:"applicationId"`
	CompanyName     string      `json:"companyName"`
	OrgCode         string      `json:"orgCode"`
	LicenseNo       string      `json:"licenseNo"`
	MainBusiness    string      `json:"mainBusiness"`
	Categories      []string    `json:"categories"`
	CooperationMode string      `json:"cooperationMode"`
	Contact         contactView `json:"contact"`
	documentsView
	Status                 string             `json:"status"`
	Store                  storeView          `json:"store"`
	CanPublish             bool               `json:"canPublish"`
	PublishRestrictedUntil *string            `json:"publishRestrictedUntil"`
	Deposit                depositSummaryView `json:"deposit"`
	Contract               contractView       `json:"contract"`
	ExitReason             *string            `json:"exitReason"`
	ExitRequestedAt        *string            `json:"exitRequestedAt"`
	CreatedAt              string             `json:"createdAt"`
	// Present on exit and receipt answers: what blocks the deposit return.
	ReturnBlockers *[]market.ReturnBlocker `json:"returnBlockers,omitempty"`
	// The contract's consignment share (R-FE1); null: the platform default.
	ConsignmentRateBps *int64 `json:"consignmentRateBps"`
}

func viewDepositSummary(d market.Deposit) depositSummaryView {
	return depositSummaryView{
		RequiredFen: int64(d.RequiredFen), BalanceFen: int64(d.BalanceFen), ShortfallFen: int64(d.ShortfallFen()),
		OwedFen: int64(d.OwedFen), Status: string(d.Status()), TopUpDueAt: optTimestamp(d.TopUpDueAt),
		ReceiptReturnedAt: optTimestamp(d.ReceiptReturnedAt), ReturnDueAt: optTimestamp(d.ReturnDueAt), ReturnedAt: optTimestamp(d.ReturnedAt),
		Receipt: viewReceipt(d),
	}
}

// viewProvider renders a provider as of now (store closures and publishing
// restrictions expire with time).
func viewProvider(now time.Time) func(*market.Provider) any {
	return func(p *market.Provider) any { return providerViewOf(p, now) }
}

func providerViewOf(p *market.Provider, now time.Time) providerView {
	cats := make([]string, len(p.Categories))
	for i, c := range p.Categories {
		cats[i] = string(c)
	}
	st := p.Store.View(now)
	var restricted *string
	if !p.CanPublish(now) {
		restricted = optTimestamp(p.PublishRestrictedUntil)
	}
	return providerView{
		ID: p.ID, AccountID: p.AccountID, ApplicationID: p.ApplicationID, CompanyName: p.CompanyName, OrgCode: p.OrgCode,
		LicenseNo: p.LicenseNo, MainBusiness: p.MainBusiness, Categories: cats, CooperationMode: p.CooperationMode, ConsignmentRateBps: optRate(p.ConsignmentRate),
		Contact: contactView{p.Contact.Name, p.Contact.Phone, p.Contact.QQ, p.Contact.Email}, documentsView: viewDocuments(p.Documents),
		Status:     string(p.Status),
		Store:      storeView{Status: st.Status, Reason: optString(st.Reason), Until: optTimestamp(st.Until)},
		CanPublish: p.CanPublish(now), PublishRestrictedUntil: restricted, Deposit: viewDepositSummary(p.Deposit),
		Contract:   contractView{SentAt: optTimestamp(p.Contract.SentAt), SignedAt: optTimestamp(p.Contract.SignedAt), SignatoryName: optString(p.Contract.SignatoryName)},
		ExitReason: optString(p.ExitReason), ExitRequestedAt: optTimestamp(p.ExitRequestedAt), CreatedAt: Timestamp(p.CreatedAt),
	}
}

type entryView struct {
	ID               string  `json:"id"`
	ProviderID       string  `json:"providerId"`
	Kind             string  `json:"kind"`
	AmountFen        int64   `json:"amountFen"`
	OwedFen          int64   `json:"owedFen"`
	BalanceAfterFen  int64   `json:"balanceAfterFen"`
	Channel          *string `json:"channel,omitempty"`
	Reference        *string `json:"reference,omitempty"`
	PayerAccountName *string `json:"payerAccountName,omitempty"`
	// Payments: whether it came from the provider's corporate account, and
	// what the platform could tell of the payer (R-DP2).
	FromCorporateAccount *bool   `json:"fromCorporateAccount,omitempty"`
	PayerCheck           *string `json:"payerCheck,omitempty"`
	NoticeID             *string `json:"noticeId,omitempty"`
	PaidAt               *string `json:"paidAt,omitempty"`
	ReceiptNo            *string `json:"receiptNo,omitempty"`
	Reason               *string `json:"reason,omitempty"`
	RefundID             *string `json:"refundId,omitempty"`
	ViolationID          *string `json:"violationId,omitempty"`
	Actor                string  `json:"actor"`
	At                   string  `json:"at"`
	// The deposit after this entry, on POST answers.
	Deposit *depositSummaryView `json:"deposit,omitempty"`
}

func viewEntry(e market.DepositEntry) entryView {
	var corporate *bool
	if e.Kind == market.EntryPayment {
		c := e.FromCorporateAccount()
		corporate = &c
	}
	return entryView{
		FromCorporateAccount: corporate, PayerCheck: optString(string(e.PayerCheck)), NoticeID: optString(e.NoticeID),
		ID: e.ID, ProviderID: e.ProviderID, Kind: string(e.Kind), AmountFen: int64(e.AmountFen), OwedFen: int64(e.OwedFen),
		BalanceAfterFen: int64(e.BalanceAfterFen), Channel: optString(e.Channel), Reference: optString(e.Reference),
		PayerAccountName: optString(e.PayerAccountName), PaidAt: optTimestamp(e.PaidAt), ReceiptNo: optString(e.ReceiptNo),
		Reason: optString(e.Reason), RefundID: optString(e.RefundID), ViolationID: optString(e.ViolationID), Actor: e.Actor, At: Timestamp(e.At),
	}
}

type depositView struct {
	ProviderID string `json:"providerId"`
	depositSummaryView
	Entries        []entryView             `json:"entries"`
	ReturnBlockers *[]market.ReturnBlocker `json:"returnBlockers,omitempty"`
}

func (a *API) provider(r *Request) string { return r.Params["id"] }

// GetProvider serves GET /v1/providers/{id}.
func (a *API) GetProvider(ctx context.Context, r *Request) (Reply, error) {
	p, err := a.Operations.GetProvider(ctx, r.Caller, a.provider(r))
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: providerViewOf(p, a.Operations.Now())}, nil
}

// GetDeposit serves GET /v1/providers/{id}/deposit: the summary and the ledger.
func (a *API) GetDeposit(ctx context.Context, r *Request) (Reply, error) {
	l, err := a.Operations.DepositLedger(ctx, r.Caller, a.provider(r))
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewLedger(l)}, nil
}

type signRequest struct {
	SignatoryName string `json:"signatoryName"`
}

// SignContract serves POST /v1/providers/{id}/contract/sign.
func (a *API) SignContract(ctx context.Context, r *Request) (Reply, error) {
	var in signRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewProvider(a.Operations.Now()), func(ctx context.Context) (*market.Provider, error) {
		return a.Operations.SignContract(ctx, r.Caller, a.provider(r), in.SignatoryName)
	})
}

type changeRequest struct {
	Field     string `json:"field"`
	NewValue  string `json:"newValue"`
	ChangedOn string `json:"changedOn"`
	// A bankAccount change carries the new account here, not in newValue.
	SettlementAccount *bankAccountRequest `json:"settlementAccount"`
}

type changeView struct {
	ID            string `json:"id"`
	ProviderID    string `json:"providerId"`
	Field         string `json:"field"`
	PreviousValue string `json:"previousValue"`
	NewValue      string `json:"newValue"`
	Applied       bool   `json:"applied"` // the provider record took the new value
	ChangedOn     string `json:"changedOn"`
	ReportedAt    string `json:"reportedAt"`
	DueBy         string `json:"dueBy"`
	OnTime        bool   `json:"onTime"`
}

// ReportChange serves POST /v1/providers/{id}/changes.
func (a *API) ReportChange(ctx context.Context, r *Request) (Reply, error) {
	var in changeRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusCreated, func(c market.ChangeReport) any {
		return changeView{ID: c.ID, ProviderID: c.ProviderID, Field: c.Field, PreviousValue: c.PreviousValue, NewValue: c.NewValue, Applied: c.Applied,
			ChangedOn: c.ChangedOn, ReportedAt: Timestamp(c.ReportedAt), DueBy: Timestamp(c.DueBy), OnTime: c.OnTime}
	}, func(ctx context.Context) (market.ChangeReport, error) {
		return a.Operations.ReportChange(ctx, r.Caller, a.provider(r), market.ChangeRequest{Field: in.Field, NewValue: in.NewValue, ChangedOn: in.ChangedOn,
			SettlementAccount: in.SettlementAccount.account()})
	})
}

type paymentRequest struct {
	AmountFen        *int64 `json:"amountFen"`
	Channel          string `json:"channel"`
	Reference        string `json:"reference"`
	PayerAccountName string `json:"payerAccountName"`
	PaidAt           string `json:"paidAt"`
	NoticeID         string `json:"noticeId"` // the provider's payment notice it answers
}

// parsePaidAt reads an optional RFC 3339 paidAt.
func parsePaidAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fault.Invalid("PaidAt", "paidAt must be an RFC 3339 time with offset, e.g. 2026-10-08T10:00:00+08:00.")
	}
	return t, nil
}

// RecordDepositPayment serves POST /v1/providers/{id}/deposit/payments: 201 for
// a new transfer, 200 with the recorded entry for a reference seen before.
func (a *API) RecordDepositPayment(ctx context.Context, r *Request) (Reply, error) {
	var in paymentRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	if in.AmountFen == nil {
		return Reply{}, fault.Missing("amountFen")
	}
	paidAt, err := parsePaidAt(in.PaidAt)
	if err != nil {
		return Reply{}, err
	}
	pay := market.Payment{AmountFen: money.Fen(*in.AmountFen), Channel: in.Channel, Reference: strings.TrimSpace(in.Reference),
		PayerAccountName: strings.TrimSpace(in.PayerAccountName), PaidAt: paidAt, NoticeID: strings.TrimSpace(in.NoticeID)}
	return DoStatus(ctx, func(res operation.PaymentResult) int {
		if res.Created {
			return http.StatusCreated
		}
		return http.StatusOK
	}, func(res operation.PaymentResult) any {
		v := viewEntry(res.Entry)
		d := viewDepositSummary(res.Provider.Deposit)
		v.Deposit = &d
		return v
	}, func(ctx context.Context) (operation.PaymentResult, error) {
		return a.Operations.RecordDepositPayment(ctx, r.Caller, a.provider(r), pay)
	})
}

type deductionRequest struct {
	AmountFen *int64 `json:"amountFen"`
	Reason    string `json:"reason"`
	RefundID  string `json:"refundId"`
}

// DeductDeposit serves POST /v1/providers/{id}/deposit/deductions.
func (a *API) DeductDeposit(ctx context.Context, r *Request) (Reply, error) {
	var in deductionRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	if in.AmountFen == nil {
		return Reply{}, fault.Missing("amountFen")
	}
	return Do(ctx, http.StatusCreated, func(res operation.DeductionResult) any {
		v := viewEntry(res.Entry)
		d := viewDepositSummary(res.Provider.Deposit)
		v.Deposit = &d
		return v
	}, func(ctx context.Context) (operation.DeductionResult, error) {
		return a.Operations.DeductDeposit(ctx, r.Caller, a.provider(r), operation.Deduction{AmountFen: money.Fen(*in.AmountFen), Reason: strings.TrimSpace(in.Reason), RefundID: in.RefundID})
	})
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func viewExit(now time.Time) func(operation.ExitResult) any {
	return func(res operation.ExitResult) any {
		v := providerViewOf(res.Provider, now)
		b := res.Blockers
		if b == nil {
			b = []market.ReturnBlocker{}
		}
		v.ReturnBlockers = &b
		return v
	}
}

// RequestExit serves POST /v1/providers/{id}/exit.
func (a *API) RequestExit(ctx context.Context, r *Request) (Reply, error) {
	var in reasonRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewExit(a.Operations.Now()), func(ctx context.Context) (operation.ExitResult, error) {
		return a.Operations.RequestExit(ctx, r.Caller, a.provider(r), in.Reason)
	})
}

// viewLedger renders a deposit with its ledger, as GET …/deposit shows it.
func viewLedger(l operation.Ledger) any {
	v := depositView{ProviderID: l.Provider.ID, depositSummaryView: viewDepositSummary(l.Provider.Deposit), Entries: []entryView{}}
	for _, e := range l.Entries {
		v.Entries = append(v.Entries, viewEntry(e))
	}
	if l.Blockers != nil {
		v.ReturnBlockers = &l.Blockers
	}
	return v
}

// ReceiptReturned serves POST /v1/providers/{id}/deposit/receipt-returned. An
// empty body is accepted: the event itself is the information. The answer is
// the deposit with its ledger and what still blocks the return.
func (a *API) ReceiptReturned(ctx context.Context, r *Request) (Reply, error) {
	if err := optionalEmptyBody(r); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewLedger, func(ctx context.Context) (operation.Ledger, error) {
		return a.Operations.ReceiptReturned(ctx, r.Caller, a.provider(r))
	})
}

type dispatchRequest struct {
	Courier    string `json:"courier"`
	TrackingNo string `json:"trackingNo"`
}

// ReceiptDispatched serves POST /v1/providers/{id}/deposit/receipt-dispatched:
// finance posted the paper receipts to the payment notice's address.
func (a *API) ReceiptDispatched(ctx context.Context, r *Request) (Reply, error) {
	var in dispatchRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewLedger, func(ctx context.Context) (operation.Ledger, error) {
		return a.Operations.DispatchReceipt(ctx, r.Caller, a.provider(r), in.Courier, in.TrackingNo)
	})
}

type noticeRequest struct {
	AmountFen        *int64 `json:"amountFen"`
	Channel          string `json:"channel"`
	Reference        string `json:"reference"`
	PayerAccountName string `json:"payerAccountName"`
	PaidAt           string `json:"paidAt"`
	VoucherObjectKey string `json:"voucherObjectKey"`
	ReceiptMailing   *struct {
		Address   string `json:"address"`
		Recipient string `json:"recipient"`
		Phone     string `json:"phone"`
	} `json:"receiptMailing"`
}

type noticeView struct {
	ID                   string      `json:"id"`
	ProviderID           string      `json:"providerId"`
	CompanyName          string      `json:"companyName"`
	Status               string      `json:"status"`
	AmountFen            int64       `json:"amountFen"`
	Channel              string      `json:"channel"`
	Reference            string      `json:"reference"`
	PayerAccountName     *string     `json:"payerAccountName"`
	FromCorporateAccount bool        `json:"fromCorporateAccount"` // as the payment will count, R-DP2
	PayerCheck           string      `json:"payerCheck"`
	PaidAt               string      `json:"paidAt"`
	VoucherObjectKey     string      `json:"voucherObjectKey"`
	VoucherType          string      `json:"voucherType"`
	ReceiptMailing       mailingView `json:"receiptMailing"`
	FiledBy              string      `json:"filedBy"`
	FiledAt              string      `json:"filedAt"`
	MatchedAt            *string     `json:"matchedAt"`
	EntryID              *string     `json:"entryId"`
	ReceiptNo            *string     `json:"receiptNo"`
}

func viewNotice(n *market.DepositNotice) any {
	payer := n.PayerCheck()
	return noticeView{
		ID: n.ID, ProviderID: n.ProviderID, CompanyName: n.CompanyName, Status: string(n.Status), AmountFen: int64(n.AmountFen),
		Channel: n.Channel, Reference: n.Reference, PayerAccountName: optString(n.PayerAccountName),
		FromCorporateAccount: payer.FromCorporateAccount(), PayerCheck: string(payer), PaidAt: Timestamp(n.PaidAt),
		VoucherObjectKey: n.VoucherObjectKey, VoucherType: n.VoucherType, ReceiptMailing: mailingView(n.ReceiptMailing),
		FiledBy: n.FiledBy, FiledAt: Timestamp(n.FiledAt), MatchedAt: optTimestamp(n.MatchedAt), EntryID: optString(n.EntryID), ReceiptNo: optString(n.ReceiptNo),
	}
}

// FileDepositNotice serves POST /v1/providers/{id}/deposit/notices: the
// provider's payment notice (seed 四.2).
func (a *API) FileDepositNotice(ctx context.Context, r *Request) (Reply, error) {
	var in noticeRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	paidAt, err := parsePaidAt(in.PaidAt)
	if err != nil {
		return Reply{}, err
	}
	f := market.NoticeForm{AmountFen: in.AmountFen, Channel: in.Channel, Reference: in.Reference, PayerAccountName: in.PayerAccountName,
		PaidAt: paidAt, VoucherObjectKey: in.VoucherObjectKey}
	if m := in.ReceiptMailing; m != nil {
		f.ReceiptMailing = &market.ReceiptMailing{Address: m.Address, Recipient: m.Recipient, Phone: m.Phone}
	}
	return Do(ctx, http.StatusCreated, viewNotice, func(ctx context.Context) (*market.DepositNotice, error) {
		return a.Operations.FileDepositNotice(ctx, r.Caller, a.provider(r), f)
	})
}

type noticeCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// ListDepositNotices serves GET /v1/deposit-notices?status=&providerId=&limit=&cursor=:
// finance's queue, oldest filed first.
func (a *API) ListDepositNotices(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	q := operation.NoticeQuery{Status: r.Query("status"), ProviderID: r.Query("providerId"), Limit: n + 1}
	if c := r.Query("cursor"); c != "" {
		var cur noticeCursor
		if !decodeCursor(c, &cur) || cur.ID == "" {
			return Reply{}, badCursor()
		}
		q.AfterAt, q.AfterID = cur.At, cur.ID
	}
	notices, err := a.Operations.ListDepositNotices(ctx, q)
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, x := range notices {
		if i == n {
			out.NextCursor = encodeCursor(noticeCursor{At: notices[n-1].FiledAt, ID: notices[n-1].ID})
			break
		}
		out.Items = append(out.Items, viewNotice(x))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

type returnRequest struct {
	Reference string `json:"reference"`
}

// ReturnDeposit serves POST /v1/providers/{id}/deposit/return (finance records
// the transfer that paid the deposit back).
func (a *API) ReturnDeposit(ctx context.Context, r *Request) (Reply, error) {
	var in returnRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	if strings.TrimSpace(in.Reference) == "" {
		return Reply{}, fault.Missing("reference")
	}
	return Do(ctx, http.StatusOK, viewProvider(a.Operations.Now()), func(ctx context.Context) (*market.Provider, error) {
		return a.Operations.ReturnDeposit(ctx, r.Caller, a.provider(r), strings.TrimSpace(in.Reference))
	})
}

type eventView struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	At         string         `json:"at"`
	Actor      string         `json:"actor"`
	Subject    string         `json:"subject"`
	ProviderID string         `json:"providerId,omitempty"`
	Data       map[string]any `json:"data"`
}

// eventData renders an event's typed payload as its JSON object, with times
// in Asia/Shanghai like every other time.
func eventData(data any) map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(data)
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return out
	}
	for i := 0; i < v.NumField(); i++ {
		name, opts, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		f := v.Field(i)
		if opts == "omitempty" && f.IsZero() {
			continue
		}
		if t, ok := f.Interface().(time.Time); ok {
			out[name] = Timestamp(t)
			continue
		}
		out[name] = f.Interface()
	}
	return out
}

// ListEvents serves GET /v1/events?providerId=&type=&after=&limit=.
func (a *API) ListEvents(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	after := r.Query("after")
	if c := r.Query("cursor"); c != "" {
		after = c
	}
	typ := r.Query("type")
	if typ != "" && !slices.Contains(market.EventTypes(), market.EventType(typ)) {
		return Reply{}, fault.Invalid("Type", "type %q is not an event type (e.g. deposit.payer_unverified, deposit.payment_unapplied).", typ)
	}
	evs, err := a.Operations.ListEvents(ctx, r.Caller, operation.EventQuery{ProviderID: r.Query("providerId"), Type: typ, After: after, Limit: n + 1})
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, e := range evs {
		if i == n {
			out.NextCursor = evs[n-1].ID
			break
		}
		out.Items = append(out.Items, eventView{ID: e.ID, Type: string(e.Type), At: Timestamp(e.At), Actor: e.Actor, Subject: e.Subject, ProviderID: e.ProviderID, Data: eventData(e.Data)})
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}
