package breaker_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/breaker"
)

// A duration written without its unit (500, meaning 500ms) is 500ns: every
// duration field refuses a positive value under breaker.MinDuration, by
// name and value, from Validate, from New and at the first request.
func TestDurationsUnderAMillisecondRefused(t *testing.T) {
	const hint = "is under the minimum 1ms"
	for _, tt := range []struct {
		name string
		err  func() error
		want string
	}{
		{"Config.OpenTimeout", breaker.Config{OpenTimeout: 500}.Validate, "OpenTimeout 500ns " + hint},
		{"Config.ProbeTimeout", breaker.Config{ProbeTimeout: 500}.Validate, "ProbeTimeout 500ns " + hint},
		{"Config.Window", breaker.Config{Window: 500, Buckets: 1}.Validate, "Window 500ns " + hint},
		{"Config.Window per bucket", breaker.Config{Window: 5 * time.Millisecond}.Validate, "Window 5ms is too short for Buckets 10"},
		{"New", func() error { _, err := breaker.New[int](breaker.Config{Name: "db", OpenTimeout: 30}); return err }, `breaker "db": OpenTimeout 30ns ` + hint},
		{"Transport.AttemptTimeout", (&breaker.Transport{AttemptTimeout: 500}).Validate, "breaker: Transport.AttemptTimeout 500ns " + hint},
		{"Transport.MaxRetryAfter", (&breaker.Transport{MaxRetryAfter: 500}).Validate, "breaker: Transport.MaxRetryAfter 500ns " + hint},
		{"Transport.Config.ProbeTimeout", (&breaker.Transport{Config: breaker.Config{ProbeTimeout: 500}}).Validate, "breaker: Transport.Config.ProbeTimeout 500ns " + hint},
		{"Retry.MaxElapsed", (&breaker.Retry{MaxElapsed: 500}).Validate, "breaker: Retry.MaxElapsed 500ns " + hint},
		{"Retry.BaseDelay", (&breaker.Retry{BaseDelay: 500}).Validate, "breaker: Retry.BaseDelay 500ns " + hint},
		{"Retry.MaxDelay", (&breaker.Retry{MaxDelay: 500 * time.Microsecond, BaseDelay: 100 * time.Microsecond}).Validate, "breaker: Retry.BaseDelay 100µs " + hint},
		{"Retry.MaxDelay alone", (&breaker.Retry{MaxDelay: 500, BaseDelay: -1}).Validate, "breaker: Retry.MaxDelay 500ns " + hint},
	} {
		err := tt.err()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "* time.Millisecond") && strings.Contains(tt.want, "0ns "+hint) {
			t.Errorf("%s: %v does not say how to write the unit", tt.name, err)
		}
	}
	// The minimum itself, zero (the default) and negative (off, where a
	// field can be off) are accepted.
	for name, err := range map[string]error{
		"Config":    breaker.Config{OpenTimeout: time.Millisecond, ProbeTimeout: -1, Window: -1}.Validate(),
		"Transport": (&breaker.Transport{AttemptTimeout: time.Millisecond, MaxRetryAfter: -1}).Validate(),
		"Retry":     (&breaker.Retry{MaxElapsed: time.Millisecond, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}).Validate(),
		"zero":      errors.Join(breaker.Config{}.Validate(), (&breaker.Transport{}).Validate(), (&breaker.Retry{}).Validate()),
	} {
		if err != nil {
			t.Errorf("%s: Validate = %v, want nil", name, err)
		}
	}
}

// The client of the README with AttemptTimeout: 500 (the unit forgotten):
// its first request fails at once with the configuration error, naming
// the field, is not retried, and sends nothing; before the minimum, every
// call failed "attempt got no response within 500ns" and opened the
// breaker.
func TestMisconfiguredTransportFailsFirstRequestWithItsConfigError(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var breakers breaker.Registry
	transport := &breaker.Transport{Base: srv.Client().Transport, AttemptTimeout: 500, Registry: &breakers}
	var attempts atomic.Int32 // what Retry sends through the Transport
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &breaker.Retry{Base: rtFunc(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return transport.RoundTrip(r)
		})},
	}
	for i := range 3 {
		resp, err := client.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("request %d: got %s, want the configuration error", i, resp.Status)
		}
		if !strings.Contains(err.Error(), "Transport.AttemptTimeout 500ns is under the minimum 1ms") {
			t.Errorf("request %d: %v, want the configuration error naming Transport.AttemptTimeout", i, err)
		}
		var te *breaker.TimeoutError
		if errors.As(err, &te) || errors.Is(err, breaker.ErrOpen) {
			t.Errorf("request %d: %v, want no timeout and no open breaker", i, err)
		}
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("%d attempts for 3 requests, want 3: a configuration error is not retried", n)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests, want none", n)
	}
	if err := breakers.Check(t.Context()); err != nil {
		t.Errorf("Registry.Check = %v, want nil: no breaker opened", err)
	}
}
