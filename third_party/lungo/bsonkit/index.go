package bsonkit

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/tidwall/btree"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
)

// indexEntry is one (key tuple, doc) pair stored in the index btree. A document
// with array values at indexed paths produces multiple entries — one per
// element combination — to mirror MongoDB's multikey indexing.
//
// Patched into this copy of lungo (see PATCHES.md): most documents have one
// key per index, made of values the document itself holds, so their entries
// keep no copy of it (keys nil) and read the values from the document when
// compared; stored documents are never changed in place. Only documents with
// arrays at indexed paths, and lookups, carry their keys. At 100,000
// documents with 15 indexes this is about 100 MB less.
type indexEntry struct {
	doc  Doc
	keys *[]interface{}
}

// key returns the entry's value for column j.
func (e indexEntry) key(j int, col Column) interface{} {
	if e.keys != nil {
		return (*e.keys)[j]
	}
	if !strings.Contains(col.Path, ".") {
		// a top-level field: what All returns for a document whose key is
		// its own values, without parsing the path
		for _, el := range *e.doc {
			if el.Key == col.Path {
				return el.Value
			}
		}
		return Missing
	}
	v, _ := All(e.doc, col.Path, true, true)
	return v
}

// lookup is an entry that carries its keys.
func lookup(keys []interface{}, doc Doc) indexEntry {
	return indexEntry{doc: doc, keys: &keys}
}

// Index is a basic btree based index for documents. The index is not safe from
// concurrent access.
type Index struct {
	unique  bool
	columns []Column
	btree   *btree.BTreeG[indexEntry]

	// arrays counts the documents held with an array at an indexed path
	// (patched, see HoldsArrays).
	arrays int
}

// HoldsArrays tells whether a document held has an array at an indexed path.
// Without one, a document whose path is missing or null is held under null,
// whatever the path's depth; through an array of documents a missing field is
// held under nothing. Patched into this copy of lungo (see PATCHES.md), for
// the query planner.
func (i *Index) HoldsArrays() bool {
	return i.arrays > 0
}

// hasArrays tells whether the document has an array at an indexed path.
func (i *Index) hasArrays(doc Doc) bool {
	for j, col := range i.columns {
		if _, ok := (indexEntry{doc: doc}.key(j, col)).(bson.A); ok {
			return true
		}
	}
	return false
}

// NewIndex creates and returns a new index.
func NewIndex(unique bool, columns []Column) *Index {
	// prepare less function
	less := func(a, b indexEntry) bool {
		for i, col := range columns {
			res := Compare(a.key(i, col), b.key(i, col))
			if col.Reverse {
				res = -res
			}
			if res != 0 {
				return res < 0
			}
		}
		// tiebreak by document _id so multiple non-unique entries with equal
		// keys can coexist; for unique indexes the conflict is detected
		// before insert (patched: by _id, not by the document's address, so
		// a new version of a document with the same keys takes its old
		// version's place, see Swap; a lookup without a document sorts
		// first)
		return compareIDs(a.doc, b.doc) < 0
	}

	return &Index{
		btree:   btree.NewBTreeG[indexEntry](less),
		columns: columns,
		unique:  unique,
	}
}

