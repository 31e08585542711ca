// Package fileerr writes a problem found in a file the way every reader of
// runkit's SLO files says it: where, the field as the file spells it, the
// value as written, and what is wrong, as
//
//	slos.yaml:12:5: spec.objectives[0].target 99.5: out of range (0, 1): …
package fileerr

import (
	"fmt"
	"strconv"
	"strings"
)

// Place writes where a problem is: file:line:column, "-" for a file
// without a name, and no line or column where they are 0.
func Place(file string, line, column int) string {
	s := file
	if s == "" {
		s = "-"
	}
	if line > 0 {
		s += ":" + strconv.Itoa(line)
		if column > 0 {
			s += ":" + strconv.Itoa(column)
		}
	}
	return s
}

// Message is the text of a problem at pos with field and value. An empty
// field leaves out the field and the value; an empty value leaves out
// the value.
func Message(pos fmt.Stringer, field, value, msg string) string {
	switch {
	case field == "":
		return fmt.Sprintf("%v: %s", pos, msg)
	case value == "":
		return fmt.Sprintf("%v: %s: %s", pos, field, msg)
	}
	return fmt.Sprintf("%v: %s %s: %s", pos, field, quoteValue(value), msg)
}

// quoteValue quotes a value that would read ambiguously in a message:
// with spaces, quotes or colons in it, or outside ASCII.
func quoteValue(v string) string {
	for _, r := range v {
		if r <= ' ' || r == '"' || r == '\'' || r == ':' || r > '~' {
			return strconv.Quote(v)
		}
	}
	return v
}

// Key identifies a problem at pos for reporting it once per place in the
// file: a YAML alias reads one node under several paths
// (spec.objectives[0].target and spec.objectives[1].target), each with
// the same problem at the same place. Two problems have one key when they
// are at the same place, in a field of the same name (its last part,
// without list indexes), with the same value and message.
func Key(pos fmt.Stringer, field, value, msg string) string {
	name := field[strings.LastIndexByte(field, '.')+1:]
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	return strings.Join([]string{pos.String(), name, value, msg}, "\x00")
}
