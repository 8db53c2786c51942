package market

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
)

// ReceiptMailing is where the paper deposit receipt is posted (seed 四.2:
// 快递地址, 收件人, 收件人电话).
type ReceiptMailing struct {
	Address   string
	Recipient string
	Phone     string
}

// IsZero tells whether no address is known.
func (m ReceiptMailing) IsZero() bool { return m == ReceiptMailing{} }

// ReceiptDispatch is one posting of paper receipts.
type ReceiptDispatch struct {
	ReceiptNos []string
	Courier    string
	TrackingNo string
	MailTo     ReceiptMailing
	At         time.Time
	By         string
}

// NoticeStatus is where a payment notice is in finance's queue.
type NoticeStatus string

// Notice statuses.
const (
	NoticeOpen    NoticeStatus = "open"    // waiting for finance to find the money
	NoticeMatched NoticeStatus = "matched" // a recorded payment answers it
)

// DepositNotice is the provider's payment notice (seed 四.2, the mail to the
// marketplace with the transfer voucher): what it paid, from which account,
// and where the receipt goes. Finance works the queue and records the
// payment against it.
type DepositNotice struct {
	ID               string
	ProviderID       string
	CompanyName      string // at filing, for finance's queue
	FiledBy          string
	AmountFen        money.Fen
	Channel          string
	Reference        string
	PayerAccountName string
	PaidAt           time.Time
	VoucherObjectKey string
	VoucherType      string // detected from the bytes
	ReceiptMailing   ReceiptMailing
	Status           NoticeStatus
	FiledAt          time.Time
	MatchedAt        time.Time
	MatchedBy        string
	EntryID          string // the payment entry that answered it
	ReceiptNo        string
}

// NoticeForm is what the provider files.
type NoticeForm struct {
	AmountFen        *int64
	Channel          string
	Reference        string
	PayerAccountName string
	PaidAt           time.Time
	VoucherObjectKey string
	ReceiptMailing   *ReceiptMailing
}

var mailingPhone = regexp.MustCompile(`^\+?[0-9][0-9 -]{6,19}$`)

// NewDepositNotice validates a payment notice of provider p. The voucher's
// bytes are checked by the caller (PurposeDepositVoucher.CheckContent).
func NewDepositNotice(id string, p *Provider, f NoticeForm, by string, now time.Time) (*DepositNotice, error) {
	if f.AmountFen == nil {
		return nil, fault.Missing("amountFen")
	}
	pay := Payment{AmountFen: money.Fen(*f.AmountFen), Channel: f.Channel, Reference: strings.TrimSpace(f.Reference),
		PayerAccountName: strings.TrimSpace(f.PayerAccountName), PaidAt: f.PaidAt}
	if err := ValidatePayment(pay, now); err != nil {
		return nil, err
	}
	if strings.TrimSpace(f.VoucherObjectKey) == "" {
		return nil, fault.Missing("voucherObjectKey")
	}
	m, err := parseMailing(f.ReceiptMailing)
	if err != nil {
		return nil, err
	}
	if err := p.CheckActing(); err != nil {
		return nil, err
	}
	if s := p.Deposit.Status(); s == DepositReturning || s == DepositReturned {
		return nil, fault.Failed("DepositReturning", "Provider %s's deposit is %s; no payment notice can be filed.", p.ID, s)
	}
	return &DepositNotice{
		ID: id, ProviderID: p.ID, CompanyName: p.CompanyName, FiledBy: by, AmountFen: pay.AmountFen, Channel: pay.Channel,
		Reference: pay.Reference, PayerAccountName: pay.PayerAccountName, PaidAt: pay.PaidAt,
		VoucherObjectKey: strings.TrimSpace(f.VoucherObjectKey), ReceiptMailing: m, Status: NoticeOpen, FiledAt: now,
	}, nil
}

func parseMailing(m *ReceiptMailing) (ReceiptMailing, error) {
	if m == nil {
		return ReceiptMailing{}, fault.Missing("receiptMailing")
	}
	var out ReceiptMailing
	var err error
	if out.Address, err = requiredText("receiptMailing.address", m.Address, MaxMainBusinessLen); err != nil {
		return ReceiptMailing{}, err
	}
	if out.Recipient, err = requiredText("receiptMailing.recipient", m.Recipient, MaxTextLen); err != nil {
		return ReceiptMailing{}, err
	}
	if out.Phone, err = requiredText("receiptMailing.phone", m.Phone, 24); err != nil {
		return ReceiptMailing{}, err
	}
	if !mailingPhone.MatchString(out.Phone) {
		return ReceiptMailing{}, fault.Invalid("ReceiptMailing", "receiptMailing.phone must be a phone number the courier can call, e.g. +8613800000000 or 0755-86013388.")
	}
	return out, nil
}

