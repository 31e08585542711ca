package checks_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ybiyri/runkit/health/checks"
)

// TestHTTPErrorsHideSecrets: a check's errors end up in verbose probe
// output and logs, so no credential in its URL may show there — not in
// the constructor's errors, a failed status, or a transport error.
func TestHTTPErrorsHideSecrets(t *testing.T) {
	const secrets = "hunter2 SECRETTOKEN QUERYKEY"
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	secretURL := func(host string) string {
		return "http://admin:hunter2@" + host + "/hooks/SECRETTOKEN?key=QUERYKEY"
	}

	var errs []error
	for _, bad := range []string{
		"ftp://admin:hunter2@db.internal/hooks/SECRETTOKEN?key=QUERYKEY",
		"http://admin:hunter2@db.internal:port/hooks/SECRETTOKEN?key=QUERYKEY",
	} {
		if _, err := checks.HTTP(bad, checks.HTTPConfig{}); err == nil {
			t.Errorf("HTTP(%q) = nil error", bad)
		} else {
			errs = append(errs, err)
		}
	}
	for _, host := range []string{strings.TrimPrefix(failing.URL, "http://"), refused} {
		check, err := checks.HTTP(secretURL(host), checks.HTTPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := check(context.Background()); err == nil {
			t.Errorf("check of %s = nil, want a failure", host)
		} else {
			errs = append(errs, err)
		}
	}
	for _, err := range errs {
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			for s := range strings.FieldsSeq(secrets) {
				if strings.Contains(text, s) {
					t.Errorf("error shows %s: %s", s, text)
				}
			}
		}
	}
}
