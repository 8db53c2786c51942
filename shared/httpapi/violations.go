package httpapi

import (
	"context"
	"net/http"
	"strings"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
)

type violationTypeView struct {
	Code          string   `json:"code"`
	Level         string   `json:"level"`
	Actions       []string `json:"actions"`
	Days          int      `json:"days"`
	DeductFen     int64    `json:"deductFen"`
	ProductScoped bool     `json:"productScoped"`
	RuleRef       string   `json:"ruleRef"`
	Description   string   `json:"description"`
}

type catalogueView struct {
	Version string              `json:"version"`
	Items   []violationTypeView `json:"items"`
}

func actionNames(as []market.PenaltyAction) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// ViolationTypes serves GET /v1/violation-types: the catalogue in force.
func (a *API) ViolationTypes(_ context.Context, _ *Request) (Reply, error) {
	c := a.Operations.ViolationCatalogue()
	out := catalogueView{Version: c.Version, Items: []violationTypeView{}}
	for _, t := range c.Items {
		out.Items = append(out.Items, violationTypeView{Code: t.Code, Level: string(t.Level), Actions: actionNames(t.Actions), Days: t.Days,
			DeductFen: int64(t.DeductFen), ProductScoped: t.ProductScoped, RuleRef: t.RuleRef, Description: t.Description})
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

type stepView struct {
	Action    string  `json:"action"`
	ProductID *string `json:"productId"`
	Days      *int    `json:"days"`
	Until     *string `json:"until"`
	AmountFen *int64  `json:"amountFen"`
	Extra     bool    `json:"extra"`
	// A deduction: from the balance, owed beyond it (R-VI11), its entry.
	TakenFen *int64  `json:"takenFen,omitempty"`
	OwedFen  *int64  `json:"owedFen,omitempty"`
	EntryID  *string `json:"entryId,omitempty"`
}

type appealView struct {
	Statement   string   `json:"statement"`
	Status      string   `json:"status"`
	Reason      *string  `json:"reason"`
	FiledAt     string   `json:"filedAt"`
	DecidedAt   *string  `json:"decidedAt"`
	NotReversed []string `json:"notReversed"`
}

type violationView struct {
	ID               string      `json:"id"`
	ProviderID       string      `json:"providerId"`
	Type             string      `json:"type"`
	Level            string      `json:"level"`
	RuleRef          string      `json:"ruleRef"`
	Status           string      `json:"status"`
	CatalogueVersion string      `json:"catalogueVersion"`
	ProductID        *string     `json:"productId"`
	Evidence         string      `json:"evidence"`
	Actions          []stepView  `json:"actions"`
	Source           string      `json:"source"`
	SourceRef        *string     `json:"sourceRef"`
	CreatedAt        string      `json:"createdAt"`
	AppliedAt        *string     `json:"appliedAt"`
	AppealDueAt      *string     `json:"appealDueAt"`
	DismissedAt      *string     `json:"dismissedAt,omitempty"`
	DismissReason    *string     `json:"dismissReason,omitempty"`
	DelistedProducts []string    `json:"delistedProducts"`
	Appeal           *appealView `json:"appeal"`
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func optFen(f money.Fen) *int64 {
	if f == 0 {
		return nil
	}
	v := int64(f)
	return &v
}

func viewViolation(v *market.Violation) any {
	out := violationView{ID: v.ID, ProviderID: v.ProviderID, Type: v.Type, Level: string(v.Level), RuleRef: v.RuleRef, Status: string(v.Status),
		CatalogueVersion: v.CatalogueVersion, ProductID: optString(v.ProductID), Evidence: v.Evidence, Actions: []stepView{}, Source: v.Source,
		SourceRef: optString(v.SourceRef), CreatedAt: Timestamp(v.CreatedAt), AppliedAt: optTimestamp(v.AppliedAt), AppealDueAt: optTimestamp(v.AppealDueAt),
		DismissedAt: optTimestamp(v.DismissedAt), DismissReason: optString(v.DismissReason), DelistedProducts: append([]string{}, v.Delisted...)}
	for _, s := range v.Steps {
		sv := stepView{Action: string(s.Action), ProductID: optString(s.ProductID), Days: optInt(s.Days), Until: optTimestamp(s.Until),
			AmountFen: optFen(s.AmountFen), Extra: s.Extra, EntryID: optString(s.EntryID)}
		if s.Action == market.ActionDeductDeposit && s.EntryID != "" {
			taken, owed := int64(s.TakenFen), int64(s.OwedFen)
			sv.TakenFen, sv.OwedFen = &taken, &owed
		}
		out.Actions = append(out.Actions, sv)
	}
	if ap := v.Appeal; ap != nil {
		out.Appeal = &appealView{Statement: ap.Statement, Status: ap.Status, Reason: optString(ap.Reason), FiledAt: Timestamp(ap.FiledAt),
			DecidedAt: optTimestamp(ap.DecidedAt), NotReversed: append([]string{}, ap.NotReversed...)}
	}
	return out
}

type extraActionRequest struct {
	Action    string `json:"action"`
	AmountFen int64  `json:"amountFen"`
	Days      int    `json:"days"`
	ProductID string `json:"productId"`
}

type violationRequest struct {
	Type         string               `json:"type"`
	ProductID    string               `json:"productId"`
	Evidence     string               `json:"evidence"`
	ExtraActions []extraActionRequest `json:"extraActions"`
}

// ApplyViolation serves POST /v1/providers/{id}/violations.
func (a *API) ApplyViolation(ctx context.Context, r *Request) (Reply, error) {
	var in violationRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	req := market.ViolationRequest{Type: in.Type, ProductID: strings.TrimSpace(in.ProductID), Evidence: in.Evidence}
	for _, x := range in.ExtraActions {
		req.ExtraActions = append(req.ExtraActions, market.ExtraAction{Action: market.PenaltyAction(strings.TrimSpace(x.Action)), AmountFen: money.Fen(x.AmountFen),
			Days: x.Days, ProductID: strings.TrimSpace(x.ProductID)})
	}
	return Do(ctx, http.StatusCreated, viewViolation, func(ctx context.Context) (*market.Violation, error) {
		return a.Operations.ApplyViolation(ctx, r.Caller, r.Params["id"], req)
	})
}

// GetViolation serves GET /v1/violations/{id}.
func (a *API) GetViolation(ctx context.Context, r *Request) (Reply, error) {
	v, err := a.Operations.GetViolation(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewViolation(v)}, nil
}

// ListProviderViolations serves GET /v1/providers/{id}/violations, newest first.
func (a *API) ListProviderViolations(ctx context.Context, r *Request) (Reply, error) {
	return a.listViolations(ctx, r, r.Params["id"])
}

// ListViolations serves GET /v1/violations?status=&providerId= (operators):
// status=proposed is the risk team's queue, oldest first.
func (a *API) ListViolations(ctx context.Context, r *Request) (Reply, error) {
	return a.listViolations(ctx, r, r.Query("providerId"))
}

func (a *API) listViolations(ctx context.Context, r *Request, providerID string) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	list, err := a.Operations.ListViolations(ctx, r.Caller, operation.ViolationQuery{ProviderID: providerID, Status: r.Query("status"), AfterID: r.Query("cursor"), Limit: n + 1})
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, v := range list {
		if i == n {
			out.NextCursor = list[n-1].ID
			break
		}
		out.Items = append(out.Items, viewViolation(v))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

// ConfirmViolation serves POST /v1/violations/{id}/confirm.
func (a *API) ConfirmViolation(ctx context.Context, r *Request) (Reply, error) {
	if err := decodeOptional(r); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewViolation, func(ctx context.Context) (*market.Violation, error) {
		return a.Operations.ConfirmViolation(ctx, r.Caller, r.Params["id"])
	})
}

// decodeOptional accepts an empty body or an empty JSON object.
func decodeOptional(r *Request) error {
	if len(strings.TrimSpace(string(r.body))) == 0 {
		return nil
	}
	var none struct{}
	return r.Decode(&none)
}

// DismissViolation serves POST /v1/violations/{id}/dismiss.
func (a *API) DismissViolation(ctx context.Context, r *Request) (Reply, error) {
	var in reasonRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewViolation, func(ctx context.Context) (*market.Violation, error) {
		return a.Operations.DismissViolation(ctx, r.Caller, r.Params["id"], in.Reason)
	})
}

type appealRequest struct {
	Statement string `json:"statement"`
}

// AppealViolation serves POST /v1/violations/{id}/appeal.
func (a *API) AppealViolation(ctx context.Context, r *Request) (Reply, error) {
	var in appealRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewViolation, func(ctx context.Context) (*market.Violation, error) {
		return a.Operations.AppealViolation(ctx, r.Caller, r.Params["id"], in.Statement)
	})
}

type appealDecisionRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// DecideAppeal serves POST /v1/violations/{id}/appeal/decision.
func (a *API) DecideAppeal(ctx context.Context, r *Request) (Reply, error) {
	var in appealDecisionRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewViolation, func(ctx context.Context) (*market.Violation, error) {
		return a.Operations.DecideAppeal(ctx, r.Caller, r.Params["id"], in.Decision, in.Reason)
	})
}

