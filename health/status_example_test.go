package health_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ybiyri/runkit/health"
)

// A listener learns what readiness became from the checks' last results,
// running none of them.
func ExampleChecker_Status() {
	c := health.New()
	defer c.Close()
	fmt.Println("no check:", c.Status(health.Readiness))
	c.Register(health.Check{Name: "cache", Severity: health.NonCritical, Func: func(context.Context) error { return errors.New("timeout") }})
	fmt.Println("not run yet:", c.Status(health.Readiness))
	c.Evaluate(context.Background(), health.Readiness)
	fmt.Println("after a run:", c.Status(health.Readiness))
	// Output:
	// no check: pass
	// not run yet: unknown
	// after a run: warn
}
