package market

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
)

// ProductStatus of a product's listing lifecycle (API.md).
type ProductStatus string

const (
	ProductDraft         ProductStatus = "draft"
	ProductPendingReview ProductStatus = "pending_review"
	ProductApproved      ProductStatus = "approved" // passed review, waiting for the deposit (R-ON3)
	ProductListed        ProductStatus = "listed"
	ProductRejected      ProductStatus = "rejected"
	ProductDelisted      ProductStatus = "delisted"
)

// Edit states of a listed product's pending revision (R-LS1).
const (
	EditDraft         = "draft"
	EditPendingReview = "pending_review"
	EditRejected      = "rejected"
)

// Plan periods.
var PlanPeriods = []string{"month", "year", "once"}

// Product limits.
const (
	MaxPlans           = 20
	MaxNameLen         = 100
	MaxSummaryLen      = 500
	MaxDescriptionLen  = 20000
	MaxDurationDays    = 3650
	DefaultMaxPriceFen = money.Fen(100_000_000) // 1,000,000 CNY a plan; configurable
)

var planIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Plan is one purchasable option.
type Plan struct {
	ID           string
	Name         string
	PriceFen     money.Fen
	Period       string
	DurationDays int
}

// ProductContent is what a provider writes and a review approves.
type ProductContent struct {
	Category     Category
	Name         string
	Summary      string
	Description  string
	Tool         bool         // 工具类产品: never refundable (R-RF2)
	RefundPolicy RefundPolicy // after the review period (R-RF6), approved with the product (R-RF8)
	Plans        []Plan
}

// Review is one review decision.
type Review struct {
	Decision          string
	SecurityReportRef string
	Reason            string
	Reviewer          string
	At                time.Time
}

// Product is a provider's product with its listed version and, while a
// listed product is being edited, the revision waiting for review.
type Product struct {
	ID           string
	ProviderID   string
	Status       ProductStatus
	Content      ProductContent  // the working version: the latest edit
	Listed       *ProductContent // what buyers see; nil until first listed
	EditStatus   string          // "" or a pending revision's state (listed products only)
	SubmittedAt  time.Time       // when the current review request was made
	LastReview   *Review
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ListedAt     time.Time
	DelistedAt   time.Time
	DelistReason string
	StoreOpen    bool // its provider's store was open when the product was last saved
}

// OnSale is the one "on sale" rule: buyers see and order a product that is
// listed while its provider's store is open (R-ON3, R-DP5, R-EX2).
func (p *Product) OnSale() bool {
	return p.Status == ProductListed && p.Listed != nil && p.StoreOpen
}

// ProductRules are the configurable limits of the automatic checks (R-LS3).
type ProductRules struct {
	AllowedDomains []string
	MaxPriceFen    money.Fen
}

// InReview tells whether a review is waiting (a new product or an edit).
func (p *Product) InReview() bool {
	return p.Status == ProductPendingReview || p.EditStatus == EditPendingReview
}

// ValidateContent checks a product's fields (shape only; R-LS3's link check
// runs on submit).
func ValidateContent(c ProductContent, rules ProductRules) error {
	if c.Category == "" {
		return fault.Missing("category")
	}
	if !slices.Contains(Categories, c.Category) {
		return fault.Invalid("Category", "category %q is not one of image, software, ops, api, miniprogram.", c.Category)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"name", c.Name, MaxNameLen}, {"summary", c.Summary, MaxSummaryLen}, {"description", c.Description, MaxDescriptionLen}} {
		if strings.TrimSpace(f.v) == "" {
			return fault.Missing(f.name)
		}
		if utf8.RuneCountInString(f.v) > f.max {
			return fault.Invalid(capitalise(f.name), "%s is longer than %d characters.", f.name, f.max)
		}
	}
	if err := c.RefundPolicy.Validate(); err != nil {
		return err
	}
	if len(c.Plans) == 0 {
		return fault.Invalid("Plans", "A product needs at least one plan with a price.")
	}
	if len(c.Plans) > MaxPlans {
		return fault.Invalid("Plans", "A product has at most %d plans.", MaxPlans)
	}
	seen := map[string]bool{}
	for i, pl := range c.Plans {
		where := fmt.Sprintf("plans[%d]", i)
		if !planIDPattern.MatchString(pl.ID) {
			return fault.Invalid("Plans", "%s.id %q must be 1–32 lower-case letters, digits, - or _.", where, pl.ID)
		}
		if seen[pl.ID] {
			return fault.Invalid("Plans", "Plan id %q is used twice; each plan needs its own id.", pl.ID)
		}
		seen[pl.ID] = true
		if strings.TrimSpace(pl.Name) == "" || utf8.RuneCountInString(pl.Name) > MaxNameLen {
			return fault.Invalid("Plans", "%s.name must be 1–%d characters.", where, MaxNameLen)
		}
		if pl.PriceFen <= 0 {
			return fault.Invalid("Plans", "%s.priceFen must be above 0 fen.", where)
		}
		if pl.PriceFen > rules.MaxPriceFen {
			return fault.Invalid("Plans", "%s.priceFen %d is above the ceiling of %d fen; check the unit (fen, not yuan).", where, pl.PriceFen, rules.MaxPriceFen)
		}
		if !slices.Contains(PlanPeriods, pl.Period) {
			return fault.Invalid("Plans", "%s.period must be month, year or once, got %q.", where, pl.Period)
		}
		if pl.DurationDays < 0 || pl.DurationDays > MaxDurationDays || (pl.Period != "once" && pl.DurationDays == 0) {
			return fault.Invalid("Plans", "%s.durationDays must be 1–%d for a %s plan (0 is allowed only for once).", where, MaxDurationDays, pl.Period)
		}
	}
	return nil
}

