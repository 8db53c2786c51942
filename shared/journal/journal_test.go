package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

var ctx = context.Background()

// engine runs a real lungo engine on store, with the oplog retention the
// store package uses.
func engine(t *testing.T, store lungo.Store) (lungo.IDatabase, *lungo.Engine) {
	t.Helper()
	client, eng, err := lungo.Open(ctx, lungo.Options{Store: store, ExpireInterval: 10 * time.Millisecond,
		MinOplogSize: 64, MaxOplogSize: 64, MinOplogAge: time.Second, MaxOplogAge: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return client.Database("db"), eng
}

func open(t *testing.T, dir string, opt Options) *Journal {
	t.Helper()
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	}
	j, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// reopened is the catalogue a fresh open of dir loads.
func reopened(t *testing.T, dir string) *lungo.Catalog {
	t.Helper()
	j := open(t, dir, Options{})
	defer j.Close()
	cat, err := j.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// sameCatalog fails unless both hold the same collections, documents (in the
// same order) and index definitions. The oplog is not persisted.
func sameCatalog(t *testing.T, want, got *lungo.Catalog) {
	t.Helper()
	describe := func(c *lungo.Catalog) []string {
		var out []string
		for h, coll := range c.Namespaces {
			if h == lungo.Oplog {
				continue
			}
			var docs []string
			for _, d := range coll.Documents.List {
				raw, err := bson.MarshalExtJSON(d, true, false)
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, string(raw))
			}
			var ixs []string
			for name, ix := range coll.Indexes {
				cfg := ix.Config()
				ixs = append(ixs, fmt.Sprintf("%s%v/%v/%v/%v", name, *cfg.Key, cfg.Unique, cfg.Partial, cfg.Expiry))
			}
			slices.Sort(ixs)
			out = append(out, fmt.Sprintf("%s: indexes %v docs %v", h, ixs, docs))
		}
		slices.Sort(out)
		return out
	}
	w, g := describe(want), describe(got)
	if !slices.Equal(w, g) {
		t.Fatalf("reloaded catalogue differs\nwant %v\ngot  %v", strings.Join(w, "\n     "), strings.Join(g, "\n     "))
	}
}

// forgetful makes every commit take the slow path, comparing collections
// instead of reading the oplog, as after a restart or a commit larger than
// the oplog keeps.
type forgetful struct{ *Journal }

func (f forgetful) Store(c *lungo.Catalog) error {
	f.mu.Lock()
	f.seen = nil
	f.mu.Unlock()
	return f.Journal.Store(c)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	scenarios := []struct {
		name string
		run  func(t *testing.T, db lungo.IDatabase, eng *lungo.Engine)
	}{
		{"inserts", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			c := db.Collection("a")
			for i := range 5 {
				_, err := c.InsertOne(ctx, bson.M{"_id": fmt.Sprint("d", i), "n": i, "at": time.UnixMilli(int64(i)), "nested": bson.M{"x": bson.A{1, "two"}}})
				must(t, err)
			}
			_, err := c.InsertMany(ctx, []any{bson.M{"n": 10}, bson.M{"_id": int32(7), "n": 11}})
			must(t, err)
			dec, err := primitive.ParseDecimal128("12.50")
			must(t, err)
			_, err = db.Collection("b").InsertOne(ctx, bson.M{"_id": bson.M{"compound": 1}, "dec": dec, "bin": []byte{0, 1, 2}})
			must(t, err)
		}},
		{"updates", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			c := db.Collection("a")
			for i := range 4 {
				_, err := c.InsertOne(ctx, bson.M{"_id": i, "n": i, "tag": "x"})
				must(t, err)
			}
			_, err := c.UpdateOne(ctx, bson.M{"_id": 1}, bson.M{"$set": bson.M{"n": 100}, "$unset": bson.M{"tag": ""}})
			must(t, err)
			_, err = c.UpdateMany(ctx, bson.M{"n": bson.M{"$lt": 3}}, bson.M{"$inc": bson.M{"n": 1}})
			must(t, err)
			_, err = c.ReplaceOne(ctx, bson.M{"_id": 2}, bson.M{"replaced": true})
			must(t, err)
			_, err = c.UpdateOne(ctx, bson.M{"_id": 9}, bson.M{"$set": bson.M{"upserted": true}}, options.Update().SetUpsert(true))
			must(t, err)
		}},
		{"deletes", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			c := db.Collection("a")
			for i := range 6 {
				_, err := c.InsertOne(ctx, bson.M{"_id": i, "odd": i%2 == 1})
				must(t, err)
			}
			_, err := c.DeleteOne(ctx, bson.M{"_id": 0})
			must(t, err)
			_, err = c.DeleteMany(ctx, bson.M{"odd": true})
			must(t, err)
			_, err = c.InsertOne(ctx, bson.M{"_id": 1, "back": true}) // same _id again, now last
			must(t, err)
		}},
		{"indexes", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			c := db.Collection("a")
			_, err := c.InsertOne(ctx, bson.M{"_id": 1, "k": "a", "kind": "payment"})
			must(t, err)
			_, err = c.Indexes().CreateMany(ctx, []mongo.IndexModel{
				{Keys: bson.D{{Key: "k", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"kind": "payment"})},
				{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(60)},
				{Keys: bson.D{{Key: "x", Value: 1}, {Key: "_id", Value: -1}}},
			})
			must(t, err)
			_, err = c.Indexes().DropOne(ctx, "x_1__id_-1")
			must(t, err)
			must(t, db.CreateCollection(ctx, "empty"))
		}},
		{"drops", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			for _, name := range []string{"a", "b", "c"} {
				_, err := db.Collection(name).InsertOne(ctx, bson.M{"_id": name})
				must(t, err)
			}
			must(t, db.Collection("a").Drop(ctx))
			_, err := db.Client().Database("other").Collection("x").InsertOne(ctx, bson.M{"_id": 1})
			must(t, err)
			must(t, db.Client().Database("other").Drop(ctx))
		}},
		{"drop and create again in one commit", func(t *testing.T, db lungo.IDatabase, eng *lungo.Engine) {
			_, err := db.Collection("a").InsertMany(ctx, []any{bson.M{"_id": 1}, bson.M{"_id": 2}})
			must(t, err)
			_, err = db.Collection("a").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "k", Value: 1}}})
			must(t, err)
			txn, err := eng.Begin(ctx, true)
			must(t, err)
			h := lungo.Handle{"db", "a"}
			must(t, txn.Drop(h))
			_, err = txn.Insert(h, bsonkit.List{bsonkit.MustConvert(bson.M{"_id": 2, "new": true})}, true)
			must(t, err)
			must(t, eng.Commit(txn))
		}},
		{"transaction", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			_, err := db.Collection("a").InsertOne(ctx, bson.M{"_id": "keep", "v": 0})
			must(t, err)
			err = db.Client().UseSession(ctx, func(sc lungo.ISessionContext) error {
				_, err := sc.WithTransaction(sc, func(tc lungo.ISessionContext) (any, error) {
					a, b := db.Collection("a"), db.Collection("b")
					if _, err := a.InsertOne(tc, bson.M{"_id": "gone", "v": 1}); err != nil {
						return nil, err
					}
					if _, err := a.DeleteOne(tc, bson.M{"_id": "gone"}); err != nil {
						return nil, err
					}
					for range 2 {
						if _, err := a.UpdateOne(tc, bson.M{"_id": "keep"}, bson.M{"$inc": bson.M{"v": 1}}); err != nil {
							return nil, err
						}
					}
					_, err := b.InsertOne(tc, bson.M{"_id": "new"})
					return nil, err
				})
				return err
			})
			must(t, err)
		}},
		{"ttl expiry", func(t *testing.T, db lungo.IDatabase, _ *lungo.Engine) {
			c := db.Collection("a")
			_, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "expireAt", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(0)})
			must(t, err)
			_, err = c.InsertMany(ctx, []any{
				bson.M{"_id": "old", "expireAt": time.Now().Add(-time.Hour)},
				bson.M{"_id": "new", "expireAt": time.Now().Add(time.Hour)},
			})
			must(t, err)
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				n, err := c.CountDocuments(ctx, bson.M{})
				must(t, err)
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the TTL sweep did not run")
				}
			}
		}},
	}
	modes := []struct {
		name string
		wrap func(*Journal) lungo.Store
		then func(t *testing.T, j *Journal)
	}{
		{"from the oplog", func(j *Journal) lungo.Store { return j }, nil},
		{"comparing collections", func(j *Journal) lungo.Store { return forgetful{j} }, nil},
		{"compacted", func(j *Journal) lungo.Store { return j }, func(t *testing.T, j *Journal) { must(t, j.Compact()) }},
	}
	for _, sc := range scenarios {
		for _, mode := range modes {
			t.Run(sc.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				j := open(t, dir, Options{})
				db, eng := engine(t, mode.wrap(j))
				sc.run(t, db, eng)
				if mode.then != nil {
					mode.then(t, j)
				}
				want := eng.Catalog()
				eng.Close()
				must(t, j.Close())
				sameCatalog(t, want, reopened(t, dir))
			})
		}
	}
}