// PayerCheck is what the notice says of who paid, against the company name
// at filing, as its payment will be checked (R-DP2).
func (n *DepositNotice) PayerCheck() PayerCheck {
	return checkPayer(n.CompanyName, Payment{Channel: n.Channel, PayerAccountName: n.PayerAccountName})
}

// Match links a recorded payment to an open notice and takes its mailing
// address for the receipts. The payment must be for the notice's provider
// and amount.
func (n *DepositNotice) Match(p *Provider, e DepositEntry, by string, now time.Time) error {
	if n.ProviderID != p.ID {
		return fault.Invalid("NoticeId", "Notice %s was filed by provider %s, not %s.", n.ID, n.ProviderID, p.ID)
	}
	if n.Status != NoticeOpen {
		return fault.Failed("NoticeAlreadyMatched", "Notice %s was already matched to payment %s.", n.ID, n.EntryID)
	}
	if n.AmountFen != e.AmountFen {
		return fault.Failed("NoticeAmountMismatch", "Notice %s announces %s, the payment is %s; record the payment without noticeId, or with the notice it answers.", n.ID, n.AmountFen, e.AmountFen)
	}
	n.Status, n.MatchedAt, n.MatchedBy, n.EntryID, n.ReceiptNo = NoticeMatched, now, by, e.ID, e.ReceiptNo
	p.Deposit.ReceiptMailTo = n.ReceiptMailing
	return nil
}

// ReceiptStatus is the paper receipt's journey as the deposit shows it.
type ReceiptStatus string

// Receipt statuses.
const (
	ReceiptNone       ReceiptStatus = "none"       // no payment yet
	ReceiptIssued     ReceiptStatus = "issued"     // a receipt waits to be posted
	ReceiptDispatched ReceiptStatus = "dispatched" // every receipt is posted
	ReceiptReturned   ReceiptStatus = "returned"   // came back at exit (R-DP6)
)

// UndispatchedReceipts are the receipts issued and not yet posted.
func (d Deposit) UndispatchedReceipts() []string {
	var out []string
	for _, no := range d.ReceiptNos {
		if !slices.ContainsFunc(d.Dispatches, func(x ReceiptDispatch) bool { return slices.Contains(x.ReceiptNos, no) }) {
			out = append(out, no)
		}
	}
	return out
}

// ReceiptStatus derives the receipt's journey.
func (d Deposit) ReceiptStatus() ReceiptStatus {
	switch {
	case !d.ReceiptReturnedAt.IsZero():
		return ReceiptReturned
	case len(d.ReceiptNos) == 0:
		return ReceiptNone
	case len(d.UndispatchedReceipts()) > 0:
		return ReceiptIssued
	}
	return ReceiptDispatched
}

var trackingNumber = regexp.MustCompile(`^[0-9A-Za-z-]{6,40}$`)

// DispatchReceipt records that finance posted the receipts not yet posted to
// the address of the provider's matched payment notice.
func (p *Provider) DispatchReceipt(courier, trackingNo, by string, now time.Time) (ReceiptDispatch, error) {
	courier, err := requiredText("courier", courier, 64)
	if err != nil {
		return ReceiptDispatch{}, err
	}
	trackingNo = strings.TrimSpace(trackingNo)
	if trackingNo == "" {
		return ReceiptDispatch{}, fault.Missing("trackingNo")
	}
	if !trackingNumber.MatchString(trackingNo) {
		return ReceiptDispatch{}, fault.Invalid("TrackingNo", "trackingNo must be the courier's tracking number: 6 to 40 letters, digits or dashes.")
	}
	d := &p.Deposit
	if !d.ReceiptReturnedAt.IsZero() {
		return ReceiptDispatch{}, fault.Failed("ReceiptReturned", "Provider %s has already returned its receipt (R-DP6).", p.ID)
	}
	pending := d.UndispatchedReceipts()
	if len(pending) == 0 {
		return ReceiptDispatch{}, fault.Failed("NoReceiptToDispatch", "Provider %s has no receipt waiting to be posted: record the payment first; each receipt is posted once.", p.ID)
	}
	if d.ReceiptMailTo.IsZero() {
		return ReceiptDispatch{}, fault.Failed("NoReceiptAddress", "Provider %s has no payment notice with a mailing address matched to a payment; record the payment with the notice's noticeId first.", p.ID)
	}
	x := ReceiptDispatch{ReceiptNos: pending, Courier: courier, TrackingNo: trackingNo, MailTo: d.ReceiptMailTo, At: now, By: by}
	d.Dispatches = append(d.Dispatches, x)
	return x, nil
}
