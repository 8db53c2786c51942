package market

import "time"

// The events of violations, penalties and contact reports (R-VI1..R-VI11),
// kept apart from the main table so features add their own.
const (
	EventViolationProposed       EventType = "violation.proposed"
	EventViolationApplied        EventType = "violation.applied"
	EventViolationDismissed      EventType = "violation.dismissed"
	EventViolationAppealed       EventType = "violation.appealed"
	EventViolationAppealUpheld   EventType = "violation.appeal_upheld"
	EventViolationOverturned     EventType = "violation.overturned"
	EventProviderExpelled        EventType = "provider.expelled"
	EventProviderReadmitted      EventType = "provider.readmitted"
	EventPublishingRestricted    EventType = "publishing.restricted"
	EventPublishingRestored      EventType = "publishing.restored"
	EventDepositCredited         EventType = "deposit.credited"
	EventContactReportFiled      EventType = "contact_report.filed"
	EventContactReportAnswered   EventType = "contact_report.answered"
	EventContactReportUnanswered EventType = "contact_report.unanswered"
)

type (
	// ViolationData is a violation's change: its type, status and steps.
	ViolationData struct {
		ViolationID      string          `json:"violationId"`
		Type             string          `json:"type"`
		Status           ViolationStatus `json:"status"`
		CatalogueVersion string          `json:"catalogueVersion"`
		Actions          []string        `json:"actions"`
		Source           string          `json:"source,omitempty"`
		SourceRef        string          `json:"sourceRef,omitempty"`
		Reason           string          `json:"reason,omitempty"`
		NotReversed      []string        `json:"notReversed,omitempty"`
	}
	// PublishingData is a publishing restriction and its end.
	PublishingData struct {
		Until       time.Time `json:"until"`
		ViolationID string    `json:"violationId,omitempty"`
	}
	// ProviderStandingData is an expulsion or its reversal.
	ProviderStandingData struct {
		ViolationID  string         `json:"violationId"`
		Status       ProviderStatus `json:"status"`
		Organisation string         `json:"organisation"`
	}
	// DepositCreditedData is a reversed deduction credited back (its own
	// ledger entry).
	DepositCreditedData struct {
		EntryID     string `json:"entryId"`
		ViolationID string `json:"violationId"`
		AmountFen   int64  `json:"amountFen"`
		ForgivenFen int64  `json:"forgivenFen"`
		BalanceFen  int64  `json:"balanceFen"`
		OwedFen     int64  `json:"owedFen"`
	}
	// ContactReportData is a contact report's change.
	ContactReportData struct {
		ReportID    string    `json:"reportId"`
		Channel     string    `json:"channel"`
		OrderID     string    `json:"orderId,omitempty"`
		ByOperator  bool      `json:"byOperator"`
		Status      string    `json:"status"`
		RespondBy   time.Time `json:"respondBy"`
		ViolationID string    `json:"violationId,omitempty"`
	}
)

func init() {
	for t, shapes := range map[EventType][]any{
		EventViolationProposed:       {ViolationData{}},
		EventViolationApplied:        {ViolationData{}},
		EventViolationDismissed:      {ViolationData{}},
		EventViolationAppealed:       {ViolationData{}},
		EventViolationAppealUpheld:   {ViolationData{}},
		EventViolationOverturned:     {ViolationData{}},
		EventProviderExpelled:        {ProviderStandingData{}},
		EventProviderReadmitted:      {ProviderStandingData{}},
		EventPublishingRestricted:    {PublishingData{}},
		EventPublishingRestored:      {PublishingData{}},
		EventDepositCredited:         {DepositCreditedData{}},
		EventContactReportFiled:      {ContactReportData{}},
		EventContactReportAnswered:   {ContactReportData{}},
		EventContactReportUnanswered: {ContactReportData{}},
	} {
		eventPayloads[t] = shapes
	}
}

// ViolationEventData is the event payload of a violation as it is now.
func ViolationEventData(v *Violation) ViolationData {
	d := ViolationData{ViolationID: v.ID, Type: v.Type, Status: v.Status, CatalogueVersion: v.CatalogueVersion, Source: v.Source, SourceRef: v.SourceRef}
	for _, s := range v.Steps {
		d.Actions = append(d.Actions, string(s.Action))
	}
	return d
}
