package muxpattern_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ybiyri/runkit/internal/muxpattern"
)

type key struct{}

// copying hands next a copy of the request, as otelhttp does.
func copying(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, 1)))
	})
}

// filling fills the slots after next, as telemetry's route recorder does.
func filling(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		muxpattern.Fill(r)
	})
}

func TestWatchFill(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	for _, tt := range []struct {
		name    string
		handler http.Handler
		path    string
		want    string
	}{
		{"mux directly inside", mux, "/items/1", "GET /items/{id}"},
		{"a copy, then a Fill around the mux", copying(filling(mux)), "/items/1", "GET /items/{id}"},
		{"a copy and no Fill", copying(mux), "/items/1", ""},
		{"no pattern matched", copying(filling(mux)), "/nowhere", ""},
	} {
		r := httptest.NewRequest("GET", tt.path, nil)
		r2, matched := muxpattern.Watch(r)
		tt.handler.ServeHTTP(httptest.NewRecorder(), r2)
		if got := matched(); got != tt.want {
			t.Errorf("%s: matched() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A Fill reaches every Watch further out, through copies between them.
func TestFillReachesEveryWatch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkout", func(http.ResponseWriter, *http.Request) {})
	var inner func() string
	h := copying(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, matched := muxpattern.Watch(r)
		inner = matched
		copying(filling(mux)).ServeHTTP(w, r2)
	}))
	r, outer := muxpattern.Watch(httptest.NewRequest("POST", "/checkout", nil))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if outer() != "POST /checkout" || inner() != "POST /checkout" {
		t.Errorf("outer matched %q, inner %q; want POST /checkout for both", outer(), inner())
	}
}

// A handler that runs on a goroutine of its own and outlives the Watch
// (http.TimeoutHandler's) fills the slot without a race.
func TestFillAfterTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mux := http.NewServeMux()
		release := make(chan struct{})
		mux.HandleFunc("GET /slow", func(http.ResponseWriter, *http.Request) { <-release })
		h := http.TimeoutHandler(filling(mux), time.Second, "slow")
		r, matched := muxpattern.Watch(httptest.NewRequest("GET", "/slow", nil))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("TimeoutHandler answered %d, want 503", w.Code)
		}
		close(release)
		matched() // while the handler's goroutine fills the slot
		synctest.Wait()
		if got := matched(); got != "GET /slow" {
			t.Errorf("matched() after the handler ended = %q, want GET /slow", got)
		}
	})
}
