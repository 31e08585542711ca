package slotest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/slotest"
)

func ExampleSimulate() {
	t := &testing.T{} // in a test, the test's own t
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	s := slotest.Simulate(t, o, 30*24*time.Hour, time.Minute, func(time.Time) (good, bad int64) {
		return 9995, 5 // 0.05% failing
	})
	slotest.RequireRemaining(t, s, 0.4)
	fmt.Printf("remaining %.2f, failed %v\n", s.Remaining, t.Failed())
	// Output: remaining 0.50, failed false
}
