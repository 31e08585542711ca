package slo

import (
	"math"
	"testing"
)

func TestTargetDecimals(t *testing.T) {
	for target, want := range map[float64]int{0.999: 3, 0.99: 2, 0.9: 1, 0.9995: 4, 0.5: 1} {
		if got := targetDecimals(target); got != want {
			t.Errorf("targetDecimals(%v) = %d, want %d", target, got, want)
		}
	}
}

// TestGridLabelsNeverOverlap places the burn-down's y-axis labels for
// every depth of overspending: 100% and 0% are always labelled, no two
// labels are closer than a line of text, and each sits next to its line.
func TestGridLabelsNeverOverlap(t *testing.T) {
	los := []float64{0, -0.001, -0.01, -0.05, -0.1, -0.25, -0.5, -0.99, -1, -1.5, -3, -9.9, -48.75, -49, -99.99, -1000, -1e6}
	for lo := -0.02; lo > -60; lo *= 1.17 {
		los = append(los, lo)
	}
	for _, lo := range los {
		g, y := grid(lo)
		var labels []gridView
		has := map[string]bool{}
		for _, l := range g {
			if l.Label != "" {
				labels = append(labels, l)
				has[l.Label] = true
			}
			if l.Label != "" && l.LabelY == "" {
				t.Errorf("grid(%v): label %s has no position", lo, l.Label)
			}
		}
		if !has["100%"] || !has["0%"] {
			t.Errorf("grid(%v): labels %v lack 100%% or 0%%", lo, labels)
		}
		if got := plotTop + y(0)/1000*plotHeight; got > plotTop+plotHeight+1e-9 {
			t.Errorf("grid(%v): 0%% at %v, below the plot", lo, got)
		}
		for i, a := range labels {
			line := plotTop + a.y/1000*plotHeight
			if d := a.labelY - line; math.Abs(d+labelAbove) > 1e-9 && math.Abs(d-labelBelow) > 1e-9 {
				t.Errorf("grid(%v): label %s at %v, %v from its line", lo, a.Label, a.labelY, d)
			}
			for _, b := range labels[i+1:] {
				if math.Abs(a.labelY-b.labelY) < labelGap {
					t.Errorf("grid(%v): labels %s (%v) and %s (%v) overlap", lo, a.Label, a.labelY, b.Label, b.labelY)
				}
			}
		}
	}
}
