// Package market is the domain: providers' applications, provider records and
// the rules that govern them. Pure Go: no I/O, no context, the time is a
// parameter. Rule IDs refer to ../shared/RULES.md.
package market

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/orgcode"
	"cloudmarket/shared/workday"
)

// Category of products a provider sells (R-CAT1).
type Category string

const (
	CategoryImage       Category = "image"
	CategorySoftware    Category = "software"
	CategoryOps         Category = "ops"
	CategoryAPI         Category = "api"
	CategoryMiniProgram Category = "miniprogram"
)

// Categories lists every category in API order.
var Categories = []Category{CategoryImage, CategorySoftware, CategoryOps, CategoryAPI, CategoryMiniProgram}

// CompanyTypes accepted on the form (R-EN6).
var CompanyTypes = []string{"state_owned", "joint_venture", "joint_stock", "listed", "private", "foreign", "other"}

// CooperationModes (R-FE1).
var CooperationModes = []string{"platform", "consignment"}

// ApplicationStatus of an application.
type ApplicationStatus string

const (
	ApplicationSubmitted ApplicationStatus = "submitted"
	ApplicationApproved  ApplicationStatus = "approved"
	ApplicationRejected  ApplicationStatus = "rejected"
)

// Limits of the form and the entry rules.
const (
	ReviewWorkingDays        = 7                          // R-ON1
	MinYearsInBusiness       = 2                          // R-EN3
	MiniProgramMinCapitalFen = money.Fen(1_000_000 * 100) // R-EN5: must be above 1,000,000 CNY
	MinSupportDays           = 5                          // R-EN2: 5×8
	MinSupportHoursPerDay    = 8
	MaxTextLen               = 200
	MaxMainBusinessLen       = 2000
)

// Contact is the applicant's contact person (R-EN6).
type Contact struct {
	Name  string
	Phone string // normalised to +86 and 11 digits
	QQ    string
	Email string
}

// SupportHours is the promised online support (R-EN2).
type SupportHours struct {
	Days        int
	HoursPerDay int
}

// ApplicationForm is what the applicant fills in. Pointers are fields that
// may be absent, so "missing" and "zero" stay different.
type ApplicationForm struct {
	CompanyName          string
	CompanyType          string
	OrgCode              string
	LicenseNo            string
	LicenseObjectKey     string
	MainBusiness         string
	RegisteredCapitalFen *int64
	FoundedOn            string
	Categories           []string
	CooperationMode      string
	SupportHours         *SupportHours
	Contact              *Contact
	Documents            DocumentForm // optional at submission (R-EN1)
}

// Application is a submitted form and its review.
type Application struct {
	ID                   string
	AccountID            string // the applicant's cloud account (JWT sub)
	CompanyName          string
	CompanyType          string
	OrgCode              orgcode.Code
	LicenseNo            string
	LicenseObjectKey     string
	MainBusiness         string
	RegisteredCapitalFen money.Fen
	FoundedOn            string
	Categories           []Category
	CooperationMode      string
	SupportHours         SupportHours
	Contact              Contact
	Documents            Documents

	Status      ApplicationStatus
	SubmittedAt time.Time
	ReviewDueAt time.Time
	Decision    string
	Reason      string
	DecidedBy   string
	DecidedAt   time.Time // zero until decided
	ProviderID  string
	// OverdueFlaggedAt is set once the review passed ReviewDueAt and reviewers
	// were told; it makes the deadline timer idempotent.
	OverdueFlaggedAt time.Time
}

var (
	mainlandMobile = regexp.MustCompile(`^\+861[3-9][0-9]{9}$`)
	qqNumber       = regexp.MustCompile(`^[1-9][0-9]{4,11}$`)
	licenseNumber  = regexp.MustCompile(`^[0-9A-Z]{15,18}$`)
)

