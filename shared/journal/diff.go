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
// pointer identity tells changed from unchanged, and lungo keeps a
// collection's order (it appends, replaces in place, removes without
// reordering): walking both lists side by side compares pointers and looks
// up only where they differ.
func diffDocuments(b *batch, h lungo.Handle, old, next *mongokit.Collection) {
	n := next.Documents.List
	if old == nil {
		for _, d := range n {
			b.put(h, d)
		}
		return
	}
	o := old.Documents.List
	var puts bsonkit.List
	for i, j := 0, 0; i < len(o) || j < len(n); {
		switch {
		case i < len(o) && j < len(n) && o[i] == n[j]:
			i, j = i+1, j+1
		case i < len(o) && !has(next, o[i]):
			id := bsonkit.Get(o[i], "_id")
			if j < len(n) && !has(old, n[j]) && sameID(id, bsonkit.Get(n[j], "_id")) {
				puts = append(puts, n[j]) // replaced in place
				j++
			} else {
				// Deletes go first: a put after them lands where the
				// engine put the document, and never gets deleted.
				b.del(h, id)
			}
			i++
		case j < len(n) && !has(old, n[j]):
			puts = append(puts, n[j])
			j++
		case i < len(o): // in both, out of step: unchanged, wherever it is
			i++
		default:
			j++
		}
	}
	for _, d := range puts {
		b.put(h, d)
	}
}

func sameID(a, b any) bool {
	ka, err := valueKey(a)
	if err != nil {
		return false
	}
	kb, err := valueKey(b)
	return err == nil && ka == kb
}

func has(c *mongokit.Collection, d bsonkit.Doc) bool {
	return c.Documents.Has(d)
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
