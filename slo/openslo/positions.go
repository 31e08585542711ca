package openslo

import (
	"maps"
	"slices"
	"strings"
)

// Positions holds where each field of one document was read, by its path
// as Error.Field writes it ("metadata.labels.team",
// "spec.objectives[0].target"). It keeps a path and a line and column per
// field, 12 bytes each, and shares the paths that documents have in
// common, so that a large file's SLOs take a few times the file's size,
// not tens of times. The zero value holds no positions; copies share
// what they hold.
type Positions struct {
	t *positionTable
}

type positionTable struct {
	file string
	// paths holds the paths entries name, shared by every table of a
	// parse.
	paths   *pathTable
	entries []fieldPosition // sorted by path
	// indicator holds the positions of the SLI an indicatorRef names,
	// read under "spec.indicator.".
	indicator *positionTable
}

type fieldPosition struct {
	path         int32 // in paths
	line, column int32
}

// pathTable interns paths: documents share most of theirs.
type pathTable struct {
	index map[string]int32
	paths []string
}

func (t *pathTable) intern(p string) int32 {
	if i, ok := t.index[p]; ok {
		return i
	}
	i := int32(len(t.paths))
	t.index[p] = i
	t.paths = append(t.paths, p)
	return i
}

// Lookup returns where the field at path was read.
func (p Positions) Lookup(path string) (Position, bool) {
	return p.t.lookup(path)
}

func (t *positionTable) find(path string) (Position, bool) {
	i, ok := slices.BinarySearchFunc(t.entries, path, func(e fieldPosition, p string) int { return strings.Compare(t.paths.paths[e.path], p) })
	if !ok {
		return Position{}, false
	}
	e := t.entries[i]
	return Position{File: t.file, Line: int(e.line), Column: int(e.column)}, true
}

func (t *positionTable) lookup(path string) (Position, bool) {
	if t == nil {
		return Position{}, false
	}
	if p, ok := t.find(path); ok {
		return p, true
	}
	if rest, ok := strings.CutPrefix(path, "spec.indicator."); ok && t.indicator != nil {
		return t.indicator.find(rest)
	}
	return Position{}, false
}

// fill sets the table from a document's positions, with each path
// interned in paths.
func (t *positionTable) fill(at map[string]Position, paths *pathTable) {
	t.paths = paths
	t.entries = make([]fieldPosition, 0, len(at))
	for _, k := range slices.Sorted(maps.Keys(at)) {
		pos := at[k]
		t.entries = append(t.entries, fieldPosition{path: paths.intern(k), line: int32(pos.Line), column: int32(pos.Column)})
	}
}
