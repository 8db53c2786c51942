package market

import (
	"bytes"
	"image/jpeg"
	"image/png"

	"cloudmarket/shared/fault"
)

// MaxLicenseBytes is the business licence image limit: 2 MiB (R-EN6).
const MaxLicenseBytes = 2 * 1024 * 1024

// LicenseContentTypes are the only image types accepted (R-EN6).
var LicenseContentTypes = []string{"image/jpeg", "image/png"}

// CheckLicenseUpload validates what the uploader declares before it gets an
// upload URL.
func CheckLicenseUpload(contentType string, size int64) error {
	if contentType != "image/jpeg" && contentType != "image/png" {
		return fault.Invalid("LicenseImage", "contentType must be image/jpeg or image/png, got %q.", contentType)
	}
	if size <= 0 {
		return fault.Invalid("LicenseImage", "sizeBytes must be the image's size in bytes, above 0.")
	}
	if size > MaxLicenseBytes {
		return fault.Invalid("LicenseImage", "The licence image is %d bytes; at most %d bytes (2 MiB) are accepted.", size, MaxLicenseBytes)
	}
	return nil
}

// CheckLicenseImage decides by the bytes themselves, not the name or declared
// type, that the uploaded licence is a real JPEG or PNG of at most 2 MiB. It
// returns the detected content type.
func CheckLicenseImage(data []byte) (string, error) {
	if len(data) > MaxLicenseBytes {
		return "", fault.Invalid("LicenseImage", "The licence image is %d bytes; at most %d bytes (2 MiB) are accepted.", len(data), MaxLicenseBytes)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(data)); err == nil {
		return "image/png", nil
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
		return "image/jpeg", nil
	}
	return "", fault.Invalid("LicenseImage", "The uploaded licence is not a JPEG or PNG image. Scan or photograph the business licence and upload it as .jpg or .png.")
}
