package market

import (
	"time"

	"cloudmarket/shared/money"
)

// Notification is one message in the outbox, written with the change that
// caused it and delivered after commit (and retried by the timer).
type Notification struct {
	ID        string
	EventID   string
	Channel   string // "sms" or "email"
	To        string
	Template  string
	Params    []string
	Status    NotificationStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
	Via       string // the sender that delivered it ("outbox", "tencentcloud-sms", …)
}

// NotificationStatus is where a notification is on its way out.
type NotificationStatus string

// Notification statuses.
const (
	NotificationPending NotificationStatus = "pending"
	NotificationSending NotificationStatus = "sending" // claimed by a deliverer until its lease ends
	NotificationSent    NotificationStatus = "sent"
	NotificationFailed  NotificationStatus = "failed" // gave up after MaxNotificationAttempts
)

// MaxNotificationAttempts before a notification is marked failed.
const MaxNotificationAttempts = 10

// SMS addresses a text message to one phone.
func SMS(to, template string, params ...string) Notification {
	return Notification{Channel: "sms", To: to, Template: template, Params: params}
}

// EntryKind is the kind of a deposit ledger line.
type EntryKind string

// Entry kinds of the deposit ledger.
const (
	EntryPayment   EntryKind = "payment"
	EntryDeduction EntryKind = "deduction"
	EntryReturn    EntryKind = "return"
	EntryCredit    EntryKind = "credit" // a deduction reversed on appeal, credited back
	// EntryOwedRecovered: a statement recovered part of what a deduction
	// beyond the balance left owed (R-VI11); it changes only OwedFen.
	EntryOwedRecovered EntryKind = "owed_recovered"
	// EntrySettlementTopUp: a statement made up a short deposit from what it
	// would have paid out (R-DP5); it raises the balance as a payment does.
	EntrySettlementTopUp EntryKind = "settlement_topup"
)

// DepositEntry is one append-only ledger line. AmountFen is signed: what it
// changed the balance by; a deduction's owed part changes only OwedFen.
type DepositEntry struct {
	ID               string
	ProviderID       string
	Kind             EntryKind
	AmountFen        money.Fen // change of the balance (+ payment, − deduction/return)
	OwedFen          money.Fen // deduction beyond the balance (R-VI11)
	BalanceAfterFen  money.Fen
	Channel          string
	Reference        string
	PayerAccountName string
	PayerCheck       PayerCheck // payments: who paid, as far as the platform can tell (R-DP2)
	NoticeID         string     // payments: the payment notice it answers
	PaidAt           time.Time
	ReceiptNo        string
	Reason           string
	RefundID         string
	ViolationID      string // a penalty's deduction, or its reversal
	Actor            string
	At               time.Time
}

// FromCorporateAccount tells whether a payment came from the provider's
// corporate account (R-DP2).
func (e DepositEntry) FromCorporateAccount() bool { return e.PayerCheck.FromCorporateAccount() }

// PaymentNotification is a verified notification from the payment system,
// stored once per transaction before it is queued.
type PaymentNotification struct {
	// ID is the stored record's: the transaction_id, or for a notification
	// that conflicts with the first of its transaction_id, a variant of it
	// (ConflictID).
	ID            string
	TransactionID string
	OutTradeNo    string
	Attach        string
	AmountFen     money.Fen
	TradeState    string
	SuccessTime   time.Time
	ReceivedAt    time.Time
	Status        PaymentNotificationStatus
	Outcome       string // what applying it did: a PaymentOutcome, "deposit", or why it was ignored
	// PaidOrderID is the one order this transaction paid (on the first
	// record of a transaction_id): a transaction pays one order at most.
	PaidOrderID string
	// DriveAt is when a notification still not applied is produced to the
	// queue again; Redrives counts how often it was (re-drive.go).
	DriveAt  time.Time
	Redrives int
}

// PaymentNotificationStatus is whether a stored notification was applied.
type PaymentNotificationStatus string

// Payment notification statuses.
const (
	NotificationReceived PaymentNotificationStatus = "received" // stored and queued, not applied yet
	NotificationApplied  PaymentNotificationStatus = "applied"
	NotificationIgnored  PaymentNotificationStatus = "ignored" // not a successful payment: nothing to apply
	// NotificationUnapplied: it could not be applied, even after re-drives;
	// finance was told (payment.unapplied).
	NotificationUnapplied PaymentNotificationStatus = "unapplied"
)

// DeadLetter is a queue message that could never be applied, kept for staff.
type DeadLetter struct {
	ID       string
	Topic    string
	Key      string
	Body     string
	Reason   string
	Attempts int
	At       time.Time
}
