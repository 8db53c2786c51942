package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"
)

// A record's payload is a run of BSON documents, one per operation:
//
//	{k: "put", ns, d: document}      insert or replace by _id
//	{k: "del", ns, id}               delete by _id
//	{k: "create", ns}                an empty collection exists
//	{k: "drop", ns}                  the collection and its indexes are gone
//	{k: "index", ns, name, key, unique, partial, expiry}
//	{k: "unindex", ns, name}
//	{k: "end"}                       last record of a snapshot
//
// A log record is one commit, so a commit is on disk whole or not at all.
type batch struct {
	buf []byte // a record: header space, then the operations
	err error
}

func (b *batch) add(op bson.D) {
	if b.err != nil {
		return
	}
	if len(b.buf) == 0 {
		b.buf = make([]byte, headerLen, 4<<10)
	}
	b.buf, b.err = bson.MarshalAppend(b.buf, op)
	if b.err == nil && len(b.buf)-headerLen > math.MaxUint32 {
		b.err = errors.New("a commit of more than 4 GiB")
	}
}

// size is the length of the record so far, 0 without operations.
func (b *batch) size() int {
	if len(b.buf) <= headerLen {
		return 0
	}
	return len(b.buf)
}

func (b *batch) put(h lungo.Handle, doc any) {
	b.add(bson.D{{Key: "k", Value: "put"}, {Key: "ns", Value: h.String()}, {Key: "d", Value: doc}})
}

func (b *batch) del(h lungo.Handle, id any) {
	b.add(bson.D{{Key: "k", Value: "del"}, {Key: "ns", Value: h.String()}, {Key: "id", Value: id}})
}

func (b *batch) create(h lungo.Handle) {
	b.add(bson.D{{Key: "k", Value: "create"}, {Key: "ns", Value: h.String()}})
}

func (b *batch) drop(h lungo.Handle) {
	b.add(bson.D{{Key: "k", Value: "drop"}, {Key: "ns", Value: h.String()}})
}

func (b *batch) index(h lungo.Handle, name string, c mongokit.IndexConfig) {
	op := bson.D{{Key: "k", Value: "index"}, {Key: "ns", Value: h.String()}, {Key: "name", Value: name},
		{Key: "key", Value: c.Key}, {Key: "unique", Value: c.Unique}, {Key: "expiry", Value: int64(c.Expiry)}}
	if c.Partial != nil {
		op = append(op, bson.E{Key: "partial", Value: c.Partial})
	}
	b.add(op)
}

func (b *batch) unindex(h lungo.Handle, name string) {
	b.add(bson.D{{Key: "k", Value: "unindex"}, {Key: "ns", Value: h.String()}, {Key: "name", Value: name}})
}

func (b *batch) end() { b.add(bson.D{{Key: "k", Value: "end"}}) }

// replay is the catalogue being rebuilt from a snapshot and logs. Documents
// stay raw until the end, so one overwritten many times is decoded once.
type replay struct {
	colls map[string]*collState
	ended bool // the snapshot's end record was read
}

type collState struct {
	docs    []bson.Raw     // in collection order; nil where deleted
	at      map[string]int // _id (type and bytes) → index in docs
	indexes map[string]mongokit.IndexConfig
}

func newReplay() *replay { return &replay{colls: map[string]*collState{}} }

func (r *replay) coll(ns string) *collState {
	c := r.colls[ns]
	if c == nil {
		c = &collState{at: map[string]int{}, indexes: map[string]mongokit.IndexConfig{}}
		r.colls[ns] = c
	}
	return c
}

// apply replays one record's operations.
func (r *replay) apply(payload []byte) error {
	for len(payload) > 0 {
		if len(payload) < 5 {
			return fmt.Errorf("truncated operation")
		}
		n := int(binary.LittleEndian.Uint32(payload))
		if n < 5 || n > len(payload) {
			return fmt.Errorf("bad operation length %d", n)
		}
		op := bson.Raw(payload[:n])
		payload = payload[n:]
		if err := op.Validate(); err != nil {
			return err
		}
		if err := r.applyOne(op); err != nil {
			return err
		}
	}
	return nil
}

