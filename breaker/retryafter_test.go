package breaker_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/internal/pipenet"
)

// throttling answers its first request with code and a Retry-After of
// retryAfter, and 200 to every later one.
func throttling(t *testing.T, n *pipenet.Net, code int, retryAfter string) (url string, hits *atomic.Int32) {
	hits = new(atomic.Int32)
	url = n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(code)
			return
		}
		w.Write([]byte("ok"))
	}))
	return url, hits
}

// stateMetric returns the runkit.breaker.state gauge of the named
// breaker, -1 when it has none.
func stateMetric(t *testing.T, reader *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "runkit.breaker.state" {
				continue
			}
			for _, p := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				if v, _ := p.Attributes.Value(attribute.Key("breaker")); v.AsString() == name {
					return p.Value
				}
			}
		}
	}
	return -1
}

// The review's case, wired as the package doc wires a client: one 503
// with the largest Retry-After RetryAfter accepts must not lock the host
// out for 68 years, and while the host is held back, Registry.Open,
// Registry.Check and the state metric say its breaker is open.
func TestTransportRetryAfterCappedAndShownOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		url, hits := throttling(t, n, http.StatusServiceUnavailable, "2147483647")
		host := strings.TrimPrefix(url, "http://")
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(t.Context())
		var reg breaker.Registry
		client := &http.Client{
			Timeout: 2 * time.Second,
			Transport: &breaker.Retry{Base: &breaker.Transport{
				AttemptTimeout: 500 * time.Millisecond, Base: n.Transport, Registry: &reg,
				Config: breaker.Config{OpenTimeout: 10 * time.Second, Jitter: -1, MeterProvider: mp},
			}},
		}
		resp, err := client.Get(url)
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("first request = %v, %v; want the 503", resp, err)
		}
		resp.Body.Close()
		start := time.Now()

		_, err = client.Get(url)
		var oe *breaker.OpenError
		if !errors.As(err, &oe) || !oe.Until.Equal(start.Add(10*time.Second)) {
			t.Fatalf("request within Retry-After = %v, want ErrOpen until OpenTimeout 10s from now", err)
		}
		if got := reg.Open(); !slices.Equal(got, []string{host}) {
			t.Errorf("Registry.Open() = %q while the host is held back, want [%s]", got, host)
		}
		if err := reg.Check(t.Context()); err == nil || !strings.Contains(err.Error(), host) {
			t.Errorf("Registry.Check = %v while the host is held back, want it failing on %s", err, host)
		}
		if got := stateMetric(t, reader, host); got != int64(breaker.Open) {
			t.Errorf("state metric = %d while the host is held back, want 2 (open)", got)
		}

		time.Sleep(10*time.Second + time.Millisecond)
		for i := range breaker.DefaultHalfOpenProbes + 2 {
			if err := drain(client.Get(url)); err != nil {
				t.Fatalf("request %d after the capped hold = %v, want 200", i+1, err)
			}
		}
		if err := reg.Check(t.Context()); err != nil || stateMetric(t, reader, host) != int64(breaker.Closed) {
			t.Errorf("after the hold: Check %v, state metric %d; want nil and 0 (closed)", err, stateMetric(t, reader, host))
		}
		if got := hits.Load(); got != 1+int32(breaker.DefaultHalfOpenProbes)+2 {
			t.Errorf("upstream saw %d requests, want %d", got, 1+breaker.DefaultHalfOpenProbes+2)
		}
	})
}

// MaxRetryAfter sets the cap; a Retry-After under it is held to the
// second; a negative MaxRetryAfter turns the hold off.
func TestTransportMaxRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		name          string
		maxRetryAfter time.Duration
		code          int
		retryAfter    string
		hold          time.Duration // 0 for none
	}{
		{"capped", time.Minute, http.StatusTooManyRequests, "120", time.Minute},
		{"under the cap", 0, http.StatusTooManyRequests, "3", 3 * time.Second},
		{"over a long cap", 24 * time.Hour, http.StatusServiceUnavailable, "7200", 2 * time.Hour},
		{"http date", 0, http.StatusServiceUnavailable, "", 5 * time.Second},
		{"off", -1, http.StatusServiceUnavailable, "120", 0},
		{"zero", 0, http.StatusServiceUnavailable, "0", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := pipenet.New(t)
				ra := tt.retryAfter
				if ra == "" {
					ra = time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
				}
				url, hits := throttling(t, n, tt.code, ra)
				var reg breaker.Registry
				client := &http.Client{Transport: &breaker.Transport{
					Base: n.Transport, Registry: &reg, MaxRetryAfter: tt.maxRetryAfter,
					Config: breaker.Config{Jitter: -1}, // OpenTimeout 30s
				}}
				drain(client.Get(url))
				start := time.Now()
				err := drain(client.Get(url))
				if tt.hold == 0 {
					if err != nil || len(reg.Open()) != 0 {
						t.Fatalf("second request = %v, open %v; want it sent, nothing open", err, reg.Open())
					}
					return
				}
				var oe *breaker.OpenError
				if !errors.As(err, &oe) || !oe.Until.Equal(start.Add(tt.hold)) {
					t.Fatalf("second request = %v, want ErrOpen until %v from now", err, tt.hold)
				}
				if len(reg.Open()) != 1 {
					t.Errorf("Registry.Open() = %v, want the host", reg.Open())
				}
				time.Sleep(tt.hold - time.Millisecond)
				if err := drain(client.Get(url)); !errors.Is(err, breaker.ErrOpen) {
					t.Errorf("just before the hold ends: %v, want ErrOpen", err)
				}
				time.Sleep(2 * time.Millisecond)
				if err := drain(client.Get(url)); err != nil {
					t.Errorf("after the hold: %v, want the request sent", err)
				}
				if hits.Load() != 2 {
					t.Errorf("upstream saw %d requests, want 2", hits.Load())
				}
			})
		})
	}
}

// The hold is an opening of the host's breaker like any other: a Link
// hears of it, so that replicas hold back too, and OnStateChange sees it.
func TestTransportRetryAfterTellsLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		url, _ := throttling(t, n, http.StatusTooManyRequests, "4")
		var reg breaker.Registry
		l := &fakeLink{allow: true}
		reg.SetLink(l)
		var seen atomic.Int32
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport, Registry: &reg,
			Config: breaker.Config{OnStateChange: func(_ string, _, to breaker.State) {
				if to == breaker.Open {
					seen.Add(1)
				}
			}}}}
		drain(client.Get(url))
		c := l.lastChange(t)
		if c.To != breaker.Open || c.Forced || !c.Until.Equal(time.Now().Add(4*time.Second)) {
			t.Errorf("link heard %+v, want an unforced open 4s on", c)
		}
		if seen.Load() != 1 {
			t.Errorf("OnStateChange saw %d openings, want 1", seen.Load())
		}
	})
}

// Against a real server through the default transport, the default cap
// is the breaker's own open period.
func TestTransportRetryAfterDefaultCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	var reg breaker.Registry
	client := &http.Client{Transport: &breaker.Transport{Registry: &reg}}
	drain(client.Get(srv.URL))
	_, err := client.Get(srv.URL)
	var oe *breaker.OpenError
	if !errors.As(err, &oe) || time.Until(oe.Until) > time.Duration(float64(breaker.DefaultOpenTimeout)*(1+breaker.DefaultJitter)) {
		t.Errorf("within a day's Retry-After: %v, want ErrOpen for at most OpenTimeout with jitter", err)
	}
	if len(reg.Open()) != 1 {
		t.Errorf("Registry.Open() = %v, want the host", reg.Open())
	}
}
