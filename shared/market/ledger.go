package market

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/money"
)

// Account names one account of the settlement ledger. The accounts marked
// per provider are suffixed ":{providerId}" (ProviderAccount).
type Account string

// Platform-wide accounts.
const (
	AccountPaymentsReceived Account = "payments_received" // buyers' money into the merchant account (debit)
	AccountRefundsPaid      Account = "refunds_paid"      // refunds the platform paid out (credit)
	AccountPlatformRevenue  Account = "platform_revenue"  // service fees and consignment shares (R-FE1, credit)
	AccountDeductions       Account = "deductions"        // deposit deductions the ledger sees: owed amounts and refund shares (R-DP4, R-VI11)
	AccountPayouts          Account = "payouts"           // transfers to providers that went out (credit)
)

// Per-provider accounts.
const (
	AccountBuyerFundsHeld  Account = "buyer_funds_held" // paid orders not settled yet
	AccountProviderPayable Account = "provider_payable" // what the platform owes the provider (credit) or is owed (debit)
	AccountClawbacksDue    Account = "clawbacks_due"    // refund shares of settled orders, for the next statement (R-RF7)
	AccountDepositOwed     Account = "deposit_owed"     // deducted beyond the deposit, for recovery (R-VI11)
	AccountPayoutsPending  Account = "payouts_pending"  // payouts issued and not yet transferred
	AccountPayoutsReturned Account = "payouts_returned" // failed transfers, back on the next statement
	// AccountDepositTopUps is provider money a statement moved into its short
	// deposit instead of paying it out (R-DP5, credit); the deposit itself is
	// kept on the deposit ledger.
	AccountDepositTopUps Account = "deposit_topups"
)

// ProviderAccount is a per-provider account of one provider.
func ProviderAccount(kind Account, providerID string) Account {
	return kind + ":" + Account(providerID)
}

// Kind is the account's kind without its provider.
func (a Account) Kind() Account {
	k, _, _ := strings.Cut(string(a), ":")
	return Account(k)
}

// Posting is one side of a ledger transaction: a debit is positive, a credit
// negative, so a balanced transaction sums to zero.
type Posting struct {
	Account   Account
	AmountFen money.Fen
}

// LedgerKind says what business change a ledger transaction records.
type LedgerKind string

// Ledger transaction kinds; each is written once per subject.
const (
	LedgerOrderPaid    LedgerKind = "order_paid"    // subject: the order
	LedgerRefundPaid   LedgerKind = "refund_paid"   // subject: the refund
	LedgerDepositOwed  LedgerKind = "deposit_owed"  // subject: the deposit entry of the deduction
	LedgerSettlement   LedgerKind = "settlement"    // subject: the statement
	LedgerPayoutPaid   LedgerKind = "payout_paid"   // subject: the payout
	LedgerPayoutFailed LedgerKind = "payout_failed" // subject: the payout
)

// LedgerTxn is a balanced set of postings, written in the transaction of the
// business change it records and never edited: a correction is a new one.
type LedgerTxn struct {
	ID         string // "led_{kind}_{subject}": a second write of the same change is refused
	Kind       LedgerKind
	Subject    string
	ProviderID string
	At         time.Time
	Postings   []Posting
}

// NewLedgerTxn builds a transaction from postings: those on the same account
// are added up, zero ones dropped, and the result must balance. ok is false
// when nothing is left to post (a change of no money).
func NewLedgerTxn(kind LedgerKind, subject, providerID string, at time.Time, postings ...Posting) (LedgerTxn, bool, error) {
	sums := map[Account]money.Fen{}
	for _, p := range postings {
		sums[p.Account] += p.AmountFen
	}
	t := LedgerTxn{ID: "led_" + string(kind) + "_" + subject, Kind: kind, Subject: subject, ProviderID: providerID, At: at}
	for _, a := range slices.Sorted(maps.Keys(sums)) {
		if sums[a] != 0 {
			t.Postings = append(t.Postings, Posting{Account: a, AmountFen: sums[a]})
		}
	}
	if len(t.Postings) == 0 {
		return LedgerTxn{}, false, nil
	}
	return t, true, t.Check()
}

