package promrules

import (
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Whatever the string, the scalar written for it reads back as it, as a
// value and as a key, with the YAML library Prometheus uses.
func FuzzAppendScalar(f *testing.F) {
	for _, s := range []string{"", "checkout", "yes", "No", "null", "~", "0.999", "30d", "-1", "a: b", "a #b", "it's",
		`sum(rate(x{code=~"5.."}[5m]))`, "{{ $value }}", "line\nbreak", "tab\there", " lead", "trail ", "\x00\x7f\u0085\u2028\ufeff",
		"€ ünïcode 日本", "5m", "1h30m", "100ms", "1y", "1e5", "0x1f", "1_000", "12:30", "2024-01-01", "key:", ":", "- item", "[a]", "&anchor", "*alias", "!tag", "%directive", "@", "`", "|", ">", "?", "#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		q := string(appendScalar(nil, s))
		var value, key map[string]string
		if err := yaml.Unmarshal([]byte("v: "+q+"\n"), &value); err != nil || value["v"] != s {
			t.Fatalf("%q written as %s reads back as %q, %v", s, q, value["v"], err)
		}
		// Keys are label names, short: YAML reads a plain or quoted key of
		// at most 1,024 characters.
		if len(q) > 1024 {
			return
		}
		if err := yaml.Unmarshal([]byte(q+": k\n"), &key); err != nil || len(key) != 1 || key[s] != "k" {
			t.Fatalf("key %q written as %s reads back as %v, %v", s, q, key, err)
		}
	})
}
