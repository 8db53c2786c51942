package bsonkit

import "math"

// Set is set of unique documents. The set is not safe from concurrent access.
//
// Patched in this copy of lungo (see PATCHES.md): upstream kept one map of
// every document's position and copied it on each Clone, that is on each
// transaction's first write to a collection; at 100,000 documents that copy
// was most of what such a transaction cost. Positions are now a map shared
// by the clones of a set (never written once shared) plus this set's own
// changes to it, and a clone starts a new shared map only when the changes
// have grown past about the square root of the set's size.
type Set struct {
	List List

	base map[Doc]int      // shared with clones: read-only
	over map[Doc]int      // this set's positions that differ from base
	dead map[Doc]struct{} // documents of base no longer in this set
}

// NewSet returns a new set from the specified list.
func NewSet(list List) *Set {
	// create set
	set := &Set{
		base: make(map[Doc]int, len(list)),
		over: map[Doc]int{},
		dead: map[Doc]struct{}{},
	}

	// add documents
	for _, doc := range list {
		if _, ok := set.base[doc]; ok {
			continue
		}
		set.List = append(set.List, doc)
		set.base[doc] = len(set.List) - 1
	}

	return set
}

// Position returns the document's position in List.
func (s *Set) Position(doc Doc) (int, bool) {
	if i, ok := s.over[doc]; ok {
		return i, true
	}
	if _, ok := s.dead[doc]; ok {
		return 0, false
	}
	i, ok := s.base[doc]
	return i, ok
}

// Has reports whether the document is in the set.
func (s *Set) Has(doc Doc) bool {
	_, ok := s.Position(doc)
	return ok
}

// Add will add the document to set, if has not already been added. It may return
// false if the document has already been added.
func (s *Set) Add(doc Doc) bool {
	// check if already added
	if s.Has(doc) {
		return false
	}

	// append document
	s.List = append(s.List, doc)
	s.over[doc] = len(s.List) - 1

	return true
}

// Replace will replace the first document with the second. It may return false
// if the first document has not been added and the second already has been added.
func (s *Set) Replace(d1, d2 Doc) bool {
	// get index
	index, ok := s.Position(d1)
	if !ok {
		return false
	}

	// check existence
	if s.Has(d2) {
		return false
	}

	// replace document
	s.List[index] = d2

	// update positions
	s.forget(d1)
	s.over[d2] = index

	return true
}

// forget drops a document's position.
func (s *Set) forget(doc Doc) {
	delete(s.over, doc)
	if _, ok := s.base[doc]; ok {
		s.dead[doc] = struct{}{}
	}
}

// Remove will remove the document from the set. It may return false if the
// document has not been added to the set.
func (s *Set) Remove(doc Doc) bool {
	// check if document has been added
	i, ok := s.Position(doc)
	if !ok {
		return false
	}

	// remove document
	s.List = append(s.List[:i], s.List[i+1:]...)

	// the last one moves nothing; otherwise every later position changes
	if i == len(s.List) {
		s.forget(doc)
	} else {
		s.reindex()
	}

	return true
}

// InsertAt puts a document back at a position of the list (the inverse of
// Remove). Patched into this copy of lungo (see PATCHES.md).
func (s *Set) InsertAt(i int, doc Doc) {
	s.List = append(s.List, nil)
	copy(s.List[i+1:], s.List[i:])
	s.List[i] = doc
	if i == len(s.List)-1 {
		s.over[doc] = i
	} else {
		s.reindex()
	}
}

// RemovePrefix removes the first n documents in one pass. Patched into this
// copy of lungo (see PATCHES.md): trimming the change log removed its oldest
// entries one Remove at a time, each moving every later entry.
func (s *Set) RemovePrefix(n int) {
	s.List = append(List(nil), s.List[n:]...)
	s.reindex()
}

// reindex starts a new shared map of positions from the list.
func (s *Set) reindex() {
	s.base = make(map[Doc]int, len(s.List))
	for i, doc := range s.List {
		s.base[doc] = i
	}
	s.over = map[Doc]int{}
	s.dead = map[Doc]struct{}{}
}

// Clone will clone the set. Mutating the new set will not mutate the original
// set.
func (s *Set) Clone() *Set {
	// prepare clone
	clone := &Set{
		List: make(List, len(s.List)),
		base: s.base,
	}

	// copy list
	copy(clone.List, s.List)

	// a new shared map once the changes are worth more than it: copying
	// them costs every clone, building it costs once
	if len(s.over)+len(s.dead) > max(1024, 16*int(math.Sqrt(float64(len(s.List))))) {
		clone.reindex()
		return clone
	}

	// copy changes
	clone.over = make(map[Doc]int, len(s.over))
	for doc, index := range s.over {
		clone.over[doc] = index
	}
	clone.dead = make(map[Doc]struct{}, len(s.dead))
	for doc := range s.dead {
		clone.dead[doc] = struct{}{}
	}

	return clone
}
