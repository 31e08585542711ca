// Package slotest makes error budgets a unit-test concern: feed a synthetic
// traffic pattern into an objective over simulated time, then assert on
// the budget left or on the alert tiers that would fire. Failure messages
// show the numbers.
//
//	s := slotest.Simulate(t, objective, 30*24*time.Hour, time.Minute, func(time.Time) (good, bad int64) {
//		return 1000, 0 // requests per step
//	})
//	slotest.RequireRemaining(t, s, 0.25)
package slotest
