// Package muxpattern carries the pattern a ServeMux matched out to the
// middlewares around it when a middleware between them copies the request
// (as otelhttp does): the mux writes r.Pattern into the request it is
// given, which the middlewares outside the copy never see. It is shared by
// slo's Routes and telemetry's middleware, which do not import each other.
package muxpattern

import (
	"context"
	"net/http"
	"sync/atomic"
)

// slot holds the pattern of one request, once a Fill inside has seen it.
// It is atomic because the handler that fills it may run on a goroutine of
// its own (http.TimeoutHandler's) and outlive the middleware that reads it.
type slot struct {
	pattern atomic.Pointer[string]
	parent  *slot // the slot of a Watch further out, if any
}

type key struct{}

// Watch returns a copy of r whose context carries a new slot, and a
// function that returns the pattern the mux matched: the copy's r.Pattern,
// or else the pattern a Fill inside wrote into the slot, or "".
func Watch(r *http.Request) (*http.Request, func() string) {
	s := &slot{}
	s.parent, _ = r.Context().Value(key{}).(*slot)
	r2 := r.WithContext(context.WithValue(r.Context(), key{}, s))
	return r2, func() string {
		if r2.Pattern != "" {
			return r2.Pattern
		}
		if p := s.pattern.Load(); p != nil {
			return *p
		}
		return ""
	}
}

// Fill writes r.Pattern, when the mux has set it, into every slot of r's
// context: those of every Watch further out.
func Fill(r *http.Request) {
	if r.Pattern == "" {
		return
	}
	p := r.Pattern
	s, _ := r.Context().Value(key{}).(*slot)
	for ; s != nil; s = s.parent {
		s.pattern.Store(&p)
	}
}
