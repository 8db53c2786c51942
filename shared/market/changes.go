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
// 6.1.1). Those the record holds take effect at once, so notices reach the new
// contact and the next transfer from a renamed company matches its name.
var ChangeFields = []string{
	"companyName", "legalRepresentative", "registeredAddress", "registeredCapital",
	"businessLicense", "licenseNo", "licenseExpiry", "bankAccount", "mainBusiness", "qualification",
	"contact.name", "contact.phone", "contact.email", "contact.qq",
	"customerServiceEmail", "legalRepIdCopy", "bankAccountProof",
}

// DocumentChangeFields are the changes whose new value is an uploaded file
// (its object key), checked by its bytes like at application.
var DocumentChangeFields = map[string]Purpose{
	"legalRepIdCopy":   PurposeLegalRepID,
	"bankAccountProof": PurposeBankAccountProof,
}

// ChangeRequest is one reported change. A bank account change carries the new
// account in SettlementAccount instead of NewValue.
type ChangeRequest struct {
	Field             string
	NewValue          string
	ChangedOn         string
	SettlementAccount *BankAccount
}

// ChangeReport is one reported change. Bank account numbers are kept masked.
type ChangeReport struct {
	ID            string
	ProviderID    string
	Field         string
	PreviousValue string // what the record held before ("" when it holds none of it)
	NewValue      string
	Applied       bool      // the provider record took the new value
	ChangedOn     string    // YYYY-MM-DD
	ReportedAt    time.Time //
	DueBy         time.Time // end of the 30th day after changedOn
	OnTime        bool
	ReportedBy    string
}

// ReportChange validates and records a change of registered information and
// applies it to the record where the record holds that fact; late reports are
// accepted and marked (the risk team is told).
func (p *Provider) ReportChange(id string, req ChangeRequest, by string, now time.Time) (ChangeReport, error) {
	if err := p.CheckActing(); err != nil {
		return ChangeReport{}, err
	}
	field := req.Field
	if field == "" {
		return ChangeReport{}, fault.Missing("field")
	}
	if !slices.Contains(ChangeFields, field) {
		return ChangeReport{}, fault.Invalid("Field", "field %q is not one of %s.", field, strings.Join(ChangeFields, ", "))
	}
	newValue := strings.TrimSpace(req.NewValue)
	switch {
	case field == "bankAccount" && req.SettlementAccount == nil:
		return ChangeReport{}, fault.New(fault.MissingParameter, "settlementAccount is required for a bankAccount change: {\"bank\", \"accountName\", \"accountNumber\"}.")
	case field == "bankAccount" && newValue != "":
		return ChangeReport{}, fault.New(fault.InvalidParameter, "A bankAccount change carries the account in settlementAccount; leave newValue out.")
	case field != "bankAccount" && req.SettlementAccount != nil:
		return ChangeReport{}, fault.New(fault.InvalidParameter, "settlementAccount belongs to a bankAccount change only.")
	case field != "bankAccount" && newValue == "":
		return ChangeReport{}, fault.Missing("newValue")
	}
	if utf8.RuneCountInString(newValue) > MaxMainBusinessLen {
		return ChangeReport{}, fault.Invalid("NewValue", "newValue is longer than %d characters.", MaxMainBusinessLen)
	}
	if req.ChangedOn == "" {
		return ChangeReport{}, fault.Missing("changedOn")
	}
	day, err := time.ParseInLocation(time.DateOnly, req.ChangedOn, workday.Shanghai)
	if err != nil {
		return ChangeReport{}, fault.Invalid("ChangedOn", "changedOn must be a date YYYY-MM-DD, got %q.", req.ChangedOn)
	}
	if day.After(workday.StartOfDay(now)) {
		return ChangeReport{}, fault.Invalid("ChangedOn", "changedOn %s is in the future; report a change once it has happened.", req.ChangedOn)
	}
	previous, newValue, applied, err := p.applyChange(field, newValue, req.SettlementAccount)
	if err != nil {
		return ChangeReport{}, err
	}
	due := workday.EndOfDay(day.AddDate(0, 0, ChangeReportDays))
	return ChangeReport{
		ID: id, ProviderID: p.ID, Field: field, PreviousValue: previous, NewValue: newValue, Applied: applied, ChangedOn: req.ChangedOn,
		ReportedAt: now, DueBy: due, OnTime: !now.After(due), ReportedBy: by,
	}, nil
}

// applyChange puts a reported value on the record where the record holds the
// fact, and returns the value before and the value as recorded.
func (p *Provider) applyChange(field, v string, account *BankAccount) (previous, recorded string, applied bool, err error) {
	invalid := func(format string, args ...any) (string, string, bool, error) {
		return "", "", false, fault.Invalid("NewValue", format, args...)
	}
	set := func(dst *string, v string) (string, string, bool, error) {
		prev := *dst
		*dst = v
		return prev, v, true, nil
	}
	setEmail := func(dst *string) (string, string, bool, error) {
		addr, err := parseEmail("NewValue", field, v)
		if err != nil {
			return "", "", false, err
		}
		return set(dst, addr)
	}
	switch field {
	case "companyName":
		if utf8.RuneCountInString(v) > MaxTextLen {
			return invalid("companyName is longer than %d characters.", MaxTextLen)
		}
		return set(&p.CompanyName, v)
	case "mainBusiness":
		return set(&p.MainBusiness, v)
	case "licenseNo":
		v = strings.ToUpper(v)
		if !licenseNumber.MatchString(v) {
			return invalid("licenseNo must be the 15-digit registration number or the 18-character credit code printed on the business licence.")
		}
		return set(&p.LicenseNo, v)
	case "bankAccount":
		b, err := parseBankAccount("settlementAccount", *account)
		if err != nil {
			return "", "", false, err
		}
		prev := p.Documents.SettlementAccount.Display()
		p.Documents.SettlementAccount = b
		return prev, b.Display(), true, nil
	case "customerServiceEmail":
		return setEmail(&p.Documents.CustomerServiceEmail)
	case "legalRepIdCopy":
		return set(&p.Documents.LegalRepIDObjectKey, v)
	case "bankAccountProof":
		return set(&p.Documents.BankAccountProofObjectKey, v)
	case "contact.phone":
		phone, ok := NormalisePhone(v)
		if !ok {
			return invalid("contact.phone must be a mainland China mobile number such as +8613800000000.")
		}
		return set(&p.Contact.Phone, phone)
	case "contact.email":
		return setEmail(&p.Contact.Email)
	case "contact.name":
		if utf8.RuneCountInString(v) > MaxTextLen {
			return invalid("contact.name is longer than %d characters.", MaxTextLen)
		}
		return set(&p.Contact.Name, v)
	case "contact.qq":
		if !qqNumber.MatchString(v) {
			return invalid("contact.qq must be a QQ number (5 to 12 digits).")
		}
		return set(&p.Contact.QQ, v)
	}
	return "", v, false, nil // a fact the record does not hold: reported, kept in the report
}
