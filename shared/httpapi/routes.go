package httpapi

import "cloudmarket/shared/market"

// Routes is the one route table: each public route, the SCF function that
// serves it, and who may call it. The emulator reads it to route requests; the
// gateway's path routes in infra/ and serverless.yml are checked against it.
func (a *API) Routes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/v1/license-uploads", Function: "create-license-upload", Roles: []string{market.RoleProvider}, Handle: a.CreateLicenseUpload},
		{Method: "POST", Pattern: "/v1/applications", Function: "submit-application", Roles: []string{market.RoleProvider}, Handle: a.SubmitApplication},
		{Method: "GET", Pattern: "/v1/applications/{id}", Function: "query-applications", Handle: a.GetApplication},
		{Method: "GET", Pattern: "/v1/applications", Function: "query-applications", Roles: []string{market.RoleReviewer}, Handle: a.ListApplications},
		{Method: "POST", Pattern: "/v1/applications/{id}/decision", Function: "decide-application", Roles: []string{market.RoleReviewer}, Handle: a.DecideApplication},
	}
}
