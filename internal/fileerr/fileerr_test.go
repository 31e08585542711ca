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

func TestKey(t *testing.T) {
	same := [][2]string{
		{"spec.objectives[0].target", "spec.objectives[1].target"},
		{"metadata.labels.b", "metadata.labels.b"},
		{"slos[0].objective", "slos[2].objective"},
		{"spec.objectives[0]", "spec.objectives[3]"},
	}
	for _, p := range same {
		if Key(at("f.yaml:3:5"), p[0], "1.5", "wrong") != Key(at("f.yaml:3:5"), p[1], "1.5", "wrong") {
			t.Errorf("Key(%q) != Key(%q): one place, one problem", p[0], p[1])
		}
	}
	differ := []struct{ a, b [4]string }{
		{[4]string{"f.yaml:3:5", "spec.timeSliceTarget", "", "is missing"}, [4]string{"f.yaml:3:5", "spec.timeSliceWindow", "", "is missing"}},
		{[4]string{"f.yaml:3:5", "spec.target", "1.5", "wrong"}, [4]string{"f.yaml:4:5", "spec.target", "1.5", "wrong"}},
		{[4]string{"f.yaml:3:5", "spec.target", "1.5", "wrong"}, [4]string{"f.yaml:3:5", "spec.target", "1.5", "bad"}},
		{[4]string{"a.yaml:3:5", "spec.target", "1.5", "wrong"}, [4]string{"b.yaml:3:5", "spec.target", "1.5", "wrong"}},
	}
	for _, d := range differ {
		if Key(at(d.a[0]), d.a[1], d.a[2], d.a[3]) == Key(at(d.b[0]), d.b[1], d.b[2], d.b[3]) {
			t.Errorf("Key(%q) == Key(%q): two problems", d.a, d.b)
		}
	}
}
