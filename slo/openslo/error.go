package openslo

import "github.com/ybiyri/runkit/internal/fileerr"

func (p Position) String() string { return fileerr.Place(p.File, p.Line, p.Column) }

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
	return fileerr.Message(e.Position, e.Field, e.Value, e.Msg)
}
