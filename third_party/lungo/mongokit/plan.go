package mongokit

import (
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/256dpi/lungo/bsonkit"
)

// Patched into this copy of lungo (see PATCHES.md): upstream filters every
// query by matching each document of the collection, so a query for one
// provider's orders costs as much as reading all of them. The planner below
// narrows the documents a query is matched against to those an index holds
// under the query's equality conditions. The query is still matched against
// every candidate, and candidates keep the collection's natural order, so
// results (and their order before any sort) are exactly those of a full scan.

// maxPlanKeys bounds the index lookups one query may expand to ($in lists
// multiply); beyond it the query scans.
const maxPlanKeys = 256

// PlannerDisabled turns the planner off, so tests can compare its results
// with those of a full scan.
var PlannerDisabled = false

// candidates returns the documents query may match, in natural order: all of
// them, or those an index holds under the query's conditions.
func (c *Collection) candidates(query bsonkit.Doc) bsonkit.List {
	all := c.Documents.List
	if PlannerDisabled || query == nil || len(*query) == 0 || len(all) < 64 {
		return all
	}
	seen := make(map[bsonkit.Doc]struct{})
	if !c.narrow(*query, seen, 0) {
		return all
	}

	// restore natural order
	list := make(bsonkit.List, 0, len(seen))
	for doc := range seen {
		list = append(list, doc)
	}
	slices.SortFunc(list, func(a, b bsonkit.Doc) int {
		i, _ := c.Documents.Position(a)
		j, _ := c.Documents.Position(b)
		return i - j
	})

	return list
}

// narrow adds to seen the documents one index holds under the query's
// equality conditions (and a range on the next column), or, when none
// serves, those of each branch of a top-level $or whose every branch one
// serves. It reports false, having added nothing that counts, when it
// cannot narrow.
func (c *Collection) narrow(query bson.D, seen map[bsonkit.Doc]struct{}, depth int) bool {
	eq, ranges, nullBelow := equalities(&query)

	// the index whose leading columns the query binds most, a range on the
	// next one counting half (ties: the first by name, so a plan does not
	// depend on map order)
	var best *Index
	var bestName string
	var bestKeys [][]interface{}
	var bestRange *bound
	bestScore := 0
	for name, index := range c.Indexes {
		if index.config.Partial != nil {
			continue // holds only some documents
		}
		// null below the top level only where no array hides a missing
		// field from the index
		keys := prefixKeys(index.columns, eq, func(path string) bool {
			return !nullBelow[path] || !index.base.HoldsArrays()
		})
		if len(keys) > maxPlanKeys {
			continue
		}
		var rng *bound
		if at := len(keys[0]); at < len(index.columns) {
			if b, ok := ranges[index.columns[at].Path]; ok {
				rng = &b
			}
		}
		score := 2 * len(keys[0])
		if rng != nil {
			score++
		}
		if score > 0 && (best == nil || score > bestScore || score == bestScore && name < bestName) {
			best, bestName, bestKeys, bestRange, bestScore = index, name, keys, rng, score
		}
	}
	if best != nil {
		add := func(doc bsonkit.Doc) bool {
			seen[doc] = struct{}{}
			return true
		}
		for _, key := range bestKeys {
			ok := false
			if bestRange != nil {
				ok = best.base.Range(key, bestRange.value, bestRange.upper, bestRange.inclusive, add)
			}
			if !ok && len(key) > 0 {
				ok = best.base.Prefix(key, add)
			}
			if !ok {
				return false
			}
		}
		return true
	}

	// every branch of a top-level $or narrowed: their union holds every match
	if depth > 2 {
		return false
	}
	for _, e := range query {
		branches, ok := e.Value.(bson.A)
		if e.Key != "$or" || !ok || len(branches) == 0 {
			continue
		}
		for _, b := range branches {
			branch, ok := b.(bson.D)
			if !ok || !c.narrow(branch, seen, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// equalities returns, per field path of the query's top level, the values a
// matching document must hold there (one for a plain value or $eq, several
// for $in), the range bound on a path, and the dotted paths bound to null
// (see plannable). Only values an index entry equals exactly are taken (see
// plannable). Other conditions, and operators like $or at the top level, only
// narrow the result further, so leaving them out keeps the candidates a
// superset.
func equalities(query bsonkit.Doc) (map[string][]interface{}, map[string]bound, map[string]bool) {
	eq := map[string][]interface{}{}
	ranges := map[string]bound{}
	nullBelow := map[string]bool{}
	for _, e := range *query {
		if strings.HasPrefix(e.Key, "$") {
			continue
		}
		if ops, ok := e.Value.(bson.D); ok && len(ops) > 0 && strings.HasPrefix(ops[0].Key, "$") {
			for _, op := range ops {
				switch op.Key {
				case "$lt", "$lte", "$gt", "$gte":
					if !plannable(op.Value) || isNull(op.Value) {
						continue
					}
					upper := op.Key == "$lt" || op.Key == "$lte"
					if b, has := ranges[e.Key]; has && (b.upper || !upper) {
						continue // an upper bound is kept over a lower one
					}
					ranges[e.Key] = bound{value: op.Value, upper: upper, inclusive: op.Key == "$lte" || op.Key == "$gte"}
				case "$eq":
					if plannable(op.Value) {
						eq[e.Key] = []interface{}{op.Value}
					}
				case "$in":
					values, ok := op.Value.(bson.A)
					if !ok || len(values) == 0 || len(values) > maxPlanKeys || slices.ContainsFunc(values, func(v interface{}) bool { return !plannable(v) }) {
						continue
					}
					if _, has := eq[e.Key]; !has {
						eq[e.Key] = values
					}
				}
			}
			continue
		}
		if plannable(e.Value) {
			eq[e.Key] = []interface{}{e.Value}
		}
	}
	for path, values := range eq {
		if strings.Contains(path, ".") && slices.ContainsFunc(values, isNull) {
			nullBelow[path] = true
		}
	}
	return eq, ranges, nullBelow
}

// bound is one side of a range condition on a field.
type bound struct {
	value            interface{}
	upper, inclusive bool
}

// plannable tells whether an index entry equals the value exactly when the
// field matches it. Null also matches a missing field, which an index holds
// under the same (null) key, except below an array of documents: the
// callers take null below the top level only on an index that holds no
// array (bsonkit.Index.HoldsArrays).
func plannable(v interface{}) bool {
	switch v.(type) {
	case bsonkit.MissingType, bson.D, bson.A, primitive.Regex:
		return false
	}
	return true
}

func isNull(v interface{}) bool {
	return v == nil || v == primitive.Null{}
}

// prefixKeys returns the key prefixes to look up in an index with these
// columns: every combination of the values bound to its leading columns
// (one empty prefix when the first column is not bound).
func prefixKeys(columns []bsonkit.Column, eq map[string][]interface{}, usable func(path string) bool) [][]interface{} {
	keys := [][]interface{}{{}}
	for _, col := range columns {
		values, ok := eq[col.Path]
		if !ok || !usable(col.Path) || len(keys)*len(values) > maxPlanKeys {
			break
		}
		next := make([][]interface{}, 0, len(keys)*len(values))
		for _, k := range keys {
			for _, v := range values {
				next = append(next, append(slices.Clip(k), v))
			}
		}
		keys = next
	}
	return keys
}