// records returns the byte offset of each record in a journal file.
func records(t *testing.T, path string) []int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	var offs []int64
	for off := int64(len(logMagic)); off+headerLen <= int64(len(data)); {
		offs = append(offs, off)
		off += headerLen + int64(binary.LittleEndian.Uint32(data[off:]))
	}
	return offs
}

// written makes a journal holding n one-document commits and returns the
// path of its log.
func written(t *testing.T, n int) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	j := open(t, dir, Options{})
	db, eng := engine(t, j)
	for i := range n {
		_, err := db.Collection("a").InsertOne(ctx, bson.M{"_id": i, "pad": strings.Repeat("x", 100)})
		must(t, err)
	}
	eng.Close()
	must(t, j.Close())
	return dir, j.path("log", 1)
}

func count(t *testing.T, cat *lungo.Catalog) int {
	coll := cat.Namespaces[lungo.Handle{"db", "a"}]
	if coll == nil {
		return 0
	}
	return len(coll.Documents.List)
}

func TestTornTailIsDroppedAndLogged(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cut  func(data []byte, last int64) []byte
	}{
		{"a few bytes short", func(d []byte, _ int64) []byte { return d[:len(d)-3] }},
		{"inside the header", func(d []byte, last int64) []byte { return d[:last+5] }},
		{"zero-filled block after it", func(d []byte, last int64) []byte {
			return append(d[:last], make([]byte, 4096)...)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir, log := written(t, 4)
			data, err := os.ReadFile(log)
			must(t, err)
			offs := records(t, log)
			last := offs[len(offs)-1]
			must(t, os.WriteFile(log, c.cut(data, last), 0o644))

			var logged bytes.Buffer
			j := open(t, dir, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
			cat, _ := j.Load()
			if count(t, cat) != 3 {
				t.Fatalf("%d documents, want 3", count(t, cat))
			}
			if !strings.Contains(logged.String(), "incomplete record") || !strings.Contains(logged.String(), fmt.Sprint("offset=", last)) {
				t.Fatalf("not logged: %q", logged.String())
			}
			// Appending goes on after the cut.
			db, eng := engine(t, j)
			_, err = db.Collection("a").InsertOne(ctx, bson.M{"_id": "after"})
			must(t, err)
			eng.Close()
			must(t, j.Close())
			if n := count(t, reopened(t, dir)); n != 4 {
				t.Fatalf("%d documents after appending, want 4", n)
			}
		})
	}
}

func TestFlippedBitIsRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		record int // index in the log, -1 for the last
		at     int // byte within the record
	}{
		{"payload of a middle record", 1, headerLen + 20},
		{"length of a middle record", 1, 1},
		{"payload checksum of a middle record", 2, 5},
		{"payload of the last, complete record", -1, headerLen + 20},
		{"length of the last record", -1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir, log := written(t, 4)
			offs := records(t, log)
			rec := c.record
			if rec < 0 {
				rec = len(offs) + rec
			}
			data, err := os.ReadFile(log)
			must(t, err)
			data[offs[rec]+int64(c.at)] ^= 0x10
			must(t, os.WriteFile(log, data, 0o644))

			_, err = Open(dir, Options{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if want := fmt.Sprintf("%s: record at byte offset %d", log, offs[rec]); !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to name %q", err, want)
			}
		})
	}
}

func TestFlippedBitInSnapshotIsRefused(t *testing.T) {
	t.Parallel()
	dir, _ := written(t, 4)
	j := open(t, dir, Options{})
	must(t, j.Compact())
	must(t, j.Close())
	snap := j.path("snapshot", 2)
	data, err := os.ReadFile(snap)
	must(t, err)
	data[len(data)-10] ^= 1
	must(t, os.WriteFile(snap, data, 0o644))
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), snap) {
		t.Fatalf("err = %v", err)
	}
}

func TestSecondOpenerIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir, Options{})
	_, err := Open(dir, Options{})
	want := fmt.Sprintf("%s is in use by another process (pid %d); stop it first", dir, os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	must(t, j.Close())
	must(t, open(t, dir, Options{}).Close())
}

func TestCompactionCrashPoints(t *testing.T) {
	t.Parallel()
	// Each case leaves the directory as a crash at one step of a compaction
	// would, starting from a compacted journal with more commits after it.
	cases := []struct {
		name  string
		crash func(t *testing.T, j *Journal, before map[string][]byte)
	}{
		{"new log created, snapshot not yet written", func(t *testing.T, j *Journal, before map[string][]byte) {
			restore(t, j.dir, before)
			_, err := createFile(j.dir, j.path("log", 3), logMagic)
			must(t, err)
			must(t, os.WriteFile(j.path("snapshot", 3)+".tmp", []byte("half"), 0o644))
		}},
		{"snapshot renamed, old files not yet removed", func(t *testing.T, j *Journal, before map[string][]byte) {
			for name, data := range before {
				must(t, os.WriteFile(filepath.Join(j.dir, name), data, 0o644))
			}
		}},
		{"finished", func(*testing.T, *Journal, map[string][]byte) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			j := open(t, dir, Options{})
			db, eng := engine(t, j)
			insert := func(from, to int) {
				for i := from; i < to; i++ {
					_, err := db.Collection("a").InsertOne(ctx, bson.M{"_id": i})
					must(t, err)
				}
			}
			insert(0, 5)
			must(t, j.Compact()) // snapshot.2, log.2
			insert(5, 10)
			before := files(t, dir)
			must(t, j.Compact()) // snapshot.3, log.3
			want := eng.Catalog()
			eng.Close()
			must(t, j.Close())

			c.crash(t, j, before)
			sameCatalog(t, want, reopened(t, dir))
			var newest uint64
			names := files(t, dir)
			for name := range names {
				if kind, g, ok := parseName(name); ok && kind == "snapshot" {
					newest = max(newest, g)
				}
			}
			for name := range names {
				if _, g, ok := parseName(name); strings.HasSuffix(name, ".tmp") || ok && g < newest {
					t.Errorf("left behind: %s", name)
				}
			}
		})
	}
}

func files(t *testing.T, dir string) map[string][]byte {
	entries, err := os.ReadDir(dir)
	must(t, err)
	out := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		out[e.Name()] = data
	}
	return out
}

