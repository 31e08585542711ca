package promql

import "testing"

func TestUnbalanced(t *testing.T) {
	for _, tt := range []struct{ expr, want string }{
		{`sum(rate(x{code=~"(5..|429)"}[{{.window}}]))`, ""},
		{`sum_over_time((a / b)[{{.window}}:1m])`, ""},
		{"x{a='it''s'} or y{b=`\\`}", ""},
		{`x{a="say \"(\""}`, ""},
		{`sum(rate(x[5m])`, "has a ( at character 4 that is never closed"},
		{`x{code="5xx}`, `has a " at character 8 that no " closes`},
		{`rate(x[5m]))`, "has a ) at character 12 that closes nothing open"},
		{`rate(x[5m)]`, "has a ) at character 10 where the [ at character 7 is to be closed"},
		{`x{a="\"}`, `has a " at character 5 that no " closes`},
	} {
		if got := Unbalanced(tt.expr); got != tt.want {
			t.Errorf("Unbalanced(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// Any text: no panic, and balanced text stays balanced wrapped in
// parentheses, brackets or braces.
func FuzzUnbalanced(f *testing.F) {
	for _, s := range []string{``, `(`, `)`, `"`, "`", `'\'`, `sum(rate(x{code=~"(5..)"}[{{.window}}]))`, `a[`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Unbalanced(s)
		for _, w := range []string{"(", "[", "{"} {
			closer := map[string]string{"(": ")", "[": "]", "{": "}"}[w]
			if got := Unbalanced(w + s + closer); v == "" && got != "" {
				t.Errorf("Unbalanced(%q) = %q, but wrapped in %s…%s: %q", s, v, w, closer, got)
			}
		}
	})
}
