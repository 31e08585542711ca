package main

import (
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/internal/pipenet"
)

// The service's quote client against a hung upstream: every call ends at
// the attempt timeout, within the caller's, and the breaker opens.
func TestQuoteClientOpensOnHungUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		release := make(chan struct{})
		var hits atomic.Int32
		url := n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(func() { close(release) })
		var breakers breaker.Registry
		client := &http.Client{Timeout: quoteTimeout, Transport: quoteTransport(n.Transport, &breakers, slog.New(slog.DiscardHandler), nil)}
		for i := range 20 {
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
			}
			var te *breaker.TimeoutError
			if !errors.As(err, &te) && !errors.Is(err, breaker.ErrOpen) {
				t.Fatalf("call %d = %v, want the attempt timeout or ErrOpen, not the client's timeout", i+1, err)
			}
		}
		if err := breakers.Check(t.Context()); err == nil {
			t.Errorf("after %d hung attempts the breakers check passes, want the upstream's breaker open", hits.Load())
		}
	})
}
