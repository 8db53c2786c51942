package store

import (
	"context"
	"fmt"
	"iter"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
)

// Seed is what OpenMemorySeeded loads: streams, so a large seed is never
// held whole.
type Seed struct {
	Providers iter.Seq[*market.Provider]
	Orders    iter.Seq[*market.Order]
	Ledger    iter.Seq[market.LedgerTxn]
}

// OpenMemorySeeded opens an in-memory embedded engine holding the seed, for
// benchmarks at scale: the engine copies a collection on every insert, so the
// documents go straight into the catalog it opens with, and the declared
// indexes are built over them as on any start.
func OpenMemorySeeded(ctx context.Context, seed Seed) (*Store, error) {
	catalog := lungo.NewCatalog()
	fill := func(col string, docs iter.Seq[bson.M]) error {
		c := mongokit.NewCollection(true)
		for d := range docs {
			doc, err := bsonkit.Transform(d)
			if err != nil {
				return err
			}
			if _, err := c.Insert(doc); err != nil {
				return fmt.Errorf("store: seed %s: %w", col, err)
			}
		}
		catalog.Namespaces[lungo.Handle{"cloudmarket", col}] = c
		return nil
	}
	versioned := func(doc bson.M) bson.M { doc["version"] = int64(1); return doc }
	if err := fill(colProviders, func(yield func(bson.M) bool) {
		for p := range seed.Providers {
			if !yield(versioned(providerToDoc(p))) {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	if err := fill(colOrders, func(yield func(bson.M) bool) {
		for o := range seed.Orders {
			if !yield(versioned(orderToDoc(o))) {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	if err := fill(colLedger, func(yield func(bson.M) bool) {
		for t := range seed.Ledger {
			if !yield(ledgerToDoc(t)) {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	mem := lungo.NewMemoryStore()
	if err := mem.Store(catalog); err != nil {
		return nil, err
	}
	return openEngine(ctx, mem, func() error { return nil })
}
