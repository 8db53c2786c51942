package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
)

type planBody struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	PriceFen     int64  `json:"priceFen"`
	Period       string `json:"period"`
	DurationDays int    `json:"durationDays"`
}

type contentBody struct {
	Category     string            `json:"category"`
	Name         string            `json:"name"`
	Summary      string            `json:"summary"`
	Description  string            `json:"description"`
	Tool         bool              `json:"tool"`
	RefundPolicy *refundPolicyBody `json:"refundPolicy,omitempty"`
	Plans        []planBody        `json:"plans"`
}

// refundPolicyBody is API.md's refundPolicy (R-RF6, R-RF8).
type refundPolicyBody struct {
	AfterReviewPeriod string `json:"afterReviewPeriod"`
	Text              string `json:"text"`
}

func contentOf(b contentBody) market.ProductContent {
	c := market.ProductContent{Category: market.Category(b.Category), Name: b.Name, Summary: b.Summary, Description: b.Description, Tool: b.Tool}
	if b.RefundPolicy != nil {
		c.RefundPolicy = market.RefundPolicy{AfterReviewPeriod: b.RefundPolicy.AfterReviewPeriod, Text: b.RefundPolicy.Text}
	}
	for _, p := range b.Plans {
		c.Plans = append(c.Plans, market.Plan{ID: p.ID, Name: p.Name, PriceFen: money.Fen(p.PriceFen), Period: p.Period, DurationDays: p.DurationDays})
	}
	return c
}

func bodyOf(c market.ProductContent) contentBody {
	b := contentBody{Category: string(c.Category), Name: c.Name, Summary: c.Summary, Description: c.Description, Tool: c.Tool, Plans: []planBody{}}
	if c.RefundPolicy != (market.RefundPolicy{}) {
		b.RefundPolicy = &refundPolicyBody{c.RefundPolicy.AfterReviewPeriod, c.RefundPolicy.Text}
	}
	for _, p := range c.Plans {
		b.Plans = append(b.Plans, planBody{ID: p.ID, Name: p.Name, PriceFen: int64(p.PriceFen), Period: p.Period, DurationDays: p.DurationDays})
	}
	return b
}

type reviewView struct {
	Decision          string  `json:"decision"`
	SecurityReportRef *string `json:"securityReportRef"`
	Reason            *string `json:"reason"`
	Reviewer          string  `json:"reviewer"`
	At                string  `json:"at"`
}

type productView struct {
	ID         string `json:"id"`
	ProviderID string `json:"providerId"`
	Status     string `json:"status"`
	contentBody
	OnSale bool `json:"onSale"` // listed and its store open: buyers can order it
	// Owner and operators only: the pending edit's state and the version
	// buyers see meanwhile.
	EditStatus    *string      `json:"editStatus,omitempty"`
	ListedVersion *contentBody `json:"listedVersion,omitempty"`
	SubmittedAt   *string      `json:"submittedAt,omitempty"`
	LastReview    *reviewView  `json:"lastReview,omitempty"`
	DelistReason  *string      `json:"delistReason,omitempty"`
	CreatedAt     string       `json:"createdAt"`
	UpdatedAt     string       `json:"updatedAt"`
	ListedAt      *string      `json:"listedAt"`
}

func viewProduct(v operation.ProductView) any {
	p := v.Product
	if !v.Full && p.Listed != nil { // what buyers see: the listed version only
		return productView{ID: p.ID, ProviderID: p.ProviderID, Status: string(p.Status), contentBody: bodyOf(*p.Listed), OnSale: v.OnSale(),
			CreatedAt: Timestamp(p.CreatedAt), UpdatedAt: Timestamp(p.ListedAt), ListedAt: optTimestamp(p.ListedAt)}
	}
	out := productView{ID: p.ID, ProviderID: p.ProviderID, Status: string(p.Status), contentBody: bodyOf(p.Content), OnSale: v.OnSale(),
		EditStatus: optString(p.EditStatus), SubmittedAt: optTimestamp(p.SubmittedAt), DelistReason: optString(p.DelistReason),
		CreatedAt: Timestamp(p.CreatedAt), UpdatedAt: Timestamp(p.UpdatedAt), ListedAt: optTimestamp(p.ListedAt)}
	if p.Listed != nil && p.EditStatus != "" {
		l := bodyOf(*p.Listed)
		out.ListedVersion = &l
	}
	if r := p.LastReview; r != nil {
		out.LastReview = &reviewView{Decision: r.Decision, SecurityReportRef: optString(r.SecurityReportRef), Reason: optString(r.Reason), Reviewer: r.Reviewer, At: Timestamp(r.At)}
	}
	return out
}

