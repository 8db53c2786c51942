package market

import "cloudmarket/shared/fault"

// OrganisationStanding is what the marketplace knows of an organisation, keyed
// by its organisation code (either identifier maps to it).
type OrganisationStanding string

const (
	OrganisationFree     OrganisationStanding = "free"     // may apply
	OrganisationApplying OrganisationStanding = "applying" // an application is open
	OrganisationProvider OrganisationStanding = "provider" // already a provider
	OrganisationExpelled OrganisationStanding = "expelled" // 清退: never again (R-EN7)
	// OrganisationExited left of its own accord or at the end of its contract
	// (R-EX1: 8.1, 8.2) and got its deposit back: it may apply again. Only
	// expulsion (8.3) bars it for good.
	OrganisationExited OrganisationStanding = "exited"
)

// CheckMayApply refuses an application from an organisation that was expelled
// (R-EN7) or that already has an open application or a provider record.
func CheckMayApply(s OrganisationStanding, organisation string) error {
	switch s {
	case OrganisationExpelled:
		return fault.Failed("OrganisationBanned", "Organisation %s was expelled from the marketplace and cannot apply again (R-EN7).", organisation)
	case OrganisationApplying:
		return fault.Failed("AlreadyApplied", "Organisation %s already has an application under review; wait for its result.", organisation)
	case OrganisationProvider:
		return fault.Failed("AlreadyApplied", "Organisation %s is already a provider on the marketplace.", organisation)
	}
	return nil
}
