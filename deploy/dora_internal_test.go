package deploy

import "testing"

func TestIDIndexCollisions(t *testing.T) {
	deps := []Deployment{{ID: "a"}, {ID: "b"}, {ID: "a"}, {ID: "c"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}
	want := []struct {
		first int
		seen  bool
	}{{0, false}, {1, false}, {0, true}, {3, false}, {1, true}, {3, true}, {6, false}}
	for name, hash := range map[string]func(string) uint64{
		"maphash":      nil,
		"all collide":  func(string) uint64 { return 7 },
		"two collide":  func(s string) uint64 { return uint64(len(s)) + uint64(s[0]&1) },
		"none collide": func(s string) uint64 { return uint64(s[0]) },
	} {
		x := idIndex{hash: hash}
		for i, w := range want {
			if first, seen := x.first(deps, i, len(deps)); first != w.first || seen != w.seen {
				t.Errorf("%s: first(%q at %d) = %d, %v; want %d, %v", name, deps[i].ID, i, first, seen, w.first, w.seen)
			}
		}
	}
}