func fullView(p *market.Product) any {
	return viewProduct(operation.ProductView{Product: p, Full: true})
}

// CreateProduct serves POST /v1/products.
func (a *API) CreateProduct(ctx context.Context, r *Request) (Reply, error) {
	var in contentBody
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusCreated, fullView, func(ctx context.Context) (*market.Product, error) {
		return a.Operations.CreateProduct(ctx, r.Caller, contentOf(in))
	})
}

// productPatch is a partial edit: fields present replace, plans as a whole.
type productPatch struct {
	Category     *string           `json:"category"`
	Name         *string           `json:"name"`
	Summary      *string           `json:"summary"`
	Description  *string           `json:"description"`
	Tool         *bool             `json:"tool"`
	RefundPolicy *refundPolicyBody `json:"refundPolicy"`
	Plans        *[]planBody       `json:"plans"`
}

// UpdateProduct serves PATCH /v1/products/{id}.
func (a *API) UpdateProduct(ctx context.Context, r *Request) (Reply, error) {
	var in productPatch
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	edit := func(c market.ProductContent) market.ProductContent {
		b := bodyOf(c)
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&b.Category, in.Category)
		set(&b.Name, in.Name)
		set(&b.Summary, in.Summary)
		set(&b.Description, in.Description)
		if in.RefundPolicy != nil {
			b.RefundPolicy = in.RefundPolicy
		}
		if in.Tool != nil {
			b.Tool = *in.Tool
		}
		if in.Plans != nil {
			b.Plans = *in.Plans
		}
		return contentOf(b)
	}
	return Do(ctx, http.StatusOK, fullView, func(ctx context.Context) (*market.Product, error) {
		return a.Operations.UpdateProduct(ctx, r.Caller, r.Params["id"], edit)
	})
}

// optionalEmptyBody accepts no body or an empty JSON object.
func optionalEmptyBody(r *Request) error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return nil
	}
	var in struct{}
	return r.Decode(&in)
}

// SubmitProduct serves POST /v1/products/{id}/submit.
func (a *API) SubmitProduct(ctx context.Context, r *Request) (Reply, error) {
	if err := optionalEmptyBody(r); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, fullView, func(ctx context.Context) (*market.Product, error) {
		return a.Operations.SubmitProduct(ctx, r.Caller, r.Params["id"])
	})
}

type productReviewRequest struct {
	Decision          string `json:"decision"`
	SecurityReportRef string `json:"securityReportRef"`
	Reason            string `json:"reason"`
}

// ReviewProduct serves POST /v1/products/{id}/review.
func (a *API) ReviewProduct(ctx context.Context, r *Request) (Reply, error) {
	var in productReviewRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, fullView, func(ctx context.Context) (*market.Product, error) {
		return a.Operations.ReviewProduct(ctx, r.Caller, r.Params["id"], in.Decision, in.SecurityReportRef, in.Reason)
	})
}

// DelistProduct serves POST /v1/products/{id}/delist ({"reason"} optional).
func (a *API) DelistProduct(ctx context.Context, r *Request) (Reply, error) {
	var in reasonRequest
	if len(r.body) > 0 {
		if err := r.Decode(&in); err != nil {
			return Reply{}, err
		}
	}
	return Do(ctx, http.StatusOK, fullView, func(ctx context.Context) (*market.Product, error) {
		return a.Operations.DelistProduct(ctx, r.Caller, r.Params["id"], in.Reason)
	})
}

// GetProduct serves GET /v1/products/{id}.
func (a *API) GetProduct(ctx context.Context, r *Request) (Reply, error) {
	v, err := a.Operations.GetProduct(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewProduct(v)}, nil
}

type productCursor struct {
	At time.Time `json:"t,omitempty"`
	ID string    `json:"i"`
}

// ListProducts serves GET /v1/products?providerId=&status=&limit=&cursor=.
func (a *API) ListProducts(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	q := operation.ProductQuery{ProviderID: r.Query("providerId"), Status: r.Query("status"), Limit: n + 1}
	if c := r.Query("cursor"); c != "" {
		var cur productCursor
		if !decodeCursor(c, &cur) || cur.ID == "" {
			return Reply{}, badCursor()
		}
		q.AfterKey, q.AfterID = cur.At, cur.ID
	}
	views, err := a.Operations.ListProducts(ctx, r.Caller, q)
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, v := range views {
		if i == n {
			last := views[n-1]
			out.NextCursor = encodeCursor(productCursor{At: last.SubmittedAt, ID: last.ID})
			break
		}
		out.Items = append(out.Items, viewProduct(v))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}
