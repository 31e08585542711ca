//go:build race

package openslo_test

func init() { raceEnabled = true }
