package market

import (
	"fmt"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// Period is one calendar month of settlement, Asia/Shanghai ("2026-10").
type Period struct {
	Name  string
	Start time.Time // first instant of the month
	End   time.Time // first instant of the next month: the period is [Start, End)
}

// ParsePeriod reads "YYYY-MM".
func ParsePeriod(s string) (Period, error) {
	if s == "" {
		return Period{}, fault.Missing("period")
	}
	start, err := time.ParseInLocation("2006-01", s, workday.Shanghai)
	if err != nil || start.Format("2006-01") != s {
		return Period{}, fault.Invalid("Period", "period must be a month as YYYY-MM, e.g. \"2026-10\"; got %q.", s)
	}
	return Period{Name: s, Start: start, End: start.AddDate(0, 1, 0)}, nil
}

// PeriodBefore is the month before the one now falls in (Asia/Shanghai): what
// the settle-providers timer settles on the 1st.
func PeriodBefore(now time.Time) Period {
	n := now.In(workday.Shanghai)
	p, _ := ParsePeriod(time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, workday.Shanghai).Format("2006-01"))
	return p
}

// CheckEnded refuses a period that has not ended: its orders may still
// complete.
func (p Period) CheckEnded(now time.Time) error {
	if now.Before(p.End) {
		return fault.Failed("PeriodNotEnded", "Period %s ends at %s; settle it after that.", p.Name, p.End.Format(time.RFC3339))
	}
	return nil
}

// Statement line types (API.md "Settlement and statements").
const (
	LineSale           = "sale"
	LinePlatformFee    = "platform_fee"
	LineClawback       = "refund_clawback"
	LineDepositOwed    = "deposit_owed"
	LinePayoutReturned = "payout_returned" // a failed transfer, back on the balance
	LineDepositTopUp   = "deposit_topup"   // a short deposit made up from the payable (R-DP5)
)

// StatementLine is one line of a statement, linked to what caused it.
type StatementLine struct {
	Type        string
	OrderID     string
	RefundID    string
	ViolationID string
	PayoutID    string
	AmountFen   money.Fen
	At          time.Time
	Description string
}

// SaleLines are an order's lines when it settles (R-FE1, R-RF7): the sale, less
// what the platform refunded from the held money, and the platform's fee
// (negative), less the fee share of every refund. A refund the provider paid
// itself leaves the sale whole: the provider gave the buyer that money.
func SaleLines(o *Order) []StatementLine {
	at := o.CompletedAt
	sale := o.AmountFen - (o.RefundedFen - o.RefundedByProvider)
	fee := o.PlatformFee - o.PlatformFeeRefunded
	rate := fmt.Sprintf("%d.%02d%%", o.Fee.RateBps/100, o.Fee.RateBps%100)
	what := "平台服务费 " + rate
	if o.Fee.Mode == FeeConsignment {
		what = "代销分成 " + rate
	}
	var out []StatementLine
	if sale != 0 {
		out = append(out, StatementLine{Type: LineSale, OrderID: o.ID, AmountFen: sale, At: at, Description: o.ProductName})
	}
	if fee != 0 {
		out = append(out, StatementLine{Type: LinePlatformFee, OrderID: o.ID, AmountFen: -fee, At: at, Description: what})
	}
	return out
}

// ClawbackLine is a platform refund of an order settled earlier (R-RF7).
func ClawbackLine(c Clawback) StatementLine {
	return StatementLine{Type: LineClawback, OrderID: c.OrderID, RefundID: c.RefundID, AmountFen: -c.AmountFen, At: c.At, Description: "已结算订单退款追回"}
}

// PayoutReturnedLine is a failed transfer's amount, back on the balance.
func PayoutReturnedLine(p *Payout) StatementLine {
	return StatementLine{Type: LinePayoutReturned, PayoutID: p.ID, AmountFen: p.AmountFen, At: p.FailedAt, Description: "付款失败退回: " + p.FailureReason}
}

// Statement is one provider's settlement of one period.
type Statement struct {
	ID                string
	ProviderID        string
	Period            string
	Mode              FeeMode
	OpeningFen        money.Fen
	SalesFen          money.Fen // Σ sale lines
	FeesFen           money.Fen // Σ platform_fee lines (≤ 0)
	ClawbacksFen      money.Fen // Σ refund_clawback lines (≤ 0)
	OwedRecoveredFen  money.Fen // the deposit_owed line (≤ 0)
	ReturnedFen       money.Fen // Σ payout_returned lines
	TopUpFen          money.Fen // the deposit_topup line (≤ 0)
	ClosingFen        money.Fen
	PayoutFen         money.Fen
	CarriedForwardFen money.Fen
	LineCount         int
	PayoutID          string
	Invoices          []StatementInvoice
	CreatedAt         time.Time
}

