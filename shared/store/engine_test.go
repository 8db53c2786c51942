package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
	"unique"
	"unsafe"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// The embedded engine's query planner (third_party/lungo/PATCHES.md) must
// give exactly the results of a full scan: the same documents in the same
// order, for finds, updates and deletes, with any mix of indexes (compound,
// descending, on arrays, partial) and of conditions the planner takes
// (plain values, $eq, $in) and leaves to matching ($gt, $or, $exists, null,
// arrays, mixed number types).
func TestEnginePlannerMatchesFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	pick := func(vs ...interface{}) interface{} { return vs[rng.IntN(len(vs))] }
	value := func() interface{} {
		return pick("a", "b", "c", int32(1), int64(1), 1.0, int64(2), nil, bson.A{"a", "b"}, bson.A{int64(2)}, bson.A{}, bson.D{{Key: "x", Value: "a"}}, true, false,
			day(1), day(2), day(3), bson.A{day(1), "a"}, bson.A{"b", "b"})
	}
	doc := func(i int) bson.D {
		d := bson.D{{Key: "_id", Value: fmt.Sprintf("d%04d", i)}}
		for _, f := range []string{"s", "t", "n"} {
			if rng.IntN(8) > 0 {
				d = append(d, bson.E{Key: f, Value: value()})
			}
		}
		switch rng.IntN(3) {
		case 0:
			d = append(d, bson.E{Key: "sub", Value: bson.D{{Key: "k", Value: pick("a", "b", int64(1), nil)}}})
		case 1: // an array of documents, one of them without k
			d = append(d, bson.E{Key: "sub", Value: bson.A{bson.D{{Key: "k", Value: pick("a", "b")}}, bson.D{{Key: "x", Value: int64(1)}}}})
		}
		if rng.IntN(3) > 0 { // always a document, so its index holds no array
			d = append(d, bson.E{Key: "meta", Value: bson.D{{Key: "v", Value: pick("a", "b", nil, int64(1))}}})
		}
		return append(d, bson.E{Key: "u", Value: int64(1000 + i)})
	}
	indexes := []mongokit.IndexConfig{
		{Key: bsonkit.MustConvert(bson.D{{Key: "s", Value: 1}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "s", Value: 1}, {Key: "t", Value: 1}, {Key: "_id", Value: 1}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "t", Value: -1}, {Key: "n", Value: 1}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "n", Value: 1}, {Key: "s", Value: -1}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "sub.k", Value: 1}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "meta.v", Value: 1}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "t", Value: 1}}), Partial: bsonkit.MustConvert(bson.D{{Key: "s", Value: "a"}})},
		{Key: bsonkit.MustConvert(bson.D{{Key: "u", Value: 1}}), Unique: true},
	}
	cond := func() interface{} {
		switch rng.IntN(11) {
		case 7:
			return bson.D{{Key: pick("$lt", "$lte").(string), Value: pick(int64(2), "b", 1.5, day(2))}}
		case 8:
			return bson.D{{Key: pick("$gt", "$gte").(string), Value: pick(int64(1), "a", 0.5)}, {Key: pick("$lt", "$lte").(string), Value: pick(int64(2), "c", int32(1))}}
		case 9:
			return bson.D{{Key: pick("$gt", "$gte").(string), Value: pick(int64(1), "b", day(2))}}
		case 10:
			return pick(bson.D{{Key: "$eq", Value: nil}}, bson.D{{Key: "$in", Value: bson.A{nil, "a"}}}, nil)
		case 0:
			return bson.D{{Key: "$eq", Value: value()}}
		case 1:
			return bson.D{{Key: "$in", Value: bson.A{value(), value()}}}
		case 2:
			return bson.D{{Key: "$gt", Value: pick(int64(0), "a")}}
		case 3:
			return bson.D{{Key: "$exists", Value: rng.IntN(2) == 0}}
		case 4:
			return bson.D{{Key: "$in", Value: bson.A{value()}}, {Key: "$ne", Value: value()}}
		default:
			return value()
		}
	}
	query := func() bsonkit.Doc {
		q := bson.D{}
		for _, f := range []string{"s", "t", "n", "sub.k", "meta.v", "_id"} {
			if rng.IntN(3) == 0 {
				if f == "_id" {
					q = append(q, bson.E{Key: f, Value: pick(bson.D{{Key: "$in", Value: bson.A{"d0001", "d0100", "d0199"}}}, "d0042")})
					continue
				}
				q = append(q, bson.E{Key: f, Value: cond()})
			}
		}
		if rng.IntN(5) == 0 {
			q = append(q, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "s", Value: "a"}}, bson.D{{Key: "n", Value: int64(1)}}}})
		}
		return bsonkit.MustConvert(q)
	}
	ids := func(list bsonkit.List) []interface{} {
		out := make([]interface{}, len(list))
		for i, d := range list {
			out[i] = bsonkit.Get(d, "_id")
		}
		return out
	}

	for round := range 20 {
		var planned, scanned *mongokit.Collection
		for _, c := range []**mongokit.Collection{&planned, &scanned} {
			*c = mongokit.NewCollection(true)
			for _, ix := range indexes {
				if _, err := (*c).CreateIndex("", ix); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := range 200 {
			d := doc(i)
			for _, c := range []*mongokit.Collection{planned, scanned} {
				if _, err := c.Insert(bsonkit.MustConvert(d)); err != nil {
					t.Fatal(err)
				}
			}
		}
		// indexes built over stored documents (in one pass) hold what
		// indexes kept up document by document hold
		built := []mongokit.IndexConfig{
			{Key: bsonkit.MustConvert(bson.D{{Key: "n", Value: 1}, {Key: "t", Value: -1}})},
			{Key: bsonkit.MustConvert(bson.D{{Key: "sub.k", Value: 1}, {Key: "s", Value: 1}}), Partial: bsonkit.MustConvert(bson.D{{Key: "n", Value: bson.D{{Key: "$exists", Value: true}}}})},
		}
		for _, ix := range built {
			name, err := planned.CreateIndex("", ix)
			if err != nil {
				t.Fatal(err)
			}
			kept, err := mongokit.CreateIndex(ix)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range planned.Documents.List {
				if _, err := kept.Add(d); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := ids(planned.Indexes[name].List()), ids(kept.List()); !slices.Equal(got, want) {
				t.Fatalf("round %d: built index %s holds %v, want %v", round, name, got, want)
			}
			if _, err := scanned.CreateIndex("", ix); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := planned.CreateIndex("u_dup2", mongokit.IndexConfig{Key: bsonkit.MustConvert(bson.D{{Key: "n", Value: -1}}), Unique: true}); err == nil {
			t.Fatalf("round %d: a unique index was built over duplicate keys", round)
		}
		delete(planned.Indexes, "u_dup2") // a transaction drops the copy it failed on

		// as a transaction runs a write: a failed one is undone
		run := func(c *mongokit.Collection, scan bool, op func(*mongokit.Collection) (*mongokit.Result, error)) (*mongokit.Result, error) {
			mongokit.PlannerDisabled = scan
			defer func() { mongokit.PlannerDisabled = false }()
			c.BeginUndo()
			res, err := op(c)
			if err != nil {
				c.Undo()
			} else {
				c.EndUndo()
			}
			return res, err
		}
		for step := range 150 {
			q := query()
			var sort bsonkit.Doc
			if rng.IntN(3) == 0 {
				sort = bsonkit.MustConvert(bson.D{{Key: "n", Value: -1}})
			}
			skip, limit := rng.IntN(3), rng.IntN(4)
			var op func(*mongokit.Collection) (*mongokit.Result, error)
			switch rng.IntN(10) {
			case 0:
				op = func(c *mongokit.Collection) (*mongokit.Result, error) { return c.Delete(q, sort, skip, limit) }
			case 1, 2:
				set := bson.D{{Key: "s", Value: value()}, {Key: "n", Value: value()}}
				if rng.IntN(3) == 0 {
					set = bson.D{{Key: "u", Value: int64(1000 + rng.IntN(250))}} // may collide
				} else if rng.IntN(3) == 0 {
					set = bson.D{{Key: "other", Value: value()}} // no indexed field changes
				}
				upd := bsonkit.MustConvert(bson.D{{Key: "$set", Value: set}})
				op = func(c *mongokit.Collection) (*mongokit.Result, error) {
					return c.Update(q, upd, sort, skip, limit, nil)
				}
			default:
				op = func(c *mongokit.Collection) (*mongokit.Result, error) { return c.Find(q, sort, skip, limit) }
			}
			got, gerr := run(planned, false, op)
			want, werr := run(scanned, true, op)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("round %d step %d %v: planned error %v, scan error %v", round, step, *q, gerr, werr)
			}
			if gerr != nil {
				continue
			}
			if !slices.Equal(ids(got.Matched), ids(want.Matched)) || !slices.Equal(ids(got.Modified), ids(want.Modified)) {
				t.Fatalf("round %d step %d %v sort %v skip %d limit %d:\nplanned %v / %v\nscanned %v / %v",
					round, step, *q, sort, skip, limit, ids(got.Matched), ids(got.Modified), ids(want.Matched), ids(want.Modified))
			}
			if bsonkit.Compare(bson.A(toArray(planned.Documents.List)), bson.A(toArray(scanned.Documents.List))) != 0 {
				t.Fatalf("round %d step %d %v: the collections differ after the operation", round, step, *q)
			}
			for name, ix := range planned.Indexes {
				if got, want := ids(ix.List()), ids(scanned.Indexes[name].List()); !slices.Equal(got, want) || len(got) > len(planned.Documents.List) {
					t.Fatalf("round %d step %d: index %s holds %v, want %v", round, step, name, got, want)
				}
				for _, d := range ix.List() {
					if !planned.Documents.Has(d) {
						t.Fatalf("round %d step %d: index %s holds a document version the collection no longer has: %v", round, step, name, *d)
					}
				}
			}
		}
	}
}

func day(n int) time.Time { return time.Date(2026, 10, n, 0, 0, 0, 0, time.UTC) }

func toArray(list bsonkit.List) bson.A {
	a := make(bson.A, len(list))
	for i, d := range list {
		a[i] = *d
	}
	return a
}

// The planner must actually narrow: a query on an indexed field of a large
// collection reads only the documents under its value.
func TestEnginePlannerUsesTheIndex(t *testing.T) {
	c := mongokit.NewCollection(true)
	if _, err := c.CreateIndex("", mongokit.IndexConfig{Key: bsonkit.MustConvert(bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}})}); err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		if _, err := c.Insert(bsonkit.MustConvert(bson.D{{Key: "_id", Value: fmt.Sprintf("o%05d", i)}, {Key: "providerId", Value: fmt.Sprintf("p%03d", i%100)}})); err != nil {
			t.Fatal(err)
		}
	}
	q := bsonkit.MustConvert(bson.D{{Key: "providerId", Value: "p042"}})
	allocs := testing.AllocsPerRun(5, func() {
		res, err := c.Find(q, nil, 0, 0)
		if err != nil || len(res.Matched) != 100 {
			t.Fatalf("%v %d", err, len(res.Matched))
		}
	})
	mongokit.PlannerDisabled = true
	scanAllocs := testing.AllocsPerRun(5, func() {
		if _, err := c.Find(q, nil, 0, 0); err != nil {
			t.Fatal(err)
		}
	})
	mongokit.PlannerDisabled = false
	// matching allocates per document read: 10,000 reads against 100
	if allocs*10 > scanAllocs {
		t.Fatalf("planned find %.0f allocations, full scan %.0f: the index was not used", allocs, scanAllocs)
	}
}

