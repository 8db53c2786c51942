package operation_test

import (
	"testing"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

// Who sees which provider records and orders: operators all, a provider its
// own, a buyer its own purchases (API.md "A provider may only act on its own
// provider record …; a buyer only on its own orders").
func TestListProvidersAndOrders_Visibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, mine := f.onSale("100001", creditCode, "software", 1000)
	other := f.approvedProvider("100002", otherOrg) // contract pending
	o1 := f.paidOrder(prod.ID, "4200000000202607010001")
	o2, err := f.svc.PlaceOrder(f.ctx, buyer2, prod.ID, "std", 1)
	ok(t, err)

	ids := func(ps []*market.Provider) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		who  market.Actor
		q    operation.ProviderQuery
		want []string
	}{
		{"an operator sees all, oldest first", finance, operation.ProviderQuery{}, []string{mine.ID, other.ID}},
		{"by status", reviewer, operation.ProviderQuery{Status: "contract_pending"}, []string{other.ID}},
		{"after a cursor", risk, operation.ProviderQuery{AfterID: mine.ID}, []string{other.ID}},
		{"a provider its own only", providerActor("100001"), operation.ProviderQuery{}, []string{mine.ID}},
		{"a provider's filter cannot widen it", providerActor("100002"), operation.ProviderQuery{AccountID: "100001"}, []string{other.ID}},
	} {
		got, err := f.svc.ListProviders(f.ctx, c.who, c.q)
		ok(t, err)
		if joined(ids(got)) != joined(c.want) {
			t.Errorf("%s: %v, want %v", c.name, ids(got), c.want)
		}
	}
	_, err = f.svc.ListProviders(f.ctx, buyer, operation.ProviderQuery{})
	wantCode(t, err, fault.UnauthorizedOperation)
	_, err = f.svc.ListProviders(f.ctx, finance, operation.ProviderQuery{Status: "open"})
	wantCode(t, err, "InvalidParameterValue.Status")

	orderIDs := func(os []*market.Order) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		who  market.Actor
		q    operation.OrderQuery
		want []string
	}{
		{"an operator sees all", risk, operation.OrderQuery{}, []string{o1.ID, o2.ID}},
		{"an operator, one provider's", finance, operation.OrderQuery{ProviderID: other.ID}, nil},
		{"the provider its own record's", providerActor("100001"), operation.OrderQuery{ProviderID: mine.ID}, []string{o1.ID, o2.ID}},
		{"a buyer its own", buyer2, operation.OrderQuery{}, []string{o2.ID}},
		{"a buyer's filter cannot widen it", buyer, operation.OrderQuery{BuyerAccount: buyer2.Account}, []string{o1.ID}},
		{"paging", buyer2, operation.OrderQuery{AfterID: o2.ID}, nil},
	} {
		got, err := f.svc.ListOrders(f.ctx, c.who, c.q)
		ok(t, err)
		if joined(orderIDs(got)) != joined(c.want) {
			t.Errorf("%s: %v, want %v", c.name, orderIDs(got), c.want)
		}
	}
	for _, c := range []struct {
		name string
		who  market.Actor
		q    operation.OrderQuery
		code string
	}{
		{"another provider's record", providerActor("100002"), operation.OrderQuery{ProviderID: mine.ID}, fault.UnauthorizedOperation},
		{"a provider without providerId", providerActor("100001"), operation.OrderQuery{}, fault.MissingParameter},
		{"a buyer naming a provider", buyer, operation.OrderQuery{ProviderID: mine.ID}, fault.UnauthorizedOperation},
		{"an unknown provider", providerActor("100001"), operation.OrderQuery{ProviderID: "prv_nope"}, "ResourceNotFound.Provider"},
	} {
		_, err := f.svc.ListOrders(f.ctx, c.who, c.q)
		wantCode(t, err, c.code)
	}
}

// GET /v1/applications: reviewers see the queue, an applicant its own
// applications whatever became of them, anyone else nothing.
func TestListApplicationsFor_Applicants(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	mine := f.apply("100001", creditCode)
	theirs := f.apply("100002", otherOrg)
	_, err := f.svc.DecideApplication(f.ctx, reviewer, mine.ID, "reject", "材料不全")
	ok(t, err)
	for _, c := range []struct {
		name string
		who  market.Actor
		q    store.ApplicationQuery
		want []string
	}{
		{"the reviewers' queue", reviewer, store.ApplicationQuery{Status: "submitted"}, []string{theirs.ID}},
		{"an applicant's own, rejected too", providerActor("100001"), store.ApplicationQuery{}, []string{mine.ID}},
		{"an applicant cannot widen it", providerActor("100002"), store.ApplicationQuery{AccountID: "100001"}, []string{theirs.ID}},
		{"an applicant by status", providerActor("100002"), store.ApplicationQuery{Status: "rejected"}, nil},
	} {
		got, err := f.svc.ListApplicationsFor(f.ctx, c.who, c.q)
		ok(t, err)
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if joined(ids) != joined(c.want) {
			t.Errorf("%s: %v, want %v", c.name, ids, c.want)
		}
	}
	_, err = f.svc.ListApplicationsFor(f.ctx, buyer, store.ApplicationQuery{})
	wantCode(t, err, fault.UnauthorizedOperation)
	_, err = f.svc.ListApplicationsFor(f.ctx, finance, store.ApplicationQuery{})
	wantCode(t, err, fault.UnauthorizedOperation)
}
