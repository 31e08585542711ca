package grpchealth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/health/grpchealth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve starts a real gRPC server on loopback with the health service and
// returns a client connected to it.
func serve(t *testing.T, c *health.Checker) (healthpb.HealthClient, *grpchealth.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	hs, err := grpchealth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	healthpb.RegisterHealthServer(gs, hs)
	go gs.Serve(ln)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		hs.Shutdown()
		gs.GracefulStop()
	})
	return healthpb.NewHealthClient(conn), hs
}

func TestCheckAndList(t *testing.T) {
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }})
	c.Register(health.Check{Name: "cache", Severity: health.NonCritical, Func: func(context.Context) error { return errors.New("down") }})
	client, _ := serve(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	for service, want := range map[string]healthpb.HealthCheckResponse_ServingStatus{
		"":      healthpb.HealthCheckResponse_SERVING, // a non-critical failure only warns
		"db":    healthpb.HealthCheckResponse_SERVING,
		"cache": healthpb.HealthCheckResponse_NOT_SERVING,
	} {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || resp.GetStatus() != want {
			t.Errorf("Check(%q) = %v, %v; want %v", service, resp.GetStatus(), err, want)
		}
	}
	_, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("Check(nope) error = %v, want NotFound", err)
	}

	list, err := client.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]healthpb.HealthCheckResponse_ServingStatus{}
	for k, v := range list.GetStatuses() {
		got[k] = v.GetStatus()
	}
	if len(got) != 3 || got[""] != healthpb.HealthCheckResponse_SERVING || got["cache"] != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("List = %v", got)
	}

	c.Drain()
	for _, service := range []string{"", "db"} {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("Check(%q) while draining = %v, %v; want NOT_SERVING", service, resp.GetStatus(), err)
		}
	}
}

func TestWatch(t *testing.T) {
	c := health.New()
	defer c.Close()
	var failing atomic.Bool
	c.Register(health.Check{Name: "db", Interval: health.MinInterval, Func: func(context.Context) error {
		if failing.Load() {
			return errors.New("down")
		}
		return nil
	}})
	client, hs := serve(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "db"})
	if err != nil {
		t.Fatal(err)
	}
	next := func() healthpb.HealthCheckResponse_ServingStatus {
		t.Helper()
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		return resp.GetStatus()
	}
	// The first message may come before the first run has finished.
	first := next()
	if first == healthpb.HealthCheckResponse_UNKNOWN {
		first = next()
	}
	if first != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first status = %v, want SERVING", first)
	}
	failing.Store(true)
	if got := next(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("after the check fails = %v, want NOT_SERVING", got)
	}
	failing.Store(false)
	if got := next(); got != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("after it recovers = %v, want SERVING", got)
	}

	unknown, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "later"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := unknown.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		t.Errorf("Watch(later) = %v, %v; want SERVICE_UNKNOWN", resp.GetStatus(), err)
	}
	c.Register(health.Check{Name: "later", Interval: time.Hour, Func: func(context.Context) error { return nil }})
	// Registered, it may read UNKNOWN until its first result.
	resp, err := unknown.Recv()
	if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_UNKNOWN {
		resp, err = unknown.Recv()
	}
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Watch(later) once registered = %v, %v; want SERVING", resp.GetStatus(), err)
	}

	c.Drain()
	if got := next(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("after Drain = %v, want NOT_SERVING", got)
	}

	hs.Shutdown()
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("Recv after Shutdown = %v, want io.EOF (the stream ends with OK)", err)
	}
}

// recv receives the next status from stream within d, or fails the test.
func recv(t *testing.T, stream grpc.ServerStreamingClient[healthpb.HealthCheckResponse], d time.Duration, what string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	type result struct {
		resp *healthpb.HealthCheckResponse
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := stream.Recv()
		got <- result{resp, err}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("%s: Recv = %v", what, r.err)
		}
		return r.resp.GetStatus()
	case <-time.After(d):
		t.Fatalf("%s: no message within %v", what, d)
	}
	return 0
}