// CheckLinks is R-LS3's automatic check: no link to a site other than the
// marketplace's own cloud in the name, summary, description or plan names.
func CheckLinks(c ProductContent, rules ProductRules) error {
	var found []string
	seen := map[string]bool{} // a slice search here made a long text with many links quadratic
	for _, text := range append([]string{c.Name, c.Summary, c.Description, c.RefundPolicy.Text}, planNames(c.Plans)...) {
		for _, l := range ExternalLinks(text, rules.AllowedDomains) {
			if !seen[l] {
				seen[l] = true
				found = append(found, l)
			}
		}
	}
	if len(found) > 0 {
		return fault.Invalid("ExternalLink", "Links to sites outside the marketplace's cloud are not allowed in product text (R-LS2): %s. Remove them and submit again.", strings.Join(found, ", "))
	}
	return nil
}

func planNames(ps []Plan) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// NewProduct creates a draft in one of the provider's approved categories.
func NewProduct(id string, prov *Provider, c ProductContent, rules ProductRules, now time.Time) (*Product, error) {
	if err := prov.CheckActing(); err != nil {
		return nil, err
	}
	if err := prov.checkNotLeaving(); err != nil {
		return nil, err
	}
	if err := ValidateContent(c, rules); err != nil {
		return nil, err
	}
	if !slices.Contains(prov.Categories, c.Category) {
		return nil, fault.Failed("CategoryNotApproved", "Provider %s is approved for %s, not for %s; apply for the category first.", prov.ID, joinCategories(prov.Categories), c.Category)
	}
	return &Product{ID: id, ProviderID: prov.ID, Status: ProductDraft, Content: c, CreatedAt: now, UpdatedAt: now}, nil
}

