package openslo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	digits, unitText := s[:i], strings.TrimSpace(s[i:])
	if digits == "" || unitText == "" {
		return 0, fmt.Errorf("want a whole number and a unit (m, h, d, w), as 5m or 28d")
	}
	unit, ok := shorthand[unitText[0]]
	if !ok || len(unitText) != 1 {
		msg := fmt.Sprintf("unit %q is not one of m, h, d, w", unitText)
		switch u := longUnits[strings.ToLower(unitText)]; {
		case u != 0:
			msg += "; write " + digits + string(u)
		case unitText == "M" || unitText == "Q" || unitText == "Y":
			msg += "; " + unitText + " is a calendar period: for a calendar window write isRolling: false and a calendar"
		}
		return 0, errors.New(msg)
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

// longUnits are the units people spell out, by the shorthand unit that
// means the same.
var longUnits = map[string]byte{
	"min": 'm', "mins": 'm', "minute": 'm', "minutes": 'm',
	"hr": 'h', "hrs": 'h', "hour": 'h', "hours": 'h',
	"day": 'd', "days": 'd',
	"wk": 'w', "wks": 'w', "week": 'w', "weeks": 'w',
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
