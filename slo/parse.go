package slo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTarget reads a target as people write it: "99.9%", "99.95" (a
// number of 1 or more is a percentage) or "0.999" (a number below 1 is a
// fraction). It moves the decimal point in the text rather than dividing,
// so "99.9%" is exactly the float64 nearest 0.999. The result is validated
// as Objective.Target is.
func ParseTarget(s string) (float64, error) {
	text := strings.TrimSpace(s)
	percent := strings.HasSuffix(text, "%")
	text = strings.TrimSpace(strings.TrimSuffix(text, "%"))
	if text == "" || strings.ContainsAny(text, "eEinfINFxXpP_") {
		return 0, fmt.Errorf("slo: target %q is not a decimal number", s)
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, fmt.Errorf("slo: target %q is not a decimal number", s)
	}
	if percent || v >= 1 {
		v, err = strconv.ParseFloat(shiftPoint(text, 2), 64)
		if err != nil {
			return 0, fmt.Errorf("slo: target %q is not a decimal number", s)
		}
	}
	if err := validTarget("target", v, false); err != nil {
		return 0, fmt.Errorf("slo: target %q: %w", s, err)
	}
	return v, nil
}

// shiftPoint divides the decimal number in text by 10^n by moving its
// point.
func shiftPoint(text string, n int) string {
	sign := ""
	if text[0] == '-' || text[0] == '+' {
		sign, text = text[:1], text[1:]
	}
	intPart, frac, _ := strings.Cut(text, ".")
	for len(intPart) <= n {
		intPart = "0" + intPart
	}
	cut := len(intPart) - n
	return sign + intPart[:cut] + "." + intPart[cut:] + frac
}

var units = []struct {
	name string
	d    time.Duration
}{
	// Longest names first, so that "ms" is not read as "m".
	{"ms", time.Millisecond},
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
}

// ParseDuration reads a duration as SLO documents write it: a sequence of
// whole numbers with units w, d, h, m, s or ms, as in "30d", "4w", "6h" or
// "1h30m". A day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("slo: duration %q is empty", s)
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("slo: duration %q: want a number at %q", s, rest)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("slo: duration %q: number %q out of range", s, rest[:i])
		}
		rest = rest[i:]
		var unit time.Duration
		for _, u := range units {
			if strings.HasPrefix(rest, u.name) {
				unit, rest = u.d, rest[len(u.name):]
				break
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("slo: duration %q: want a unit (w, d, h, m, s, ms) at %q", s, rest)
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("slo: duration %q is too long", s)
		}
		total += time.Duration(n) * unit
	}
	if total == 0 {
		return 0, fmt.Errorf("slo: duration %q is zero", s)
	}
	return total, nil
}

// ParseWindow reads a window: a duration for a rolling window ("30d",
// "4w"), or "month", "quarter" or "year" for a calendar window in UTC.
func ParseWindow(s string) (Window, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "month":
		return CalendarWindow(Month, nil), nil
	case "quarter":
		return CalendarWindow(Quarter, nil), nil
	case "year":
		return CalendarWindow(Year, nil), nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return Window{}, err
	}
	return Rolling(d), nil
}

// FormatDuration writes d in the units ParseDuration reads, largest first:
// 720h is "30d", 90m is "1h30m", and ParseDuration reads back a positive
// whole number of milliseconds. What is below a millisecond, and a d that
// is not positive, is written as time.Duration writes it ("1h500µs",
// "0s", "-5m0s").
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.d
		}
	}
	if d > 0 {
		b.WriteString(d.String())
	}
	return b.String()
}