type contactReportView struct {
	ID          string  `json:"id"`
	ProviderID  string  `json:"providerId"`
	OrderID     *string `json:"orderId"`
	Channel     string  `json:"channel"`
	Note        string  `json:"note"`
	ByOperator  bool    `json:"byOperator"`
	Status      string  `json:"status"`
	FiledAt     string  `json:"filedAt"`
	RespondBy   string  `json:"respondBy"`
	Response    *string `json:"response"`
	RespondedAt *string `json:"respondedAt"`
	ViolationID *string `json:"violationId"`
}

func viewContactReport(c *market.ContactReport) any {
	v := contactReportView{ID: c.ID, ProviderID: c.ProviderID, OrderID: optString(c.OrderID), Channel: c.Channel, Note: c.Note, ByOperator: c.ByOperator,
		Status: c.Status, FiledAt: Timestamp(c.FiledAt), RespondBy: Timestamp(c.RespondBy), Response: optString(c.Response),
		ViolationID: optString(c.ViolationID)}
	if c.Status == market.ContactAnswered {
		v.RespondedAt = optTimestamp(c.RespondedAt)
	}
	return v
}

type contactReportRequest struct {
	OrderID string `json:"orderId"`
	Channel string `json:"channel"`
	Note    string `json:"note"`
}

