package openslo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// reader walks YAML nodes strictly, recording every problem with its
// position.
type reader struct {
	file string
	errs []error
	// at, when not nil, records where each field was read, by path, for
	// the document being read; table receives them when it is done.
	at    map[string]Position
	table *positionTable
}

// mark records that path was read at n.
func (r *reader) mark(path string, n *yaml.Node) {
	if r.at != nil {
		if _, ok := r.at[path]; !ok {
			r.at[path] = r.pos(n)
		}
	}
}

func (r *reader) pos(n *yaml.Node) Position {
	return Position{File: r.file, Line: n.Line, Column: n.Column}
}

// fail records a problem with field at n; value is what was written.
func (r *reader) fail(n *yaml.Node, field, value, format string, args ...any) {
	r.errs = append(r.errs, &Error{Position: r.pos(n), Field: field, Value: value, Msg: fmt.Sprintf(format, args...)})
}

// failPos records a problem with field at pos.
func (r *reader) failPos(pos Position, field, value, format string, args ...any) {
	r.errs = append(r.errs, &Error{Position: pos, Field: field, Value: value, Msg: fmt.Sprintf(format, args...)})
}

// deref follows aliases, so that an anchored value reads as itself.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node is, for "want a string, got a list".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	}
	return "a string"
}

// fields checks that n is a mapping whose keys are all among allowed, and
// returns its values by key. Unknown and repeated keys are errors at the
// key.
type fields struct {
	node *yaml.Node
	path string
	// values are the mapping's, in order; mappings are small, so a list
	// searched in turn costs less than a map.
	values []keyValue
}

type keyValue struct {
	key   string
	value *yaml.Node
}

// lookup returns the value of key, and whether the mapping has it. Only
// known fields are looked up, in mappings of a few.
func (f *fields) lookup(key string) (*yaml.Node, bool) {
	for _, kv := range f.values {
		if kv.key == key {
			return kv.value, true
		}
	}
	return nil, false
}

func (r *reader) mapping(n *yaml.Node, path string, allowed ...string) *fields {
	n = deref(n)
	f := &fields{node: n, path: path}
	if n.Kind != yaml.MappingNode {
		r.fail(n, path, valueText(n), "want a mapping, got %s", describe(n))
		return f
	}
	// A mapping of many keys, such as labels, is looked up in sets, so
	// that reading it stays linear.
	isAllowed := func(k string) bool { return contains(allowed, k) }
	if len(allowed) > 16 {
		set := make(map[string]bool, len(allowed))
		for _, a := range allowed {
			set[a] = true
		}
		isAllowed = func(k string) bool { return set[k] }
	}
	var seen map[string]bool
	if len(n.Content) > 32 {
		seen = make(map[string]bool, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if !isAllowed(key) {
			r.fail(k, join(path, key), "", "unknown field; want one of %s", strings.Join(allowed, ", "))
			continue
		}
		dup := seen[key]
		if seen == nil {
			_, dup = f.lookup(key)
		} else {
			seen[key] = true
		}
		if dup {
			r.fail(k, join(path, key), "", "repeated field")
			continue
		}
		f.values = append(f.values, keyValue{key, deref(v)})
		// A scalar is shown where its value is; a mapping or a list
		// where its key is.
		if dv := deref(v); dv.Kind == yaml.ScalarNode {
			r.mark(join(path, key), v)
		} else {
			r.mark(join(path, key), k)
		}
	}
	return f
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// get returns the value of key, or nil when it is missing or null.
func (f *fields) get(key string) *yaml.Node {
	v, _ := f.lookup(key)
	if isNull(v) {
		return nil
	}
	return v
}

func (f *fields) has(key string) bool { return f.get(key) != nil }

// valueText is a node's value as written, for messages.
func valueText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// str reads an optional string field; "" when missing.
func (r *reader) str(f *fields, key string) string {
	n := f.get(key)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		r.fail(n, join(f.path, key), valueText(n), "want a string, got %s", describe(n))
		return ""
	}
	return n.Value
}

// required reads a string field that must be present and not empty.
func (r *reader) required(f *fields, key string) string {
	if !f.has(key) {
		r.fail(f.node, join(f.path, key), "", "is missing")
		return ""
	}
	s := r.str(f, key)
	if s == "" && f.get(key).ShortTag() == "!!str" {
		r.fail(f.get(key), join(f.path, key), "", "is empty")
	}
	return s
}

// boolean reads an optional boolean field.
func (r *reader) boolean(f *fields, key string) (v, ok bool) {
	n := f.get(key)
	if n == nil {
		return false, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		r.fail(n, join(f.path, key), valueText(n), "want true or false, got %s", describe(n))
		return false, false
	}
	b, err := strconv.ParseBool(n.Value)
	if err != nil {
		r.fail(n, join(f.path, key), n.Value, "want true or false")
		return false, false
	}
	return b, true
}

// number reads an optional numeric field; the node is returned for
// messages about its value.
func (r *reader) number(f *fields, key string) (float64, *yaml.Node) {
	n := f.get(key)
	if n == nil {
		return 0, nil
	}
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		r.fail(n, join(f.path, key), valueText(n), "want a number, got %s", describe(n))
		return 0, nil
	}
	v, err := parseNumber(n.Value)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail(n, join(f.path, key), n.Value, "want a finite number")
		return 0, nil
	}
	return v, n
}

// parseNumber reads a YAML number: decimal, with _ separators, or 0x,
// 0o forms of integers.
func parseNumber(s string) (float64, error) {
	t := strings.ReplaceAll(s, "_", "")
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		return v, nil
	}
	i, err := strconv.ParseInt(t, 0, 64)
	if err != nil {
		return 0, err
	}
	return float64(i), nil
}

// list reads an optional sequence field.
func (r *reader) list(f *fields, key string) []*yaml.Node {
	n := f.get(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(n, join(f.path, key), valueText(n), "want a list, got %s", describe(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
		r.mark(fmt.Sprintf("%s[%d]", join(f.path, key), i), c)
	}
	return out
}

// anyValue turns a node into plain Go values: strings, float64 numbers,
// booleans, nil, []any and map[string]any.
func (r *reader) anyValue(n *yaml.Node, path string, depth int) any {
	n = deref(n)
	if depth > 32 {
		r.fail(n, path, "", "nested too deeply")
		return nil
	}
	r.mark(path, n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				r.fail(k, path, "", "want a string key, got %s", describe(k))
				continue
			}
			if _, dup := m[k.Value]; dup {
				r.fail(k, join(path, k.Value), "", "repeated field")
				continue
			}
			m[k.Value] = r.anyValue(n.Content[i+1], join(path, k.Value), depth+1)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = r.anyValue(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		return l
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return n.Value
		}
		return b
	case "!!int", "!!float":
		v, err := parseNumber(n.Value)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			r.fail(n, path, n.Value, "want a finite number")
			return nil
		}
		return v
	}
	return n.Value
}
