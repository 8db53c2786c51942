package bsonkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.mongodb.org/mongo-driver/bson"
)

func TestSet(t *testing.T) {
	d1 := &bson.D{}
	d2 := &bson.D{}

	set := NewSet(nil)

	ok := set.Add(d1)
	assert.True(t, ok)
	assertSet(t, set, List{d1}, map[Doc]int{
		d1: 0,
	})

	ok = set.Add(d1)
	assert.False(t, ok)
	assertSet(t, set, List{d1}, map[Doc]int{
		d1: 0,
	})

	ok = set.Add(d2)
	assert.True(t, ok)
	assertSet(t, set, List{d1, d2}, map[Doc]int{
		d1: 0,
		d2: 1,
	})

	ok = set.Remove(d1)
	assert.True(t, ok)
	assertSet(t, set, List{d2}, map[Doc]int{
		d2: 0,
	})

	ok = set.Add(d1)
	assert.True(t, ok)
	assertSet(t, set, List{d2, d1}, map[Doc]int{
		d2: 0,
		d1: 1,
	})

	ok = set.Remove(d2)
	assert.True(t, ok)
	assertSet(t, set, List{d1}, map[Doc]int{
		d1: 0,
	})

	ok = set.Remove(d1)
	assert.True(t, ok)
	assertSet(t, set, List{}, map[Doc]int{})

	ok = set.Remove(d1)
	assert.False(t, ok)
	assertSet(t, set, List{}, map[Doc]int{})
}

func TestSetReplace(t *testing.T) {
	d1 := &bson.D{}
	d2 := &bson.D{}
	d3 := &bson.D{}
	d4 := &bson.D{}

	set := NewSet(List{d1, d2, d3})

	ok := set.Replace(d2, d4)
	assert.True(t, ok)
	assertSet(t, set, List{d1, d4, d3}, map[Doc]int{
		d1: 0,
		d4: 1,
		d3: 2,
	})

	ok = set.Replace(d2, d4)
	assert.False(t, ok)
	assertSet(t, set, List{d1, d4, d3}, map[Doc]int{
		d1: 0,
		d4: 1,
		d3: 2,
	})

	ok = set.Replace(d1, d3)
	assert.False(t, ok)
	assertSet(t, set, List{d1, d4, d3}, map[Doc]int{
		d1: 0,
		d4: 1,
		d3: 2,
	})
}

// assertSet checks the list and every position (patched: the set keeps its
// positions in layers, see set.go).
func assertSet(t *testing.T, set *Set, list List, positions map[Doc]int) {
	t.Helper()
	assert.Equal(t, len(list), len(set.List))
	for i := range list {
		assert.True(t, list[i] == set.List[i])
	}
	for doc, want := range positions {
		got, ok := set.Position(doc)
		assert.True(t, ok)
		assert.Equal(t, want, got)
	}
	for _, doc := range set.List {
		_, ok := positions[doc]
		assert.True(t, ok)
	}
}
