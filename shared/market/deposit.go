package market

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// DepositStatus is the deposit's state as API.md names it.
type DepositStatus string

// Deposit statuses of API.md.
const (
	DepositUnpaid    DepositStatus = "unpaid"    // never received in full
	DepositHeld      DepositStatus = "held"      // whole
	DepositShort     DepositStatus = "short"     // was whole, a deduction made it short (R-DP5)
	DepositReturning DepositStatus = "returning" // exit or expulsion: return due by returnDueAt (R-DP6)
	DepositReturned  DepositStatus = "returned"
)

// TopUpWorkingDays is R-DP5; ReturnWorkingDays is R-DP6.
const (
	TopUpWorkingDays  = 7
	ReturnWorkingDays = 15
)

// PaymentChannels are the transfer channels of R-DP2 ("payment" is the
// payment system's notification, Tenpay/WeChat Pay). The cloud account balance
// is not one of them (R-DP3).
var PaymentChannels = []string{"tenpay", "bank_counter", "cheque", "wire", "online_banking"}

// MaxDepositAmount bounds one payment or deduction (10,000,000 CNY), far above
// any deposit, to catch typos in fen.
const MaxDepositAmount = money.Fen(1_000_000_000)

// Deposit is a provider's security deposit. Its balance always equals the sum
// of its ledger entries (the store keeps both in one transaction).
type Deposit struct {
	RequiredFen money.Fen
	BalanceFen  money.Fen
	OwedFen     money.Fen // deducted beyond the balance, recovered from settlement (R-VI11)
	EverHeld    bool      // was received in full at least once (R-ON3)
	TopUpDueAt  time.Time // set while short after a deduction (R-DP5)
	StoreClosed bool      // the R-DP5 closure was applied for the current shortfall

	// The paper receipts (R-DP2: a receipt, never an invoice): one per payment,
	// posted to the address of the provider's payment notice, returned at exit.
	ReceiptNos        []string
	ReceiptMailTo     ReceiptMailing // from the latest matched payment notice
	Dispatches        []ReceiptDispatch
	ReceiptReturnedAt time.Time // the paper receipt came back (R-DP6)
	ReturnDueAt       time.Time
	ReturnOverdueAt   time.Time // set once the overdue return was flagged
	ReturnedAt        time.Time
}

// Status derives the API status.
func (d Deposit) Status() DepositStatus {
	switch {
	case !d.ReturnedAt.IsZero():
		return DepositReturned
	case !d.ReturnDueAt.IsZero():
		return DepositReturning
	case d.BalanceFen >= d.RequiredFen && d.EverHeld:
		return DepositHeld
	case d.EverHeld:
		return DepositShort
	}
	return DepositUnpaid
}

// ShortfallFen is what is missing to make the deposit whole.
func (d Deposit) ShortfallFen() money.Fen {
	if d.BalanceFen >= d.RequiredFen {
		return 0
	}
	return d.RequiredFen - d.BalanceFen
}

// Payment is a received transfer (R-DP2).
type Payment struct {
	AmountFen        money.Fen
	Channel          string
	Reference        string // the bank's or Tenpay's transaction reference
	PayerAccountName string
	PaidAt           time.Time
	// ViaPaymentSystem: the payment system delivered it (Tenpay/WeChat Pay);
	// its notification names no bank account to compare.
	ViaPaymentSystem bool
	NoticeID         string // the provider's payment notice it answers (seed 四.2)
}

// ChannelBankCounter is cash paid in at a bank counter: no payer account.
const ChannelBankCounter = "bank_counter"

// PayerCheck is what the platform can tell of who paid (R-DP2). Only a named
// payer equal to the company is its corporate account; anything else is
// recorded and counted all the same, and flagged to finance.
type PayerCheck string

// Payer checks.
const (
	PayerCorporateAccount PayerCheck = "corporate_account" // the company's own account
	PayerOtherAccount     PayerCheck = "other_account"     // another remitter, named (the seed's notice allows it)
	PayerNoAccount        PayerCheck = "no_payer_account"  // cash at a bank counter
	PayerPaymentSystem    PayerCheck = "payment_system"    // WeChat Pay names no account
)

// FromCorporateAccount tells whether the payment came from the provider's
// verified corporate account.
func (c PayerCheck) FromCorporateAccount() bool { return c == PayerCorporateAccount }

// CheckPayer compares a payment's payer with the provider's company name as it
// is now (a reported rename counts from the day it is reported, R-ON4).
func (p *Provider) CheckPayer(pay Payment) PayerCheck { return checkPayer(p.CompanyName, pay) }

