package breaker_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ybiyri/runkit/breaker"
)

// OnChange hears every change with its cause: what an event journal
// records.
func ExampleCause() {
	b, _ := breaker.New[int](breaker.Config{Name: "payments", ConsecutiveFailures: 2, FailureRatio: -1,
		OnChange: func(c breaker.Change) { fmt.Printf("%s: %s → %s (%s)\n", c.Name, c.From, c.To, c.Cause) }})
	for range 2 {
		b.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("connection refused") })
	}
	// Output: payments: closed → open (consecutive failures)
}
