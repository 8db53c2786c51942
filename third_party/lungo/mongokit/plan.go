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
// them, or the union of an index's entries under the query's equality values.
func (c *Collection) candidates(query bsonkit.Doc) bsonkit.List {
	all := c.Documents.List
	if PlannerDisabled || query == nil || len(*query) == 0 || len(all) < 64 {
		return all
	}
	eq := equalities(query)
	if len(eq) == 0 {
		return all
	}

	// the index whose leading columns the query binds most (ties: the first
	// by name, so a plan does not depend on map order)
	var best *Index
	var bestName string
	var bestKeys [][]interface{}
	for name, index := range c.Indexes {
		if index.config.Partial != nil {
			continue // holds only some documents
		}
		keys := prefixKeys(index.columns, eq)
		if len(keys) == 0 || len(keys) > maxPlanKeys {
			continue
		}
		if best == nil || len(keys[0]) > len(bestKeys[0]) || len(keys[0]) == len(bestKeys[0]) && name < bestName {
			best, bestName, bestKeys = index, name, keys
		}
	}
	if best == nil {
		return all
	}

	// collect, deduplicate, restore natural order
	seen := make(map[bsonkit.Doc]struct{})
	for _, key := range bestKeys {
		ok := best.base.Prefix(key, func(doc bsonkit.Doc) bool {
			seen[doc] = struct{}{}
			return true
		})
		if !ok {
			return all
		}
	}
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

// equalities returns, per top-level field path, the values a matching
// document must hold there (one for a plain value or $eq, several for $in).
// Only values an index entry equals exactly are taken: not null (it also
// matches a missing field), arrays and documents (matched whole, while an
// index holds array elements) or regular expressions (matched as patterns).
// Other conditions, and operators like $or at the top level, only narrow the
// result further, so leaving them out keeps the candidates a superset.
func equalities(query bsonkit.Doc) map[string][]interface{} {
	eq := map[string][]interface{}{}
	for _, e := range *query {
		if strings.HasPrefix(e.Key, "$") {
			continue
		}
		if ops, ok := e.Value.(bson.D); ok && len(ops) > 0 && strings.HasPrefix(ops[0].Key, "$") {
			for _, op := range ops {
				switch op.Key {
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
	return eq
}

func plannable(v interface{}) bool {
	switch v.(type) {
	case nil, primitive.Null, bsonkit.MissingType, bson.D, bson.A, primitive.Regex:
		return false
	}
	return true
}

// prefixKeys returns the key prefixes to look up in an index with these
// columns: every combination of the values bound to its leading columns
// (none when the first column is not bound).
func prefixKeys(columns []bsonkit.Column, eq map[string][]interface{}) [][]interface{} {
	keys := [][]interface{}{{}}
	for _, col := range columns {
		values, ok := eq[col.Path]
		if !ok || len(keys)*len(values) > maxPlanKeys {
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
	if len(keys[0]) == 0 {
		return nil
	}
	return keys
}
