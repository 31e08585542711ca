package grpchealth

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/ybiyri/runkit/health"
)

// MaxListed is the number of services above which List answers
// RESOURCE_EXHAUSTED, as grpc-go's own health server does.
const MaxListed = 100

// WatchInterval is how often a Server evaluates each service that a Watch
// stream watches. One goroutine does it for all the streams of a Server,
// and only while there are some, so a watched service's on-demand checks
// run at most once per WatchInterval however many streams watch it (less
// often when their CacheTTL is longer). A change the checker reports
// also makes the streams read their service's status, as any probe does.
const WatchInterval = time.Second

// Server implements grpc_health_v1.HealthServer over a health.Checker.
// Make it with New and register it with healthpb.RegisterHealthServer. The
// zero Server has no checker: it answers every call FAILED_PRECONDITION.
type Server struct {
	healthpb.UnimplementedHealthServer
	c *health.Checker

	// done is closed by Shutdown; doneOnce makes it for a zero Server.
	done     chan struct{}
	doneOnce sync.Once
	shutdown sync.Once

	mu      sync.Mutex     // guards the fields below
	watched map[string]int // streams per watched service
	// pollStop and pollDone run the goroutine that evaluates the watched
	// services; both are nil while no stream watches.
	pollStop context.CancelFunc
	pollDone chan struct{}
}

var _ healthpb.HealthServer = (*Server)(nil)

// New returns a Server answering from c, or an error when c is nil.
func New(c *health.Checker) (*Server, error) {
	if c == nil {
		return nil, errors.New("grpchealth: New: c (the *health.Checker) is nil")
	}
	return &Server{c: c}, nil
}

// errNoChecker answers the calls of a zero Server.
var errNoChecker = status.Error(codes.FailedPrecondition, "grpchealth: the Server has no Checker; make it with New")

func (s *Server) doneChan() chan struct{} {
	s.doneOnce.Do(func() { s.done = make(chan struct{}) })
	return s.done
}

// Shutdown ends every Watch stream cleanly (status OK) and makes later Watch
// calls return at once. Call it before grpc.Server.GracefulStop, which
// otherwise waits for the streams. It is idempotent.
func (s *Server) Shutdown() {
	s.shutdown.Do(func() { close(s.doneChan()) })
}

// Check answers the status of one service, waiting for on-demand checks up
// to their timeouts or the call's deadline. An unknown service is NOT_FOUND.
func (s *Server) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if s.c == nil {
		return nil, errNoChecker
	}
	st, ok := s.status(ctx, req.GetService())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "unknown service %q", req.GetService())
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// List answers the status of "" and of every check.
func (s *Server) List(ctx context.Context, _ *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	if s.c == nil {
		return nil, errNoChecker
	}
	names := s.c.Names()
	if len(names)+1 > MaxListed {
		return nil, status.Errorf(codes.ResourceExhausted, "%d services, over the maximum of %d", len(names)+1, MaxListed)
	}
	out := &healthpb.HealthListResponse{Statuses: make(map[string]*healthpb.HealthCheckResponse, len(names)+1)}
	for _, name := range append([]string{""}, names...) {
		if st, ok := s.status(ctx, name); ok {
			out.Statuses[name] = &healthpb.HealthCheckResponse{Status: st}
		}
	}
	return out, nil
}

// Watch streams the status of one service: the current one at once, then
// each change. An unknown service is reported as SERVICE_UNKNOWN and the
// stream stays open, as the protocol asks; so is a service whose check is
// unregistered while it is watched.
func (s *Server) Watch(req *healthpb.HealthCheckRequest, stream grpc.ServerStreamingServer[healthpb.HealthCheckResponse]) error {
	if s.c == nil {
		return errNoChecker
	}
	ctx := stream.Context()
	done := s.doneChan()
	changed := make(chan struct{}, 1)
	stop := s.c.Subscribe(func(health.Change) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer stop()
	unwatch := s.watch(req.GetService())
	defer unwatch()

	last := healthpb.HealthCheckResponse_ServingStatus(-1)
	for {
		st, ok := s.status(ctx, req.GetService())
		if !ok {
			st = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
		}
		if st != last {
			if err := stream.Send(&healthpb.HealthCheckResponse{Status: st}); err != nil {
				return err
			}
			last = st
		}
		select {
		case <-changed:
		case <-done:
			return nil
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// watch counts a stream watching service, starting the poller for the
// first stream, and returns the function that undoes it, stopping the
// poller after the last.
func (s *Server) watch(service string) (unwatch func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watched == nil {
		s.watched = make(map[string]int)
	}
	s.watched[service]++
	if s.pollDone == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s.pollStop, s.pollDone = cancel, make(chan struct{})
		go s.poll(ctx, s.pollDone)
	}
	return func() {
		s.mu.Lock()
		if s.watched[service]--; s.watched[service] == 0 {
			delete(s.watched, service)
		}
		var stop context.CancelFunc
		var done chan struct{}
		if len(s.watched) == 0 {
			stop, done = s.pollStop, s.pollDone
			s.pollStop, s.pollDone = nil, nil
		}
		s.mu.Unlock()
		if stop != nil {
			stop()
			<-done
		}
	}
}

// poll evaluates every watched service each WatchInterval until ctx ends.
// Evaluating runs the on-demand checks whose results have expired; a
// status that changes reaches the streams as a Change.
func (s *Server) poll(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		services := slices.Collect(maps.Keys(s.watched))
		s.mu.Unlock()
		for _, service := range services {
			s.status(ctx, service)
		}
	}
}

func (s *Server) status(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, bool) {
	if service == "" {
		if s.c.Evaluate(ctx, health.Readiness).Status == health.StatusFail {
			return healthpb.HealthCheckResponse_NOT_SERVING, true
		}
		return healthpb.HealthCheckResponse_SERVING, true
	}
	r, ok := s.c.CheckResult(ctx, service)
	if !ok {
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, false
	}
	switch {
	case s.c.Draining() || r.Status == health.StatusFail:
		return healthpb.HealthCheckResponse_NOT_SERVING, true
	case r.Status == health.StatusPass:
		return healthpb.HealthCheckResponse_SERVING, true
	}
	return healthpb.HealthCheckResponse_UNKNOWN, true
}
