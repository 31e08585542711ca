package slo

import (
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	for f, want := range map[float64]string{0.02: "0.02", 0: "0", 1: "1", 28810.9: "28,810.9", 28810.94: "28,810.9", 1441: "1,441", 1234567.5: "1,234,567.5", -2.5: "-2.5"} {
		if got := decimal(f); got != want {
			t.Errorf("decimal(%v) = %q, want %q", f, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0s", 1500 * time.Millisecond: "2s", 43*time.Minute + 12*time.Second: "43m 12s",
		26*time.Hour + 29*time.Minute + 40*time.Second: "1d 2h", 49*time.Hour + 59*time.Minute: "2d 2h",
		3 * time.Hour: "3h", 90 * time.Second: "1m 30s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for target, want := range map[float64]int{0.999: 3, 0.99: 2, 0.9: 1, 0.9995: 4, 0.5: 1} {
		if got := targetDecimals(target); got != want {
			t.Errorf("targetDecimals(%v) = %d, want %d", target, got, want)
		}
	}
}
