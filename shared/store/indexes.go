package store

import (
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// indexes declares the index each timer and list query runs on, plus the
// uniqueness rules; TestEveryQueryHasAnIndex checks every query of this
// package against it. A cold start creates the ones missing, by name (keys
// and directions): an index dropped from here, or one whose keys changed,
// stays on a deployment until dropped by hand, and changing only an index's
// options (unique, partial filter) needs it dropped by hand to take effect.
//
// Keys follow the equality–sort–range rule: the fields a query matches exactly
// first, then its sort, then its range. A short $in list counts as equality
// (scanned value by value and merged under a sort), and so does $exists: false
// (the null point). A timer sweep matches the marker that says it already
// acted (overdueFlaggedAt, startOverdueAt, deposit.returnOverdueAt: null;
// deposit.storeClosed: false) and takes a due-date range, so a row it acted on
// leaves the scanned part of the index and a run with nothing due reads no
// document, however many are stored.
var indexes = map[string][]mongo.IndexModel{
	colApplications: {
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "overdueFlaggedAt", Value: 1}, {Key: "reviewDueAt", Value: 1}}},                  // R-ON1 sweep
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}},                               // review queue by status
		{Keys: bson.D{{Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}},                                                          // queue without status filter
		{Keys: bson.D{{Key: "accountId", Value: 1}, {Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}},                            // an applicant's own
		{Keys: bson.D{{Key: "accountId", Value: 1}, {Key: "status", Value: 1}, {Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}}, // … by status
		{Keys: bson.D{{Key: "decidedAt", Value: 1}}},                                                                                    // the dashboard's review times
	},
	colProviders: {
		{Keys: bson.D{{Key: "accountId", Value: 1}, {Key: "_id", Value: 1}}},                            // an account's newest record (read backwards)
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}},                               // R-EX2: exiting and expelled providers
		{Keys: bson.D{{Key: "accountId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}}, // a provider's own records by status
		{Keys: bson.D{{Key: "applicationId", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "deposit.storeClosed", Value: 1}, {Key: "deposit.topUpDueAt", Value: 1}}},                                             // R-DP5 sweep
		{Keys: bson.D{{Key: "deposit.returnedAt", Value: 1}, {Key: "deposit.returnOverdueAt", Value: 1}, {Key: "deposit.returnDueAt", Value: 1}}}, // R-DP6 sweep
	},
	colEntries: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		// The same transfer reference records once (R-DP2), even concurrently.
		{Keys: bson.D{{Key: "reference", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"kind": "payment"})},
	},
	colProducts: {
		// The product list: a provider's own, by status, on sale, the review
		// queue — each alone or within one provider.
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "visible", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "inReview", Value: 1}, {Key: "submittedAt", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "visible", Value: 1}, {Key: "_id", Value: 1}}},                                  // what buyers browse
		{Keys: bson.D{{Key: "inReview", Value: 1}, {Key: "submittedAt", Value: 1}, {Key: "_id", Value: 1}}}, // review queue
	},
	colOrders: {
		{Keys: bson.D{{Key: "outTradeNo", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "redemptionCode", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"redemptionCode": bson.M{"$exists": true}})},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "startOverdueAt", Value: 1}, {Key: "startDueAt", Value: 1}}}, // R-SV2 sweep
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "reviewPeriodEndsAt", Value: 1}}},                            // R-RF1 completion sweep
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "expiresAt", Value: 1}}},                                     // unpaid expiry sweep
		{Keys: bson.D{{Key: "paidAt", Value: 1}}},                                                                   // the dashboard's sales by month
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},                                       // a provider's orders (GET /v1/orders)
		{Keys: bson.D{{Key: "buyerAccount", Value: 1}, {Key: "_id", Value: 1}}},                                     // a buyer's orders
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "payment.checkAt", Value: 1}}},                               // prepay retry and payment query sweep
		// R-DP6 and R-EX2: a provider's paid orders not completed (counted,
		// read), and those of them with no refund in progress.
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "openRefundId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "settledAt", Value: 1}, {Key: "completedAt", Value: 1}}}, // settlement: completed, not settled
	},
	colPayments: {
		// Notifications still not applied, re-driven by the deadline timer.
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "driveAt", Value: 1}}},
	},
	colDeadLetters: {
		{Keys: bson.D{{Key: "at", Value: 1}}},
	},
	colNotices: {
		// Finance's queue, oldest filed first: all, by status, by provider,
		// by both.
		{Keys: bson.D{{Key: "filedAt", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "filedAt", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "filedAt", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "filedAt", Value: 1}, {Key: "_id", Value: 1}}},
		// One notice per transfer reference of a provider.
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "reference", Value: 1}}, Options: options.Index().SetUnique(true)},
	},
	colChanges: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
	},
	colEvents: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "subject", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "type", Value: 1}, {Key: "_id", Value: 1}}}, // e.g. payments for finance to look at
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "type", Value: 1}, {Key: "_id", Value: 1}}},
	},
	colNotifications: {
		// Outbox sweep: pending by age; claimed ones by age, their lease read
		// from the key.
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}, {Key: "leaseEnds", Value: 1}}},
	},
	// Refunds: the risk queue and the provider and buyer lists (oldest first,
	// each with or without a status), the sweeps of silent providers and of
	// payment-system transfers, the R-DP6 count, R-EX2's check per order.
	colRefunds: {
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "buyerAccount", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "buyerAccount", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "open", Value: 1}}},
		{Keys: bson.D{{Key: "orderId", Value: 1}, {Key: "forExit", Value: 1}}},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "respondBy", Value: 1}}},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "transfer.state", Value: 1}, {Key: "transfer.nextAttemptAt", Value: 1}}},
		{Keys: bson.D{{Key: "outRefundNo", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"outRefundNo": bson.M{"$exists": true}})},
		// One refund in progress per order, even between concurrent requests.
		{Keys: bson.D{{Key: "orderId", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"open": true})},
	},
	colClawbacks: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "settledIn", Value: 1}, {Key: "at", Value: 1}}},
		{Keys: bson.D{{Key: "refundId", Value: 1}}, Options: options.Index().SetUnique(true)},
	},
	// Settlement: the ledger by provider, statements newest first, a
	// statement's lines in order, payouts listed and returned after failing.
	colLedger:         {{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}}},
	colStatements:     {{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "period", Value: 1}}}},
	colStatementLines: {{Keys: bson.D{{Key: "statementId", Value: 1}, {Key: "seq", Value: 1}}}},
	colPayouts: {
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "returnedIn", Value: 1}, {Key: "failedAt", Value: 1}}},
	},
	colIdempotency: {
		{Keys: bson.D{{Key: "purgeAt", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(0)}, // housekeeping only
	},
}
