package fileerr

import "testing"

type at string

func (a at) String() string { return string(a) }

func TestMessage(t *testing.T) {
	for _, tt := range []struct{ field, value, want string }{
		{"", "", "f.yaml:3:5: wrong"},
		{"spec.target", "", "f.yaml:3:5: spec.target: wrong"},
		{"spec.target", "99.5", "f.yaml:3:5: spec.target 99.5: wrong"},
		{"spec.name", "a b", `f.yaml:3:5: spec.name "a b": wrong`},
		{"spec.name", "x:y", `f.yaml:3:5: spec.name "x:y": wrong`},
		{"spec.name", "zürich", `f.yaml:3:5: spec.name "zürich": wrong`},
	} {
		if got := Message(at("f.yaml:3:5"), tt.field, tt.value, "wrong"); got != tt.want {
			t.Errorf("Message(%q, %q) = %q, want %q", tt.field, tt.value, got, tt.want)
		}
	}
}

func TestPlace(t *testing.T) {
	for _, tt := range []struct {
		file         string
		line, column int
		want         string
	}{
		{"f.yaml", 3, 5, "f.yaml:3:5"}, {"f.yaml", 3, 0, "f.yaml:3"}, {"f.yaml", 0, 5, "f.yaml"}, {"", 2, 1, "-:2:1"},
	} {
		if got := Place(tt.file, tt.line, tt.column); got != tt.want {
			t.Errorf("Place(%q, %d, %d) = %q, want %q", tt.file, tt.line, tt.column, got, tt.want)
		}
	}
}
