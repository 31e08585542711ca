package deploy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ybiyri/runkit/internal/browsertest"
)

// TestDORAReportInBrowser opens the report as a person would open the file
// runkit dora --html writes, at a laptop's and a phone's width.
func TestDORAReportInBrowser(t *testing.T) {
	page := render(t, quarter())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	defer srv.Close()
	browser := browsertest.Start(t)
	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"desktop", browsertest.Desktop}, {"phone", browsertest.Phone}} {
		t.Run(v.name, func(t *testing.T) {
			tab := browsertest.Open(t, browser, srv.URL, v.vp)
			tab.RequireClean(t, srv.URL)
			if n := browsertest.Eval[int](t, tab, `document.querySelectorAll("svg.chart").length + document.querySelectorAll("svg.ibar").length`); n != 3+7 {
				t.Errorf("%d charts and incident bars, want 3 and 7", n)
			}
			// Every bar is drawn inside its chart, at a visible size.
			bad := browsertest.Eval[[]string](t, tab, `[...document.querySelectorAll("svg.chart rect, svg.ibar rect")].flatMap(r => {
				const b = r.getBoundingClientRect(), c = r.ownerSVGElement.getBoundingClientRect();
				return b.width >= 1 && b.left >= c.left - 0.5 && b.right <= c.right + 0.5 && b.top >= c.top && b.bottom <= c.bottom ? [] : [r.outerHTML];
			})`)
			if len(bad) != 0 {
				t.Errorf("%d bars outside their chart or invisible, first %s", len(bad), bad[0])
			}
			cause := browsertest.Eval[string](t, tab, `document.querySelectorAll(".incidents .lab")[2].textContent`)
			if scripts := browsertest.Eval[int](t, tab, `document.querySelectorAll("script").length`); scripts != 0 || cause != "Aug 31 00:00 · 3h · caused by <script>alert(1)</script>" {
				t.Errorf("hostile cause renders as %q with %d scripts", cause, scripts)
			}
			if w := browsertest.Eval[[]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
				t.Errorf("page is %dpx wide in a %dpx window", w[0], w[1])
			}
			tab.Screenshot(t, "dora-"+v.name)
			tab.FullPage(t, "dora-"+v.name+"-full")
		})
	}
}
