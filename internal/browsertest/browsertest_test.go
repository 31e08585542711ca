package browsertest

import (
	"fmt"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// The browser's goroutines end with the test that started it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder stands in for a test, collecting the errors a check reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }
func (r *recorder) Fatal(args ...any) { r.errs = append(r.errs, "fatal"); runtime.Goexit() }
func (r *recorder) Skip(args ...any)  { r.errs = append(r.errs, "skip"); runtime.Goexit() }

func TestMissingBrowserFailsUnderCI(t *testing.T) {
	for ci, want := range map[string]string{"true": "fatal", "": "skip"} {
		t.Setenv("CI", ci)
		rec := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			requireBrowser(rec, "")
		}()
		<-done
		if len(rec.errs) != 1 || rec.errs[0] != want {
			t.Errorf("CI=%q, no chromium: %v, want %s", ci, rec.errs, want)
		}
		rec = &recorder{TB: t}
		requireBrowser(rec, "/usr/bin/chromium")
		if len(rec.errs) != 0 {
			t.Errorf("CI=%q, chromium present: %v", ci, rec.errs)
		}
	}
}

// TestRequireCleanCatches shows that the checks see what they look for: a
// console error, an exception, a failed load and a request to another host.
func TestRequireCleanCatches(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/clean", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>ok</title><link rel="icon" href="data:,"><p>fine</p>`)
	})
	mux.HandleFunc("/dirty", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>bad</title><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width">
<script>console.error("boom"); setTimeout(() => { throw new Error("thrown") }, 0)</script>
<img src="http://runkit-test.invalid/x.png">`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	browser := Start(t)

	clean := Open(t, browser, srv.URL+"/clean", Desktop)
	rec := &recorder{TB: t}
	clean.RequireClean(rec, srv.URL)
	if len(rec.errs) != 0 {
		t.Errorf("clean page reported %q", rec.errs)
	}

	dirty := Open(t, browser, srv.URL+"/dirty", Phone)
	rec = &recorder{TB: t}
	dirty.RequireClean(rec, srv.URL)
	all := strings.Join(rec.errs, "\n")
	for _, want := range []string{`console.error: "boom"`, "exception:", "request left the test server: http://runkit-test.invalid/x.png"} {
		if !strings.Contains(all, want) {
			t.Errorf("RequireClean missed %q; it reported:\n%s", want, all)
		}
	}
	if w := Eval[int64](t, dirty, `window.innerWidth`); w != Phone.Width {
		t.Errorf("phone viewport is %d wide, want %d", w, Phone.Width)
	}
}

func TestInk(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 100, 100))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	if share, colours := Ink(blank); share != 0 || colours != 1 {
		t.Errorf("Ink(white) = %v, %d", share, colours)
	}
	for y := range 50 {
		for x := range 100 {
			blank.Set(x, y, color.RGBA{uint8(x), uint8(y), 0, 0xff})
		}
	}
	if share, colours := Ink(blank); share != 0.5 || colours != 5001 {
		t.Errorf("Ink(half drawn) = %v, %d; want 0.5, 5001", share, colours)
	}
}
