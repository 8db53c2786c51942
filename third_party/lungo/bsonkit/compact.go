package bsonkit

import (
	"unique"

	"go.mongodb.org/mongo-driver/bson"
)

// Compact rewrites a document that is about to be stored so that it holds as
// little memory as it can while every value stays the same: each document
// and array is copied into a slice of exactly its length (decoding and
// updates append, leaving up to half of a slice unused), and field names and
// strings share one copy of their bytes with every equal string stored
// (field names repeat in every document of a collection, and so do statuses,
// account and provider ids). The engine keeps every stored document in
// memory, so this is most of what a large collection costs.
//
// Compact changes the document in place and must only be called on a
// document no other goroutine can see yet (before it is added to a set).
//
// Patched into this copy of lungo (see PATCHES.md).
func Compact(doc Doc) {
	if doc == nil {
		return
	}
	*doc = compactDoc(*doc)
}

// CompactList compacts every document of a list (see Compact).
func CompactList(list List) {
	for _, doc := range list {
		Compact(doc)
	}
}

func compactDoc(d bson.D) bson.D {
	out := make(bson.D, len(d))
	for i, e := range d {
		out[i] = bson.E{Key: unique.Make(e.Key).Value(), Value: compactValue(e.Value)}
	}
	return out
}

func compactValue(v interface{}) interface{} {
	switch value := v.(type) {
	case string:
		if value == "" {
			return value
		}
		return unique.Make(value).Value()
	case bson.D:
		return compactDoc(value)
	case bson.A:
		out := make(bson.A, len(value))
		for i, e := range value {
			out[i] = compactValue(e)
		}
		return out
	default:
		return v
	}
}