// Build will build the index from the specified list. It may return false if
// there was a unique constraint error when building the index. If an error
// is returned the index only has some documents added.
//
// Patched into this copy of lungo (see PATCHES.md): an empty index is built
// by computing every key once, sorting, and loading the sorted entries
// (upstream added one document at a time, each a search of the tree; with
// entries that read their keys from the document, see indexEntry, each of
// those comparisons costs a field lookup).
func (i *Index) Build(list List) bool {
	if i.btree.Len() > 0 {
		for _, doc := range list {
			if !i.Add(doc) {
				return false
			}
		}
		return true
	}

	// every key, computed once: a document's own values go into one shared
	// array, so a document without arrays at the indexed paths costs no
	// allocation of its own
	type pending struct {
		doc  Doc
		keys []interface{}
		own  bool
	}
	cols := len(i.columns)
	flat := make([]interface{}, 0, len(list)*cols)
	entries := make([]pending, 0, len(list))
	for _, doc := range list {
		if i.hasArrays(doc) {
			i.arrays++
		}
		at, own := len(flat), true
		for j, col := range i.columns {
			v := indexEntry{doc: doc}.key(j, col)
			if hasElements(v) {
				own = false
				break
			}
			flat = append(flat, v)
		}
		if own {
			entries = append(entries, pending{doc: doc, keys: flat[at : at+cols : at+cols], own: true})
			continue
		}
		flat = flat[:at]
		for _, t := range i.tuples(doc) {
			entries = append(entries, pending{doc: doc, keys: t})
		}
	}

	// in the tree's order (see NewIndex)
	slices.SortFunc(entries, func(a, b pending) int {
		for j, col := range i.columns {
			res := Compare(a.keys[j], b.keys[j])
			if col.Reverse {
				res = -res
			}
			if res != 0 {
				return res
			}
		}
		return compareIDs(a.doc, b.doc)
	})

	// unique: a key held by two documents
	for j := 1; i.unique && j < len(entries); j++ {
		a, b := entries[j-1], entries[j]
		if a.doc != b.doc && sameKeys(a.keys, b.keys) {
			return false
		}
	}

	// load in order (an array holding a value twice gives two equal
	// entries: the second replaces the first, as a second Set does)
	for _, p := range entries {
		if p.own {
			i.btree.Load(indexEntry{doc: p.doc})
		} else {
			i.btree.Load(lookup(p.keys, p.doc))
		}
	}

	return true
}

func sameKeys(a, b []interface{}) bool {
	for j := range a {
		if Compare(a[j], b[j]) != 0 {
			return false
		}
	}
	return true
}

// Add will add the document to index. May return false if the document has
// already been added or, for unique indexes, conflicts with another document.
func (i *Index) Add(doc Doc) bool {
	// get tuples
	tuples := i.tuples(doc)

	// already added?
	if _, ok := i.btree.Get(lookup(tuples[0], doc)); ok {
		return false
	}

	// for unique, ensure no key collides with another doc
	if i.unique {
		for _, t := range tuples {
			if i.hasKey(t) {
				return false
			}
		}
	}

	if i.hasArrays(doc) {
		i.arrays++
	}

	// add tuples (patched: an entry without keys when the document's own
	// values are its only key, see indexEntry)
	if len(tuples) == 1 && i.ownKeys(doc) {
		i.btree.Set(indexEntry{doc: doc})
		return true
	}
	for _, t := range tuples {
		i.btree.Set(lookup(t, doc))
	}

	return true
}

// Has returns whether the specified document has been added to the index. For
// unique indexes it returns true when any document with matching key values is
// indexed, mirroring uniqueness semantics.
func (i *Index) Has(doc Doc) bool {
	// get tuples
	tuples := i.tuples(doc)

	// for unique, check by key only
	if i.unique {
		return i.hasKey(tuples[0])
	}

	// otherwise check by identity
	_, ok := i.btree.Get(lookup(tuples[0], doc))

	return ok
}

// Remove will remove a document from the index. May return false if the
// document has not yet been added to the index.
func (i *Index) Remove(doc Doc) bool {
	// get tuples
	tuples := i.tuples(doc)

	// check if added
	if _, ok := i.btree.Get(lookup(tuples[0], doc)); !ok {
		return false
	}

	// remove all entries
	for _, t := range tuples {
		i.btree.Delete(lookup(t, doc))
	}
	if i.hasArrays(doc) {
		i.arrays--
	}

	return true
}

// List will return an ascending list of all documents in the index. Documents
// with array values appear once even though they are stored under multiple
// entries.
func (i *Index) List() List {
	// prepare list and dedup set
	seen := make(map[Doc]struct{}, i.btree.Len())
	list := make(List, 0, i.btree.Len())

	// walk index, dedup by doc
	i.btree.Scan(func(e indexEntry) bool {
		if _, ok := seen[e.doc]; !ok {
			seen[e.doc] = struct{}{}
			list = append(list, e.doc)
		}
		return true
	})

	return list
}

