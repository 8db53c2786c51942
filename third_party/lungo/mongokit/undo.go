package mongokit

import "github.com/256dpi/lungo/bsonkit"

// Patched into this copy of lungo (see PATCHES.md): upstream copies a whole
// collection (its document set and every index) before each write, so that
// a write failing half-way (a duplicate key found in the third index) leaves
// nothing behind. At 100,000 documents that copy is most of what an insert
// costs. A transaction now copies a collection once, on its first write, and
// each later write of the same transaction records how to undo what it did
// to that copy instead: a failed write is undone, a successful one forgotten.

// BeginUndo starts recording the changes made to the collection.
func (c *Collection) BeginUndo() {
	c.undo = []func(){}
}

// Undo reverts every change recorded since BeginUndo and stops recording.
func (c *Collection) Undo() {
	undo := c.undo
	c.undo = nil
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
}

// EndUndo forgets the recorded changes and stops recording.
func (c *Collection) EndUndo() {
	c.undo = nil
}

func (c *Collection) record(fn func()) {
	if c.undo != nil {
		c.undo = append(c.undo, fn)
	}
}

// indexAdd, indexRemove, setAdd, setReplace and setRemove change the
// collection as the upstream calls did, recording the inverse change.

func (c *Collection) indexAdd(index *Index, doc bsonkit.Doc) (bool, error) {
	ok, err := index.Add(doc)
	if err == nil && ok {
		c.record(func() { _, _ = index.Remove(doc) })
	}
	return ok, err
}

func (c *Collection) indexRemove(index *Index, doc bsonkit.Doc) (bool, error) {
	ok, err := index.Remove(doc)
	if err == nil && ok {
		c.record(func() { _, _ = index.Add(doc) })
	}
	return ok, err
}

func (c *Collection) setAdd(doc bsonkit.Doc) bool {
	ok := c.Documents.Add(doc)
	if ok {
		c.record(func() { c.Documents.Remove(doc) })
	}
	return ok
}

func (c *Collection) setReplace(d1, d2 bsonkit.Doc) bool {
	ok := c.Documents.Replace(d1, d2)
	if ok {
		c.record(func() { c.Documents.Replace(d2, d1) })
	}
	return ok
}

func (c *Collection) setRemove(doc bsonkit.Doc) bool {
	at, ok := c.Documents.Position(doc)
	if ok = ok && c.Documents.Remove(doc); ok {
		c.record(func() { c.Documents.InsertAt(at, doc) })
	}
	return ok
}

func (c *Collection) indexSwap(index *Index, old, new bsonkit.Doc) bool {
	ok := index.Swap(old, new)
	if ok {
		c.record(func() { index.Swap(new, old) })
	}
	return ok
}