// A transaction copies a collection on its first write and changes that copy
// in place afterwards (third_party/lungo/PATCHES.md): a write that fails
// half-way must leave the copy as it was, indexes included, and the
// transaction must still commit exactly its successful writes; an aborted
// transaction leaves the committed collection untouched.
func TestEngineFailedWriteInATransactionLeavesNothing(t *testing.T) {
	ctx := context.Background()
	client, engine, err := lungo.Open(ctx, lungo.Options{Store: lungo.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	col := client.Database("t").Collection("c")
	if _, err := col.Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "code", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "group", Value: 1}, {Key: "_id", Value: 1}}},
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := col.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("d%03d", i), "code": i, "group": i % 10}); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := func() []bson.M {
		var all []bson.M
		cur, err := col.Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &all); err != nil {
			t.Fatal(err)
		}
		return all
	}
	before := snapshot()

	sess, err := client.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(sc lungo.ISessionContext) (interface{}, error) {
		if _, err := col.InsertOne(sc, bson.M{"_id": "new", "code": 1000, "group": 3}); err != nil {
			return nil, err
		}
		// fails on its 4th document: code 7 is taken
		if _, err := col.UpdateMany(sc, bson.M{"group": bson.M{"$in": bson.A{1, 7}}}, bson.M{"$set": bson.M{"code": 7}}); !lungo.IsUniquenessError(err) && !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("update: %v, want a duplicate key", err)
		}
		if _, err := col.InsertOne(sc, bson.M{"_id": "dup", "code": 5, "group": 3}); err == nil {
			return nil, errors.New("a duplicate code was inserted")
		}
		if _, err := col.DeleteOne(sc, bson.M{"_id": "d050"}); err != nil {
			return nil, err
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after := snapshot()
	if len(after) != len(before) { // one inserted, one deleted
		t.Fatalf("%d documents, want %d", len(after), len(before))
	}
	for _, q := range []bson.M{{"group": 1}, {"group": 7}, {"code": 7}, {"code": 1000}, {"group": 3}} {
		n, err := col.CountDocuments(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"group1": 10, "group7": 10, "code7": 1, "code1000": 1, "group3": 11}[fmt.Sprint(keyOf(q))]
		if n != want {
			t.Fatalf("%v: %d documents, want %d (the failed update or insert left something in an index)", q, n, want)
		}
	}

	// an aborted transaction changes nothing
	_, err = sess.WithTransaction(ctx, func(sc lungo.ISessionContext) (interface{}, error) {
		if _, err := col.UpdateMany(sc, bson.M{"group": 2}, bson.M{"$set": bson.M{"group": 20}}); err != nil {
			return nil, err
		}
		return nil, errors.New("abort")
	})
	if err == nil {
		t.Fatal("the transaction did not abort")
	}
	if n, _ := col.CountDocuments(ctx, bson.M{"group": 2}); n != 10 {
		t.Fatalf("group 2 has %d documents after an aborted transaction", n)
	}
}

