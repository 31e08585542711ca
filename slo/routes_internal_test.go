package slo

import (
	"net/http/httptest"
	"testing"
)

func TestRouteOf(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                           NoRoute,
		"/":                          "/",
		"GET /items/{id}":            "GET /items/{id}",
		"GET example.com/items/{id}": "GET /items/{id}",
		"example.com/":               "/",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Pattern = pattern
		if got := routeOf(r); got != want {
			t.Errorf("routeOf(pattern %q) = %q, want %q", pattern, got, want)
		}
	}
}
