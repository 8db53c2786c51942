package market

import "slices"

// Roles of API.md's identity section.
const (
	RoleProvider = "provider"
	RoleBuyer    = "buyer"
	RoleReviewer = "operator:reviewer"
	RoleFinance  = "operator:finance"
	RoleRisk     = "operator:risk"
)

// OperatorRoles are the operator's sub-roles.
var OperatorRoles = []string{RoleReviewer, RoleFinance, RoleRisk}

// Actor is who makes a request: a cloud account and its roles, or the system
// (a timer).
type Actor struct {
	Account string
	Roles   []string
}

// System is the actor of timers and queue consumers.
func System(name string) Actor { return Actor{Account: "system:" + name} }

// Has tells whether the actor holds any of the roles.
func (a Actor) Has(roles ...string) bool {
	return slices.ContainsFunc(a.Roles, func(r string) bool { return slices.Contains(roles, r) })
}

// IsOperator tells whether the actor is platform staff of any sub-role.
func (a Actor) IsOperator() bool { return a.Has(OperatorRoles...) }