// StatementID names the one statement of a provider and period.
func StatementID(providerID, period string) string { return "stm_" + providerID + "_" + period }

// NewStatement opens a provider's statement for a period at the balance
// carried forward from its last one (≤ 0).
func NewStatement(providerID string, mode FeeMode, period string, opening money.Fen, now time.Time) *Statement {
	return &Statement{ID: StatementID(providerID, period), ProviderID: providerID, Period: period, Mode: mode, OpeningFen: opening, CreatedAt: now}
}

// Add counts one line in the statement's totals.
func (s *Statement) Add(l StatementLine) {
	switch l.Type {
	case LineSale:
		s.SalesFen += l.AmountFen
	case LinePlatformFee:
		s.FeesFen += l.AmountFen
	case LineClawback:
		s.ClawbacksFen += l.AmountFen
	case LineDepositOwed:
		s.OwedRecoveredFen += l.AmountFen
	case LinePayoutReturned:
		s.ReturnedFen += l.AmountFen
	case LineDepositTopUp:
		s.TopUpFen += l.AmountFen
	}
	s.LineCount++
}

// linesFen is Σ of every line.
func (s *Statement) linesFen() money.Fen {
	return s.SalesFen + s.FeesFen + s.ClawbacksFen + s.OwedRecoveredFen + s.ReturnedFen + s.TopUpFen
}

// Recover is the deposit_owed line (R-VI11): what the provider owes from
// deductions beyond its deposit, as far as this statement's balance covers
// it, never driving the balance below zero; the rest stays owed. No line
// when nothing is recovered.
func (s *Statement) Recover(owed money.Fen, at time.Time) (StatementLine, bool) {
	available := s.OpeningFen + s.linesFen()
	take := min(owed, max(available, 0))
	if take <= 0 {
		return StatementLine{}, false
	}
	return StatementLine{Type: LineDepositOwed, AmountFen: -take, At: at, Description: "保证金不足欠款抵扣 (R-VI11)"}, true
}

// TopUp is the deposit_topup line (R-DP5): what is missing from a short
// deposit, taken from what this statement would pay out after every other
// line (owed amounts are recovered first, Recover), never driving the balance
// below zero: a statement with nothing to pay tops up nothing and carries
// nothing forward for it. No line when nothing is taken.
func (s *Statement) TopUp(shortfall money.Fen, at time.Time) (StatementLine, bool) {
	available := s.OpeningFen + s.linesFen()
	take := min(shortfall, max(available, 0))
	if take <= 0 {
		return StatementLine{}, false
	}
	return StatementLine{Type: LineDepositTopUp, AmountFen: -take, At: at, Description: "结算款补足保证金 (R-DP5)"}, true
}

// Close computes the closing balance, the payout (never negative) and what is
// carried forward (≤ 0), and the statement's invoices (R-FE2).
func (s *Statement) Close() {
	s.ClosingFen = s.OpeningFen + s.linesFen()
	s.PayoutFen = max(s.ClosingFen, 0)
	s.CarriedForwardFen = min(s.ClosingFen, 0)
	s.Invoices = StatementInvoices(s)
}

// Check proves the statement adds up: opening + Σ lines = closing, payout =
// max(closing, 0), carried forward = min(closing, 0).
func (s *Statement) Check() error {
	if s.OpeningFen > 0 {
		return fmt.Errorf("statement %s opens at %d fen; only a negative balance is carried forward", s.ID, s.OpeningFen)
	}
	if s.ClosingFen != s.OpeningFen+s.linesFen() || s.PayoutFen != max(s.ClosingFen, 0) || s.CarriedForwardFen != min(s.ClosingFen, 0) {
		return fmt.Errorf("statement %s does not add up: opening %d + lines %d, closing %d, payout %d, carried %d",
			s.ID, s.OpeningFen, s.linesFen(), s.ClosingFen, s.PayoutFen, s.CarriedForwardFen)
	}
	return nil
}

// Active tells whether the statement has anything to say: a statement is
// written only for a provider with activity in the period.
func (s *Statement) Active() bool { return s.LineCount > 0 }