// A Watch stream follows Unregister: the service becomes
// SERVICE_UNKNOWN at once, as Check answers NotFound, and known again when
// it is registered anew.
func TestWatchFollowsUnregister(t *testing.T) {
	c := health.New()
	defer c.Close()
	db := health.Check{Name: "db", Func: func(context.Context) error { return nil }}
	if err := c.Register(db); err != nil {
		t.Fatal(err)
	}
	client, _ := serve(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if got := recv(t, stream, 10*time.Second, "first"); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first status = %v, want SERVING", got)
	}
	c.Unregister("db")
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "db"}); status.Code(err) != codes.NotFound {
		t.Errorf("Check after Unregister = %v, want NotFound", err)
	}
	// Well within the one-second re-evaluation: the change itself wakes
	// the stream.
	if got := recv(t, stream, 800*time.Millisecond, "after Unregister"); got != healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		t.Errorf("after Unregister = %v, want SERVICE_UNKNOWN", got)
	}
	if err := c.Register(db); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, stream, 800*time.Millisecond, "registered again"); got != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("registered again = %v, want SERVING", got)
	}
}

// Watch runs on-demand checks itself, so a change shows
// without any other probe, and at a bounded rate however many streams
// watch: a check runs about once per WatchInterval.
func TestWatchRunsOnDemandChecks(t *testing.T) {
	c := health.New()
	defer c.Close()
	var failing atomic.Bool
	var runs atomic.Int32
	if err := c.Register(health.Check{Name: "db", CacheTTL: health.MinCacheTTL, Func: func(context.Context) error {
		runs.Add(1)
		if failing.Load() {
			return errors.New("down")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	client, _ := serve(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	const watchers = 8
	streams := make([]grpc.ServerStreamingClient[healthpb.HealthCheckResponse], watchers)
	for i := range streams {
		s, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "db"})
		if err != nil {
			t.Fatal(err)
		}
		if got := recv(t, s, 10*time.Second, "first"); got != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("watcher %d: first status = %v, want SERVING", i, got)
		}
		streams[i] = s
	}
	failing.Store(true)
	for i, s := range streams {
		if got := recv(t, s, 10*time.Second, "after the dependency fails"); got != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("watcher %d: after the check fails = %v, want NOT_SERVING", i, got)
		}
	}
	// With the status steady, only the server's own evaluation runs the
	// check: about once a WatchInterval, however many streams watch. A
	// loaded machine only makes fewer runs.
	start, before := time.Now(), runs.Load()
	time.Sleep(2 * grpchealth.WatchInterval)
	elapsed, n := time.Since(start), runs.Load()-before
	if limit := int32(elapsed/grpchealth.WatchInterval) + 1; n > limit {
		t.Errorf("%d watchers ran the check %d times in %v, want at most %d", watchers, n, elapsed, limit)
	}
}

// A missing checker is refused when the server is made, not found by the
// first client as a crash.
func TestNewRefusesNilChecker(t *testing.T) {
	s, err := grpchealth.New(nil)
	if s != nil || err == nil || err.Error() != "grpchealth: New: c (the *health.Checker) is nil" {
		t.Errorf("New(nil) = %v, %v, want an error naming c", s, err)
	}
}

// The zero Server, registered as it is, answers every call with
// FAILED_PRECONDITION instead of crashing the server, and Shutdown works.
func TestZeroServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var hs grpchealth.Server
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, &hs)
	go gs.Serve(ln)
	defer gs.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	const want = "grpchealth: the Server has no Checker; make it with New"
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.FailedPrecondition || status.Convert(err).Message() != want {
		t.Errorf("zero Server: Check = %v, want FailedPrecondition %q", err, want)
	}
	if _, err := client.List(ctx, &healthpb.HealthListRequest{}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("zero Server: List = %v, want FailedPrecondition", err)
	}
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("zero Server: Watch = %v, want FailedPrecondition", err)
	}
	hs.Shutdown()
	hs.Shutdown()
}
