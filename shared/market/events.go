package market

import (
	"fmt"
	"reflect"
	"time"
)

// EventType names one kind of entry in the audit trail. The names are part of
// the API (GET /v1/events): never rename one.
type EventType string

// Every event the operations record.
const (
	EventApplicationSubmitted     EventType = "application.submitted"
	EventApplicationApproved      EventType = "application.approved"
	EventApplicationRejected      EventType = "application.rejected"
	EventApplicationReviewOverdue EventType = "application.review_overdue"

	EventProviderCreated            EventType = "provider.created"
	EventProviderContractSigned     EventType = "provider.contract_signed"
	EventProviderChangeReported     EventType = "provider.change_reported"
	EventProviderChangeReportedLate EventType = "provider.change_reported_late"
	EventProviderExitRequested      EventType = "provider.exit_requested"
	EventProviderExited             EventType = "provider.exited"

	EventDepositPaid              EventType = "deposit.paid"
	EventDepositHeld              EventType = "deposit.held"
	EventDepositDeducted          EventType = "deposit.deducted"
	EventDepositShort             EventType = "deposit.short"
	EventDepositOwed              EventType = "deposit.owed"
	EventDepositReceiptReturned   EventType = "deposit.receipt_returned"
	EventDepositReturnScheduled   EventType = "deposit.return_scheduled"
	EventDepositReturnOverdue     EventType = "deposit.return_overdue"
	EventDepositReturned          EventType = "deposit.returned"
	EventDepositPayerUnverified   EventType = "deposit.payer_unverified"
	EventDepositPaymentUnapplied  EventType = "deposit.payment_unapplied"
	EventDepositNoticeFiled       EventType = "deposit.notice_filed"
	EventDepositNoticeMatched     EventType = "deposit.notice_matched"
	EventDepositReceiptDispatched EventType = "deposit.receipt_dispatched"

	EventStoreClosed   EventType = "store.closed"
	EventStoreReopened EventType = "store.reopened"

	EventProductCreated       EventType = "product.created"
	EventProductUpdated       EventType = "product.updated"
	EventProductSubmitted     EventType = "product.submitted"
	EventProductApproved      EventType = "product.approved"
	EventProductListed        EventType = "product.listed"
	EventProductEditPublished EventType = "product.edit_published"
	EventProductRejected      EventType = "product.rejected"
	EventProductEditRejected  EventType = "product.edit_rejected"
	EventProductDelisted      EventType = "product.delisted"

	EventOrderCreated               EventType = "order.created"
	EventOrderPaid                  EventType = "order.paid"
	EventOrderRequirementsSubmitted EventType = "order.requirements_submitted"
	EventOrderStarted               EventType = "order.started"
	EventOrderCompleted             EventType = "order.completed"
	EventOrderStartOverdue          EventType = "order.start_overdue"
	EventOrderCancelled             EventType = "order.cancelled"

	EventPaymentMismatch   EventType = "payment.mismatch"
	EventPaymentUnexpected EventType = "payment.unexpected"
	// A second notification of a transaction_id claiming another order or
	// amount; a payment that could not be applied even after re-drives; a
	// payment for an order that had lapsed, refunded at once.
	EventPaymentConflicting EventType = "payment.conflicting"
	EventPaymentUnapplied   EventType = "payment.unapplied"
	EventPaymentAfterLapse  EventType = "payment.after_lapse"

	EventRefundRequested   EventType = "refund.requested"
	EventRefundAccepted    EventType = "refund.accepted"
	EventRefundDeclined    EventType = "refund.declined"
	EventRefundArbitrating EventType = "refund.arbitrating"
	EventRefundRuled       EventType = "refund.ruled"
	EventRefundPaid        EventType = "refund.paid"
	EventRefundFailed      EventType = "refund.failed"
	// EventRefundTransferRetry is a call to the payment system's refund API
	// that failed and will be retried with the same out_refund_no.
	EventRefundTransferRetry EventType = "refund.transfer_retry"

	EventStatementIssued          EventType = "settlement.statement_issued"
	EventStatementInvoiceReceived EventType = "settlement.invoice_received"
	EventDepositOwedRecovered     EventType = "deposit.owed_recovered"
	EventPayoutPaid               EventType = "payout.paid"
	EventPayoutFailed             EventType = "payout.failed"
	EventConsignmentRateSet       EventType = "provider.consignment_rate_set"
	EventFeeInvoiceRequested      EventType = "settlement.fee_invoice_requested"
	// EventDepositSettlementTopUp: a statement paid part of what it owed the
	// provider into its short deposit (R-DP5), beside the deposit.paid event.
	EventDepositSettlementTopUp EventType = "deposit.settlement_topup"
)

