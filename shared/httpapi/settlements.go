package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
)

type settlementRequest struct {
	Period string `json:"period"`
}

type runView struct {
	Period      string  `json:"period"`
	Providers   int     `json:"providers"`
	PayoutFen   int64   `json:"payoutFen"`
	Status      string  `json:"status"`
	StartedAt   string  `json:"startedAt"`
	CompletedAt *string `json:"completedAt"`
}

func viewRun(r *operation.SettlementRun) any {
	return runView{Period: r.Period, Providers: r.Providers, PayoutFen: int64(r.PayoutFen), Status: r.Status,
		StartedAt: Timestamp(r.StartedAt), CompletedAt: optTimestamp(r.CompletedAt)}
}

// CreateSettlement serves POST /v1/settlements.
func (a *API) CreateSettlement(ctx context.Context, r *Request) (Reply, error) {
	var in settlementRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewRun, func(ctx context.Context) (*operation.SettlementRun, error) {
		return a.Operations.SettlePeriod(ctx, r.Caller, strings.TrimSpace(in.Period))
	})
}

type lineView struct {
	Type        string  `json:"type"`
	OrderID     *string `json:"orderId"`
	RefundID    *string `json:"refundId"`
	ViolationID *string `json:"violationId"`
	PayoutID    *string `json:"payoutId,omitempty"`
	AmountFen   int64   `json:"amountFen"`
	At          string  `json:"at"`
	Description string  `json:"description"`
}

type statementInvoiceView struct {
	Issuer    string  `json:"issuer"`
	Recipient string  `json:"recipient"`
	Subject   string  `json:"subject"`
	AmountFen int64   `json:"amountFen"`
	Status    string  `json:"status"`
	StatusAt  *string `json:"statusAt,omitempty"`
}

type statementView struct {
	ProviderID        string                 `json:"providerId"`
	Period            string                 `json:"period"`
	FeeMode           string                 `json:"feeMode"`
	OpeningBalanceFen int64                  `json:"openingBalanceFen"`
	Lines             []lineView             `json:"lines,omitempty"`
	LineCount         int                    `json:"lineCount"`
	SalesFen          int64                  `json:"salesFen"`
	PlatformFeesFen   int64                  `json:"platformFeesFen"`
	ClosingBalanceFen int64                  `json:"closingBalanceFen"`
	PayoutFen         int64                  `json:"payoutFen"`
	PayoutID          *string                `json:"payoutId"`
	CarriedForwardFen int64                  `json:"carriedForwardFen"`
	Invoices          []statementInvoiceView `json:"invoices"`
	CreatedAt         string                 `json:"createdAt"`
}

func viewStatement(s *market.Statement, lines []lineView) statementView {
	v := statementView{ProviderID: s.ProviderID, Period: s.Period, FeeMode: string(s.Mode), OpeningBalanceFen: int64(s.OpeningFen), Lines: lines,
		LineCount: s.LineCount, SalesFen: int64(s.SalesFen), PlatformFeesFen: int64(s.FeesFen), ClosingBalanceFen: int64(s.ClosingFen),
		PayoutFen: int64(s.PayoutFen), PayoutID: optString(s.PayoutID), CarriedForwardFen: int64(s.CarriedForwardFen),
		Invoices: []statementInvoiceView{}, CreatedAt: Timestamp(s.CreatedAt)}
	for _, inv := range s.Invoices {
		v.Invoices = append(v.Invoices, statementInvoiceView{Issuer: inv.Issuer, Recipient: inv.Recipient, Subject: inv.Subject,
			AmountFen: int64(inv.AmountFen), Status: inv.Status, StatusAt: optTimestamp(inv.StatusAt)})
	}
	return v
}

func viewLine(l market.StatementLine) lineView {
	return lineView{Type: l.Type, OrderID: optString(l.OrderID), RefundID: optString(l.RefundID), ViolationID: optString(l.ViolationID),
		PayoutID: optString(l.PayoutID), AmountFen: int64(l.AmountFen), At: Timestamp(l.At), Description: l.Description}
}