func keyOf(q bson.M) string {
	for k, v := range q {
		return fmt.Sprint(k, v)
	}
	return ""
}

// The engine's document set keeps positions in layers shared by its clones
// (third_party/lungo/PATCHES.md): through thousands of adds, replaces,
// removes and clones, every set must answer every position as a plain list
// would, and changing a clone must never change the set it was cloned from.
func TestEngineSetClonesKeepTheirOwnPositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	type version struct {
		set  *bsonkit.Set
		list bsonkit.List // what it must hold
	}
	check := func(v version, step int) {
		t.Helper()
		if len(v.set.List) != len(v.list) {
			t.Fatalf("step %d: %d documents, want %d", step, len(v.set.List), len(v.list))
		}
		for i, d := range v.list {
			if v.set.List[i] != d {
				t.Fatalf("step %d: position %d holds another document", step, i)
			}
			if p, ok := v.set.Position(d); !ok || p != i {
				t.Fatalf("step %d: Position = %d %v, want %d", step, p, ok, i)
			}
		}
	}
	cur := version{set: bsonkit.NewSet(nil)}
	var frozen []version
	for step := range 20_000 {
		switch op := rng.IntN(100); {
		case op < 55 || len(cur.list) == 0:
			d := &bson.D{{Key: "_id", Value: step}}
			cur.set.Add(d)
			cur.list = append(cur.list, d)
		case op < 90:
			i := rng.IntN(len(cur.list))
			d := &bson.D{{Key: "_id", Value: step}}
			if !cur.set.Replace(cur.list[i], d) {
				t.Fatalf("step %d: replace refused", step)
			}
			cur.list[i] = d
		case op < 93:
			i := rng.IntN(len(cur.list))
			cur.set.Remove(cur.list[i])
			cur.list = slices.Delete(cur.list, i, i+1)
		case op < 95:
			i := rng.IntN(len(cur.list))
			d := cur.list[i]
			cur.set.Remove(d)
			cur.set.InsertAt(i, d)
		case op < 96:
			n := rng.IntN(min(len(cur.list), 50) + 1)
			cur.set.RemovePrefix(n)
			cur.list = slices.Clone(cur.list[n:])
		default:
			// as a transaction does: the old version stays as it is
			frozen = append(frozen, version{set: cur.set, list: slices.Clone(cur.list)})
			cur = version{set: cur.set.Clone(), list: slices.Clone(cur.list)}
		}
		if step%500 == 0 {
			check(cur, step)
		}
	}
	check(cur, -1)
	for _, v := range frozen {
		check(v, -2)
	}
	if len(frozen) < 100 {
		t.Fatalf("only %d clones", len(frozen))
	}
}

