package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ybiyri/runkit/health"
)

// FuzzHandler feeds arbitrary paths, queries and error texts to the handler:
// it must never panic, and every verbose body must be valid JSON that
// carries the error text unchanged.
func FuzzHandler(f *testing.F) {
	f.Add("/readyz/db", "verbose&exclude=cache", "dial tcp: refused")
	f.Add("/x/healthz/", "exclude=%zz&verbose=0", "quote \" back\\slash \x00 \xff <tag>")
	f.Add("//", "&&=&", "\u2028")
	f.Fuzz(func(t *testing.T, path, query, errText string) {
		c := health.New(health.WithVerbose(true), health.WithAuthorizer(func(*http.Request) bool { return true }))
		defer c.Close()
		if err := c.Register(health.Check{Name: "db", Func: func(context.Context) error { return errors.New(errText) }}); err != nil {
			t.Fatal(err)
		}
		if err := c.Register(health.Check{Name: "cache", Func: ok, Severity: health.NonCritical}); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL = &url.URL{Path: path, RawQuery: query}
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		if rec.Code == http.StatusNotFound {
			return
		}
		var body struct {
			Status string
			Checks map[string][]struct{ Output string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("GET %s?%s: body %q is not JSON: %v", path, query, rec.Body, err)
		}
		if db, ok := body.Checks["db"]; ok {
			want := []rune(errText) // invalid UTF-8 becomes U+FFFD either way
			if got := db[0].Output; got != string(want) {
				t.Errorf("output = %q, want %q", got, string(want))
			}
		}
	})
}