func (r *replay) applyOne(op bson.Raw) error {
	kind, _ := op.Lookup("k").StringValueOK()
	ns, _ := op.Lookup("ns").StringValueOK()
	if kind != "end" && !strings.Contains(ns, ".") {
		return fmt.Errorf("operation %q without a namespace", kind)
	}
	switch kind {
	case "put":
		doc, ok := op.Lookup("d").DocumentOK()
		if !ok {
			return fmt.Errorf("put without a document")
		}
		key, err := idKey(doc.Lookup("_id"))
		if err != nil {
			return err
		}
		c := r.coll(ns)
		if i, ok := c.at[key]; ok {
			c.docs[i] = doc
		} else {
			c.at[key] = len(c.docs)
			c.docs = append(c.docs, doc)
		}
	case "del":
		key, err := idKey(op.Lookup("id"))
		if err != nil {
			return err
		}
		if c := r.colls[ns]; c != nil {
			if i, ok := c.at[key]; ok {
				c.docs[i] = nil
				delete(c.at, key)
			}
		}
	case "create":
		r.coll(ns)
	case "drop":
		delete(r.colls, ns)
	case "index":
		var ix struct {
			Name    string `bson:"name"`
			Key     bson.D `bson:"key"`
			Unique  bool   `bson:"unique"`
			Partial bson.D `bson:"partial"`
			Expiry  int64  `bson:"expiry"`
		}
		if err := bson.Unmarshal(op, &ix); err != nil {
			return err
		}
		cfg := mongokit.IndexConfig{Key: &ix.Key, Unique: ix.Unique, Expiry: time.Duration(ix.Expiry)}
		if ix.Partial != nil {
			cfg.Partial = &ix.Partial
		}
		r.coll(ns).indexes[ix.Name] = cfg
	case "unindex":
		if c := r.colls[ns]; c != nil {
			name, _ := op.Lookup("name").StringValueOK()
			delete(c.indexes, name)
		}
	case "end":
		r.ended = true
	default:
		return fmt.Errorf("unknown operation %q", kind)
	}
	return nil
}

// idKey identifies a document by its _id's BSON type and bytes: every _id the
// journal writes comes from the same encoder, so equal ids are equal bytes.
func idKey(v bson.RawValue) (string, error) {
	if v.Type == 0 {
		return "", fmt.Errorf("operation without an _id")
	}
	return string(append([]byte{byte(v.Type)}, v.Value...)), nil
}

// valueKey is idKey for a decoded _id.
func valueKey(id any) (string, error) {
	t, data, err := bson.MarshalValue(id)
	if err != nil {
		return "", err
	}
	return idKey(bson.RawValue{Type: t, Value: data})
}

// catalog builds the engine's catalogue: documents in their order, indexes
// rebuilt from their definitions (as lungo's own file store does). Decoding
// and index building are most of the time spent opening, so they run on
// every core, the largest indexes first.
func (r *replay) catalog() (*lungo.Catalog, error) {
	cat := lungo.NewCatalog()
	type build struct {
		coll *mongokit.Collection
		ns   string
		name string
		ix   *mongokit.Index
	}
	var builds []*build
	for _, ns := range sortedKeys(r.colls) {
		c := r.colls[ns]
		delete(r.colls, ns)
		list, err := c.decode(ns)
		if err != nil {
			return nil, err
		}
		coll := mongokit.NewCollection(false)
		coll.Documents = bsonkit.NewSet(list)
		for _, name := range sortedKeys(c.indexes) {
			ix, err := mongokit.CreateIndex(c.indexes[name])
			if err != nil {
				return nil, fmt.Errorf("journal: index %s of %s: %w", name, ns, err)
			}
			builds = append(builds, &build{coll, ns, name, ix})
		}
		db, name, _ := strings.Cut(ns, ".")
		cat.Namespaces[lungo.Handle{db, name}] = coll
	}
	slices.SortStableFunc(builds, func(a, b *build) int {
		return len(b.coll.Documents.List) - len(a.coll.Documents.List)
	})
	err := parallel(len(builds), func(i int) error {
		b := builds[i]
		ok, err := b.ix.Build(b.coll.Documents.List)
		if err == nil && !ok {
			err = errors.New("duplicate key")
		}
		if err != nil {
			return fmt.Errorf("journal: index %s of %s: %w", b.name, b.ns, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range builds {
		b.coll.Indexes[b.name] = b.ix
	}
	return cat, nil
}

// decode turns the collection's documents into the engine's form, dropping
// the raw bytes as it goes.
func (c *collState) decode(ns string) (bsonkit.List, error) {
	raws := slices.DeleteFunc(c.docs, func(d bson.Raw) bool { return d == nil })
	c.docs, c.at = nil, nil
	list := make(bsonkit.List, len(raws))
	const chunk = 1024
	err := parallel((len(raws)+chunk-1)/chunk, func(t int) error {
		for i := t * chunk; i < min(len(raws), (t+1)*chunk); i++ {
			d, err := bsonkit.DecodeCompact(raws[i])
			if err != nil {
				return fmt.Errorf("journal: document in %s: %w", ns, err)
			}
			list[i], raws[i] = d, nil
		}
		return nil
	})
	return list, err
}

// parallel runs fn(0) … fn(n-1) on every core and returns their errors.
func parallel(n int, fn func(int) error) error {
	var next atomic.Int64
	errs := make([]error, min(n, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if errs[w] = fn(i); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
