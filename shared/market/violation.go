package market

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// PenaltyAction is one measure of the annex (R-VI1..R-VI10).
type PenaltyAction string

// Penalty actions.
const (
	ActionBlockContent       PenaltyAction = "block_content"       // 屏蔽该信息
	ActionDelistProduct      PenaltyAction = "delist_product"      // 下架该产品
	ActionBlockStore         PenaltyAction = "block_store"         // 店铺屏蔽, N days
	ActionRestrictPublishing PenaltyAction = "restrict_publishing" // 限制发布产品, N days
	ActionExpel              PenaltyAction = "expel"               // 清退
	ActionBanAccount         PenaltyAction = "ban_account"         // 永久查封账户
	ActionDeductDeposit      PenaltyAction = "deduct_deposit"
)

var penaltyActions = []PenaltyAction{ActionBlockContent, ActionDelistProduct, ActionBlockStore, ActionRestrictPublishing, ActionExpel, ActionBanAccount, ActionDeductDeposit}

// ViolationLevel: R-VI1 rows are general, every row below severe.
type ViolationLevel string

// Violation levels.
const (
	LevelGeneral ViolationLevel = "general"
	LevelSevere  ViolationLevel = "severe"
)

// ViolationType is one row of the catalogue.
type ViolationType struct {
	Code          string          `json:"code"`
	Level         ViolationLevel  `json:"level"`
	Actions       []PenaltyAction `json:"actions"`
	Days          int             `json:"days"`
	DeductFen     money.Fen       `json:"deductFen"`
	ProductScoped bool            `json:"productScoped"` // names the product it is about
	RuleRef       string          `json:"ruleRef"`
	Description   string          `json:"description"`
}

// ViolationCatalogue is the annex as versioned data (R-VI10): a violation
// records the version that applied, so a later change rewrites no history.
type ViolationCatalogue struct {
	Version string          `json:"version"`
	Source  string          `json:"source"`
	Items   []ViolationType `json:"items"`
}

//go:embed violations.json
var catalogueFile []byte

// Catalogue is the violation catalogue the service runs with, loaded and
// checked at start: a broken file stops the program rather than letting a
// penalty run on a half-read table.
var Catalogue = mustCatalogue(catalogueFile)

func mustCatalogue(data []byte) *ViolationCatalogue {
	c, err := ParseCatalogue(data)
	if err != nil {
		panic("market: violations.json: " + err.Error())
	}
	return c
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)

// MaxPenaltyDays bounds a restriction (a typo in days would block for years).
const MaxPenaltyDays = 365