// Event is one entry of the audit trail: a state change, who made it, when,
// and its typed data (one of the payload types below, as eventPayloads says).
type Event struct {
	ID         string
	Type       EventType
	At         time.Time
	Actor      string // account ID, or "system:<timer>"
	Subject    string // the ID of the resource that changed
	ProviderID string // the provider it concerns, when there is one
	Data       any    // a value of PayloadType(Type); nil for a type without data
}

// Event payloads. The json names are the event's data in the API.
type (
	ApplicationSubmittedData struct {
		CompanyName string    `json:"companyName"`
		OrgCode     string    `json:"orgCode"`
		ReviewDueAt time.Time `json:"reviewDueAt"`
	}
	ApplicationDecidedData struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	ApplicationReviewOverdueData struct {
		ReviewDueAt time.Time `json:"reviewDueAt"`
	}
	ProviderCreatedData struct {
		ApplicationID      string         `json:"applicationId"`
		Status             ProviderStatus `json:"status"`
		DepositRequiredFen int64          `json:"depositRequiredFen"`
	}
	ContractSignedData struct {
		SignatoryName string `json:"signatoryName"`
	}
	ChangeReportedData struct {
		ChangeID      string    `json:"changeId"`
		Field         string    `json:"field"`
		PreviousValue string    `json:"previousValue"`
		NewValue      string    `json:"newValue"`
		Applied       bool      `json:"applied"`
		ChangedOn     string    `json:"changedOn"`
		DueBy         time.Time `json:"dueBy"`
		OnTime        bool      `json:"onTime"`
	}
	ExitRequestedData struct {
		Reason         string          `json:"reason"`
		ReturnBlockers []ReturnBlocker `json:"returnBlockers"`
	}
	DepositPaidData struct {
		AmountFen            int64         `json:"amountFen"`
		Channel              string        `json:"channel"`
		Reference            string        `json:"reference"`
		ReceiptNo            string        `json:"receiptNo"`
		BalanceFen           int64         `json:"balanceFen"`
		Status               DepositStatus `json:"status"`
		FromCorporateAccount bool          `json:"fromCorporateAccount"`
		NoticeID             string        `json:"noticeId,omitempty"`
	}
	// DepositPayerUnverifiedData is money recorded and counted whose payer is
	// not the provider's corporate account, for finance to look at (R-DP2).
	DepositPayerUnverifiedData struct {
		EntryID          string     `json:"entryId"`
		AmountFen        int64      `json:"amountFen"`
		Channel          string     `json:"channel"`
		Reference        string     `json:"reference"`
		PayerAccountName string     `json:"payerAccountName"`
		CompanyName      string     `json:"companyName"`
		PayerCheck       PayerCheck `json:"payerCheck"`
	}
	// DepositPaymentUnappliedData is a deposit paid through the payment system
	// that could not go to a deposit: recorded for finance, never dropped.
	DepositPaymentUnappliedData struct {
		TransactionID string `json:"transactionId"`
		ProviderID    string `json:"providerId"`
		AmountFen     int64  `json:"amountFen"`
		Reason        string `json:"reason"`
	}
	DepositNoticeFiledData struct {
		NoticeID             string    `json:"noticeId"`
		AmountFen            int64     `json:"amountFen"`
		Channel              string    `json:"channel"`
		Reference            string    `json:"reference"`
		PayerAccountName     string    `json:"payerAccountName"`
		PaidAt               time.Time `json:"paidAt"`
		FromCorporateAccount bool      `json:"fromCorporateAccount"`
	}
	DepositNoticeMatchedData struct {
		NoticeID  string `json:"noticeId"`
		EntryID   string `json:"entryId"`
		ReceiptNo string `json:"receiptNo"`
	}
	ReceiptDispatchedData struct {
		ReceiptNos []string `json:"receiptNos"`
		Courier    string   `json:"courier"`
		TrackingNo string   `json:"trackingNo"`
	}
	DepositHeldData struct {
		BalanceFen int64 `json:"balanceFen"`
	}
	DepositDeductedData struct {
		AmountFen  int64  `json:"amountFen"`
		TakenFen   int64  `json:"takenFen"`
		OwedFen    int64  `json:"owedFen"`
		Reason     string `json:"reason"`
		RefundID   string `json:"refundId"`
		BalanceFen int64  `json:"balanceFen"`
	}
	DepositShortData struct {
		ShortfallFen int64     `json:"shortfallFen"`
		TopUpDueAt   time.Time `json:"topUpDueAt"`
	}
	DepositOwedData struct {
		OwedFen int64 `json:"owedFen"`
	}
	// DepositReturnDueData is a return scheduled, or overdue.
	DepositReturnDueData struct {
		ReturnDueAt time.Time `json:"returnDueAt"`
		AmountFen   int64     `json:"amountFen"`
	}
	DepositReturnedData struct {
		AmountFen int64  `json:"amountFen"`
		Reference string `json:"reference"`
		// ProviderStatus after the return: exited, or expelled (an expelled
		// provider stays expelled and banned, R-EN7).
		ProviderStatus ProviderStatus `json:"providerStatus"`
	}
	// StoreClosedData: a closure for the deposit (R-DP5) carries its
	// shortfall and deadline; one for an exit (R-EX2) only its reason.
	StoreClosedData struct {
		Reason       string    `json:"reason"`
		ShortfallFen int64     `json:"shortfallFen,omitempty"`
		TopUpDueAt   time.Time `json:"topUpDueAt,omitempty"`
		Until        time.Time `json:"until,omitempty"`       // a penalty block (R-WD4)
		ViolationID  string    `json:"violationId,omitempty"` // the penalty that closed it
	}
	StoreReopenedData struct {
		Reason string `json:"reason"`
	}
	// ProductCreatedData and the other product payloads end with the product's
	// state after the change.
	ProductCreatedData struct {
		Name       string        `json:"name"`
		Category   Category      `json:"category"`
		Status     ProductStatus `json:"status"`
		EditStatus string        `json:"editStatus,omitempty"`
	}
	ProductChangedData struct {
		Status     ProductStatus `json:"status"`
		EditStatus string        `json:"editStatus,omitempty"`
	}
	ProductReviewedData struct {
		Decision          string        `json:"decision"`
		Reviewer          string        `json:"reviewer"`
		SecurityReportRef string        `json:"securityReportRef"`
		Reason            string        `json:"reason"`
		Status            ProductStatus `json:"status"`
		EditStatus        string        `json:"editStatus,omitempty"`
	}
	ProductListedOnDepositData struct {
		Cause      string        `json:"cause"`
		Status     ProductStatus `json:"status"`
		EditStatus string        `json:"editStatus,omitempty"`
	}
	ProductDelistedData struct {
		Reason     string        `json:"reason"`
		Status     ProductStatus `json:"status"`
		EditStatus string        `json:"editStatus,omitempty"`
	}
	OrderCreatedData struct {
		ProductID      string  `json:"productId"`
		PlanID         string  `json:"planId"`
		Quantity       int     `json:"quantity"`
		AmountFen      int64   `json:"amountFen"`
		PlatformFeeFen int64   `json:"platformFeeFen"`
		ProviderNetFen int64   `json:"providerNetFen"`
		FeeMode        FeeMode `json:"feeMode"`
	}
	OrderPaidData struct {
		TransactionID      string    `json:"transactionId"`
		AmountFen          int64     `json:"amountFen"`
		OrderAmountFen     int64     `json:"orderAmountFen"`
		PaidAt             time.Time `json:"paidAt"`
		ReviewPeriodEndsAt time.Time `json:"reviewPeriodEndsAt"`
		StartDueAt         time.Time `json:"startDueAt"`
	}
	OrderStatusChangedData struct {
		Status OrderStatus `json:"status"`
	}
	OrderStartOverdueData struct {
		StartDueAt time.Time `json:"startDueAt"`
		PaidAt     time.Time `json:"paidAt"`
	}
	OrderReviewEndedData struct {
		ReviewPeriodEndsAt time.Time `json:"reviewPeriodEndsAt"`
	}
	OrderCancelledData struct {
		Reason    string    `json:"reason"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	RefundRequestedData struct {
		OrderID      string      `json:"orderId"`
		Basis        RefundBasis `json:"basis"`
		RequestedFen int64       `json:"requestedFen"`
		AmountFen    int64       `json:"amountFen"`
		Reason       string      `json:"reason"`
		RespondBy    time.Time   `json:"respondBy"`
	}
	RefundAcceptedData struct {
		OrderID     string `json:"orderId"`
		AmountFen   int64  `json:"amountFen"`
		Payer       string `json:"payer"`
		Cause       string `json:"cause"` // provider_accepted, ruling, provider_exit
		OutRefundNo string `json:"outRefundNo,omitempty"`
	}
	RefundDeclinedData struct {
		Reason string `json:"reason"`
	}
	RefundArbitratingData struct {
		Cause     string    `json:"cause"` // declined or no_response
		RespondBy time.Time `json:"respondBy"`
	}
	RefundRuledData struct {
		Decision      string       `json:"decision"`
		AmountFen     int64        `json:"amountFen"`
		Reason        string       `json:"reason"`
		ProviderFault string       `json:"providerFault,omitempty"`
		ChargeDeposit bool         `json:"chargeDeposit"`
		Status        RefundStatus `json:"status"`
	}
	RefundPaidData struct {
		OrderID                string      `json:"orderId"`
		AmountFen              int64       `json:"amountFen"`
		Payer                  string      `json:"payer"`
		PlatformFeeReversedFen int64       `json:"platformFeeReversedFen"`
		ProviderNetReversedFen int64       `json:"providerNetReversedFen"`
		OrderStatus            OrderStatus `json:"orderStatus"`
		ProviderShare          string      `json:"providerShare"`
		Reference              string      `json:"reference,omitempty"` // refund_id, or the provider's transfer
	}
	RefundFailedData struct {
		OrderID   string `json:"orderId"`
		AmountFen int64  `json:"amountFen"`
		Reason    string `json:"reason"`
	}
	RefundTransferRetryData struct {
		OutRefundNo   string    `json:"outRefundNo"`
		Attempts      int       `json:"attempts"`
		Error         string    `json:"error"`
		NextAttemptAt time.Time `json:"nextAttemptAt"`
	}
	// PaymentNeedsReviewData is a payment that did not pay its order as it was.
	PaymentNeedsReviewData struct {
		TransactionID  string `json:"transactionId"`
		AmountFen      int64  `json:"amountFen"`
		OrderAmountFen int64  `json:"orderAmountFen"`
	}
	// PaymentConflictData is a notification that claims something else than
	// the first one of its transaction_id.
	PaymentConflictData struct {
		TransactionID   string `json:"transactionId"`
		NotificationID  string `json:"notificationId"`
		OutTradeNo      string `json:"outTradeNo"`
		AmountFen       int64  `json:"amountFen"`
		FirstOutTradeNo string `json:"firstOutTradeNo"`
		FirstAmountFen  int64  `json:"firstAmountFen"`
	}
	// PaymentUnappliedData is a payment the consumer could not apply.
	PaymentUnappliedData struct {
		TransactionID string `json:"transactionId"`
		OutTradeNo    string `json:"outTradeNo"`
		AmountFen     int64  `json:"amountFen"`
		Reason        string `json:"reason"`
		Redrives      int    `json:"redrives"`
	}
)

// eventPayloads says which payload each event type carries; nil means none.
// order.completed has two shapes: by the buyer's confirmation (the new status)
// and by the timer at the end of the review period.
var eventPayloads = map[EventType][]any{
	EventApplicationSubmitted:     {ApplicationSubmittedData{}},
	EventApplicationApproved:      {ApplicationDecidedData{}},
	EventApplicationRejected:      {ApplicationDecidedData{}},
	EventApplicationReviewOverdue: {ApplicationReviewOverdueData{}},

	EventProviderCreated:            {ProviderCreatedData{}},
	EventProviderContractSigned:     {ContractSignedData{}},
	EventProviderChangeReported:     {ChangeReportedData{}},
	EventProviderChangeReportedLate: {ChangeReportedData{}},
	EventProviderExitRequested:      {ExitRequestedData{}},
	EventProviderExited:             nil,

	EventDepositPaid:              {DepositPaidData{}},
	EventDepositHeld:              {DepositHeldData{}},
	EventDepositDeducted:          {DepositDeductedData{}},
	EventDepositShort:             {DepositShortData{}},
	EventDepositOwed:              {DepositOwedData{}},
	EventDepositReceiptReturned:   nil,
	EventDepositReturnScheduled:   {DepositReturnDueData{}},
	EventDepositReturnOverdue:     {DepositReturnDueData{}},
	EventDepositReturned:          {DepositReturnedData{}},
	EventDepositPayerUnverified:   {DepositPayerUnverifiedData{}},
	EventDepositPaymentUnapplied:  {DepositPaymentUnappliedData{}},
	EventDepositNoticeFiled:       {DepositNoticeFiledData{}},
	EventDepositNoticeMatched:     {DepositNoticeMatchedData{}},
	EventDepositReceiptDispatched: {ReceiptDispatchedData{}},

	EventStoreClosed:   {StoreClosedData{}},
	EventStoreReopened: {StoreReopenedData{}},

	EventProductCreated:       {ProductCreatedData{}},
	EventProductUpdated:       {ProductChangedData{}},
	EventProductSubmitted:     {ProductChangedData{}},
	EventProductApproved:      {ProductReviewedData{}},
	EventProductListed:        {ProductReviewedData{}, ProductListedOnDepositData{}},
	EventProductEditPublished: {ProductReviewedData{}},
	EventProductRejected:      {ProductReviewedData{}},
	EventProductEditRejected:  {ProductReviewedData{}},
	EventProductDelisted:      {ProductDelistedData{}},

	EventOrderCreated:               {OrderCreatedData{}},
	EventOrderPaid:                  {OrderPaidData{}},
	EventOrderRequirementsSubmitted: {OrderStatusChangedData{}},
	EventOrderStarted:               {OrderStatusChangedData{}},
	EventOrderCompleted:             {OrderStatusChangedData{}, OrderReviewEndedData{}},
	EventOrderStartOverdue:          {OrderStartOverdueData{}},
	EventOrderCancelled:             {OrderCancelledData{}},

	EventPaymentMismatch:   {PaymentNeedsReviewData{}},
	EventPaymentUnexpected: {PaymentNeedsReviewData{}},

	EventPaymentConflicting: {PaymentConflictData{}},
	EventPaymentUnapplied:   {PaymentUnappliedData{}},
	EventPaymentAfterLapse:  {PaymentNeedsReviewData{}},

	EventRefundRequested:     {RefundRequestedData{}},
	EventRefundAccepted:      {RefundAcceptedData{}},
	EventRefundDeclined:      {RefundDeclinedData{}},
	EventRefundArbitrating:   {RefundArbitratingData{}},
	EventRefundRuled:         {RefundRuledData{}},
	EventRefundPaid:          {RefundPaidData{}},
	EventRefundFailed:        {RefundFailedData{}},
	EventRefundTransferRetry: {RefundTransferRetryData{}},

	EventStatementIssued:          {StatementIssuedData{}},
	EventStatementInvoiceReceived: {StatementInvoiceReceivedData{}},
	EventDepositOwedRecovered:     {DepositOwedRecoveredData{}},
	EventPayoutPaid:               {PayoutData{}},
	EventPayoutFailed:             {PayoutData{}},
	EventConsignmentRateSet:       {ConsignmentRateSetData{}},
	EventFeeInvoiceRequested:      {StatementInvoiceReceivedData{}},
	EventDepositSettlementTopUp:   {DepositSettlementTopUpData{}},
}

// Payloads of the settlement events.
type (
	StatementIssuedData struct {
		Period            string `json:"period"`
		OpeningBalanceFen int64  `json:"openingBalanceFen"`
		ClosingBalanceFen int64  `json:"closingBalanceFen"`
		PayoutFen         int64  `json:"payoutFen"`
		CarriedForwardFen int64  `json:"carriedForwardFen"`
		Lines             int    `json:"lines"`
	}
	StatementInvoiceReceivedData struct {
		Period    string `json:"period"`
		AmountFen int64  `json:"amountFen"`
	}
	DepositOwedRecoveredData struct {
		StatementID  string `json:"statementId"`
		RecoveredFen int64  `json:"recoveredFen"`
		OwedFen      int64  `json:"owedFen"`
	}
	ConsignmentRateSetData struct {
		RateBps         int64 `json:"consignmentRateBps"`
		PreviousRateBps int64 `json:"previousRateBps"`
	}
	PayoutData struct {
		StatementID string `json:"statementId"`
		AmountFen   int64  `json:"amountFen"`
		Reference   string `json:"reference,omitempty"`
		Reason      string `json:"reason,omitempty"`
	}
	DepositSettlementTopUpData struct {
		StatementID  string        `json:"statementId"`
		Period       string        `json:"period"`
		EntryID      string        `json:"entryId"`
		AmountFen    int64         `json:"amountFen"`
		ReceiptNo    string        `json:"receiptNo"`
		BalanceFen   int64         `json:"balanceFen"`
		ShortfallFen int64         `json:"shortfallFen"` // still missing after it
		Status       DepositStatus `json:"status"`
	}
)

// EventTypes lists every known event type.
func EventTypes() []EventType {
	out := make([]EventType, 0, len(eventPayloads))
	for t := range eventPayloads {
		out = append(out, t)
	}
	return out
}

// CheckEvent tells whether an event's data is a payload its type carries, so
// a mistyped event never reaches the audit trail.
func CheckEvent(e Event) error {
	shapes, known := eventPayloads[e.Type]
	if !known {
		return fmt.Errorf("unknown event type %q", e.Type)
	}
	if e.Data == nil {
		if len(shapes) == 0 {
			return nil
		}
		return fmt.Errorf("event %s needs data", e.Type)
	}
	for _, s := range shapes {
		if reflect.TypeOf(s) == reflect.TypeOf(e.Data) {
			return nil
		}
	}
	return fmt.Errorf("event %s cannot carry %T", e.Type, e.Data)
}

// PayloadShape names the shape of an event's data, stored beside it so a
// type with two shapes reads back as the one written.
func PayloadShape(data any) string {
	if data == nil {
		return ""
	}
	return reflect.TypeOf(data).Name()
}

// PayloadShapes names the payload shapes an event type may carry.
func PayloadShapes(t EventType) []string {
	var out []string
	for _, s := range eventPayloads[t] {
		out = append(out, reflect.TypeOf(s).Name())
	}
	return out
}

// NewPayload returns a pointer to a zero payload of the named shape (the
// type's first when shape is empty: data stored before shapes were kept), to
// decode stored data into; nil for a type without data.
func NewPayload(t EventType, shape string) (any, error) {
	shapes, known := eventPayloads[t]
	if !known {
		return nil, fmt.Errorf("unknown event type %q", t)
	}
	if len(shapes) == 0 {
		return nil, nil
	}
	for _, s := range shapes {
		if shape == "" || reflect.TypeOf(s).Name() == shape {
			return reflect.New(reflect.TypeOf(s)).Interface(), nil
		}
	}
	return nil, fmt.Errorf("event %s has no data shape %q", t, shape)
}