// NewApplication validates a form submitted at now and returns the application
// with its review deadline. It checks everything that the form alone decides;
// the licence image bytes (CheckLicenseImage) and the organisation's history
// (bans, open applications) are checked by the caller.
func NewApplication(id, accountID string, f ApplicationForm, now time.Time, cal *workday.Calendar) (*Application, error) {
	a := &Application{ID: id, AccountID: accountID, Status: ApplicationSubmitted}
	var err error
	if a.CompanyName, err = requiredText("companyName", f.CompanyName, MaxTextLen); err != nil {
		return nil, err
	}
	if f.CompanyType == "" {
		return nil, fault.Missing("companyType")
	}
	if !slices.Contains(CompanyTypes, f.CompanyType) {
		return nil, fault.Invalid("CompanyType", "companyType %q is not one of %s.", f.CompanyType, strings.Join(CompanyTypes, ", "))
	}
	a.CompanyType = f.CompanyType
	if strings.TrimSpace(f.OrgCode) == "" {
		return nil, fault.Missing("orgCode")
	}
	if a.OrgCode, err = orgcode.Parse(f.OrgCode); err != nil {
		return nil, fault.Invalid("OrgCode", "orgCode %q is not valid: %v. Enter the 9-character organisation code (XXXXXXXX-X) or the 18-character unified social credit code exactly as on the business licence.", f.OrgCode, err)
	}
	if strings.TrimSpace(f.LicenseNo) == "" {
		return nil, fault.Missing("licenseNo")
	}
	a.LicenseNo = strings.ToUpper(strings.TrimSpace(f.LicenseNo))
	if !licenseNumber.MatchString(a.LicenseNo) {
		return nil, fault.Invalid("LicenseNo", "licenseNo must be the 15-digit registration number or the 18-character credit code printed on the business licence.")
	}
	if f.LicenseObjectKey == "" {
		return nil, fault.Missing("licenseObjectKey")
	}
	a.LicenseObjectKey = f.LicenseObjectKey
	if a.MainBusiness, err = requiredText("mainBusiness", f.MainBusiness, MaxMainBusinessLen); err != nil {
		return nil, err
	}
	if f.RegisteredCapitalFen == nil {
		return nil, fault.Missing("registeredCapitalFen")
	}
	if *f.RegisteredCapitalFen < 0 {
		return nil, fault.Invalid("RegisteredCapitalFen", "registeredCapitalFen must not be negative.")
	}
	a.RegisteredCapitalFen = money.Fen(*f.RegisteredCapitalFen)
	if f.FoundedOn == "" {
		return nil, fault.Missing("foundedOn")
	}
	founded, err := time.ParseInLocation(time.DateOnly, f.FoundedOn, workday.Shanghai)
	if err != nil {
		return nil, fault.Invalid("FoundedOn", "foundedOn must be a date YYYY-MM-DD, got %q.", f.FoundedOn)
	}
	today := workday.StartOfDay(now)
	if founded.After(today) {
		return nil, fault.Invalid("FoundedOn", "foundedOn %s is in the future.", f.FoundedOn)
	}
	a.FoundedOn = f.FoundedOn
	if a.Categories, err = parseCategories(f.Categories); err != nil {
		return nil, err
	}
	if f.CooperationMode == "" {
		return nil, fault.Missing("cooperationMode")
	}
	if !slices.Contains(CooperationModes, f.CooperationMode) {
		return nil, fault.Invalid("CooperationMode", "cooperationMode %q is not one of %s.", f.CooperationMode, strings.Join(CooperationModes, ", "))
	}
	a.CooperationMode = f.CooperationMode
	if f.SupportHours == nil {
		return nil, fault.Missing("supportHours")
	}
	if s := *f.SupportHours; s.Days < 1 || s.Days > 7 || s.HoursPerDay < 1 || s.HoursPerDay > 24 {
		return nil, fault.Invalid("SupportHours", "supportHours.days must be 1..7 and supportHours.hoursPerDay 1..24.")
	}
	a.SupportHours = *f.SupportHours
	if a.Contact, err = parseContact(f.Contact); err != nil {
		return nil, err
	}
	if a.Documents, err = parseDocuments(f.Documents); err != nil {
		return nil, err
	}

	// Entry conditions: the form is well-formed, now the rules (409s).
	if founded.AddDate(MinYearsInBusiness, 0, 0).After(today) { // R-EN3
		return nil, fault.Failed("InsufficientExperience", "The company was founded on %s; at least %d years in business are required (R-EN3).", f.FoundedOn, MinYearsInBusiness)
	}
	if a.SupportHours.Days < MinSupportDays || a.SupportHours.HoursPerDay < MinSupportHoursPerDay { // R-EN2
		return nil, fault.Failed("SupportHoursTooLow", "Online support of %d days × %d hours is below the required %d×%d (R-EN2).", a.SupportHours.Days, a.SupportHours.HoursPerDay, MinSupportDays, MinSupportHoursPerDay)
	}
	if slices.Contains(a.Categories, CategoryMiniProgram) && a.RegisteredCapitalFen <= MiniProgramMinCapitalFen { // R-EN5
		return nil, fault.Failed("MiniProgramRequirementsNotMet", "The miniprogram category needs registered capital above %s; the form states %s (R-EN5).", MiniProgramMinCapitalFen, a.RegisteredCapitalFen)
	}

	a.SubmittedAt = now
	a.ReviewDueAt = cal.DueAfterWorkingDays(now, ReviewWorkingDays) // R-ON1
	return a, nil
}

