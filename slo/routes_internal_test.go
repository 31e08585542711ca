package slo

import "testing"

func TestRouteOf(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                           NoRoute,
		"/":                          "/",
		"GET /items/{id}":            "GET /items/{id}",
		"GET example.com/items/{id}": "GET /items/{id}",
		"example.com/":               "/",
		"GET\t/items/{id}":           "GET /items/{id}",
		"GET  example.com/{$}":       "GET /{$}",
	} {
		if got := routeOf(pattern); got != want {
			t.Errorf("routeOf(pattern %q) = %q, want %q", pattern, got, want)
		}
	}
}