func checkPayer(companyName string, pay Payment) PayerCheck {
	switch {
	case pay.ViaPaymentSystem:
		return PayerPaymentSystem
	case pay.Channel == ChannelBankCounter:
		return PayerNoAccount
	case normaliseAccountName(pay.PayerAccountName) == normaliseAccountName(companyName):
		return PayerCorporateAccount
	}
	return PayerOtherAccount
}

// normaliseAccountName makes "示例（深圳）科技 有限公司" and "示例(深圳)科技有限公司" equal:
// bank statements differ in spaces and full-width brackets.
func normaliseAccountName(s string) string {
	return strings.NewReplacer(" ", "", "\u3000", "", "（", "(", "）", ")").Replace(strings.TrimSpace(s))
}

// ValidatePayment checks a payment's own fields, before any provider is read.
func ValidatePayment(pay Payment, now time.Time) error {
	if err := checkAmount(pay.AmountFen); err != nil {
		return err
	}
	if pay.Channel == "" {
		return fault.Missing("channel")
	}
	if !slices.Contains(PaymentChannels, pay.Channel) {
		return fault.Invalid("Channel", "channel %q is not one of %s; the cloud account balance cannot pay a deposit (R-DP3).", pay.Channel, strings.Join(PaymentChannels, ", "))
	}
	if strings.TrimSpace(pay.Reference) == "" {
		return fault.Missing("reference")
	}
	if utf8.RuneCountInString(pay.Reference) > 64 {
		return fault.Invalid("Reference", "reference is longer than 64 characters.")
	}
	if utf8.RuneCountInString(pay.PayerAccountName) > MaxTextLen {
		return fault.Invalid("PayerAccountName", "payerAccountName is longer than %d characters.", MaxTextLen)
	}
	// Cash at a bank counter has no payer account; every other transfer names
	// the remitter (seed 四.2: "汇款方账户名称").
	if strings.TrimSpace(pay.PayerAccountName) == "" && !pay.ViaPaymentSystem && pay.Channel != ChannelBankCounter {
		return fault.Missing("payerAccountName")
	}
	if pay.PaidAt.IsZero() {
		return fault.Missing("paidAt")
	}
	if pay.PaidAt.After(now.Add(5 * time.Minute)) {
		return fault.Invalid("PaidAt", "paidAt is in the future.")
	}
	return nil
}

// CheckPayment validates a payment for this provider at now. Who paid is
// never a reason to refuse money that has arrived (R-DP2, CheckPayer); a
// provider that left, or whose deposit is going back, takes no payment.
func (p *Provider) CheckPayment(pay Payment, now time.Time) error {
	if err := ValidatePayment(pay, now); err != nil {
		return err
	}
	switch p.Status {
	case ProviderExited, ProviderExpelled:
		return p.CheckActing()
	}
	if p.Deposit.Status() == DepositReturning || p.Deposit.Status() == DepositReturned {
		return fault.Failed("DepositReturning", "Provider %s's deposit is being returned; no payment can be recorded.", p.ID)
	}
	return nil
}

func checkAmount(a money.Fen) error {
	if a <= 0 {
		return fault.Invalid("AmountFen", "amountFen must be a positive number of fen, got %d.", a)
	}
	if a > MaxDepositAmount {
		return fault.Invalid("AmountFen", "amountFen %d is above the limit of %d fen; check the unit (fen, not yuan).", a, MaxDepositAmount)
	}
	return nil
}

// DepositChange says what a payment or deduction did.
type DepositChange struct {
	BecameWhole bool      // a payment made it whole (reopen, list approved products)
	Reopened    bool      // and that lifted the store's closure for the shortfall (R-DP5)
	FirstHeld   bool      // the deposit was received in full for the first time (R-ON3)
	BecameShort bool      // a deduction made it short (start the top-up clock)
	TakenFen    money.Fen // a deduction: what came from the balance
	OwedFen     money.Fen // a deduction: what is owed beyond the balance
}

// ApplyPayment adds a received payment and the number of the receipt issued
// for it.
func (p *Provider) ApplyPayment(amount money.Fen, receiptNo string) DepositChange {
	d := &p.Deposit
	wasWhole := d.BalanceFen >= d.RequiredFen && d.EverHeld
	d.BalanceFen += amount
	if receiptNo != "" {
		d.ReceiptNos = append(d.ReceiptNos, receiptNo)
	}
	var ch DepositChange
	if d.BalanceFen >= d.RequiredFen {
		ch.FirstHeld = !d.EverHeld
		ch.BecameWhole = !wasWhole
		d.EverHeld = true
		d.TopUpDueAt = time.Time{}
		d.StoreClosed = false
		ch.Reopened = ch.BecameWhole && p.Store.Reopen(ReasonDepositShort)
	}
	return ch
}