// Clone will clone the index. Mutating the new index will not mutate the original
// index.
func (i *Index) Clone() *Index {
	// create clone
	clone := &Index{
		btree:   i.btree.Copy(),
		columns: i.columns,
		unique:  i.unique,
		arrays:  i.arrays,
	}

	return clone
}

// tuples generates the index keys for a document. Array values at indexed
// paths are expanded one element per tuple, taking the Cartesian product
// across columns to mirror MongoDB's multikey indexing. Always returns at
// least one tuple.
//
// TODO: Reject parallel arrays — MongoDB errors when a compound index would
// need to be multikey on more than one field of the same document.
func (i *Index) tuples(doc Doc) [][]interface{} {
	// start with one empty tuple
	tuples := [][]interface{}{
		make([]interface{}, 0, len(i.columns)),
	}

	// extend with each column
	for _, col := range i.columns {
		// get value at path, collecting through arrays of embedded documents
		// and flattening nested arrays so multikey works on paths like
		// "pets.name" or "pets.tags"
		v, _ := All(doc, col.Path, true, true)

		// expand arrays; an empty array indexes under itself, distinct from
		// Missing, matching MongoDB's empty-array key
		var values []interface{}
		if a, ok := v.(bson.A); ok {
			if len(a) == 0 {
				values = []interface{}{a}
			} else {
				values = a
			}
		} else {
			values = []interface{}{v}
		}

		// extend tuples with Cartesian product
		next := make([][]interface{}, 0, len(tuples)*len(values))
		for _, t := range tuples {
			for _, val := range values {
				nt := make([]interface{}, len(t)+1)
				copy(nt, t)
				nt[len(t)] = val
				next = append(next, nt)
			}
		}
		tuples = next
	}

	return tuples
}

// hasKey returns whether any entry with the given key tuple exists. It is
// used to detect unique-index collisions independent of document identity.
func (i *Index) hasKey(keys []interface{}) bool {
	// probe ascending from a nil-doc entry to land on the smallest entry
	// with matching keys (any doc) or, if none match, the next greater entry
	probe := lookup(keys, nil)

	// check first item for key equality
	var found bool
	i.btree.Ascend(probe, func(e indexEntry) bool {
		for j, col := range i.columns {
			if Compare(e.key(j, col), keys[j]) != 0 {
				return false
			}
		}
		found = true
		return false
	})

	return found
}

// Prefix calls fn with every document indexed under a key whose leading
// values equal prefix, in index order, until fn returns false; a document
// indexed under several keys (arrays) may be passed more than once. It
// reports false, calling nothing, when the index cannot be scanned that way:
// a longer prefix than the index has, or a descending column after the
// prefix (the scan starts below every key with nil, which is only the
// lowest value in ascending order).
//
// Patched into this copy of lungo (see PATCHES.md): the query planner of
// mongokit.Collection reads candidates through it.
func (i *Index) Prefix(prefix []interface{}, fn func(Doc) bool) bool {
	if len(prefix) == 0 {
		return false
	}
	return i.ascendFrom(prefix, nil, func(e indexEntry) bool { return fn(e.doc) })
}

// ascendFrom calls fn with the entries whose leading values equal prefix, in
// index order from next (the value of the column after the prefix to start
// at, nil for the first) until fn returns false. It reports false, calling
// nothing, when the prefix is longer than the index or a column after it is
// descending (nil, and a nil document on ties, sort first only in ascending
// order).
func (i *Index) ascendFrom(prefix []interface{}, next interface{}, fn func(indexEntry) bool) bool {
	if len(prefix) > len(i.columns) {
		return false
	}
	for _, col := range i.columns[len(prefix):] {
		if col.Reverse {
			return false
		}
	}
	keys := make([]interface{}, len(i.columns))
	copy(keys, prefix)
	if len(prefix) < len(keys) {
		keys[len(prefix)] = next
	}
	i.btree.Ascend(lookup(keys, nil), func(e indexEntry) bool {
		for j := range prefix {
			if Compare(e.key(j, i.columns[j]), prefix[j]) != 0 {
				return false
			}
		}
		return fn(e)
	})
	return true
}

