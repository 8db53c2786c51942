// Package operation holds one function per operation: load, call the domain, save,
// record events and notifications, all in one transaction (store.Transact). It
// declares the small interfaces it needs from the world outside the database.
package operation

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"cloudmarket/shared/clock"
	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// Objects is the object storage the licence images go to (COS; gofakes3 locally).
type Objects interface {
	// PresignPut returns a URL the client PUTs exactly size bytes of
	// contentType to, valid until expires.
	PresignPut(ctx context.Context, key, contentType string, size int64) (url string, expires time.Time, err error)
	// Read returns the object's bytes, reading at most max+1 so an oversized
	// object is detected without loading it whole. ErrNoObject if absent.
	Read(ctx context.Context, key string, max int64) ([]byte, error)
}

// ErrNoObject is returned by Objects.Read for a key that holds nothing.
var ErrNoObject = errors.New("no such object")

// Sender delivers one notification (SMS or e-mail) and names the channel that
// carried it.
type Sender interface {
	Send(ctx context.Context, n market.Notification) (via string, err error)
}

// Config is what operations need to know about the deployment.
type Config struct {
	// Staff phones per operator sub-role, for the alerts each must act on.
	ReviewerPhones []string // overdue application reviews
	FinancePhones  []string // deposit returns due and overdue
	RiskPhones     []string // late change reports, unpaid deductions
	// Products are the automatic listing checks (R-LS3).
	Products market.ProductRules
	// ConsignmentRate is the platform's share in consignment mode (R-FE1).
	ConsignmentRate money.BasisPoints
	// ExitBatch bounds the orders an exit refunds in its own transaction
	// (R-EX2); the refund sweep takes the rest. 0 means 1,000.
	ExitBatch int
	// Violations replaces the embedded violation catalogue (R-VI10); nil
	// keeps market.Catalogue.
	Violations *market.ViolationCatalogue
}

// staffSMS makes one SMS per phone.
func staffSMS(phones []string, template string, params ...string) []market.Notification {
	var out []market.Notification
	for _, p := range phones {
		out = append(out, market.Notification{Channel: "sms", To: p, Template: template, Params: params})
	}
	return out
}

// Service runs the operations.
type Service struct {
	Store    *store.Store
	Clock    clock.Clock
	Calendar *workday.Calendar
	Objects  Objects
	Sender   Sender
	Queue    Queue
	// Notifications reads the payment system's callbacks.
	Notifications NotificationReader
	// Refunds is the payment system's refund API.
	Refunds RefundAPI
	// Native is the payment system's Native payment API (prepay, query, close).
	Native PaymentAPI
	Config Config
	Log    *slog.Logger
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Millisecond) }

// notFound maps the store's not-found to the API's error for that resource.
func notFound(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fault.NotFound(what, "%s %s does not exist.", what, id)
	}
	return err
}
