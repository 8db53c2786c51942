package market

import (
	"bytes"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"

	"cloudmarket/shared/fault"
)

// MaxLicenseBytes is the business licence image limit: 2 MiB (R-EN6).
const MaxLicenseBytes = 2 * 1024 * 1024

// MaxDocumentBytes is the limit of the other uploaded documents: the legal
// representative's ID copy and the bank-account proof (R-EN1), and the
// deposit's transfer voucher (seed 四.2): 5 MiB.
const MaxDocumentBytes = 5 * 1024 * 1024

// LicenseContentTypes are the only image types accepted (R-EN6).
var LicenseContentTypes = []string{"image/jpeg", "image/png"}

// DocumentContentTypes are what a scanned document may be: a photo or a PDF.
var DocumentContentTypes = []string{"image/jpeg", "image/png", "application/pdf"}

// Purpose is what an upload is for; each has its own types, size and error code.
type Purpose string

// Upload purposes (POST /v1/license-uploads "purpose").
const (
	PurposeLicense          Purpose = "license"            // 营业执照 (R-EN6)
	PurposeLegalRepID       Purpose = "legal_rep_id"       // 法人身份证复印件 (R-EN1)
	PurposeBankAccountProof Purpose = "bank_account_proof" // 银行开户证明 (R-EN1)
	PurposeDepositVoucher   Purpose = "deposit_voucher"    // 汇款凭证 (seed 四.2)
)

// Purposes lists every upload purpose in API order.
var Purposes = []Purpose{PurposeLicense, PurposeLegalRepID, PurposeBankAccountProof, PurposeDepositVoucher}

type uploadRule struct {
	types    []string
	maxBytes int
	detail   string // the InvalidParameterValue.<detail> code
	what     string
}

var uploadRules = map[Purpose]uploadRule{
	PurposeLicense:          {LicenseContentTypes, MaxLicenseBytes, "LicenseImage", "licence image"},
	PurposeLegalRepID:       {DocumentContentTypes, MaxDocumentBytes, "LegalRepId", "legal representative's ID copy"},
	PurposeBankAccountProof: {DocumentContentTypes, MaxDocumentBytes, "BankAccountProof", "bank-account proof"},
	PurposeDepositVoucher:   {DocumentContentTypes, MaxDocumentBytes, "Voucher", "transfer voucher"},
}

// ParsePurpose reads an upload purpose; empty is the licence (the API's
// original and only use).
func ParsePurpose(s string) (Purpose, error) {
	if s == "" {
		return PurposeLicense, nil
	}
	p := Purpose(s)
	if _, ok := uploadRules[p]; !ok {
		names := make([]string, len(Purposes))
		for i, p := range Purposes {
			names[i] = string(p)
		}
		return "", fault.Invalid("Purpose", "purpose %q is not one of %s.", s, strings.Join(names, ", "))
	}
	return p, nil
}

// MaxBytes is the largest upload of a purpose.
func (p Purpose) MaxBytes() int { return uploadRules[p].maxBytes }

// Invalid is the purpose's own refusal (InvalidParameterValue.LicenseImage,
// .LegalRepId, .BankAccountProof, .Voucher).
func (p Purpose) Invalid(format string, args ...any) error {
	return fault.Invalid(uploadRules[p].detail, format, args...)
}

// CheckUpload validates what the uploader declares before it gets an upload
// URL.
func (p Purpose) CheckUpload(contentType string, size int64) error {
	r := uploadRules[p]
	if !slices.Contains(r.types, contentType) {
		return p.Invalid("contentType must be %s for a %s, got %q.", strings.Join(r.types, " or "), r.what, contentType)
	}
	if size <= 0 {
		return p.Invalid("sizeBytes must be the file's size in bytes, above 0.")
	}
	if size > int64(r.maxBytes) {
		return p.Invalid("The %s is %d bytes; at most %d bytes (%d MiB) are accepted.", r.what, size, r.maxBytes, r.maxBytes>>20)
	}
	return nil
}

// CheckContent decides by the bytes themselves, not the name or declared
// type, that an upload is what its purpose accepts and not too large. It
// returns the detected content type.
func (p Purpose) CheckContent(data []byte) (string, error) {
	r := uploadRules[p]
	if len(data) > r.maxBytes {
		return "", p.Invalid("The %s is %d bytes; at most %d bytes (%d MiB) are accepted.", r.what, len(data), r.maxBytes, r.maxBytes>>20)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(data)); err == nil {
		return "image/png", nil
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
		return "image/jpeg", nil
	}
	if slices.Contains(r.types, "application/pdf") && isPDF(data) {
		return "application/pdf", nil
	}
	if p == PurposeLicense {
		return "", p.Invalid("The uploaded licence is not a JPEG or PNG image. Scan or photograph the business licence and upload it as .jpg or .png.")
	}
	return "", p.Invalid("The uploaded %s is not a JPEG, PNG or PDF file. Scan it and upload it as .jpg, .png or .pdf.", r.what)
}

// isPDF tells a PDF by its header (%PDF-1.x or %PDF-2.x at the start) and its
// end-of-file marker near the end, as PDF readers look for them.
func isPDF(data []byte) bool {
	if len(data) < 16 || !(bytes.HasPrefix(data, []byte("%PDF-1.")) || bytes.HasPrefix(data, []byte("%PDF-2."))) {
		return false
	}
	tail := data[max(0, len(data)-1024):]
	return bytes.Contains(tail, []byte("%%EOF"))
}

// CheckLicenseImage checks a licence's bytes (R-EN6): a real JPEG or PNG of
// at most 2 MiB.
func CheckLicenseImage(data []byte) (string, error) {
	return PurposeLicense.CheckContent(data)
}
