package journal

import (
	"fmt"
	"testing"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"
)

// BenchmarkChanges is the CPU side of a journal write: finding and encoding
// what one commit (one inserted document) changed, with 1k to 100k documents
// in the collection it touched. From the oplog it costs the same at every
// size; comparing collections (the first commit after opening) walks the
// collection's pointers, so it grows with it, though far less than lungo's
// own copy of the collection on every write. The record's write and fsync
// come on top (see the store's BenchmarkJournal).
func BenchmarkChanges(b *testing.B) {
	h := lungo.Handle{"db", "a"}
	for _, n := range []int{1_000, 10_000, 100_000} {
		coll := mongokit.NewCollection(true)
		for i := range n {
			if _, err := coll.Insert(bsonkit.MustConvert(bson.M{"_id": fmt.Sprint(i), "pad": "0123456789abcdef"})); err != nil {
				b.Fatal(err)
			}
		}
		base := lungo.NewCatalog()
		base.Namespaces[h] = coll
		insert := func(cat *lungo.Catalog, id string) *lungo.Catalog {
			txn := lungo.NewTransaction(cat)
			if _, err := txn.Insert(h, bsonkit.List{bsonkit.MustConvert(bson.M{"_id": id})}, true); err != nil {
				b.Fatal(err)
			}
			return txn.Catalog()
		}
		prev := insert(base, "x")
		next := insert(prev, "y")
		oplog := prev.Namespaces[lungo.Oplog].Documents.List
		for _, mode := range []struct {
			name string
			seen bsonkit.Doc
		}{{"oplog", oplog[len(oplog)-1]}, {"compare", nil}} {
			b.Run(fmt.Sprintf("stored=%d/%s", n, mode.name), func(b *testing.B) {
				for b.Loop() {
					var rec batch
					changes(&rec, prev, next, mode.seen)
				}
			})
		}
	}
}
