package openslo

import (
	"fmt"
	"strconv"
	"time"
)

// shorthand units of a rolling duration. M, Q and Y name calendar
// periods and are read only in a calendar timeWindow.
var shorthand = map[byte]time.Duration{
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// parseShorthand reads an OpenSLO duration-shorthand: a whole number and
// one of m, h, d, w ("5m", "28d", "4w"). zero says whether "0m" is
// acceptable.
func parseShorthand(s string, zero bool) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("want a whole number and a unit (m, h, d, w), as 5m or 28d")
	}
	unit, ok := shorthand[s[len(s)-1]]
	if !ok {
		return 0, fmt.Errorf("unit %q is not one of m, h, d, w", s[len(s)-1:])
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("want a whole number and a unit (m, h, d, w), as 5m or 28d")
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(1<<63-1)/int64(unit) {
		return 0, fmt.Errorf("is too long")
	}
	if n == 0 && !zero {
		return 0, fmt.Errorf("is zero")
	}
	return time.Duration(n) * unit, nil
}

// formatShorthand writes d in the largest shorthand unit that divides it.
func formatShorthand(d time.Duration) (string, error) {
	if d == 0 {
		return "0m", nil
	}
	for _, u := range []byte{'w', 'd', 'h', 'm'} {
		if d > 0 && d%shorthand[u] == 0 {
			return strconv.FormatInt(int64(d/shorthand[u]), 10) + string(u), nil
		}
	}
	return "", fmt.Errorf("duration %v is not a whole number of minutes, which OpenSLO cannot write", d)
}
