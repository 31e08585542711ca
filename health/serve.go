package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Defaults for the zero fields of ServeConfig.
const (
	// DefaultDrainDelay covers the few seconds Kubernetes takes to remove
	// a terminating pod from its endpoints.
	DefaultDrainDelay = 5 * time.Second
	// DefaultShutdownTimeout bounds how long in-flight requests may take to
	// finish once the drain delay has passed.
	DefaultShutdownTimeout = 10 * time.Second
)

// ServeConfig configures Serve. Every zero field has a default.
type ServeConfig struct {
	// Listener, when set, is served instead of listening on the server's
	// Addr.
	Listener net.Listener
	// DrainDelay is how long the server keeps serving after readiness has
	// turned to fail. Zero means DefaultDrainDelay (5s); a negative value
	// means no delay, for a server that no load balancer routes to.
	DrainDelay time.Duration
	// ShutdownTimeout bounds http.Server.Shutdown after the drain delay.
	// Zero means DefaultShutdownTimeout (10s).
	ShutdownTimeout time.Duration
	// Signals end serving like the end of the context does. Nil means
	// SIGINT and SIGTERM. An empty list means none: only the context ends
	// serving, for a program that handles signals itself. NoSignals says
	// so by name.
	Signals []os.Signal
}

// NoSignals is the ServeConfig.Signals of a server that listens for no
// signal at all. It is empty, not nil: nil asks for the default signals.
var NoSignals = []os.Signal{}

// Serve runs srv until ctx ends or one of the configured signals arrives
// (SIGINT and SIGTERM unless ServeConfig.Signals says otherwise),
// then shuts it down in the order Kubernetes needs: c.Drain() turns
// readiness to fail at once while liveness keeps answering, the server goes
// on serving for the drain delay so that traffic still routed to it is
// answered, and then srv.Shutdown runs with a deadline. It returns nil after
// a clean shutdown, the server's error if it could not serve, or the error
// of Shutdown. A nil srv or c, or a ServeConfig field out of range, is an
// error naming it, returned before anything starts.
func Serve(ctx context.Context, srv *http.Server, c *Checker, cfg ServeConfig) error {
	switch {
	case c == nil:
		return errors.New("health: Serve: c (the *Checker) is nil")
	case srv == nil:
		return errors.New("health: Serve: srv (the *http.Server) is nil")
	case cfg.ShutdownTimeout < 0:
		return fmt.Errorf("health: ServeConfig.ShutdownTimeout %v is negative", cfg.ShutdownTimeout)
	}
	for i, s := range cfg.Signals {
		if s == nil {
			return fmt.Errorf("health: ServeConfig.Signals[%d] is nil", i)
		}
	}
	if cfg.DrainDelay == 0 {
		cfg.DrainDelay = DefaultDrainDelay
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Signals == nil {
		cfg.Signals = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	// signal.NotifyContext with no signals would relay every signal,
	// the runtime's own SIGURG included.
	if len(cfg.Signals) > 0 {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, cfg.Signals...)
		defer stop()
	}

	errc := make(chan error, 1)
	go func() {
		if cfg.Listener != nil {
			errc <- srv.Serve(cfg.Listener)
		} else {
			errc <- srv.ListenAndServe()
		}
	}()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	c.Drain()
	if cfg.DrainDelay > 0 {
		delay := time.NewTimer(cfg.DrainDelay)
		select {
		case <-delay.C:
		case err := <-errc:
			delay.Stop()
			return err
		}
	}

	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