// restore makes dir hold exactly the given files.
func restore(t *testing.T, dir string, want map[string][]byte) {
	for name := range files(t, dir) {
		if _, ok := want[name]; !ok && name != "LOCK" {
			must(t, os.Remove(filepath.Join(dir, name)))
		}
	}
	for name, data := range want {
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
}

func TestBackgroundCompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Compact after every few commits, while writes go on.
	j := open(t, dir, Options{CompactAt: 2 << 10})
	db, eng := engine(t, j)
	for i := range 300 {
		_, err := db.Collection("a").InsertOne(ctx, bson.M{"_id": i, "pad": strings.Repeat("y", 50)})
		must(t, err)
		if i%3 == 0 {
			_, err = db.Collection("a").DeleteOne(ctx, bson.M{"_id": i / 2})
			must(t, err)
		}
	}
	want := eng.Catalog()
	eng.Close()
	must(t, j.Close())
	if j.gen < 2 {
		t.Fatal("no compaction ran")
	}
	sameCatalog(t, want, reopened(t, dir))
}

func TestFailedAppendIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir, Options{})
	db, eng := engine(t, j)
	c := db.Collection("a")
	_, err := c.InsertOne(ctx, bson.M{"_id": 1})
	must(t, err)
	j.mu.Lock()
	must(t, j.log.Close()) // every write, and undoing it, fails from here on
	j.mu.Unlock()
	if _, err := c.InsertOne(ctx, bson.M{"_id": 2}); err == nil {
		t.Fatal("a write that did not reach the disk was acknowledged")
	}
	if n, err := c.CountDocuments(ctx, bson.M{}); err != nil || n != 1 {
		t.Fatalf("the engine kept %d documents (%v), want the 1 on disk", n, err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": 3}); err == nil || !strings.Contains(err.Error(), "reopen the store") {
		t.Fatalf("after a failed undo: %v", err)
	}
	eng.Close()
	_ = j.Close()
	if n := count(t, reopened(t, dir)); n != 1 {
		t.Fatalf("%d documents after reopening, want 1", n)
	}
}

func TestDiffDocuments(t *testing.T) {
	t.Parallel()
	doc := func(id int, v string) bsonkit.Doc { return bsonkit.MustConvert(bson.M{"_id": int32(id), "v": v}) }
	a, b, c, d, b2 := doc(1, "a"), doc(2, "b"), doc(3, "c"), doc(4, "d"), doc(2, "b2")
	cases := []struct {
		name      string
		old, next bsonkit.List
		anyOrder  bool // lungo never reorders, but the result must still be right
	}{
		{"unchanged", bsonkit.List{a, b}, bsonkit.List{a, b}, false},
		{"appended", bsonkit.List{a, b}, bsonkit.List{a, b, c}, false},
		{"replaced in the middle", bsonkit.List{a, b, c}, bsonkit.List{a, b2, c}, false},
		{"deleted in the middle", bsonkit.List{a, b, c}, bsonkit.List{a, c}, false},
		{"deleted and inserted again", bsonkit.List{a, b, c}, bsonkit.List{a, c, b2}, false},
		{"all new", bsonkit.List{a, b}, bsonkit.List{c, d}, false},
		{"reordered", bsonkit.List{a, b, c, d}, bsonkit.List{d, c, a}, true},
	}
	h := lungo.Handle{"db", "a"}
	coll := func(list bsonkit.List) *mongokit.Collection {
		c := mongokit.NewCollection(false)
		c.Documents = bsonkit.NewSet(list)
		return c
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newReplay()
			var seed, rec batch
			diffDocuments(&seed, h, nil, coll(tc.old))
			must(t, r.apply(seed.buf[headerLen:]))
			diffDocuments(&rec, h, coll(tc.old), coll(tc.next))
			if rec.size() > 0 {
				must(t, r.apply(rec.buf[headerLen:]))
			} else if tc.name != "unchanged" {
				t.Fatal("nothing written")
			}
			cat, err := r.catalog()
			must(t, err)
			var got, want []string
			for _, d := range cat.Namespaces[h].Documents.List {
				got = append(got, fmt.Sprint(*d))
			}
			for _, d := range tc.next {
				want = append(want, fmt.Sprint(*d))
			}
			if tc.anyOrder {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}
