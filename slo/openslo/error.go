package openslo

import (
	"fmt"
	"strconv"
)

func (p Position) String() string {
	s := p.File
	if s == "" {
		s = "-"
	}
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Column > 0 {
			s += ":" + strconv.Itoa(p.Column)
		}
	}
	return s
}

// Error is one problem in a file: where it is, the field, the value as
// written, and what is wrong. Parse returns every Error it finds, joined
// with errors.Join; errors.As finds the first.
type Error struct {
	Position
	// Field is the path to the field, such as
	// "spec.objectives[0].target"; empty for a problem with the YAML
	// itself.
	Field string
	// Value is the value as written; empty when the field is missing.
	Value string
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	switch {
	case e.Field == "":
		return fmt.Sprintf("%v: %s", e.Position, e.Msg)
	case e.Value == "":
		return fmt.Sprintf("%v: %s: %s", e.Position, e.Field, e.Msg)
	}
	return fmt.Sprintf("%v: %s %s: %s", e.Position, e.Field, quoteValue(e.Value), e.Msg)
}

// quoteValue quotes a value that would otherwise read ambiguously in a
// message: empty, or with spaces or quotes in it.
func quoteValue(v string) string {
	for _, r := range v {
		if r <= ' ' || r == '"' || r == '\'' || r == ':' || r > '~' {
			return strconv.Quote(v)
		}
	}
	return v
}
