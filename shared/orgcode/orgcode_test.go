package orgcode

import (
	"errors"
	"testing"
)

// Published identifiers of one company (Tencent Technology (Shenzhen)): the credit
// code embeds the organisation code 71526726-X.
const (
	knownCredit = "9144030071526726XG"
	knownOrg    = "71526726-X"
)

func TestParseKnownCodes_R_EN6(t *testing.T) {
	t.Parallel()
	c, err := Parse(knownCredit)
	if err != nil || c.Kind != CreditCode || c.Organisation != knownOrg {
		t.Fatalf("credit code: %+v %v", c, err)
	}
	o, err := Parse(knownOrg)
	if err != nil || o.Kind != OrganisationCode || o.Canonical != knownOrg {
		t.Fatalf("organisation code: %+v %v", o, err)
	}
	if o.Organisation != c.Organisation {
		t.Fatal("same organisation must share its key across both identifiers")
	}
	for _, variant := range []string{"71526726x", " 71526726-x ", "9144030071526726xg"} {
		if _, err := Parse(variant); err != nil {
			t.Errorf("Parse(%q) = %v", variant, err)
		}
	}
}

func TestParseRejects_R_EN6(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want error
	}{
		{"71526726-1", ErrCheckDigit},
		{"9144030071526726XA", ErrCheckDigit},
		{"9144030071526726XI", ErrCharacters}, // I is not in the GB 32100 alphabet
		{"7152672!-X", ErrCharacters},
		{"715267", ErrLength},
		{"", ErrLength},
		{"71526726/X", ErrLength},
	}
	for _, c := range cases {
		if _, err := Parse(c.in); !errors.Is(err, c.want) {
			t.Errorf("Parse(%q) = %v, want %v", c.in, err, c.want)
		}
	}
}

func TestCheckDigitEdgeValues(t *testing.T) {
	t.Parallel()
	// Body whose GB 11714 remainder gives 11 → '0'.
	d, err := OrganisationCheckDigit("00000000")
	if err != nil || d != '0' {
		t.Fatalf("got %q %v", d, err)
	}
	c, err := CreditCheckDigit("00000000000000000")
	if err != nil || c != '0' {
		t.Fatalf("got %q %v", c, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{knownCredit, knownOrg, "", "x", "71526726-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(c.Canonical)
		if err != nil || again != c {
			t.Fatalf("canonical form %q does not round-trip: %+v %v", c.Canonical, again, err)
		}
		if len(c.Organisation) != 10 || c.Organisation[8] != '-' {
			t.Fatalf("organisation key %q", c.Organisation)
		}
	})
}
