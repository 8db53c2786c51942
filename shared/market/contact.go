package market

import (
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/workday"
)

// ContactReport is a report that a provider could not be reached (R-VI6): by
// a buyer with an order from it, or a contact attempt recorded by staff.
type ContactReport struct {
	ID          string
	ProviderID  string
	OrderID     string
	Channel     string
	Note        string
	FiledBy     string
	ByOperator  bool // a staff contact attempt
	FiledAt     time.Time
	RespondBy   time.Time // 48 hours after filing (R-VI6)
	Status      string
	Response    string
	RespondedAt time.Time
	ViolationID string // the proposal it led to
}

// Contact report statuses.
const (
	ContactOpen       = "open"
	ContactAnswered   = "answered"
	ContactUnanswered = "unanswered" // respondBy passed, or the third staff attempt: proposed lost_contact
)

// ContactChannels are the ways the provider was tried.
var ContactChannels = []string{"phone", "sms", "email", "im", "qq"}

// Contact rules of R-VI6.
const (
	ContactResponseWindow = 48 * time.Hour
	StaffAttempts         = 3
	StaffAttemptWindow    = 7 * 24 * time.Hour
)

// NewContactReport checks and opens a report.
func NewContactReport(id string, prov *Provider, orderID, channel, note, actor string, byOperator bool, now time.Time) (*ContactReport, error) {
	channel = strings.TrimSpace(channel)
	if channel == "" {
		return nil, fault.Missing("channel")
	}
	if !slices.Contains(ContactChannels, channel) {
		return nil, fault.Invalid("Channel", "channel must be one of %s, got %q.", strings.Join(ContactChannels, ", "), channel)
	}
	note, err := requiredText("note", note, MaxMainBusinessLen)
	if err != nil {
		return nil, err
	}
	if err := penaltyTarget(prov); err != nil {
		return nil, err
	}
	return &ContactReport{ID: id, ProviderID: prov.ID, OrderID: orderID, Channel: channel, Note: note, FiledBy: actor, ByOperator: byOperator,
		FiledAt: now, RespondBy: now.Add(ContactResponseWindow), Status: ContactOpen}, nil
}

// Respond is the provider's answer: the report is closed. What it says is
// optional (API.md names no body); answering is what counts.
func (c *ContactReport) Respond(text string, now time.Time) error {
	text = strings.TrimSpace(text)
	if len([]rune(text)) > MaxMainBusinessLen {
		return fault.Invalid("Response", "response is longer than %d characters.", MaxMainBusinessLen)
	}
	if c.Status != ContactOpen {
		return fault.Failed("ContactReportClosed", "Contact report %s is %s since %s.", c.ID, c.Status, c.RespondedAt.In(workday.Shanghai).Format(time.RFC3339))
	}
	c.Status, c.Response, c.RespondedAt = ContactAnswered, text, now
	return nil
}

// Unanswered tells whether the report's 48 hours passed without an answer.
func (c *ContactReport) Unanswered(now time.Time) bool {
	return c.Status == ContactOpen && now.After(c.RespondBy)
}

// MarkUnanswered closes the report as unanswered, pointing at the proposal.
func (c *ContactReport) MarkUnanswered(violationID string, now time.Time) {
	c.Status, c.ViolationID, c.RespondedAt = ContactUnanswered, violationID, now
}

// LostContactEvidence is the proposal's evidence text for reports left
// unanswered.
func LostContactEvidence(reports []*ContactReport, attempts bool) string {
	var b strings.Builder
	if attempts {
		b.WriteString("R-VI6: three consecutive staff contact attempts without a substantive answer:")
	} else {
		b.WriteString("R-VI6: the provider did not answer a contact report within 48 hours:")
	}
	for _, r := range reports {
		b.WriteString(" " + r.ID + " (" + r.Channel + ", " + r.FiledAt.In(workday.Shanghai).Format("2006-01-02 15:04") + "): " + r.Note + ";")
	}
	return strings.TrimSuffix(b.String(), ";")
}