// Check proves the transaction balances: at least two postings on named
// accounts, none zero, debits equal credits.
func (t LedgerTxn) Check() error {
	if len(t.Postings) < 2 {
		return fmt.Errorf("ledger %s: %d posting(s); a transaction moves money between at least two accounts", t.ID, len(t.Postings))
	}
	var sum money.Fen
	for _, p := range t.Postings {
		if p.Account == "" || p.AmountFen == 0 {
			return fmt.Errorf("ledger %s: posting %+v has no account or no amount", t.ID, p)
		}
		sum += p.AmountFen
	}
	if sum != 0 {
		return fmt.Errorf("ledger %s: debits and credits differ by %d fen", t.ID, sum)
	}
	return nil
}

// Balances derives every account's balance from a history of transactions,
// checking each; the balances of a whole history sum to zero.
func Balances(history []LedgerTxn) (map[Account]money.Fen, error) {
	out := map[Account]money.Fen{}
	for _, t := range history {
		if err := t.Check(); err != nil {
			return nil, err
		}
		for _, p := range t.Postings {
			out[p.Account] += p.AmountFen
		}
	}
	var total money.Fen
	for _, b := range out {
		total += b
	}
	if total != 0 {
		return nil, fmt.Errorf("ledger: the balances sum to %d fen, not zero", total)
	}
	return out, nil
}

// OrderPaidTxn: the buyer's money arrived and is held for the provider until
// the order settles.
func OrderPaidTxn(o *Order, at time.Time) (LedgerTxn, bool, error) {
	return NewLedgerTxn(LedgerOrderPaid, o.ID, o.ProviderID, at,
		Posting{AccountPaymentsReceived, o.AmountFen},
		Posting{ProviderAccount(AccountBuyerFundsHeld, o.ProviderID), -o.AmountFen})
}

// RefundPaidTxn records a paid refund by how the provider's share is
// recovered (R-RF7). The platform pays from the held money of an unsettled
// order; of a settled one it takes its fee back from revenue and claws the
// provider's share back on the next statement, or charges the deposit
// (R-DP4). A refund the provider paid itself moves no platform money: the
// order settles with the fee on what the buyer kept (SaleLines). ok is false
// then.
func RefundPaidTxn(r *Refund, share string, at time.Time) (LedgerTxn, bool, error) {
	if r.Payer != PayerPlatform {
		return LedgerTxn{}, false, nil
	}
	out := Posting{AccountRefundsPaid, -r.AmountFen}
	switch share {
	case ShareWithheld:
		return NewLedgerTxn(LedgerRefundPaid, r.ID, r.ProviderID, at, out,
			Posting{ProviderAccount(AccountBuyerFundsHeld, r.ProviderID), r.AmountFen})
	case ShareClawback:
		return NewLedgerTxn(LedgerRefundPaid, r.ID, r.ProviderID, at, out,
			Posting{AccountPlatformRevenue, r.FeeReversed},
			Posting{ProviderAccount(AccountClawbacksDue, r.ProviderID), r.NetReversed})
	case ShareDeposit:
		return NewLedgerTxn(LedgerRefundPaid, r.ID, r.ProviderID, at, out,
			Posting{AccountPlatformRevenue, r.FeeReversed},
			Posting{AccountDeductions, r.NetReversed})
	}
	return LedgerTxn{}, false, fmt.Errorf("ledger: refund %s paid by the platform with provider share %q", r.ID, share)
}

// DepositOwedTxn: a deduction beyond the deposit's balance leaves the
// provider owing the rest, recovered from its next statements (R-VI11).
func DepositOwedTxn(entryID, providerID string, owed money.Fen, at time.Time) (LedgerTxn, bool, error) {
	return NewLedgerTxn(LedgerDepositOwed, entryID, providerID, at,
		Posting{ProviderAccount(AccountDepositOwed, providerID), owed},
		Posting{AccountDeductions, -owed})
}

// PayoutPaidTxn: the bank transfer of a payout went out.
func PayoutPaidTxn(p *Payout, at time.Time) (LedgerTxn, bool, error) {
	return NewLedgerTxn(LedgerPayoutPaid, p.ID, p.ProviderID, at,
		Posting{ProviderAccount(AccountPayoutsPending, p.ProviderID), p.AmountFen},
		Posting{AccountPayouts, -p.AmountFen})
}

// PayoutFailedTxn: the transfer failed; the amount goes back to the provider
// on its next statement.
func PayoutFailedTxn(p *Payout, at time.Time) (LedgerTxn, bool, error) {
	return NewLedgerTxn(LedgerPayoutFailed, p.ID, p.ProviderID, at,
		Posting{ProviderAccount(AccountPayoutsPending, p.ProviderID), p.AmountFen},
		Posting{ProviderAccount(AccountPayoutsReturned, p.ProviderID), -p.AmountFen})
}
