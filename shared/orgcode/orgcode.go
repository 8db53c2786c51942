// Package orgcode validates Chinese organisation identifiers by their check
// digits: the 9-character organisation code (组织机构代码, GB 11714, written
// XXXXXXXX-X) and the 18-character unified social credit code (统一社会信用代码,
// GB 32100) that replaced it (R-EN6). No maintained Go library does this, so it
// is written here from the two standards.
package orgcode

import (
	"errors"
	"strings"
)

// Kind says which identifier a code is.
type Kind string

const (
	OrganisationCode Kind = "organisation_code"   // GB 11714
	CreditCode       Kind = "unified_credit_code" // GB 32100
)

// Code is a validated identifier.
type Code struct {
	Kind Kind
	// Canonical is the code as stored: upper case, XXXXXXXX-X or 18 characters.
	Canonical string
	// Organisation is the 9-character organisation code the identifier
	// carries (a credit code embeds it at positions 9–17), in XXXXXXXX-X form. Two
	// identifiers of the same organisation share it, so it keys "one application
	// per organisation" and bans (R-EN7).
	Organisation string
}

// Errors returned by Parse.
var (
	ErrLength     = errors.New("must be 9 characters (XXXXXXXX-X) or 18 characters (unified social credit code)")
	ErrCharacters = errors.New("contains characters not allowed in this code")
	ErrCheckDigit = errors.New("check digit does not match")
)

var gb11714Weights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// gb32100Alphabet is the 31-symbol set of the credit code (no I, O, S, V, Z).
const gb32100Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var gb32100Weights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// Parse validates s as either identifier. Spaces around it and lower case are
// accepted; the hyphen of an organisation code is optional.
func Parse(s string) (Code, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch {
	case len(s) == 18:
		if err := checkCredit(s); err != nil {
			return Code{}, err
		}
		return Code{Kind: CreditCode, Canonical: s, Organisation: s[8:16] + "-" + s[16:17]}, nil
	case len(s) == 10 && s[8] == '-':
		s = s[:8] + s[9:]
		fallthrough
	case len(s) == 9:
		if err := checkOrganisation(s); err != nil {
			return Code{}, err
		}
		canonical := s[:8] + "-" + s[8:]
		return Code{Kind: OrganisationCode, Canonical: canonical, Organisation: canonical}, nil
	}
	return Code{}, ErrLength
}

func orgValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// OrganisationCheckDigit computes the GB 11714 check character of 8 body characters.
func OrganisationCheckDigit(body string) (byte, error) {
	if len(body) != 8 {
		return 0, ErrLength
	}
	sum := 0
	for i := 0; i < 8; i++ {
		v, ok := orgValue(body[i])
		if !ok {
			return 0, ErrCharacters
		}
		sum += v * gb11714Weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}

func checkOrganisation(s string) error {
	want, err := OrganisationCheckDigit(s[:8])
	if err != nil {
		return err
	}
	if s[8] != want {
		if _, ok := orgValue(s[8]); !ok {
			return ErrCharacters
		}
		return ErrCheckDigit
	}
	return nil
}

// CreditCheckDigit computes the GB 32100 check character of 17 body characters.
func CreditCheckDigit(body string) (byte, error) {
	if len(body) != 17 {
		return 0, ErrLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(gb32100Alphabet, body[i])
		if v < 0 {
			return 0, ErrCharacters
		}
		sum += v * gb32100Weights[i]
	}
	return gb32100Alphabet[(31-sum%31)%31], nil
}

func checkCredit(s string) error {
	want, err := CreditCheckDigit(s[:17])
	if err != nil {
		return err
	}
	if s[17] != want {
		if strings.IndexByte(gb32100Alphabet, s[17]) < 0 {
			return ErrCharacters
		}
		return ErrCheckDigit
	}
	return nil
}
