package httpapi

import (
	"context"
	"net/http"
	"reflect"
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
	RequiredFen       int64   `json:"requiredFen"`
	BalanceFen        int64   `json:"balanceFen"`
	ShortfallFen      int64   `json:"shortfallFen"`
	OwedFen           int64   `json:"owedFen"`
	Status            string  `json:"status"`
	TopUpDueAt        *string `json:"topUpDueAt"`
	ReceiptReturnedAt *string `json:"receiptReturnedAt"`
	ReturnDueAt       *string `json:"returnDueAt"`
	ReturnedAt        *string `json:"returnedAt"`
}

type contractView struct {
	SentAt        *string `json:"sentAt"`
	SignedAt      *string `json:"signedAt"`
	SignatoryName *string `json:"signatoryName"`
}

type providerView struct {
	ID                     string             `json:"id"`
	AccountID              string             `json:"accountId"`
	ApplicationID          string             `json:"applicationId"`
	CompanyName            string             `json:"companyName"`
	OrgCode                string             `json:"orgCode"`
	Categories             []string           `json:"categories"`
	CooperationMode        string             `json:"cooperationMode"`
	Contact                contactView        `json:"contact"`
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
}

func viewDepositSummary(d market.Deposit) depositSummaryView {
	return depositSummaryView{
		RequiredFen: int64(d.RequiredFen), BalanceFen: int64(d.BalanceFen), ShortfallFen: int64(d.ShortfallFen()),
		OwedFen: int64(d.OwedFen), Status: string(d.Status()), TopUpDueAt: optTimestamp(d.TopUpDueAt),
		ReceiptReturnedAt: optTimestamp(d.ReceiptReturnedAt), ReturnDueAt: optTimestamp(d.ReturnDueAt), ReturnedAt: optTimestamp(d.ReturnedAt),
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
		Categories: cats, CooperationMode: p.CooperationMode,
		Contact: contactView{p.Contact.Name, p.Contact.Phone, p.Contact.QQ, p.Contact.Email}, Status: string(p.Status),
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
	PaidAt           *string `json:"paidAt,omitempty"`
	ReceiptNo        *string `json:"receiptNo,omitempty"`
	Reason           *string `json:"reason,omitempty"`
	RefundID         *string `json:"refundId,omitempty"`
	Actor            string  `json:"actor"`
	At               string  `json:"at"`
	// The deposit after this entry, on POST answers.
	Deposit *depositSummaryView `json:"deposit,omitempty"`
}

func viewEntry(e market.DepositEntry) entryView {
	return entryView{
		ID: e.ID, ProviderID: e.ProviderID, Kind: string(e.Kind), AmountFen: int64(e.AmountFen), OwedFen: int64(e.OwedFen),
		BalanceAfterFen: int64(e.BalanceAfterFen), Channel: optString(e.Channel), Reference: optString(e.Reference),
		PayerAccountName: optString(e.PayerAccountName), PaidAt: optTimestamp(e.PaidAt), ReceiptNo: optString(e.ReceiptNo),
		Reason: optString(e.Reason), RefundID: optString(e.RefundID), Actor: e.Actor, At: Timestamp(e.At),
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
	v := depositView{ProviderID: l.Provider.ID, depositSummaryView: viewDepositSummary(l.Provider.Deposit), Entries: []entryView{}}
	for _, e := range l.Entries {
		v.Entries = append(v.Entries, viewEntry(e))
	}
	if l.Blockers != nil {
		v.ReturnBlockers = &l.Blockers
	}
	return Reply{Status: http.StatusOK, Body: v}, nil
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
}

type changeView struct {
	ID         string `json:"id"`
	ProviderID string `json:"providerId"`
	Field      string `json:"field"`
	NewValue   string `json:"newValue"`
	ChangedOn  string `json:"changedOn"`
	ReportedAt string `json:"reportedAt"`
	DueBy      string `json:"dueBy"`
	OnTime     bool   `json:"onTime"`
}

// ReportChange serves POST /v1/providers/{id}/changes.
func (a *API) ReportChange(ctx context.Context, r *Request) (Reply, error) {
	var in changeRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusCreated, func(c market.ChangeReport) any {
		return changeView{ID: c.ID, ProviderID: c.ProviderID, Field: c.Field, NewValue: c.NewValue, ChangedOn: c.ChangedOn,
			ReportedAt: Timestamp(c.ReportedAt), DueBy: Timestamp(c.DueBy), OnTime: c.OnTime}
	}, func(ctx context.Context) (market.ChangeReport, error) {
		return a.Operations.ReportChange(ctx, r.Caller, a.provider(r), in.Field, in.NewValue, in.ChangedOn)
	})
}

type paymentRequest struct {
	AmountFen        *int64 `json:"amountFen"`
	Channel          string `json:"channel"`
	Reference        string `json:"reference"`
	PayerAccountName string `json:"payerAccountName"`
	PaidAt           string `json:"paidAt"`
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
	var paidAt time.Time
	if in.PaidAt != "" {
		var err error
		if paidAt, err = time.Parse(time.RFC3339Nano, in.PaidAt); err != nil {
			return Reply{}, fault.Invalid("PaidAt", "paidAt must be an RFC 3339 time with offset, e.g. 2026-10-08T10:00:00+08:00.")
		}
	}
	pay := market.Payment{AmountFen: money.Fen(*in.AmountFen), Channel: in.Channel, Reference: strings.TrimSpace(in.Reference), PayerAccountName: in.PayerAccountName, PaidAt: paidAt}
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

type deductionResult struct {
	e market.DepositEntry
	p *market.Provider
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
	return Do(ctx, http.StatusCreated, func(res deductionResult) any {
		v := viewEntry(res.e)
		d := viewDepositSummary(res.p.Deposit)
		v.Deposit = &d
		return v
	}, func(ctx context.Context) (deductionResult, error) {
		e, p, err := a.Operations.DeductDeposit(ctx, r.Caller, a.provider(r), operation.Deduction{AmountFen: money.Fen(*in.AmountFen), Reason: strings.TrimSpace(in.Reason), RefundID: in.RefundID})
		return deductionResult{e, p}, err
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

// ReceiptReturned serves POST /v1/providers/{id}/deposit/receipt-returned. An
// empty body is accepted: the event itself is the information.
func (a *API) ReceiptReturned(ctx context.Context, r *Request) (Reply, error) {
	if len(strings.TrimSpace(string(r.body))) > 0 {
		var in struct{}
		if err := r.Decode(&in); err != nil {
			return Reply{}, err
		}
	}
	return Do(ctx, http.StatusOK, func(res operation.ExitResult) any {
		b := res.Blockers
		if b == nil {
			b = []market.ReturnBlocker{}
		}
		return depositView{ProviderID: res.Provider.ID, depositSummaryView: viewDepositSummary(res.Provider.Deposit), Entries: nil, ReturnBlockers: &b}
	}, func(ctx context.Context) (operation.ExitResult, error) {
		return a.Operations.ReceiptReturned(ctx, r.Caller, a.provider(r))
	})
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

// ListEvents serves GET /v1/events?providerId=&after=&limit=.
func (a *API) ListEvents(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	after := r.Query("after")
	if c := r.Query("cursor"); c != "" {
		after = c
	}
	evs, err := a.Operations.ListEvents(ctx, r.Caller, operation.EventQuery{ProviderID: r.Query("providerId"), After: after, Limit: n + 1})
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
