package slo_test

import (
	"strings"
	"testing"

	"github.com/ybiyri/runkit/slo"
)

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"99.9%", "99.95", "0.999", "100%", "1", "-5", "9e1", " 50 % ", "0.", ".5", "99..9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := slo.ParseTarget(s)
		if err != nil {
			if !strings.Contains(err.Error(), "slo: target") {
				t.Errorf("ParseTarget(%q) error %q does not name the input", s, err)
			}
			return
		}
		o := slo.Objective{Name: "f", Target: v, Window: slo.Rolling(1)}
		if err := o.Validate(); err != nil {
			t.Errorf("ParseTarget(%q) = %v, which Validate rejects: %v", s, v, err)
		}
		if b := o.Budget(); b <= 0 || b >= 1 {
			t.Errorf("ParseTarget(%q) = %v with budget %v", s, v, b)
		}
	})
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"30d", "4w", "6h", "1h30m", "month", "500ms", "1w2d3h4m5s6ms", "9999999999999w", "1m1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := slo.ParseWindow(s)
		if err != nil {
			return
		}
		if err := w.Validate(); err != nil {
			t.Errorf("ParseWindow(%q) = %v, which Validate rejects: %v", s, w, err)
		}
		if w.Calendar == slo.NotCalendar {
			// What String writes, ParseWindow reads back.
			if back, err := slo.ParseWindow(w.String()); w.Rolling%1e6 == 0 && (err != nil || back != w) {
				t.Errorf("ParseWindow(%q) = %v; reading back %q gives %v, %v", s, w, w.String(), back, err)
			}
		}
	})
}