// SettlementTxn posts a closed statement (R-FE1, R-RF7, R-VI11): sales leave
// the held money for the provider's payable and the platform's revenue;
// clawbacks, recovered owed amounts and returned payouts move onto the
// payable; a deposit top-up leaves it for the deposit (R-DP5); a payout leaves
// it for the pending transfer.
func SettlementTxn(s *Statement) (LedgerTxn, bool, error) {
	pa := func(kind Account) Account { return ProviderAccount(kind, s.ProviderID) }
	return NewLedgerTxn(LedgerSettlement, s.ID, s.ProviderID, s.CreatedAt,
		Posting{pa(AccountBuyerFundsHeld), s.SalesFen},
		Posting{AccountPlatformRevenue, s.FeesFen},
		Posting{pa(AccountProviderPayable), -(s.SalesFen + s.FeesFen)},
		Posting{pa(AccountClawbacksDue), s.ClawbacksFen},
		Posting{pa(AccountProviderPayable), -s.ClawbacksFen},
		Posting{pa(AccountDepositOwed), s.OwedRecoveredFen},
		Posting{pa(AccountProviderPayable), -s.OwedRecoveredFen},
		Posting{pa(AccountPayoutsReturned), s.ReturnedFen},
		Posting{pa(AccountProviderPayable), -s.ReturnedFen},
		Posting{pa(AccountDepositTopUps), s.TopUpFen},
		Posting{pa(AccountProviderPayable), -s.TopUpFen},
		Posting{pa(AccountProviderPayable), s.PayoutFen},
		Posting{pa(AccountPayoutsPending), -s.PayoutFen})
}

// Invoice statuses of a statement (R-FE2).
const (
	InvoiceToIssue                 = "to_issue"                  // the platform issues it
	InvoiceAwaitingProvider        = "awaiting_provider_invoice" // consignment: the provider's invoice to the platform
	InvoiceReceived                = "received"                  // finance has the provider's invoice
	InvoiceRequested               = "requested"                 // the provider asked for the platform's fee invoice (R-FE2)
	InvoiceBetweenProviderAndBuyer = "between_provider_and_buyer"
)

// StatementInvoice is one invoice a statement calls for (R-FE2).
type StatementInvoice struct {
	Issuer    string
	Recipient string
	Subject   string
	AmountFen money.Fen
	Status    string
	StatusAt  time.Time // when the status last changed
}

// StatementInvoices: platform mode — the platform invoices the provider its
// service fee for the period (one invoice), and the provider invoices each
// buyer the sale price itself; consignment — the platform has invoiced the
// buyers, and the provider invoices the platform the settlement amount (sales
// less the platform's share), which finance tracks until received.
func StatementInvoices(s *Statement) []StatementInvoice {
	if s.Mode == FeeConsignment {
		if amount := s.SalesFen + s.FeesFen; amount > 0 {
			return []StatementInvoice{{Issuer: "provider", Recipient: "platform", Subject: "settlement", AmountFen: amount, Status: InvoiceAwaitingProvider}}
		}
		return nil
	}
	var out []StatementInvoice
	if s.SalesFen > 0 {
		out = append(out, StatementInvoice{Issuer: "provider", Recipient: "buyer", Subject: "sale", AmountFen: s.SalesFen, Status: InvoiceBetweenProviderAndBuyer})
	}
	if s.FeesFen < 0 {
		out = append(out, StatementInvoice{Issuer: "platform", Recipient: "provider", Subject: "service_fee", AmountFen: -s.FeesFen, Status: InvoiceToIssue})
	}
	return out
}

// InvoiceReceivedNow records that finance has the provider's settlement
// invoice (consignment, R-FE2).
func (s *Statement) InvoiceReceivedNow(now time.Time) error {
	for i := range s.Invoices {
		inv := &s.Invoices[i]
		if inv.Issuer != "provider" || inv.Recipient != "platform" {
			continue
		}
		if inv.Status == InvoiceReceived {
			return fault.Failed("InvoiceAlreadyReceived", "The settlement invoice of statement %s was recorded as received already.", s.ID)
		}
		inv.Status, inv.StatusAt = InvoiceReceived, now
		return nil
	}
	return fault.Failed("NoProviderInvoice", "Statement %s calls for no invoice from the provider (platform mode: the platform invoices its service fee).", s.ID)
}

// Payout statuses (API.md).
const (
	PayoutPending = "pending"
	PayoutPaid    = "paid"
	PayoutFailed  = "failed"
)

