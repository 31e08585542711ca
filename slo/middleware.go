package slo

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/ybiyri/runkit/internal/readonly"
)

// MiddlewareConfig configures Middleware. Every zero field has a default.
// The latency threshold and the clock are the tracker's
// (TrackerConfig.Latency and Now), so that requests and events recorded on
// the tracker directly are judged alike and share one timeline.
type MiddlewareConfig struct {
	// Bad decides from the status code whether a request is a bad event.
	// Nil means codes of 500 and above: a client's mistake is not the
	// service's unreliability.
	Bad func(code int) bool
}

// Middleware returns a wrapper that records every request of the handler it
// wraps into t. A request is bad when cfg.Bad says so of its status code,
// when the handler panics, or when it takes longer than the tracker's
// Latency; it is timed on the tracker's clock and recorded when it ends.
//
// The status code is the final one: an informational 1xx answer (100
// Continue, 103 Early Hints) written before it does not count, and a
// handler that writes no code answers 200. A handler that panics with
// http.ErrAbortHandler, as httputil.ReverseProxy does when the client has
// gone away, is not recorded at all: the answer was abandoned, not failed.
// Every panic, recorded or not, goes on to the server unchanged.
//
// Middleware panics when t is nil or a zero Tracker, as http.Handle does on
// a nil handler: that is a mistake in wiring (usually an error of
// NewTracker left unchecked), and it shows when the service starts rather
// than as a failure of every request.
func Middleware(t *Tracker, cfg MiddlewareConfig) func(http.Handler) http.Handler {
	t.mustBeMade("Middleware")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serveRecorded(w, r, next, cfg, t.now, func(int) *Tracker { return t })
		})
	}
}

// serveRecorded serves r with next and records it, timed on now, into the
// tracker pick returns, given the status code, once next has run.
func serveRecorded(w http.ResponseWriter, r *http.Request, next http.Handler, cfg MiddlewareConfig, now func() time.Time, pick func(code int) *Tracker) {
	bad := cfg.Bad
	if bad == nil {
		bad = func(code int) bool { return code >= 500 }
	}
	start := now()
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	completed := false
	defer func() {
		if completed {
			end := now()
			pick(rec.code).RecordLatencyAt(end, end.Sub(start), !bad(rec.code))
			return
		}
		// The handler panicked. Its value is needed to tell an abort
		// from a failure, so it is recovered and raised again; the stack
		// still holds the handler's frames.
		v := recover()
		if v == nil {
			// runtime.Goexit, not a panic: nothing to raise.
			end := now()
			pick(rec.code).RecordLatencyAt(end, end.Sub(start), false)
			return
		}
		if v != http.ErrAbortHandler {
			// No proper answer was served: a bad event.
			end := now()
			pick(rec.code).RecordLatencyAt(end, end.Sub(start), false)
		}
		panic(v)
	}()
	next.ServeHTTP(rec, r)
	completed = true
}

// mustBeMade panics, naming the caller, unless t was made by NewTracker.
func (t *Tracker) mustBeMade(caller string) {
	switch {
	case t == nil:
		panic("slo: " + caller + ": the tracker is nil; make one with NewTracker and check its error")
	case t.ring == nil:
		panic("slo: " + caller + ": a zero Tracker is not usable; make one with NewTracker")
	}
}

// statusRecorder remembers the final status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	// An informational answer is followed by the real one, as net/http
	// treats it; 101 Switching Protocols is final.
	informational := code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols
	if !s.wrote && !informational {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes on to the underlying writer when it can flush.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		s.wrote = true
		f.Flush()
	}
}

// Handler returns a handler that serves the tracker's status as JSON: the
// target, window, SLI, budget remaining, burn rate of every tier and
// whether it fires, and the time to exhaustion. A client whose Accept
// header prefers text/html, a browser, gets the tracker's Dashboard instead.
// Like Middleware, it panics when t is nil or a zero Tracker.
func (t *Tracker) Handler() http.Handler {
	t.mustBeMade("Tracker.Handler")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readonly.Allow(w, r) {
			return
		}
		w.Header().Add("Vary", "Accept")
		if wantsHTML(r) {
			t.page().serveHTML(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(t.Status())
	})
}