// ChannelSettlement is how a statement's deposit_topup reaches the deposit:
// not a transfer channel of R-DP2, so no one can record a payment by it.
const ChannelSettlement = "settlement"

// SettlementTopUpDue is what a statement makes up of the deposit from what it
// would pay out (R-DP5): the shortfall of a deposit a deduction made short,
// for a provider that continues on the marketplace (an exiting provider's
// deposit goes back under R-DP6; topping it up would only return it later).
//
// R-DP3 and the seed ("服务商的保证金需要单独缴纳，不支持从服务商的充值账号下扣除")
// bar paying the deposit from the provider's cloud account balance: money the
// provider prepaid to spend on cloud resources. A settlement payable is not
// that balance: it is money the platform holds and owes the provider, on its
// way to the provider's settlement account. Paying part of it into the
// deposit account instead is the top-up R-DP5 asks for, made by the platform
// in its own books rather than sent out and remitted back; the payout is what
// remains. It is recorded exactly as a received top-up (ApplyPayment).
func (p *Provider) SettlementTopUpDue() money.Fen {
	if !p.topUpApplies() || p.Deposit.Status() != DepositShort {
		return 0
	}
	return p.Deposit.ShortfallFen()
}

// Deduct takes amount from the deposit (R-DP4): what the balance cannot cover is
// owed (R-VI11). A shortfall starts the 7-working-day top-up clock unless one
// is already running (R-DP5).
func (p *Provider) Deduct(amount money.Fen, reason string, now time.Time, cal *workday.Calendar) (DepositChange, error) {
	if err := ValidateDeduction(amount, reason); err != nil {
		return DepositChange{}, err
	}
	d := &p.Deposit
	if s := d.Status(); s == DepositReturning || s == DepositReturned {
		return DepositChange{}, fault.Failed("DepositReturning", "Provider %s's deposit is %s; nothing can be deducted from it.", p.ID, s)
	}
	ch := DepositChange{TakenFen: min(amount, d.BalanceFen)}
	ch.OwedFen = amount - ch.TakenFen
	d.BalanceFen -= ch.TakenFen
	d.OwedFen += ch.OwedFen
	if d.BalanceFen < d.RequiredFen && d.TopUpDueAt.IsZero() && p.topUpApplies() {
		d.TopUpDueAt = cal.DueAfterWorkingDays(now, TopUpWorkingDays)
		ch.BecameShort = true
	}
	return ch, nil
}

// topUpApplies tells whether R-DP5 binds the provider: it continues on the
// marketplace. An exiting or departed provider's deposit is settled by R-DP6.
func (p *Provider) topUpApplies() bool {
	return p.Status == ProviderActive || p.Status == ProviderContractPending
}

// ValidateDeduction checks a deduction's own fields.
func ValidateDeduction(amount money.Fen, reason string) error {
	if err := checkAmount(amount); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return fault.New(fault.MissingParameter, "reason is required for a deduction: the provider is told why.")
	}
	if utf8.RuneCountInString(reason) > MaxMainBusinessLen {
		return fault.Invalid("Reason", "reason is longer than %d characters.", MaxMainBusinessLen)
	}
	return nil
}

// TopUpOverdue tells whether the R-DP5 closure is due now and not yet applied.
func (p *Provider) TopUpOverdue(now time.Time) bool {
	d := p.Deposit
	return p.topUpApplies() && !d.TopUpDueAt.IsZero() && now.After(d.TopUpDueAt) && d.BalanceFen < d.RequiredFen && !d.StoreClosed
}

// ReturnBlocker is one reason the deposit cannot be returned yet (R-DP6).
type ReturnBlocker struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Obligations are the open matters that block a deposit return, counted by the
// operations from the other records (R-DP6).
type Obligations struct {
	UnexecutedPenalties int
	OpenDisputes        int // refunds requested, declined or in arbitration
	UnfinishedOrders    int
}

// CooperationEnding tells whether the provider's cooperation is ending or
// ended so its deposit goes back under R-DP6: an exit in progress, or an
// expulsion (R-EX1), after which the provider stays expelled.
func (p *Provider) CooperationEnding() bool {
	return p.Status == ProviderExiting || p.Status == ProviderExpelled
}

