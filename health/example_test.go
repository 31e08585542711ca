package health_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ybiyri/runkit/health"
)

func Example() {
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }})

	mux := http.NewServeMux()
	mux.Handle("/", c.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	// Output: 200 {"status":"pass"}
}

func ExampleCheck() {
	c := health.New()
	defer c.Close()
	err := c.Register(health.Check{
		Name:     "search",
		Func:     func(context.Context) error { return errors.New("search cluster yellow") },
		Severity: health.NonCritical, // degraded, but keep serving
		Timeout:  300 * time.Millisecond,
	})
	fmt.Println(err)

	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// <nil>
	// 200 {"status":"warn"}
}

func ExampleChecker_Register() {
	c := health.New()
	defer c.Close()
	err := c.Register(health.Check{Name: "db", Func: nil})
	fmt.Println(err)
	err = c.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }, Timeout: -time.Second})
	fmt.Println(err)
	// A duration written without its unit is five nanoseconds.
	err = c.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }, Interval: 5})
	fmt.Println(err)
	// Output:
	// health: check "db": Func is nil
	// health: check "db": Timeout -1s is negative
	// health: check "db": Interval 5ns is below MinInterval 100ms
}

func ExampleChecker_zero() {
	// The zero Checker is ready to use, like New() with no options.
	var c health.Checker
	defer c.Close()
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }})
	fmt.Println(c.Evaluate(context.Background(), health.Readiness).Status)
	// Output: pass
}

func ExampleReport_err() {
	c := health.New()
	defer c.Close()
	r := c.Evaluate(context.Background(), health.Probe(64))
	fmt.Println(r.Status, r.Err)
	// Output: fail health: Evaluate: probe Probe(64) is unknown
}

func ExampleChecker_Handler() {
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "self", Probes: health.Liveness, Func: func(context.Context) error { return nil }})
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return errors.New("connection refused") }})

	// Mounted under a prefix; no StripPrefix needed.
	mux := http.NewServeMux()
	mux.Handle("/ops/", c.Handler())
	for _, path := range []string{"/ops/livez", "/ops/readyz", "/ops/readyz/db", "/ops/readyz?exclude=db"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print(path, " ", rec.Code, " ", rec.Body)
	}
	// Output:
	// /ops/livez 200 {"status":"pass"}
	// /ops/readyz 503 {"status":"fail"}
	// /ops/readyz/db 503 {"status":"fail"}
	// /ops/readyz?exclude=db 200 {"status":"pass"}
}

func ExampleWithAuthorizer() {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := health.New(
		health.WithVerbose(true),
		health.WithClock(func() time.Time { return at }),
		// Only requests from the cluster's operators see error text.
		health.WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("X-Ops-Token") == "s3cret" }),
	)
	defer c.Close()
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return errors.New("dial 10.0.0.7:5432: refused") }})

	for _, token := range []string{"", "s3cret"} {
		req := httptest.NewRequest("GET", "/readyz?verbose", nil)
		req.Header.Set("X-Ops-Token", token)
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		fmt.Print(rec.Body)
	}
	// Output:
	// {"status":"fail","checks":{"db":[{"componentType":"component","status":"fail","time":"2026-11-26T09:00:00.000Z","observedValue":0,"observedUnit":"ms","critical":true}]}}
	// {"status":"fail","checks":{"db":[{"componentType":"component","status":"fail","time":"2026-11-26T09:00:00.000Z","observedValue":0,"observedUnit":"ms","output":"dial 10.0.0.7:5432: refused","critical":true}]}}
}

func ExampleChecker_Drain() {
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "self", Probes: health.Liveness, Func: func(context.Context) error { return nil }})
	c.Drain()
	for _, path := range []string{"/livez", "/readyz"} {
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /livez 200
	// /readyz 503
}

func ExampleChecker_Subscribe() {
	c := health.New()
	defer c.Close()
	stop := c.Subscribe(func(ch health.Change) {
		switch ch.Kind {
		case health.StatusChanged:
			fmt.Printf("%s: %v -> %v (%v)\n", ch.Name, ch.From, ch.To, ch.Err)
		case health.DrainStarted:
			fmt.Println("draining")
		default:
			fmt.Printf("%s: %v\n", ch.Name, ch.Kind)
		}
	})
	defer stop()
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return errors.New("refused") }})
	c.Evaluate(context.Background(), health.Readiness)
	c.Unregister("db")
	c.Drain()
	// Output:
	// db: check added
	// db: unknown -> fail (refused)
	// db: check removed
	// draining
}

func ExampleChecker_Evaluate() {
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }})
	c.Register(health.Check{Name: "cache", Severity: health.NonCritical, Func: func(context.Context) error { return errors.New("evicting") }})
	r := c.Evaluate(context.Background(), health.Readiness)
	fmt.Println(r.Status)
	for _, res := range r.Checks {
		fmt.Println(res.Name, res.Status, res.Severity)
	}
	// Output:
	// warn
	// cache fail non-critical
	// db pass critical
}

func ExampleServe() {
	c := health.New()
	defer c.Close()
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: c.Handler()}

	// Usually the context is the program's, and SIGTERM ends serving.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := health.Serve(ctx, srv, c, health.ServeConfig{DrainDelay: time.Millisecond})
	fmt.Println(err, c.Draining())
	// Output: <nil> true
}

func ExampleServeConfig_noSignals() {
	// A program that handles signals itself ends serving through the
	// context alone: NoSignals (an empty list) listens for none.
	c := health.New()
	defer c.Close()
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: c.Handler()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := health.Serve(ctx, srv, c, health.ServeConfig{Signals: health.NoSignals, DrainDelay: time.Millisecond})
	fmt.Println(err, c.Draining())
	// Output: <nil> true
}

func ExampleChecker_CheckResult() {
	c := health.New()
	defer c.Close()
	c.Register(health.Check{Name: "cache", Func: func(context.Context) error {
		panic("index out of range") // a bug in a check is a failing check, not a crash
	}})
	r, _ := c.CheckResult(context.Background(), "cache")
	var pe *health.PanicError
	fmt.Println(r.Status, errors.As(r.Err, &pe))
	// Output: fail true
}