func requiredText(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fault.Missing(field)
	}
	if utf8.RuneCountInString(v) > max {
		return "", fault.Invalid(capitalise(field), "%s is longer than %d characters.", field, max)
	}
	return v, nil
}

func capitalise(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func parseCategories(in []string) ([]Category, error) {
	if len(in) == 0 {
		return nil, fault.Missing("categories")
	}
	var out []Category
	for _, c := range in {
		cat := Category(c)
		if !slices.Contains(Categories, cat) {
			return nil, fault.Invalid("Categories", "category %q is not one of image, software, ops, api, miniprogram.", c)
		}
		if slices.Contains(out, cat) {
			return nil, fault.Invalid("Categories", "category %q is listed twice.", c)
		}
		out = append(out, cat)
	}
	return out, nil
}

// NormalisePhone turns a mainland mobile number into +86XXXXXXXXXXX; ok is false
// when it is not one.
func NormalisePhone(p string) (string, bool) {
	p = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(p))
	if strings.HasPrefix(p, "1") && len(p) == 11 {
		p = "+86" + p
	}
	return p, mainlandMobile.MatchString(p)
}

func parseContact(c *Contact) (Contact, error) {
	if c == nil {
		return Contact{}, fault.Missing("contact")
	}
	out := Contact{QQ: strings.TrimSpace(c.QQ)}
	var err error
	if out.Name, err = requiredText("contact.name", c.Name, MaxTextLen); err != nil {
		return Contact{}, err
	}
	if strings.TrimSpace(c.Phone) == "" {
		return Contact{}, fault.Missing("contact.phone")
	}
	var ok bool
	if out.Phone, ok = NormalisePhone(c.Phone); !ok {
		return Contact{}, fault.Invalid("Contact", "contact.phone must be a mainland China mobile number such as +8613800000000: the review result is sent to it by SMS.")
	}
	if strings.TrimSpace(c.Email) == "" {
		return Contact{}, fault.Missing("contact.email")
	}
	if out.Email, err = parseEmail("Contact", "contact.email", c.Email); err != nil {
		return Contact{}, err
	}
	if out.QQ == "" { // 3.1.3③: name, phone, QQ and e-mail
		return Contact{}, fault.Missing("contact.qq")
	}
	if !qqNumber.MatchString(out.QQ) {
		return Contact{}, fault.Invalid("Contact", "contact.qq must be a QQ number (5 to 12 digits).")
	}
	return out, nil
}

// Decide records a reviewer's decision (R-ON1). Rejecting needs a reason.
func (a *Application) Decide(decision, reason, reviewer string, now time.Time) error {
	reason = strings.TrimSpace(reason)
	switch decision {
	case "approve", "reject":
	case "":
		return fault.Missing("decision")
	default:
		return fault.Invalid("Decision", "decision must be \"approve\" or \"reject\", got %q.", decision)
	}
	if decision == "reject" && reason == "" {
		return fault.New(fault.MissingParameter, "reason is required to reject an application: the applicant is told why.")
	}
	if utf8.RuneCountInString(reason) > MaxMainBusinessLen {
		return fault.Invalid("Reason", "reason is longer than %d characters.", MaxMainBusinessLen)
	}
	if a.Status != ApplicationSubmitted {
		return fault.Failed("ApplicationAlreadyDecided", "Application %s was already %s on %s.", a.ID, a.Status, a.DecidedAt.In(workday.Shanghai).Format(time.RFC3339))
	}
	a.Decision, a.Reason, a.DecidedBy, a.DecidedAt = decision, reason, reviewer, now
	if decision == "approve" {
		a.Status = ApplicationApproved
	} else {
		a.Status = ApplicationRejected
	}
	return nil
}

// ReviewOverdue tells whether the review passed its deadline without a
// decision and reviewers have not yet been told.
func (a *Application) ReviewOverdue(now time.Time) bool {
	return a.Status == ApplicationSubmitted && now.After(a.ReviewDueAt) && a.OverdueFlaggedAt.IsZero()
}

// DecisionEvent is the audit-trail event of the review's decision.
func (a *Application) DecisionEvent() EventType {
	if a.Status == ApplicationApproved {
		return EventApplicationApproved
	}
	return EventApplicationRejected
}