// ReturnBlockers lists what stands between an exiting or expelled provider and
// its deposit (R-DP6): an unexecuted penalty (an unpaid owed amount is one), an
// open complaint or dispute, an unfinished trade, and the paper receipt.
func (p *Provider) ReturnBlockers(o Obligations) []ReturnBlocker {
	var out []ReturnBlocker
	if !p.CooperationEnding() {
		out = append(out, ReturnBlocker{"NotExiting", "The provider has not started an exit and was not expelled; a provider who continues keeps its deposit (R-DP6)."})
	}
	if p.Deposit.OwedFen > 0 {
		out = append(out, ReturnBlocker{"AmountOwed", "The provider owes " + p.Deposit.OwedFen.String() + " from deductions beyond its balance (R-VI11)."})
	}
	if o.UnexecutedPenalties > 0 {
		out = append(out, ReturnBlocker{"UnexecutedPenalty", "A penalty has not been executed yet."})
	}
	if o.OpenDisputes > 0 {
		out = append(out, ReturnBlocker{"OpenDispute", "A complaint, refund or dispute is still open."})
	}
	if o.UnfinishedOrders > 0 {
		out = append(out, ReturnBlocker{"UnfinishedOrder", "A trade is not finished yet."})
	}
	if p.Deposit.ReceiptReturnedAt.IsZero() {
		out = append(out, ReturnBlocker{"ReceiptNotReturned", "The platform has not received its paper receipt back (R-DP6)."})
	}
	return out
}

// ReceiptReturned records the paper receipt's return and, when nothing else
// blocks, schedules the return within 15 working days (R-DP6).
func (p *Provider) ReceiptReturned(o Obligations, now time.Time, cal *workday.Calendar) ([]ReturnBlocker, error) {
	if !p.CooperationEnding() {
		return nil, fault.Failed("ProviderNotExiting", "Provider %s has not started an exit and was not expelled; its deposit stays in place while it continues (R-DP6).", p.ID)
	}
	if !p.Deposit.ReturnDueAt.IsZero() {
		return nil, fault.Failed("DepositReturning", "The deposit of provider %s is already due back by %s.", p.ID, p.Deposit.ReturnDueAt.In(workday.Shanghai).Format(time.DateOnly))
	}
	if p.Deposit.ReceiptReturnedAt.IsZero() {
		p.Deposit.ReceiptReturnedAt = now
	}
	blockers := p.ReturnBlockers(o)
	if len(blockers) == 0 {
		p.Deposit.ReturnDueAt = cal.DueAfterWorkingDays(now, ReturnWorkingDays)
	}
	return blockers, nil
}

// ReturnDeposit records that the balance was paid back: an exit is complete
// (exited); an expelled provider stays expelled, its ban unchanged (R-EN7). A
// zero balance (the deductions took it all) is recorded as a return of 0.00:
// the receipt is back and the deposit account is closed. What blocks a return
// is checked again at payout (R-DP6): a refund or an unfinished order may have
// appeared since the return was scheduled.
func (p *Provider) ReturnDeposit(o Obligations, now time.Time) (money.Fen, error) {
	if p.Deposit.ReturnDueAt.IsZero() || !p.Deposit.ReturnedAt.IsZero() {
		return 0, fault.Failed("DepositNotReturnable", "The deposit of provider %s is not due for return (status %s).", p.ID, p.Deposit.Status())
	}
	if b := p.ReturnBlockers(o); len(b) > 0 {
		msgs := make([]string, len(b))
		for i, x := range b {
			msgs[i] = x.Message
		}
		return 0, fault.Failed("DepositReturnBlocked", "The deposit of provider %s cannot be returned now: %s", p.ID, strings.Join(msgs, " "))
	}
	amount := p.Deposit.BalanceFen
	p.Deposit.BalanceFen = 0
	p.Deposit.ReturnedAt = now
	p.Deposit.TopUpDueAt, p.Deposit.StoreClosed = time.Time{}, false // nothing left to top up
	if p.Status == ProviderExiting {
		p.Status = ProviderExited
	}
	return amount, nil
}

// ReturnOverdue tells whether a scheduled return passed its due time and was
// not yet flagged.
func (p *Provider) ReturnOverdue(now time.Time) bool {
	d := p.Deposit
	return !d.ReturnDueAt.IsZero() && d.ReturnedAt.IsZero() && now.After(d.ReturnDueAt) && d.ReturnOverdueAt.IsZero()
}