// Loading a store decodes each document straight into the engine's compact
// form (third_party/lungo/PATCHES.md); it must give exactly what the
// driver's decoding followed by compaction gives, for every BSON type.
func TestEngineDecodeCompactIsTheDriversDecoding(t *testing.T) {
	oid := primitive.NewObjectID()
	dec, _ := primitive.ParseDecimal128("12.50")
	docs := []interface{}{
		bson.D{{Key: "_id", Value: "ord_1"}, {Key: "s", Value: "云数据库"}, {Key: "empty", Value: ""}, {Key: "i32", Value: int32(-7)}, {Key: "i64", Value: int64(1) << 40},
			{Key: "f", Value: 2.5}, {Key: "t", Value: true}, {Key: "null", Value: nil}, {Key: "at", Value: time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)}},
		bson.D{{Key: "sub", Value: bson.D{{Key: "k", Value: "a"}, {Key: "deeper", Value: bson.D{{Key: "n", Value: int64(1)}}}}},
			{Key: "arr", Value: bson.A{"a", int32(1), bson.D{{Key: "x", Value: 1.5}}, bson.A{}, bson.A{nil, "b"}}}, {Key: "none", Value: bson.A{}}, {Key: "nodoc", Value: bson.D{}}},
		bson.D{{Key: "oid", Value: oid}, {Key: "bin", Value: primitive.Binary{Subtype: 0x80, Data: []byte{1, 2, 3}}}, {Key: "ts", Value: primitive.Timestamp{T: 7, I: 9}},
			{Key: "dec", Value: dec}, {Key: "re", Value: primitive.Regex{Pattern: "^a", Options: "i"}}, {Key: "undef", Value: primitive.Undefined{}},
			{Key: "sym", Value: primitive.Symbol("s")}, {Key: "js", Value: primitive.JavaScript("f()")}, {Key: "min", Value: primitive.MinKey{}}, {Key: "max", Value: primitive.MaxKey{}},
			{Key: "ptr", Value: primitive.DBPointer{DB: "d", Pointer: oid}}},
	}
	for i, d := range docs {
		raw, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var want bson.D
		if err := bson.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		wantDoc := &want
		bsonkit.Compact(wantDoc)
		got, err := bsonkit.DecodeCompact(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, *wantDoc) {
			t.Fatalf("document %d:\n got  %#v\n want %#v", i, *got, *wantDoc)
		}
		for _, e := range *got {
			if s, ok := e.Value.(string); ok && s != "" && unsafe.StringData(s) != unsafe.StringData(unique.Make(s).Value()) {
				t.Fatalf("document %d: string %q not shared", i, s)
			}
		}
	}
	if _, err := bsonkit.DecodeCompact([]byte{5, 0, 0, 0, 1}); err == nil {
		t.Fatal("a broken document decoded")
	}
}
