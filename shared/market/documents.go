package market

import (
	"net/mail"
	"regexp"
	"strings"

	"cloudmarket/shared/fault"
)

// BankAccount is the provider's settlement account (R-EN1: a verified
// corporate bank account). The number is kept whole on the record, where
// finance needs it to pay back the deposit and settlements, and is shown
// masked everywhere else (views, events, messages, logs).
type BankAccount struct {
	Bank          string
	AccountName   string
	AccountNumber string // digits only
}

// IsZero tells whether no account was given.
func (b BankAccount) IsZero() bool { return b == BankAccount{} }

// MaskedNumber is the account number as every view shows it.
func (b BankAccount) MaskedNumber() string { return MaskAccountNumber(b.AccountNumber) }

// Display is the account in one line, number masked: for change reports and
// the audit trail.
func (b BankAccount) Display() string {
	if b.IsZero() {
		return ""
	}
	return b.Bank + " / " + b.AccountName + " / " + b.MaskedNumber()
}

// MaskAccountNumber keeps the last four digits: ************1234.
func MaskAccountNumber(n string) string {
	if n == "" {
		return ""
	}
	if len(n) <= 4 {
		return strings.Repeat("*", len(n))
	}
	return strings.Repeat("*", len(n)-4) + n[len(n)-4:]
}

var accountNumber = regexp.MustCompile(`^[0-9]{8,32}$`)

// parseBankAccount validates a settlement account; field names the request
// field for messages ("settlementAccount").
func parseBankAccount(field string, b BankAccount) (BankAccount, error) {
	var out BankAccount
	var err error
	if out.Bank, err = requiredText(field+".bank", b.Bank, MaxTextLen); err != nil {
		return BankAccount{}, err
	}
	if out.AccountName, err = requiredText(field+".accountName", b.AccountName, MaxTextLen); err != nil {
		return BankAccount{}, err
	}
	n := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(b.AccountNumber))
	if n == "" {
		return BankAccount{}, fault.Missing(field + ".accountNumber")
	}
	if !accountNumber.MatchString(n) {
		return BankAccount{}, fault.Invalid("AccountNumber", "%s.accountNumber must be the bank account number: 8 to 32 digits (spaces and dashes are ignored), nothing else.", field)
	}
	out.AccountNumber = n
	return out, nil
}

// Documents are the entry documents of R-EN1 beyond the business licence and
// the customer-service mailbox the contract also goes to (R-ON2). They are
// optional at submission; what is missing is listed on the application and
// the provider for the reviewer to see and the provider to supply.
type Documents struct {
	LegalRepIDObjectKey       string // 企业法人身份证复印件
	BankAccountProofObjectKey string // 银行开户证明
	SettlementAccount         BankAccount
	CustomerServiceEmail      string // 客服邮箱
}

// Document names in missingDocuments: the request fields that supply them.
const (
	DocLegalRepID           = "legalRepIdObjectKey"
	DocBankAccountProof     = "bankAccountProofObjectKey"
	DocSettlementAccount    = "settlementAccount"
	DocCustomerServiceEmail = "customerServiceEmail"
)

// Missing lists what has not been supplied, in a fixed order; never nil.
func (d Documents) Missing() []string {
	out := []string{}
	if d.LegalRepIDObjectKey == "" {
		out = append(out, DocLegalRepID)
	}
	if d.BankAccountProofObjectKey == "" {
		out = append(out, DocBankAccountProof)
	}
	if d.SettlementAccount.IsZero() {
		out = append(out, DocSettlementAccount)
	}
	if d.CustomerServiceEmail == "" {
		out = append(out, DocCustomerServiceEmail)
	}
	return out
}

// parseEmail validates an e-mail address; detail is the error code's detail.
func parseEmail(detail, field, v string) (string, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(v))
	if err != nil || addr.Name != "" {
		return "", fault.Invalid(detail, "%s %q is not an e-mail address.", field, v)
	}
	return addr.Address, nil
}

// DocumentForm is what an applicant may send of the documents.
type DocumentForm struct {
	LegalRepIDObjectKey       string
	BankAccountProofObjectKey string
	SettlementAccount         *BankAccount
	CustomerServiceEmail      string
}

// parseDocuments validates the optional documents of a form. The uploaded
// files' bytes are checked by the caller (Purpose.CheckContent).
func parseDocuments(f DocumentForm) (Documents, error) {
	d := Documents{LegalRepIDObjectKey: strings.TrimSpace(f.LegalRepIDObjectKey), BankAccountProofObjectKey: strings.TrimSpace(f.BankAccountProofObjectKey)}
	if f.SettlementAccount != nil {
		var err error
		if d.SettlementAccount, err = parseBankAccount("settlementAccount", *f.SettlementAccount); err != nil {
			return Documents{}, err
		}
	}
	if strings.TrimSpace(f.CustomerServiceEmail) != "" {
		var err error
		if d.CustomerServiceEmail, err = parseEmail("CustomerServiceEmail", "customerServiceEmail", f.CustomerServiceEmail); err != nil {
			return Documents{}, err
		}
	}
	return d, nil
}

// Uploads lists the uploaded documents with their purposes, for the caller to
// check their bytes.
func (d Documents) Uploads() map[Purpose]string {
	out := map[Purpose]string{}
	if d.LegalRepIDObjectKey != "" {
		out[PurposeLegalRepID] = d.LegalRepIDObjectKey
	}
	if d.BankAccountProofObjectKey != "" {
		out[PurposeBankAccountProof] = d.BankAccountProofObjectKey
	}
	return out
}
