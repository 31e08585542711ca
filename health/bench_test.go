package health_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ybiyri/runkit/health"
)

// BenchmarkPlainHandler is the baseline for BenchmarkReadyz: the cheapest
// handler there is, served the same way.
func BenchmarkPlainHandler(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	serve(b, h, "/readyz")
}

func benchChecker(b *testing.B, opts ...health.Option) http.Handler {
	c := health.New(opts...)
	b.Cleanup(func() { c.Close() })
	for _, name := range []string{"db", "cache", "queue"} {
		if err := c.Register(health.Check{Name: name, Func: ok, CacheTTL: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	return c.Handler()
}

// BenchmarkReadyz serves /readyz with three passing cached checks.
func BenchmarkReadyz(b *testing.B) {
	serve(b, benchChecker(b), "/readyz")
}

// BenchmarkReadyzVerbose serves /readyz?verbose with the same checks.
func BenchmarkReadyzVerbose(b *testing.B) {
	serve(b, benchChecker(b, health.WithVerbose(true)), "/readyz?verbose")
}

func serve(b *testing.B, h http.Handler, target string) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", target, rec.Code)
		}
	}
}
