//go:build unix

package health_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ybiyri/runkit/health"
)

// An empty Signals list means no signals, not every signal.
// The runtime sends itself SIGURG to preempt goroutines; with the empty
// list read as "every signal", that alone drained the server. Nil still
// means SIGINT and SIGTERM, and a list means its signals.
func TestServeEmptySignalsMeansNone(t *testing.T) {
	for _, tt := range []struct {
		name    string
		signals []os.Signal
		send    syscall.Signal
		drains  bool
	}{
		{"empty list", []os.Signal{}, syscall.SIGURG, false},
		{"NoSignals", health.NoSignals, syscall.SIGTERM, false},
		{"nil", nil, syscall.SIGTERM, true},
		{"nil", nil, syscall.SIGINT, true},
		{"SIGUSR1", []os.Signal{syscall.SIGUSR1}, syscall.SIGUSR1, true},
		{"SIGUSR1", []os.Signal{syscall.SIGUSR1}, syscall.SIGTERM, false},
	} {
		t.Run(tt.name+"/"+tt.send.String(), func(t *testing.T) {
			c := newChecker(t)
			mustRegister(t, c, health.Check{Name: "db", Func: ok})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(t.Context())
			defer stop()
			served := make(chan error, 1)
			go func() {
				served <- health.Serve(ctx, &http.Server{Handler: c.Handler()}, c, health.ServeConfig{
					Listener: ln, Signals: tt.signals, DrainDelay: time.Millisecond})
			}()
			waitServing(t, "http://"+ln.Addr().String()+"/livez")

			// Our own subscription keeps the process alive whatever Serve
			// does, and tells when the signal package has handed the
			// signal to every channel that asked for it.
			seen := make(chan os.Signal, 1)
			signal.Notify(seen, tt.send)
			defer signal.Stop(seen)
			if err := syscall.Kill(os.Getpid(), tt.send); err != nil {
				t.Fatal(err)
			}
			select {
			case <-seen:
			case <-time.After(10 * time.Second):
				t.Fatalf("%v was not delivered", tt.send)
			}
			if tt.drains {
				select {
				case err := <-served:
					if err != nil || !c.Draining() {
						t.Errorf("Serve after %v = %v, draining %v; want nil after draining", tt.send, err, c.Draining())
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("Serve did not stop on %v", tt.send)
				}
				return
			}
			// A Serve that listened for it begins to drain within moments;
			// give it a generous while to show it did not.
			for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if c.Draining() {
					t.Fatalf("Serve with Signals %v drained on %v", tt.signals, tt.send)
				}
			}
			stop()
			if err := <-served; err != nil {
				t.Errorf("Serve = %v", err)
			}
		})
	}
}

func TestServeRejectsNilSignal(t *testing.T) {
	c := newChecker(t)
	err := health.Serve(t.Context(), &http.Server{}, c, health.ServeConfig{Signals: []os.Signal{syscall.SIGTERM, nil}})
	if err == nil || !strings.Contains(err.Error(), "Signals[1] is nil") {
		t.Errorf("Serve with a nil signal = %v, want an error naming Signals[1]", err)
	}
}

// waitServing polls url until it answers.
func waitServing(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v", url, err)
		}
	}
}