func joinCategories(cs []Category) string {
	var s []string
	for _, c := range cs {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// Edit replaces the working content. A listed product keeps serving its
// listed version; the edit waits as a revision (R-LS1).
func (p *Product) Edit(prov *Provider, c ProductContent, rules ProductRules, now time.Time) error {
	if err := prov.CheckActing(); err != nil {
		return err
	}
	if err := ValidateContent(c, rules); err != nil {
		return err
	}
	if c.Category != p.Content.Category {
		return fault.Invalid("Category", "A product's category cannot change; create a new product in %s.", c.Category)
	}
	if p.InReview() {
		return fault.Failed("ProductUnderReview", "Product %s is waiting for review; edit it after the decision.", p.ID)
	}
	p.Content, p.UpdatedAt = c, now
	switch p.Status {
	case ProductListed:
		p.EditStatus = EditDraft
	default:
		p.Status = ProductDraft // approved, rejected or delisted content changed: review again
	}
	return nil
}

// Submit asks for review, after the automatic checks (R-LS1, R-LS3).
func (p *Product) Submit(prov *Provider, rules ProductRules, now time.Time) error {
	if err := prov.CheckActing(); err != nil {
		return err
	}
	if err := prov.checkNotLeaving(); err != nil {
		return err
	}
	if err := prov.CheckPublishing(now); err != nil {
		return err
	}
	if err := ValidateContent(p.Content, rules); err != nil {
		return err
	}
	if err := CheckLinks(p.Content, rules); err != nil {
		return err
	}
	switch {
	case p.InReview():
		return fault.Failed("ProductUnderReview", "Product %s is already waiting for review.", p.ID)
	case p.Status == ProductListed && p.EditStatus == "":
		return fault.Failed("NothingToReview", "Product %s is listed and has no edit to review; PATCH it first.", p.ID)
	case p.Status == ProductListed:
		p.EditStatus = EditPendingReview
	case p.Status == ProductApproved:
		return fault.Failed("ProductApproved", "Product %s is approved and will be listed when the deposit is received (R-ON3).", p.ID)
	default:
		p.Status = ProductPendingReview
	}
	p.SubmittedAt = now
	return nil
}

// ReviewOutcome says what a review did.
type ReviewOutcome string

const (
	OutcomeListed        ReviewOutcome = "listed"         // first listing
	OutcomeEditPublished ReviewOutcome = "edit_published" // a listed product's edit went live
	OutcomeApproved      ReviewOutcome = "approved"       // waiting for the deposit
	OutcomeRejected      ReviewOutcome = "rejected"
	OutcomeEditRejected  ReviewOutcome = "edit_rejected" // the listed version stays
)

// Event is the audit-trail event of a review with this outcome.
func (o ReviewOutcome) Event() EventType {
	return map[ReviewOutcome]EventType{
		OutcomeListed: EventProductListed, OutcomeEditPublished: EventProductEditPublished, OutcomeApproved: EventProductApproved,
		OutcomeRejected: EventProductRejected, OutcomeEditRejected: EventProductEditRejected,
	}[o]
}

// Review records a reviewer's decision (R-LS1, R-LS3, R-ON3). depositReceived
// tells whether the provider's deposit was ever received in full.
func (p *Product) Review(decision, reportRef, reason, reviewer string, depositReceived bool, now time.Time) (ReviewOutcome, error) {
	reportRef, reason = strings.TrimSpace(reportRef), strings.TrimSpace(reason)
	switch decision {
	case "approve":
		if reportRef == "" {
			return "", fault.New(fault.MissingParameter, "securityReportRef is required to approve: every listing passes a security review (R-LS1).")
		}
	case "reject":
		if reason == "" {
			return "", fault.New(fault.MissingParameter, "reason is required to reject: the provider is told why (R-LS3).")
		}
	case "":
		return "", fault.Missing("decision")
	default:
		return "", fault.Invalid("Decision", "decision must be \"approve\" or \"reject\", got %q.", decision)
	}
	if !p.InReview() {
		return "", fault.Failed("ProductNotInReview", "Product %s is not waiting for review (status %s).", p.ID, p.Status)
	}
	p.LastReview = &Review{Decision: decision, SecurityReportRef: reportRef, Reason: reason, Reviewer: reviewer, At: now}
	p.UpdatedAt = now
	editing := p.EditStatus == EditPendingReview
	switch {
	case decision == "reject" && editing:
		p.EditStatus = EditRejected
		return OutcomeEditRejected, nil
	case decision == "reject":
		p.Status = ProductRejected
		return OutcomeRejected, nil
	case editing:
		p.list(now)
		return OutcomeEditPublished, nil
	case depositReceived:
		p.list(now)
		return OutcomeListed, nil
	default:
		p.Status = ProductApproved
		return OutcomeApproved, nil
	}
}

func (p *Product) list(now time.Time) {
	c := p.Content
	p.Listed, p.Status, p.EditStatus, p.ListedAt = &c, ProductListed, "", now
}

// ListApproved lists an approved product once the deposit arrives (R-ON3).
func (p *Product) ListApproved(now time.Time) bool {
	if p.Status != ProductApproved {
		return false
	}
	p.list(now)
	return true
}

// Delist takes a product off the marketplace.
func (p *Product) Delist(reason string, now time.Time) error {
	if p.Status == ProductDelisted {
		return fault.Failed("ProductDelisted", "Product %s is already delisted.", p.ID)
	}
	if utf8.RuneCountInString(reason) > MaxMainBusinessLen {
		return fault.Invalid("Reason", "reason is longer than %d characters.", MaxMainBusinessLen)
	}
	p.Status, p.EditStatus, p.DelistedAt, p.DelistReason, p.UpdatedAt = ProductDelisted, "", now, strings.TrimSpace(reason), now
	return nil
}

// StoreOpen tells whether buyers may see a provider's listed products now.
func (prov *Provider) StoreOpen(now time.Time) bool {
	switch prov.Status {
	case ProviderExited, ProviderExpelled:
		return false
	}
	return prov.Store.View(now).Status == StoreOpen
}

// checkNotLeaving refuses new products from a provider on its way out: an
// exiting provider sells nothing new (R-EX2).
func (prov *Provider) checkNotLeaving() error {
	if prov.Status == ProviderExiting {
		return fault.Failed("ProviderExiting", "Provider %s is exiting the marketplace; it cannot add or submit products.", prov.ID)
	}
	return nil
}
