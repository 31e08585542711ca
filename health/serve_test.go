package health_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ybiyri/runkit/health"
)

// pipeListener is an in-memory listener, so that a real http.Server and
// client can run inside a synctest bubble.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestServeDrainsInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := health.New()
		defer c.Close()
		mustRegister(t, c,
			health.Check{Name: "self", Func: ok, Probes: health.Liveness},
			health.Check{Name: "db", Func: ok})
		mux := http.NewServeMux()
		mux.Handle("/", c.Handler())
		mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("done")) })

		ln := newPipeListener()
		client := &http.Client{Transport: &http.Transport{DialContext: ln.dial, DisableKeepAlives: true}}
		status := func(path string) int {
			resp, err := client.Get("http://svc" + path)
			if err != nil {
				t.Errorf("GET %s: %v", path, err)
				return 0
			}
			readAll(t, resp.Body)
			return resp.StatusCode
		}

		ctx, stop := context.WithCancel(t.Context())
		served := make(chan error, 1)
		start := time.Now()
		go func() {
			served <- health.Serve(ctx, &http.Server{Handler: mux}, c, health.ServeConfig{
				Listener: ln, DrainDelay: 3 * time.Second, ShutdownTimeout: time.Second})
		}()
		if got := status("/readyz"); got != 200 {
			t.Fatalf("GET /readyz before shutdown = %d, want 200", got)
		}

		stop()
		synctest.Wait()
		if !c.Draining() {
			t.Fatal("Serve did not drain when its context ended")
		}
		// During the drain delay: not ready, alive, and still serving.
		time.Sleep(2 * time.Second)
		if got := status("/readyz"); got != 503 {
			t.Errorf("GET /readyz during the drain = %d, want 503", got)
		}
		if got := status("/livez"); got != 200 {
			t.Errorf("GET /livez during the drain = %d, want 200", got)
		}
		if got := status("/work"); got != 200 {
			t.Errorf("GET /work during the drain = %d, want 200", got)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Serve returned %v after the context ended, want the 3s drain delay", d)
		}
		if _, err := client.Get("http://svc/livez"); err == nil {
			t.Error("the server still answers after Serve returned")
		}
	})
}

// A negative DrainDelay turns the delay off: readiness fails and shutdown
// starts at once, for a server no load balancer routes to.
func TestServeNoDrainDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := health.New()
		defer c.Close()
		ln := newPipeListener()
		ctx, stop := context.WithCancel(t.Context())
		served := make(chan error, 1)
		go func() {
			served <- health.Serve(ctx, &http.Server{Handler: c.Handler()}, c, health.ServeConfig{
				Listener: ln, Signals: health.NoSignals, DrainDelay: -1})
		}()
		synctest.Wait()
		stop()
		start := time.Now()
		if err := <-served; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Serve returned %v after the context ended, want at once", d)
		}
		if !c.Draining() {
			t.Error("Serve did not drain")
		}
	})
}

func TestServeRejectsBadConfig(t *testing.T) {
	c := newChecker(t)
	for _, cfg := range []health.ServeConfig{{ShutdownTimeout: -time.Second}} {
		if err := health.Serve(t.Context(), &http.Server{}, c, cfg); err == nil {
			t.Errorf("Serve(%+v) = nil, want an error", cfg)
		}
	}
}

func TestServeReturnsListenError(t *testing.T) {
	c := newChecker(t)
	err := health.Serve(t.Context(), &http.Server{Addr: "256.0.0.1:bad"}, c, health.ServeConfig{})
	if err == nil {
		t.Error("Serve on a bad address = nil, want an error")
	}
}
