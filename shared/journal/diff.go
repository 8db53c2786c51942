package journal

import (
	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"
)

// changes writes to b what turns prev into next. lungo's catalogue is
// copy-on-write: a commit replaces each collection it touches with a changed
// copy and keeps the others, so an unchanged pointer means an unchanged
// collection. Inside a touched collection the oplog names the documents that
// changed (every insert, replace, update, delete, TTL expiry and drop appends
// an entry carrying the full document or its _id), so a write costs what it
// changed, not what is stored. The oplog is only trusted when it still holds
// seen, the newest entry already persisted: lungo trims it from the front, so
// then every later entry is there too. Otherwise (the first commit after
// opening, a commit larger than the oplog's retention, an entry of a kind it
// does not know) the touched collections are compared document by document.
//
// It returns the newest oplog entry of next, the seen of the following call.
func changes(b *batch, prev, next *lungo.Catalog, seen bsonkit.Doc) bsonkit.Doc {
	events, complete := since(next.Namespaces[lungo.Oplog], seen)
	dropped := map[lungo.Handle]bool{}
	if complete && !fromOplog(b, events, dropped) {
		*b, complete = batch{}, false
		clear(dropped)
	}
	for h, coll := range next.Namespaces {
		old := prev.Namespaces[h]
		if h == lungo.Oplog || old == coll {
			continue
		}
		if dropped[h] {
			old = nil // dropped and created again in this commit
		}
		if old == nil {
			b.create(h)
		}
		if !complete {
			diffDocuments(b, h, old, coll)
		}
		diffIndexes(b, h, old, coll)
	}
	for h := range prev.Namespaces {
		if h != lungo.Oplog && next.Namespaces[h] == nil && !dropped[h] {
			b.drop(h)
		}
	}
	oplog := next.Namespaces[lungo.Oplog].Documents.List
	if len(oplog) == 0 {
		return nil
	}
	return oplog[len(oplog)-1]
}

// since returns the oplog entries after seen, and whether they are all of
// them.
func since(oplog *mongokit.Collection, seen bsonkit.Doc) (bsonkit.List, bool) {
	if seen == nil {
		return nil, false
	}
	list := oplog.Documents.List
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == seen {
			return list[i+1:], true
		}
	}
	return nil, false
}

// fromOplog writes the document changes the events describe and notes the
// dropped collections. It returns false, having written part of them, at an
// event it does not know.
func fromOplog(b *batch, events bsonkit.List, dropped map[lungo.Handle]bool) bool {
	for _, ev := range events {
		h := lungo.Handle{str(ev, "ns.db"), str(ev, "ns.coll")}
		switch str(ev, "operationType") {
		case "insert", "replace", "update":
			doc, ok := bsonkit.Get(ev, "fullDocument").(bson.D)
			if !ok {
				return false
			}
			b.put(h, doc)
		case "delete":
			id := bsonkit.Get(ev, "documentKey._id")
			if id == bsonkit.Missing {
				return false
			}
			b.del(h, id)
		case "drop":
			b.drop(h)
			dropped[h] = true
		case "dropDatabase": // its collections each have a drop before it
		default:
			return false
		}
	}
	return true
}

func str(doc bsonkit.Doc, path string) string {
	s, _ := bsonkit.Get(doc, path).(string)
	return s
}

// diffDocuments writes the documents that differ between two versions of a
// collection (old may be nil). Documents are immutable once committed, so
// pointer identity tells changed from unchanged.
func diffDocuments(b *batch, h lungo.Handle, old, next *mongokit.Collection) {
	var puts bsonkit.List
	for _, d := range next.Documents.List {
		if old == nil {
			puts = append(puts, d)
		} else if _, ok := old.Documents.Index[d]; !ok {
			puts = append(puts, d)
		}
	}
	if old != nil {
		// A replaced document is a put of the same _id: deleting it first
		// would move it to the end of the collection's order.
		var kept map[string]bool
		for _, d := range old.Documents.List {
			if _, ok := next.Documents.Index[d]; ok {
				continue
			}
			if kept == nil {
				kept = make(map[string]bool, len(puts))
				for _, p := range puts {
					k, _ := valueKey(bsonkit.Get(p, "_id"))
					kept[k] = true
				}
			}
			id := bsonkit.Get(d, "_id")
			if k, _ := valueKey(id); !kept[k] {
				b.del(h, id)
			}
		}
	}
	for _, d := range puts {
		b.put(h, d)
	}
}

// diffIndexes writes the index definitions that differ (old may be nil).
func diffIndexes(b *batch, h lungo.Handle, old, next *mongokit.Collection) {
	for name, ix := range next.Indexes {
		cfg := ix.Config()
		if old != nil {
			if o, ok := old.Indexes[name]; ok && o.Config().Equal(cfg) {
				continue
			}
		}
		b.index(h, name, cfg)
	}
	if old != nil {
		for name := range old.Indexes {
			if next.Indexes[name] == nil {
				b.unindex(h, name)
			}
		}
	}
}
