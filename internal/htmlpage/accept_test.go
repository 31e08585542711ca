package htmlpage

import (
	"net/http"
	"testing"
)

func TestWantsHTML(t *testing.T) {
	for _, c := range []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"*/*"}, false},
		{[]string{"application/json"}, false},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, true},
		{[]string{"text/html;q=0.5, application/json;q=0.5"}, false},
		{[]string{"text/html;q=0.6, application/json;q=0.5"}, true},
		{[]string{"text/*", "application/json;q=0.9"}, true},
		{[]string{"text/html;q=0"}, false},
		{[]string{"text/html;q=x"}, false},
		{[]string{"application/xhtml+xml"}, true},
		{[]string{"TEXT/HTML"}, true},
		{[]string{"*/html"}, false},
	} {
		r := &http.Request{Header: http.Header{"Accept": c.accept}}
		if got := WantsHTML(r); got != c.want {
			t.Errorf("WantsHTML(Accept: %q) = %v, want %v", c.accept, got, c.want)
		}
	}
}

func FuzzParseMediaRange(f *testing.F) {
	for _, s := range []string{"text/html", "text/html;q=0.8", "*/*;q=1", "a/b; q=0.5; level=1", "q=", "/", "*/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, q, ok := parseMediaRange(s)
		if !ok {
			return
		}
		if q < 0 || q > 1 || q != q {
			t.Errorf("parseMediaRange(%q) q = %v, out of [0, 1]", s, q)
		}
		if mt == "" {
			t.Errorf("parseMediaRange(%q) reports ok with an empty range", s)
		}
		WantsHTML(&http.Request{Header: http.Header{"Accept": {s}}})
	})
}
