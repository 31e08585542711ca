package slo

import "testing"

func TestTargetDecimals(t *testing.T) {
	for target, want := range map[float64]int{0.999: 3, 0.99: 2, 0.9: 1, 0.9995: 4, 0.5: 1} {
		if got := targetDecimals(target); got != want {
			t.Errorf("targetDecimals(%v) = %d, want %d", target, got, want)
		}
	}
}
