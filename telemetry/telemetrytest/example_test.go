package telemetrytest_test

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/ybiyri/runkit/telemetry/telemetrytest"
)

func ExampleNew() {
	t := &testing.T{} // in a test, the test's own t
	rec := telemetrytest.New(t)

	// The code under test uses the global providers.
	_, span := otel.Tracer("shop").Start(context.Background(), "checkout")
	span.End()
	c, _ := otel.Meter("shop").Int64Counter("orders")
	c.Add(context.Background(), 3)

	n, _ := rec.Int64("orders")
	fmt.Println(len(rec.SpansNamed("checkout")), n)
	// Output: 1 3
}