// ownKeys reports whether the document's key is its own values at the
// indexed paths: none of them an array with elements (those are indexed
// element by element).
func (i *Index) ownKeys(doc Doc) bool {
	for j, col := range i.columns {
		if hasElements(indexEntry{doc: doc}.key(j, col)) {
			return false
		}
	}
	return true
}

// hasElements tells an array with elements, which is indexed element by
// element, from a value indexed as itself.
func hasElements(v interface{}) bool {
	a, ok := v.(bson.A)
	return ok && len(a) > 0
}

// compareIDs orders documents by _id, a missing document first.
func compareIDs(a, b Doc) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	ida, idb := Get(a, "_id"), Get(b, "_id")
	if ida == Missing && idb == Missing {
		// documents without _id (never stored by a collection, which gives
		// each one): by address, as upstream did
		return cmp.Compare(uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(b)))
	}
	return Compare(ida, idb)
}

// Swap puts a new version of a document in the place of its old one, when
// both have the same _id and the same key, and reports whether it did (if
// not, nothing changed: remove the old version and add the new one).
// Patched into this copy of lungo (see PATCHES.md): an update that leaves an
// index's fields alone costs that index one step instead of two.
func (i *Index) Swap(old, new Doc) bool {
	if Compare(Get(old, "_id"), Get(new, "_id")) != 0 {
		return false
	}
	for j, col := range i.columns {
		// equal values: both arrays with elements or neither
		a := indexEntry{doc: old}.key(j, col)
		if hasElements(a) || Compare(a, indexEntry{doc: new}.key(j, col)) != 0 {
			return false
		}
	}
	prev, replaced := i.btree.Set(indexEntry{doc: new})
	if !replaced || prev.doc != old || prev.keys != nil {
		// not the entry expected: put back what was there
		if replaced {
			i.btree.Set(prev)
		} else {
			i.btree.Delete(indexEntry{doc: new})
		}
		return false
	}
	return true
}

// Range calls fn with every document indexed under a key whose leading values
// equal prefix and whose next value is within one bound (below hi, or above
// lo when hi is nil), of the bound's type class only (as MongoDB compares: a
// date bound never matches a number), in index order, until fn returns false.
// One bound, not both: a document with an array there may meet each bound
// with a different element. It reports false, calling nothing, when the
// index cannot be scanned that way (see Prefix).
//
// Patched into this copy of lungo (see PATCHES.md), for the query planner.
func (i *Index) Range(prefix []interface{}, bound interface{}, upper, inclusive bool, fn func(Doc) bool) bool {
	at := len(prefix)
	if at >= len(i.columns) {
		return false
	}
	class, _ := Inspect(bound)

	// a lower bound scans from the bound; an upper one from the first value
	// of its class where one is known (dates and strings), else from the
	// prefix's first entry, skipping lower classes (a field that is null
	// until a deadline is set would otherwise be read on every run)
	var start interface{}
	switch {
	case !upper:
		start = bound
	case class == Date:
		start = primitive.DateTime(math.MinInt64)
	case class == String:
		start = ""
	}
	return i.ascendFrom(prefix, start, func(e indexEntry) bool {
		v := e.key(at, i.columns[at])
		if c, _ := Inspect(v); c < class {
			return true
		} else if c > class {
			return false
		}
		res := Compare(v, bound)
		switch {
		case upper && (res > 0 || res == 0 && !inclusive):
			return false
		case !upper && (res < 0 || res == 0 && !inclusive):
			return true
		}
		return fn(e.doc)
	})
}
