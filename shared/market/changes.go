package market

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/workday"
)

// ChangeReportDays is R-ON4: changes are reported within 30 days.
const ChangeReportDays = 30

// ChangeFields are the registered facts a provider reports changes of (R-ON4,
// 6.1.1). Contact fields take effect at once, so notices reach the new contact.
var ChangeFields = []string{
	"companyName", "legalRepresentative", "registeredAddress", "registeredCapital",
	"businessLicense", "licenseExpiry", "bankAccount", "mainBusiness", "qualification",
	"contact.name", "contact.phone", "contact.email", "contact.qq",
}

// ChangeReport is one reported change.
type ChangeReport struct {
	ID         string
	ProviderID string
	Field      string
	NewValue   string
	ChangedOn  string    // YYYY-MM-DD
	ReportedAt time.Time //
	DueBy      time.Time // end of the 30th day after changedOn
	OnTime     bool
	ReportedBy string
}

// ReportChange validates and records a change of registered information; late
// reports are accepted and marked (the risk team is told).
func (p *Provider) ReportChange(id, field, newValue, changedOn, by string, now time.Time) (ChangeReport, error) {
	if err := p.CheckActing(); err != nil {
		return ChangeReport{}, err
	}
	if field == "" {
		return ChangeReport{}, fault.Missing("field")
	}
	if !slices.Contains(ChangeFields, field) {
		return ChangeReport{}, fault.Invalid("Field", "field %q is not one of %s.", field, strings.Join(ChangeFields, ", "))
	}
	newValue = strings.TrimSpace(newValue)
	if newValue == "" {
		return ChangeReport{}, fault.Missing("newValue")
	}
	if utf8.RuneCountInString(newValue) > MaxMainBusinessLen {
		return ChangeReport{}, fault.Invalid("NewValue", "newValue is longer than %d characters.", MaxMainBusinessLen)
	}
	if changedOn == "" {
		return ChangeReport{}, fault.Missing("changedOn")
	}
	day, err := time.ParseInLocation(time.DateOnly, changedOn, workday.Shanghai)
	if err != nil {
		return ChangeReport{}, fault.Invalid("ChangedOn", "changedOn must be a date YYYY-MM-DD, got %q.", changedOn)
	}
	if day.After(workday.StartOfDay(now)) {
		return ChangeReport{}, fault.Invalid("ChangedOn", "changedOn %s is in the future; report a change once it has happened.", changedOn)
	}
	switch field {
	case "contact.phone":
		phone, ok := NormalisePhone(newValue)
		if !ok {
			return ChangeReport{}, fault.Invalid("NewValue", "contact.phone must be a mainland China mobile number such as +8613800000000.")
		}
		newValue, p.Contact.Phone = phone, phone
	case "contact.email":
		c, err := parseContact(&Contact{Name: "x", Phone: p.Contact.Phone, Email: newValue})
		if err != nil {
			return ChangeReport{}, fault.Invalid("NewValue", "contact.email %q is not an e-mail address.", newValue)
		}
		newValue, p.Contact.Email = c.Email, c.Email
	case "contact.name":
		p.Contact.Name = newValue
	case "contact.qq":
		if !qqNumber.MatchString(newValue) {
			return ChangeReport{}, fault.Invalid("NewValue", "contact.qq must be a QQ number (5 to 12 digits).")
		}
		p.Contact.QQ = newValue
	}
	due := workday.EndOfDay(day.AddDate(0, 0, ChangeReportDays))
	return ChangeReport{
		ID: id, ProviderID: p.ID, Field: field, NewValue: newValue, ChangedOn: changedOn,
		ReportedAt: now, DueBy: due, OnTime: !now.After(due), ReportedBy: by,
	}, nil
}
