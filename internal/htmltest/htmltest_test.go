package htmltest

import (
	"fmt"
	"strings"
	"testing"
)

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }

func TestWellFormed(t *testing.T) {
	doc := WellFormed(t, `<!doctype html><html><head><meta charset="utf-8"><title>x</title></head><body><p class="a b">hi <b>there</b></p><svg><line x1="0"/></svg></body></html>`)
	if ps := Find(doc, WithClass("p", "b")); len(ps) != 1 || Text(ps[0]) != "hi there" || Attr(ps[0], "class") != "a b" {
		t.Errorf("found %v", ps)
	}
}

func TestSelfContainedCatches(t *testing.T) {
	page := `<html><body><script>1</script><img src="http://x/y.png"><a href="#ok">ok</a><style>p{background:url(x)}</style>NaN</body></html>`
	rec := &recorder{TB: t}
	SelfContained(rec, WellFormed(t, page), page)
	all := strings.Join(rec.errs, "\n")
	for _, want := range []string{"script elements", `src="http://x/y.png"`, "url(", "NaN"} {
		if !strings.Contains(all, want) {
			t.Errorf("missed %s in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "#ok") {
		t.Errorf("a fragment link was reported:\n%s", all)
	}
}