// Payout is the transfer of a positive statement's balance to the provider.
type Payout struct {
	ID            string
	ProviderID    string
	StatementID   string
	Period        string
	AmountFen     money.Fen
	Status        string
	Reference     string // the bank transfer's reference, once paid
	FailureReason string
	CreatedAt     time.Time
	PaidAt        time.Time
	FailedAt      time.Time
	ReturnedIn    string // the period whose statement took a failed payout back; "" until then
}

// PayoutID names a statement's payout.
func PayoutID(statementID string) string { return "pay_" + strings.TrimPrefix(statementID, "stm_") }

// NewPayout is the pending payout of a statement with a positive closing
// balance.
func NewPayout(s *Statement) *Payout {
	return &Payout{ID: PayoutID(s.ID), ProviderID: s.ProviderID, StatementID: s.ID, Period: s.Period, AmountFen: s.PayoutFen, Status: PayoutPending, CreatedAt: s.CreatedAt}
}

// MaxPayoutReference bounds a transfer reference.
const MaxPayoutReference = 64

// MarkPaid records the bank transfer's reference.
func (p *Payout) MarkPaid(reference string, now time.Time) error {
	if reference == "" {
		return fault.Missing("reference")
	}
	if len([]rune(reference)) > MaxPayoutReference {
		return fault.Invalid("Reference", "reference is longer than %d characters.", MaxPayoutReference)
	}
	if p.Status != PayoutPending {
		return fault.Failed("PayoutNotPending", "Payout %s is %s; only a pending payout is recorded paid or failed.", p.ID, p.Status)
	}
	p.Status, p.Reference, p.PaidAt = PayoutPaid, reference, now
	return nil
}

// MarkFailed records a failed transfer: the amount goes back to the
// provider's balance, on its next statement.
func (p *Payout) MarkFailed(reason string, now time.Time) error {
	if reason == "" {
		return fault.Missing("reason")
	}
	if len([]rune(reason)) > 500 {
		return fault.Invalid("Reason", "reason is longer than 500 characters.")
	}
	if p.Status != PayoutPending {
		return fault.Failed("PayoutNotPending", "Payout %s is %s; only a pending payout is recorded paid or failed.", p.ID, p.Status)
	}
	p.Status, p.FailureReason, p.FailedAt = PayoutFailed, reason, now
	return nil
}

// RecoverOwed lowers what the provider owes from deductions beyond its
// deposit by what a statement recovered (R-VI11).
func (d *Deposit) RecoverOwed(amount money.Fen) error {
	if amount <= 0 || amount > d.OwedFen {
		return fmt.Errorf("recovering %d fen of %d owed", amount, d.OwedFen)
	}
	d.OwedFen -= amount
	return nil
}

// RequestFeeInvoice records the provider's request for the invoice of the
// fees it paid (R-FE2: the platform's service-fee invoice of the statement).
func (s *Statement) RequestFeeInvoice(now time.Time) error {
	for i := range s.Invoices {
		inv := &s.Invoices[i]
		if inv.Issuer != "platform" || inv.Recipient != "provider" {
			continue
		}
		if inv.Status == InvoiceRequested {
			return fault.Failed("InvoiceAlreadyRequested", "The service-fee invoice of statement %s was requested already.", s.ID)
		}
		inv.Status, inv.StatusAt = InvoiceRequested, now
		return nil
	}
	return fault.Failed("NoFeeInvoice", "Statement %s has no platform fee to invoice (consignment: the platform invoices the buyers; or no fee this period).", s.ID)
}

// MaxConsignmentRate is the highest consignment share a contract may set.
const MaxConsignmentRate = money.BasisPoints(10000)

// SetConsignmentRate records the provider's contract rate for consignment
// sales (R-FE1): orders placed from now on freeze it; orders placed before
// keep theirs.
func (p *Provider) SetConsignmentRate(bps int64) (money.BasisPoints, error) {
	if err := ValidateConsignmentRate(bps); err != nil {
		return 0, err
	}
	if p.CooperationMode != string(FeeConsignment) {
		return 0, fault.Failed("NotConsignment", "Provider %s cooperates in %s mode; a consignment rate applies to consignment providers only (R-FE1).", p.ID, p.CooperationMode)
	}
	before := p.ConsignmentRate
	p.ConsignmentRate = money.BasisPoints(bps)
	return before, nil
}

// ValidateConsignmentRate checks a rate before any record is read.
func ValidateConsignmentRate(bps int64) error {
	if bps < 1 || bps > int64(MaxConsignmentRate) {
		return fault.Invalid("ConsignmentRateBps", "consignmentRateBps must be 1 to %d basis points (1000 = 10%%); got %d.", MaxConsignmentRate, bps)
	}
	return nil
}
