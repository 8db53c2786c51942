package bsonkit

import (
	"bytes"
	"unique"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
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

// DecodeCompact decodes a BSON document straight into its compact form: the
// values bson.Unmarshal into a bson.D gives, followed by Compact, without the
// intermediate copy (loading a store decodes every document it holds).
// Patched into this copy of lungo (see PATCHES.md).
func DecodeCompact(raw []byte) (Doc, error) {
	d, err := decodeDoc(bsoncore.Document(raw))
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func decodeDoc(raw bsoncore.Document) (bson.D, error) {
	if err := raw.Validate(); err != nil {
		return nil, err
	}
	n := 0
	for rest := raw[4 : len(raw)-1]; len(rest) > 0; n++ {
		_, next, ok := bsoncore.ReadElement(rest)
		if !ok {
			return nil, bsoncore.NewInsufficientBytesError(raw, rest)
		}
		rest = next
	}
	d := make(bson.D, 0, n)
	for rest := raw[4 : len(raw)-1]; len(rest) > 0; {
		e, next, _ := bsoncore.ReadElement(rest)
		rest = next
		v, err := decodeValue(e.Value())
		if err != nil {
			return nil, err
		}
		d = append(d, bson.E{Key: unique.Make(e.Key()).Value(), Value: v})
	}
	return d, nil
}

func decodeValue(v bsoncore.Value) (interface{}, error) {
	switch v.Type {
	case bsontype.Double:
		return v.Double(), nil
	case bsontype.String:
		s := v.StringValue()
		if s == "" {
			return s, nil
		}
		return unique.Make(s).Value(), nil
	case bsontype.EmbeddedDocument:
		return decodeDoc(v.Document())
	case bsontype.Array:
		arr := v.Array()
		vals, err := arr.Values()
		if err != nil {
			return nil, err
		}
		a := make(bson.A, len(vals))
		for i, x := range vals {
			if a[i], err = decodeValue(x); err != nil {
				return nil, err
			}
		}
		return a, nil
	case bsontype.Binary:
		sub, data := v.Binary()
		return primitive.Binary{Subtype: sub, Data: bytes.Clone(data)}, nil
	case bsontype.ObjectID:
		return v.ObjectID(), nil
	case bsontype.Boolean:
		return v.Boolean(), nil
	case bsontype.DateTime:
		return primitive.DateTime(v.DateTime()), nil
	case bsontype.Null:
		return nil, nil
	case bsontype.Int32:
		return v.Int32(), nil
	case bsontype.Int64:
		return v.Int64(), nil
	case bsontype.Timestamp:
		t, i := v.Timestamp()
		return primitive.Timestamp{T: t, I: i}, nil
	case bsontype.Decimal128:
		return v.Decimal128(), nil
	case bsontype.Regex:
		p, o := v.Regex()
		return primitive.Regex{Pattern: p, Options: o}, nil
	default:
		// rarer types: as the driver decodes them
		var out struct {
			V interface{} `bson:"v"`
		}
		raw := bsoncore.BuildDocument(nil, bsoncore.AppendValueElement(nil, "v", v))
		if err := bson.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		return compactValue(out.V), nil
	}
}