// ParseCatalogue reads and checks a catalogue: every row with a known level,
// known actions, days exactly when a timed action is named, a deduction
// exactly when deduct_deposit is, a rule reference and a description.
func ParseCatalogue(data []byte) (*ViolationCatalogue, error) {
	var c ViolationCatalogue
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("not a catalogue: %w", err)
	}
	var errs []error
	if strings.TrimSpace(c.Version) == "" {
		errs = append(errs, errors.New("version is empty"))
	}
	if len(c.Items) == 0 {
		errs = append(errs, errors.New("no items"))
	}
	seen := map[string]bool{}
	for i, t := range c.Items {
		where := fmt.Sprintf("items[%d] %q", i, t.Code)
		if !codePattern.MatchString(t.Code) {
			errs = append(errs, fmt.Errorf("%s: code must be lower-case snake_case", where))
		}
		if seen[t.Code] {
			errs = append(errs, fmt.Errorf("%s: code appears twice", where))
		}
		seen[t.Code] = true
		if t.Level != LevelGeneral && t.Level != LevelSevere {
			errs = append(errs, fmt.Errorf("%s: level must be general or severe, got %q", where, t.Level))
		}
		if len(t.Actions) == 0 {
			errs = append(errs, fmt.Errorf("%s: no actions", where))
		}
		for _, a := range t.Actions {
			if !slices.Contains(penaltyActions, a) {
				errs = append(errs, fmt.Errorf("%s: unknown action %q", where, a))
			}
		}
		timed := slices.Contains(t.Actions, ActionBlockStore) || slices.Contains(t.Actions, ActionRestrictPublishing)
		if timed != (t.Days > 0) || t.Days < 0 || t.Days > MaxPenaltyDays {
			errs = append(errs, fmt.Errorf("%s: days (%d) must be 1–%d exactly when block_store or restrict_publishing is an action", where, t.Days, MaxPenaltyDays))
		}
		if slices.Contains(t.Actions, ActionDeductDeposit) != (t.DeductFen > 0) || t.DeductFen < 0 || t.DeductFen > MaxDepositAmount {
			errs = append(errs, fmt.Errorf("%s: deductFen (%d) must be positive exactly when deduct_deposit is an action", where, t.DeductFen))
		}
		if (slices.Contains(t.Actions, ActionBlockContent) || slices.Contains(t.Actions, ActionDelistProduct)) && !t.ProductScoped {
			errs = append(errs, fmt.Errorf("%s: a row that delists or blocks content must be productScoped", where))
		}
		if strings.TrimSpace(t.RuleRef) == "" || strings.TrimSpace(t.Description) == "" {
			errs = append(errs, fmt.Errorf("%s: ruleRef and description are required", where))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &c, nil
}

// Type finds a row by its code.
func (c *ViolationCatalogue) Type(code string) (ViolationType, bool) {
	for _, t := range c.Items {
		if t.Code == code {
			return t, true
		}
	}
	return ViolationType{}, false
}

func (c *ViolationCatalogue) codes() string {
	var out []string
	for _, t := range c.Items {
		out = append(out, t.Code)
	}
	return strings.Join(out, ", ")
}

// ViolationStatus of a violation record.
type ViolationStatus string

// Violation statuses of API.md.
const (
	ViolationProposed   ViolationStatus = "proposed"
	ViolationApplied    ViolationStatus = "applied"
	ViolationDismissed  ViolationStatus = "dismissed"
	ViolationOverturned ViolationStatus = "overturned"
)

// Where a violation came from.
const (
	SourceRisk            = "risk"             // applied by the risk team
	SourceLateStart       = "late_start"       // R-SV2 → dishonest_behaviour
	SourceContactReport   = "contact_report"   // R-VI6, 48 hours unanswered
	SourceContactAttempts = "contact_attempts" // R-VI6, three staff attempts
)

// AppealWorkingDays is how long a provider may appeal (a decision beyond the
// seed: see API.md "Violations").
const AppealWorkingDays = 7

// Appeal statuses.
const (
	AppealPending    = "pending"
	AppealUpheld     = "upheld"
	AppealOverturned = "overturned"
)

// PenaltyStep is one action a violation applies, with what it did.
type PenaltyStep struct {
	Action    PenaltyAction
	ProductID string    // block_content, delist_product
	Days      int       // block_store, restrict_publishing
	Until     time.Time // block_store, restrict_publishing: applied at + days×24 h (R-WD4)
	AmountFen money.Fen // deduct_deposit
	Extra     bool      // added by the risk team beyond the row (R-VI10)
	// What the deduction did: from the balance, owed beyond it (R-VI11), and
	// its ledger entry.
	TakenFen money.Fen
	OwedFen  money.Fen
	EntryID  string
}

// Appeal is the provider's appeal and the risk team's decision.
type Appeal struct {
	Statement   string
	Status      string
	Reason      string
	FiledAt     time.Time
	DecidedAt   time.Time
	DecidedBy   string
	NotReversed []string // what an overturn could not undo, in words
}

// Violation is one penalty case.
type Violation struct {
	ID               string
	ProviderID       string
	Type             string
	Level            ViolationLevel
	RuleRef          string
	CatalogueVersion string
	ProductID        string
	Evidence         string
	Status           ViolationStatus
	Steps            []PenaltyStep
	Source           string
	SourceRef        string // the order, or contact report, a proposal comes from
	CreatedBy        string
	CreatedAt        time.Time
	AppliedAt        time.Time
	AppliedBy        string
	AppealDueAt      time.Time
	DismissedAt      time.Time
	DismissedBy      string
	DismissReason    string
	Delisted         []string       // products this violation took off the marketplace
	PriorStatus      ProviderStatus // the provider's status before an expulsion
	Appeal           *Appeal
}

// ExtraAction is one measure the risk team adds to a row (R-VI10).
type ExtraAction struct {
	Action    PenaltyAction
	AmountFen money.Fen
	Days      int
	ProductID string
}

// ViolationRequest is what the risk team files.
type ViolationRequest struct {
	Type         string
	ProductID    string
	Evidence     string
	ExtraActions []ExtraAction
}

// MaxEvidenceLen bounds the evidence text.
const MaxEvidenceLen = 5000

// Expels tells whether a violation ends the provider's cooperation (清退 or
// 永久查封: a sealed account cannot trade either).
func (v *Violation) Expels() bool {
	return slices.ContainsFunc(v.Steps, func(s PenaltyStep) bool { return s.Action == ActionExpel || s.Action == ActionBanAccount })
}

// Products names every product the violation's steps are about.
func (r ViolationRequest) Products() []string {
	var out []string
	if r.ProductID != "" {
		out = append(out, r.ProductID)
	}
	for _, x := range r.ExtraActions {
		if x.ProductID != "" && !slices.Contains(out, x.ProductID) {
			out = append(out, x.ProductID)
		}
	}
	return out
}

// NewViolation checks a request against the catalogue and plans its steps:
// the row's actions, then the extra ones (R-VI10). products holds the
// provider's products the request names, by ID (the caller reads them).
func NewViolation(id string, cat *ViolationCatalogue, prov *Provider, req ViolationRequest, products map[string]*Product, source, sourceRef, actor string, now time.Time) (*Violation, error) {
	code := strings.TrimSpace(req.Type)
	if code == "" {
		return nil, fault.Missing("type")
	}
	t, ok := cat.Type(code)
	if !ok {
		return nil, fault.Invalid("Type", "type %q is not in the violation catalogue (version %s); use one of %s.", code, cat.Version, cat.codes())
	}
	evidence := strings.TrimSpace(req.Evidence)
	if evidence == "" {
		return nil, fault.New(fault.MissingParameter, "evidence is required: describe what was found and where, so the provider can answer it.")
	}
	if len([]rune(evidence)) > MaxEvidenceLen {
		return nil, fault.Invalid("Evidence", "evidence is longer than %d characters.", MaxEvidenceLen)
	}
	if err := penaltyTarget(prov); err != nil {
		return nil, err
	}
	ownProduct := func(pid, field string) error {
		if _, ok := products[pid]; !ok {
			return fault.Invalid("ProductId", "%s %q is not a product of provider %s.", field, pid, prov.ID)
		}
		return nil
	}
	if req.ProductID != "" {
		if err := ownProduct(req.ProductID, "productId"); err != nil {
			return nil, err
		}
	} else if t.ProductScoped {
		return nil, fault.New(fault.MissingParameter, "productId is required for %s: name the product of provider %s it is about.", t.Code, prov.ID)
	}
	v := &Violation{ID: id, ProviderID: prov.ID, Type: t.Code, Level: t.Level, RuleRef: t.RuleRef, CatalogueVersion: cat.Version,
		ProductID: req.ProductID, Evidence: evidence, Status: ViolationProposed, Source: source, SourceRef: sourceRef, CreatedBy: actor, CreatedAt: now}
	for _, a := range t.Actions {
		s := PenaltyStep{Action: a}
		switch a {
		case ActionBlockContent, ActionDelistProduct:
			s.ProductID = req.ProductID
		case ActionBlockStore, ActionRestrictPublishing:
			s.Days = t.Days
		case ActionDeductDeposit:
			s.AmountFen = t.DeductFen
		}
		v.Steps = append(v.Steps, s)
	}
	for i, x := range req.ExtraActions {
		where := fmt.Sprintf("extraActions[%d]", i)
		s := PenaltyStep{Action: x.Action, Extra: true}
		switch x.Action {
		case ActionDeductDeposit:
			if x.AmountFen <= 0 || x.AmountFen > MaxDepositAmount || x.Days != 0 || x.ProductID != "" {
				return nil, fault.Invalid("ExtraActions", "%s: deduct_deposit takes only amountFen, a positive number of fen up to %d.", where, MaxDepositAmount)
			}
			s.AmountFen = x.AmountFen
		case ActionBlockStore, ActionRestrictPublishing:
			if x.Days < 1 || x.Days > MaxPenaltyDays || x.AmountFen != 0 || x.ProductID != "" {
				return nil, fault.Invalid("ExtraActions", "%s: %s takes only days, 1 to %d.", where, x.Action, MaxPenaltyDays)
			}
			s.Days = x.Days
		case ActionDelistProduct:
			if x.ProductID == "" || x.Days != 0 || x.AmountFen != 0 {
				return nil, fault.Invalid("ExtraActions", "%s: delist_product takes only productId.", where)
			}
			if err := ownProduct(x.ProductID, where+".productId"); err != nil {
				return nil, err
			}
			s.ProductID = x.ProductID
		case "":
			return nil, fault.Missing(where + ".action")
		default:
			return nil, fault.Invalid("ExtraActions", "%s: action must be deduct_deposit, block_store, restrict_publishing or delist_product, got %q.", where, x.Action)
		}
		v.Steps = append(v.Steps, s)
	}
	return v, nil
}

// penaltyTarget refuses a penalty on a provider that already left.
func penaltyTarget(p *Provider) error {
	switch p.Status {
	case ProviderExpelled:
		return fault.Failed("ProviderExpelled", "Provider %s is already expelled; nothing more can be applied.", p.ID)
	case ProviderExited:
		return fault.Failed("ProviderClosed", "Provider %s has exited the marketplace and its deposit was returned.", p.ID)
	}
	return nil
}

// CheckApplicable tells whether a proposed violation may be applied now.
func (v *Violation) CheckApplicable(prov *Provider) error {
	if v.Status != ViolationProposed {
		return fault.Failed("ViolationNotProposed", "Violation %s is %s; only a proposed violation can be confirmed or dismissed.", v.ID, v.Status)
	}
	return penaltyTarget(prov)
}

// MarkApplied records that the steps ran (the operation carried them out):
// timed steps end N×24 hours after now (R-WD4) and the appeal window opens.
func (v *Violation) MarkApplied(actor string, now time.Time, cal *workday.Calendar) {
	for i := range v.Steps {
		if v.Steps[i].Days > 0 {
			v.Steps[i].Until = now.Add(time.Duration(v.Steps[i].Days) * 24 * time.Hour)
		}
	}
	v.Status, v.AppliedAt, v.AppliedBy = ViolationApplied, now, actor
	v.AppealDueAt = cal.DueAfterWorkingDays(now, AppealWorkingDays)
}

// Dismiss closes a proposal without a penalty.
func (v *Violation) Dismiss(reason, actor string, now time.Time) error {
	reason, err := requiredText("reason", reason, MaxMainBusinessLen)
	if err != nil {
		return err
	}
	if v.Status != ViolationProposed {
		return fault.Failed("ViolationNotProposed", "Violation %s is %s; only a proposed violation can be dismissed.", v.ID, v.Status)
	}
	v.Status, v.DismissedAt, v.DismissedBy, v.DismissReason = ViolationDismissed, now, actor, reason
	return nil
}

// Until is the latest end of the violation's timed steps of one action.
func (v *Violation) Until(a PenaltyAction) time.Time {
	var out time.Time
	for _, s := range v.Steps {
		if s.Action == a && s.Until.After(out) {
			out = s.Until
		}
	}
	return out
}

// OpenUntil is until when the penalty counts as not executed (R-DP6): far in
// the future for a proposal or while an appeal awaits its decision (an
// overturn credits a deduction back, so what is to be returned is not known
// yet), the end of its restrictions once applied, and for an expulsion at
// least the end of its appeal window (an overturn in time readmits the
// provider, who must find its deposit still held); zero when nothing remains
// (dismissed, overturned, or no timed action). The store indexes it so a
// deposit return counts open penalties at any time.
func (v *Violation) OpenUntil() time.Time {
	switch v.Status {
	case ViolationProposed:
		return openForever
	case ViolationApplied:
		if v.Appeal != nil && v.Appeal.Status == AppealPending {
			return openForever
		}
		u := v.Until(ActionBlockStore)
		if r := v.Until(ActionRestrictPublishing); r.After(u) {
			u = r
		}
		// ExpulsionReversible still holds at AppealDueAt itself.
		if end := v.AppealDueAt.Add(time.Millisecond); v.Expels() && end.After(u) {
			u = end
		}
		return u
	}
	return time.Time{}
}

var openForever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// FileAppeal records the provider's appeal, within AppealWorkingDays of the
// penalty.
func (v *Violation) FileAppeal(statement string, now time.Time) error {
	statement, err := requiredText("statement", statement, MaxEvidenceLen)
	if err != nil {
		return err
	}
	if v.Status != ViolationApplied {
		return fault.Failed("ViolationNotApplied", "Violation %s is %s; only an applied penalty can be appealed.", v.ID, v.Status)
	}
	if v.Appeal != nil {
		return fault.Failed("AppealAlreadyFiled", "Violation %s was already appealed on %s.", v.ID, v.Appeal.FiledAt.In(workday.Shanghai).Format(time.DateOnly))
	}
	if now.After(v.AppealDueAt) {
		return fault.Failed("AppealWindowClosed", "The appeal window of violation %s closed at %s (%d working days).", v.ID, v.AppealDueAt.In(workday.Shanghai).Format(time.RFC3339), AppealWorkingDays)
	}
	v.Appeal = &Appeal{Statement: statement, Status: AppealPending, FiledAt: now}
	return nil
}

// DecideAppeal records the risk team's decision; overturn also marks the
// violation overturned (the operation reverses its steps in the same
// transaction).
func (v *Violation) DecideAppeal(decision, reason, actor string, now time.Time) error {
	switch decision {
	case "uphold", "overturn":
	case "":
		return fault.Missing("decision")
	default:
		return fault.Invalid("Decision", "decision must be \"uphold\" or \"overturn\", got %q.", decision)
	}
	reason, err := requiredText("reason", reason, MaxMainBusinessLen)
	if err != nil {
		return err
	}
	if v.Appeal == nil || v.Appeal.Status != AppealPending {
		return fault.Failed("NoPendingAppeal", "Violation %s has no appeal waiting for a decision.", v.ID)
	}
	v.Appeal.Reason, v.Appeal.DecidedAt, v.Appeal.DecidedBy = reason, now, actor
	if decision == "uphold" {
		v.Appeal.Status = AppealUpheld
		return nil
	}
	v.Appeal.Status, v.Status = AppealOverturned, ViolationOverturned
	return nil
}

// ExpulsionReversible tells whether an overturn may still undo an
// expulsion: only while the appeal window is open; after it, the expulsion
// stands (the exit refunds have run, the organisation was told).
func (v *Violation) ExpulsionReversible(now time.Time) bool {
	return !now.After(v.AppealDueAt)
}

// ReasonPenalty is the store closure of a penalty's block_store.
const ReasonPenalty = "penalty"

// ReasonExpelled closes the store of an expelled provider for good.
const ReasonExpelled = "expelled"

// BlockStoreUntil blocks the store until the given time (R-VI3..R-VI6, R-WD4).
// Overlapping blocks keep the latest end; a zero time lifts the block. It
// tells whether the block changed.
func (p *Provider) BlockStoreUntil(until, now time.Time) bool {
	for i, c := range p.Store.Closures {
		if c.Reason != ReasonPenalty {
			continue
		}
		if until.IsZero() || !now.Before(until) {
			p.Store.Closures = append(p.Store.Closures[:i], p.Store.Closures[i+1:]...)
			return true
		}
		if c.Until.Equal(until) {
			return false
		}
		p.Store.Closures[i].Until = until
		return true
	}
	if until.IsZero() || !now.Before(until) {
		return false
	}
	return p.Store.Close(Closure{Reason: ReasonPenalty, Blocked: true, Since: now, Until: until})
}

// PenaltyBlockUntil is the end of the store's penalty block, zero if none.
func (p *Provider) PenaltyBlockUntil() time.Time {
	for _, c := range p.Store.Closures {
		if c.Reason == ReasonPenalty {
			return c.Until
		}
	}
	return time.Time{}
}

// CheckPublishing refuses submitting or approving a product while a penalty
// restricts publishing.
func (p *Provider) CheckPublishing(now time.Time) error {
	if !p.CanPublish(now) {
		return fault.Failed("PublishingRestricted", "Provider %s may not publish products until %s (penalty); submit or approve after that.", p.ID, p.PublishRestrictedUntil.In(workday.Shanghai).Format(time.RFC3339))
	}
	return nil
}

// NextLiftAt is when the lifting timer must next act on the provider: the
// earliest end of its penalty block or publishing restriction still recorded.
// Zero when nothing waits.
func (p *Provider) NextLiftAt() time.Time {
	var out time.Time
	for _, t := range []time.Time{p.PenaltyBlockUntil(), p.PublishRestrictedUntil} {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}

// LiftExpired removes a penalty block and a publishing restriction whose time
// is up (R-WD4), each once.
func (p *Provider) LiftExpired(now time.Time) (storeLifted, publishingRestored bool) {
	if u := p.PenaltyBlockUntil(); !u.IsZero() && !now.Before(u) {
		storeLifted = p.Store.Reopen(ReasonPenalty)
	}
	if u := p.PublishRestrictedUntil; !u.IsZero() && !now.Before(u) {
		p.PublishRestrictedUntil, publishingRestored = time.Time{}, true
	}
	return storeLifted, publishingRestored
}

// Expel ends the provider's cooperation for a severe violation (R-EX1, 8.3):
// its store closes for good and the R-DP5 top-up clock stops (the deposit is
// settled by R-DP6 and the deduction).
func (p *Provider) Expel(now time.Time) {
	p.Status = ProviderExpelled
	p.Deposit.TopUpDueAt, p.Deposit.StoreClosed = time.Time{}, false
	p.Store.Close(Closure{Reason: ReasonExpelled, Since: now})
}

// Readmit undoes an expulsion overturned on appeal in time.
func (p *Provider) Readmit(prior ProviderStatus) {
	if p.Status != ProviderExpelled {
		return
	}
	p.Status = prior
	p.Store.Reopen(ReasonExpelled)
}

// CreditBack returns a reversed deduction to the deposit: what was taken goes
// back to the balance, what was owed is forgiven as far as it is still owed.
// It reports what was forgiven and whether the deposit became whole.
func (p *Provider) CreditBack(taken, owed money.Fen) (forgiven money.Fen, becameWhole bool) {
	d := &p.Deposit
	wasWhole := d.BalanceFen >= d.RequiredFen && d.EverHeld
	d.BalanceFen += taken
	forgiven = min(owed, d.OwedFen)
	d.OwedFen -= forgiven
	if d.BalanceFen >= d.RequiredFen && d.EverHeld {
		d.TopUpDueAt, d.StoreClosed = time.Time{}, false
		becameWhole = !wasWhole
	}
	return forgiven, becameWhole
}

// Relist puts back on the marketplace a product a penalty delisted (an
// overturned violation); false when it was never listed or is not delisted.
func (p *Product) Relist(now time.Time) bool {
	if p.Status != ProductDelisted || p.Listed == nil {
		return false
	}
	p.Status, p.DelistedAt, p.DelistReason, p.UpdatedAt = ProductListed, time.Time{}, "", now
	return true
}

// CheckReason checks a decision's reason before anything is read.
func CheckReason(reason string) error {
	_, err := requiredText("reason", reason, MaxMainBusinessLen)
	return err
}