// FileContactReport serves POST /v1/providers/{id}/contact-reports.
func (a *API) FileContactReport(ctx context.Context, r *Request) (Reply, error) {
	var in contactReportRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusCreated, viewContactReport, func(ctx context.Context) (*market.ContactReport, error) {
		return a.Operations.FileContactReport(ctx, r.Caller, r.Params["id"], in.OrderID, in.Channel, in.Note)
	})
}

type contactResponseRequest struct {
	Response string `json:"response"`
}

// RespondContactReport serves POST /v1/contact-reports/{id}/response.
func (a *API) RespondContactReport(ctx context.Context, r *Request) (Reply, error) {
	var in contactResponseRequest // optional: an empty body answers too
	if len(strings.TrimSpace(string(r.body))) > 0 {
		if err := r.Decode(&in); err != nil {
			return Reply{}, err
		}
	}
	return Do(ctx, http.StatusOK, viewContactReport, func(ctx context.Context) (*market.ContactReport, error) {
		return a.Operations.RespondContactReport(ctx, r.Caller, r.Params["id"], in.Response)
	})
}

// ListContactReports serves GET /v1/providers/{id}/contact-reports, newest first.
func (a *API) ListContactReports(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	list, err := a.Operations.ListContactReports(ctx, r.Caller, r.Params["id"], r.Query("cursor"), n+1)
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, c := range list {
		if i == n {
			out.NextCursor = list[n-1].ID
			break
		}
		out.Items = append(out.Items, viewContactReport(c))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}
