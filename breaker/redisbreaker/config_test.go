package redisbreaker_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

var errDown = errors.New("down")

// newLogger logs in text to w, as a service would.
func newLogger(w *syncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// A nil client, typed or not, is refused by New with an error that names
// it; no goroutine starts and the registry stays unlinked, where a typed
// nil used to crash the process from the link's goroutine.
func TestNewRefusesNilClient(t *testing.T) {
	before := goleak.IgnoreCurrent()
	var (
		c    *redis.Client
		cc   *redis.ClusterClient
		ring *redis.Ring
	)
	for _, tc := range []struct {
		client redis.UniversalClient
		want   string
	}{
		{nil, "redisbreaker: client is nil"},
		{c, "redisbreaker: client is a nil *redis.Client"},
		{cc, "redisbreaker: client is a nil *redis.ClusterClient"},
		{ring, "redisbreaker: client is a nil *redis.Ring"},
	} {
		reg := &breaker.Registry{}
		l, err := redisbreaker.New(tc.client, reg, redisbreaker.Config{})
		if err == nil || err.Error() != tc.want || l != nil {
			t.Errorf("New(%T(nil)) = %v, %v; want no link and %q", tc.client, l, err, tc.want)
		}
		if reg.Link() != nil {
			t.Errorf("New(%T(nil)) linked the registry", tc.client)
		}
		if l != nil {
			l.Close()
		}
	}
	goleak.VerifyNone(t, before)
}

// Every duration of Config has bounds, checked by New with an error that
// names the field and the value; the bounds themselves are accepted.
func TestNewChecksDurationBounds(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	for _, tc := range []struct {
		cfg  redisbreaker.Config
		want string // "" for no error
	}{
		{redisbreaker.Config{Timeout: time.Nanosecond}, "redisbreaker: Timeout 1ns is under the minimum 100ms"},
		{redisbreaker.Config{Timeout: 99 * time.Millisecond}, "redisbreaker: Timeout 99ms is under the minimum 100ms"},
		{redisbreaker.Config{Timeout: redisbreaker.MinTimeout}, ""},
		{redisbreaker.Config{Timeout: redisbreaker.MaxTimeout}, ""},
		{redisbreaker.Config{Timeout: time.Hour}, "redisbreaker: Timeout 1h0m0s is over the maximum 1m0s"},
		{redisbreaker.Config{LeaseTTL: time.Millisecond}, "redisbreaker: LeaseTTL 1ms is under the minimum 100ms"},
		{redisbreaker.Config{LeaseTTL: redisbreaker.MinLeaseTTL}, ""},
		{redisbreaker.Config{LeaseTTL: redisbreaker.MaxLeaseTTL}, ""},
		{redisbreaker.Config{LeaseTTL: time.Hour}, "redisbreaker: LeaseTTL 1h0m0s is over the maximum 1m0s"},
		{redisbreaker.Config{LeaseTTL: 100 * 365 * 24 * time.Hour}, "redisbreaker: LeaseTTL 876000h0m0s is over the maximum 1m0s"},
	} {
		l, err := redisbreaker.New(c, &breaker.Registry{}, tc.cfg)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("New(%+v) = %v, want no error", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("New(%+v) = %v; want an error starting %q", tc.cfg, err, tc.want)
		}
		if l != nil {
			l.Close()
		}
	}
}

// A Timeout at its minimum shares with a healthy Redis: Check passes, so
// that no Timeout New accepts makes Check blame Redis for the link's own
// setting.
func TestMinTimeoutShares(t *testing.T) {
	srv := startRedis(t)
	r := newReplica(t, "a", srv, redisbreaker.Config{Timeout: redisbreaker.MinTimeout}, fleetConfig, nil)
	connected(t, r)
}

// A LeaseTTL longer than the OpenTimeout of a breaker the registry holds
// is refused by New: the lease would outlive the open time and hold up
// the fleet's next probes. The default LeaseTTL is held to it too.
func TestNewRefusesLeaseTTLAboveOpenTimeout(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	for _, tc := range []struct {
		lease time.Duration
		want  string
	}{
		{time.Minute, `redisbreaker: LeaseTTL 1m0s is longer than breaker "payments"'s OpenTimeout 1s`},
		{0, `redisbreaker: LeaseTTL 10s (zero means 10s) is longer than breaker "payments"'s OpenTimeout 1s`},
		{time.Second, ""},
	} {
		reg := &breaker.Registry{}
		b, err := breaker.New[int](breaker.Config{Name: "payments", OpenTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		reg.Add(b)
		l, err := redisbreaker.New(c, reg, redisbreaker.Config{LeaseTTL: tc.lease})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("LeaseTTL %v: New = %v, want no error", tc.lease, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("LeaseTTL %v: New = %v; want an error starting %q", tc.lease, err, tc.want)
		case tc.want != "" && reg.Link() != nil:
			t.Errorf("LeaseTTL %v: the refused link is still the registry's", tc.lease)
		}
		if l != nil {
			l.Close()
		}
	}
}

// A breaker added after New whose OpenTimeout is shorter than LeaseTTL,
// which New could not know, is logged once per link, naming it; a breaker
// that fits is not.
func TestLeaseTTLAboveLaterOpenTimeoutIsLoggedOnce(t *testing.T) {
	srv := startRedis(t)
	logs := &syncBuffer{}
	reg := &breaker.Registry{}
	l, err := redisbreaker.New(srv.Client(t), reg, redisbreaker.Config{LeaseTTL: time.Second, Logger: newLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, cfg := range []breaker.Config{
		{Name: "fits", OpenTimeout: time.Second},
		{Name: "short", OpenTimeout: 500 * time.Millisecond},
		{Name: "shorter", OpenTimeout: 200 * time.Millisecond},
	} {
		b, err := breaker.New[int](cfg)
		if err != nil {
			t.Fatal(err)
		}
		reg.Add(b)
	}
	got := logs.String()
	if n := strings.Count(got, "LeaseTTL"); n != 1 {
		t.Fatalf("logged %d lines about LeaseTTL, want 1:\n%s", n, got)
	}
	for _, want := range []string{"level=WARN", "breaker=short", "lease_ttl=1s", "open_timeout=500ms"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s:\n%s", want, got)
		}
	}
}

// The link's Check says so when the client was closed under it, rather
// than blame Redis.
func TestCheckWithClosedClient(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	c.Close()
	l, err := redisbreaker.New(c, &breaker.Registry{}, redisbreaker.Config{Logger: newLogger(&syncBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const want = "redisbreaker: the Redis client is closed; circuit breakers are local"
	eventually(t, 5*time.Second, "Check says the client is closed", func() bool {
		err := l.Check(context.Background())
		return err != nil && err.Error() == want
	})
}

// A Link not made by New, zero or nil, fails its Check, and its Close
// returns at once, however often called. Set on a registry, it leaves the
// breakers local.
func TestLinkNotMadeByNew(t *testing.T) {
	var zero redisbreaker.Link
	var nilLink *redisbreaker.Link
	for _, l := range []*redisbreaker.Link{&zero, nilLink} {
		if err := l.Check(context.Background()); err == nil || err.Error() != "redisbreaker: the Link was not made by New" {
			t.Errorf("Check of %#v = %v", l, err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 2 {
				if err := l.Close(); err != nil {
					t.Errorf("Close = %v", err)
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Close of %#v did not return", l)
		}
	}
	reg := &breaker.Registry{}
	if err := reg.SetLink(&zero); err != nil {
		t.Fatal(err)
	}
	b, err := breaker.New[int](breaker.Config{Name: "x", ConsecutiveFailures: 1, OpenTimeout: redisbreaker.MinLeaseTTL})
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(b)
	ctx := context.Background()
	b.Execute(ctx, func(context.Context) (int, error) { return 0, errDown })
	if s := b.State(); s != breaker.Open {
		t.Fatalf("after a failure: %v, want open", s)
	}
	eventually(t, 5*time.Second, "the breaker probes locally and closes", func() bool {
		b.Execute(ctx, func(context.Context) (int, error) { return 1, nil })
		return b.State() == breaker.Closed
	})
	reg.Remove("x")
}

// Closing a link right after New, before it reached Redis, returns and
// leaves no goroutine.
func TestCloseRightAfterNew(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	before := goleak.IgnoreCurrent()
	for range 20 {
		l, err := redisbreaker.New(c, &breaker.Registry{}, redisbreaker.Config{})
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		l.Close()
	}
	goleak.VerifyNone(t, before)
}

// runkit.breaker.shared.connected is a series from New on: 0 until Redis
// first answers, as the breakers are local until then, even while the
// first attempt hangs on a Redis that does not answer.
func TestConnectedFromNew(t *testing.T) {
	srv := startRedis(t)
	srv.Pause()
	defer srv.Resume()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	l, err := redisbreaker.New(srv.Client(t), &breaker.Registry{}, redisbreaker.Config{Timeout: redisbreaker.MaxTimeout,
		MeterProvider: mp, Logger: newLogger(&syncBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var points []metricdata.DataPoint[int64]
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "runkit.breaker.shared.connected" {
				points = m.Data.(metricdata.Gauge[int64]).DataPoints
			}
		}
	}
	if len(points) != 1 || points[0].Value != 0 {
		t.Errorf("runkit.breaker.shared.connected right after New = %v, want one point, 0", points)
	}
}