// ListStatements serves GET /v1/providers/{id}/statements?limit=&cursor=,
// newest first, without lines.
func (a *API) ListStatements(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	list, err := a.Operations.Statements(ctx, r.Caller, a.provider(r), r.Query("cursor"), n+1)
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, s := range list {
		if i == n {
			out.NextCursor = list[n-1].Period
			break
		}
		out.Items = append(out.Items, viewStatement(s, nil))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

// GetStatement serves GET /v1/providers/{id}/statements/{period}: JSON with
// every line, or ?format=csv (or Accept: text/csv) the lines as CSV.
func (a *API) GetStatement(ctx context.Context, r *Request) (Reply, error) {
	wantCSV := r.Query("format") == "csv" || (r.Query("format") == "" && strings.Contains(r.Header("Accept"), "text/csv"))
	if f := r.Query("format"); f != "" && f != "csv" && f != "json" {
		return Reply{}, fault.Invalid("Format", "format must be csv or json; got %q.", f)
	}
	if wantCSV {
		var buf bytes.Buffer
		w := statementCSV(&buf)
		view, err := a.Operations.Statement(ctx, r.Caller, a.provider(r), r.Params["period"], w.line)
		if err != nil {
			return Reply{}, err
		}
		if err := w.close(); err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: File{ContentType: "text/csv; charset=utf-8", Name: "statement-" + view.Statement.ProviderID + "-" + view.Statement.Period + ".csv", Data: buf.Bytes()}}, nil
	}
	lines := []lineView{}
	view, err := a.Operations.Statement(ctx, r.Caller, a.provider(r), r.Params["period"], func(l market.StatementLine) error {
		lines = append(lines, viewLine(l))
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewStatement(view.Statement, lines)}, nil
}

// utf8BOM lets Excel open the CSV's Chinese text as UTF-8.
const utf8BOM = "\ufeff"

type csvWriter struct {
	w *csv.Writer
}

func statementCSV(buf *bytes.Buffer) *csvWriter {
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(buf)
	_ = w.Write([]string{"type", "orderId", "refundId", "violationId", "payoutId", "amountFen", "amountYuan", "at", "description"})
	return &csvWriter{w: w}
}

func (c *csvWriter) line(l market.StatementLine) error {
	return c.w.Write([]string{l.Type, l.OrderID, l.RefundID, l.ViolationID, l.PayoutID, fmt.Sprint(int64(l.AmountFen)), yuan(l.AmountFen), Timestamp(l.At), l.Description})
}

func (c *csvWriter) close() error {
	c.w.Flush()
	return c.w.Error()
}

// yuan renders fen as yuan with two decimals and no unit: "-12.30".
func yuan(f money.Fen) string {
	return strings.TrimSuffix(f.String(), " CNY")
}

// RecordStatementInvoice serves POST
// /v1/providers/{id}/statements/{period}/invoice-received (finance, R-FE2).
func (a *API) RecordStatementInvoice(ctx context.Context, r *Request) (Reply, error) {
	return Do(ctx, http.StatusOK, func(s *market.Statement) any { return viewStatement(s, nil) }, func(ctx context.Context) (*market.Statement, error) {
		return a.Operations.RecordInvoiceReceived(ctx, r.Caller, a.provider(r), r.Params["period"])
	})
}

type payoutView struct {
	ID                string          `json:"id"`
	ProviderID        string          `json:"providerId"`
	CompanyName       string          `json:"companyName"`
	Period            string          `json:"period"`
	AmountFen         int64           `json:"amountFen"`
	Status            string          `json:"status"`
	SettlementAccount bankAccountView `json:"settlementAccount"`
	Reference         *string         `json:"reference"`
	FailureReason     *string         `json:"failureReason,omitempty"`
	ReturnedIn        *string         `json:"returnedInPeriod,omitempty"`
	CreatedAt         string          `json:"createdAt"`
	PaidAt            *string         `json:"paidAt"`
	FailedAt          *string         `json:"failedAt,omitempty"`
}

// viewPayout shows the account masked, as everywhere in JSON; only the CSV
// export for the bank carries the full number.
func viewPayout(row operation.PayoutRow) payoutView {
	p := row.Payout
	acct := bankAccountView{Bank: row.Account.Bank, AccountName: row.Account.AccountName, AccountNumber: row.Account.MaskedNumber()}
	return payoutView{ID: p.ID, ProviderID: p.ProviderID, CompanyName: row.Company, Period: p.Period, AmountFen: int64(p.AmountFen), Status: p.Status,
		SettlementAccount: acct, Reference: optString(p.Reference), FailureReason: optString(p.FailureReason), ReturnedIn: optString(p.ReturnedIn),
		CreatedAt: Timestamp(p.CreatedAt), PaidAt: optTimestamp(p.PaidAt), FailedAt: optTimestamp(p.FailedAt)}
}

// ListPayouts serves GET /v1/payouts?providerId=&status=&limit=&cursor=;
// ?format=csv is finance's batch export for the bank (one row per payout,
// the full settlement account).
func (a *API) ListPayouts(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	format := r.Query("format")
	if format != "" && format != "csv" && format != "json" {
		return Reply{}, fault.Invalid("Format", "format must be csv or json; got %q.", format)
	}
	if format == "csv" && !r.Caller.Has(market.RoleFinance) {
		return Reply{}, fault.Forbidden("The payout batch export is for finance.")
	}
	q := operation.PayoutQuery{ProviderID: r.Query("providerId"), Status: r.Query("status"), AfterID: r.Query("cursor"), Limit: n + 1}
	rows, err := a.Operations.Payouts(ctx, r.Caller, q)
	if err != nil {
		return Reply{}, err
	}
	next := ""
	if len(rows) > n {
		rows, next = rows[:n], rows[n-1].Payout.ID
	}
	if format == "csv" {
		var buf bytes.Buffer
		buf.WriteString(utf8BOM)
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"payoutId", "providerId", "companyName", "period", "amountFen", "amountYuan", "bank", "accountName", "accountNumber", "status"})
		for _, row := range rows {
			p := row.Payout
			_ = w.Write([]string{p.ID, p.ProviderID, row.Company, p.Period, fmt.Sprint(int64(p.AmountFen)), yuan(p.AmountFen),
				row.Account.Bank, row.Account.AccountName, row.Account.AccountNumber, p.Status})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: File{ContentType: "text/csv; charset=utf-8", Name: "payouts.csv", Data: buf.Bytes()}}, nil
	}
	out := listView{Items: []any{}, NextCursor: next}
	for _, row := range rows {
		out.Items = append(out.Items, viewPayout(row))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

type payoutResultRequest struct {
	Status    string `json:"status"`
	Reference string `json:"reference"`
	Reason    string `json:"reason"`
}

// RecordPayoutResult serves POST /v1/payouts/{id}/result (finance).
func (a *API) RecordPayoutResult(ctx context.Context, r *Request) (Reply, error) {
	var in payoutResultRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	res := operation.PayoutResult{Status: strings.TrimSpace(in.Status), Reference: strings.TrimSpace(in.Reference), Reason: strings.TrimSpace(in.Reason)}
	return Do(ctx, http.StatusOK, func(p *market.Payout) any {
		return payoutView{ID: p.ID, ProviderID: p.ProviderID, Period: p.Period, AmountFen: int64(p.AmountFen), Status: p.Status,
			Reference: optString(p.Reference), FailureReason: optString(p.FailureReason), CreatedAt: Timestamp(p.CreatedAt),
			PaidAt: optTimestamp(p.PaidAt), FailedAt: optTimestamp(p.FailedAt)}
	}, func(ctx context.Context) (*market.Payout, error) {
		return a.Operations.RecordPayoutResult(ctx, r.Caller, r.Params["id"], res)
	})
}

func optRate(r money.BasisPoints) *int64 {
	if r == 0 {
		return nil
	}
	v := int64(r)
	return &v
}

type consignmentRateRequest struct {
	ConsignmentRateBps *int64 `json:"consignmentRateBps"`
}

type consignmentRateView struct {
	ProviderID         string `json:"providerId"`
	CooperationMode    string `json:"cooperationMode"`
	ConsignmentRateBps int64  `json:"consignmentRateBps"`
}

// SetConsignmentRate serves POST /v1/providers/{id}/consignment-rate
// (finance, R-FE1).
func (a *API) SetConsignmentRate(ctx context.Context, r *Request) (Reply, error) {
	var in consignmentRateRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	if in.ConsignmentRateBps == nil {
		return Reply{}, fault.Missing("consignmentRateBps")
	}
	return Do(ctx, http.StatusOK, func(p *market.Provider) any {
		return consignmentRateView{ProviderID: p.ID, CooperationMode: p.CooperationMode, ConsignmentRateBps: int64(p.ConsignmentRate)}
	}, func(ctx context.Context) (*market.Provider, error) {
		return a.Operations.SetConsignmentRate(ctx, r.Caller, a.provider(r), *in.ConsignmentRateBps)
	})
}

// RequestFeeInvoice serves POST
// /v1/providers/{id}/statements/{period}/fee-invoice-request (the provider,
// R-FE2).
func (a *API) RequestFeeInvoice(ctx context.Context, r *Request) (Reply, error) {
	return Do(ctx, http.StatusOK, func(s *market.Statement) any { return viewStatement(s, nil) }, func(ctx context.Context) (*market.Statement, error) {
		return a.Operations.RequestFeeInvoice(ctx, r.Caller, a.provider(r), r.Params["period"])
	})
}
