package checks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/health/checks"
)

func ExampleHTTP() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer upstream.Close()

	ping, err := checks.HTTP(upstream.URL+"/livez", checks.HTTPConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "payments", Func: ping, Severity: health.NonCritical})
	fmt.Println(c.Evaluate(context.Background(), health.Readiness).Status)
	// Output: warn
}

func ExampleHTTPConfig_host() {
	// A check that reaches a virtual host through a fixed address: the
	// server sees the Host given in Header.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("host:", r.Host)
	}))
	defer upstream.Close()

	ping, _ := checks.HTTP(upstream.URL+"/livez", checks.HTTPConfig{Header: http.Header{"Host": {"payments.internal"}}})
	fmt.Println(ping(context.Background()))
	// Output:
	// host: payments.internal
	// <nil>
}

func ExampleTCP() {
	_, err := checks.TCP("redis")
	fmt.Println(err)
	// Output: checks: TCP: address "redis": address redis: missing port in address
}

func ExampleDiskFree() {
	check, _ := checks.DiskFree(os.TempDir(), 1)
	fmt.Println(check(context.Background()))
	// Output: <nil>
}

func ExampleGoroutines() {
	check, _ := checks.Goroutines(100000)
	fmt.Println(check(context.Background()))
	// Output: <nil>
}

func ExampleDNS() {
	check, _ := checks.DNS("localhost", nil)
	fmt.Println(check(context.Background()))
	// Output: <nil>
}

func ExampleSQL() {
	_, err := checks.SQL(nil)
	fmt.Println(err)
	// Output: checks: SQL: db is nil
}
