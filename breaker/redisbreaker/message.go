package redisbreaker

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// message is what replicas publish on the channel:
//
//	open <milliseconds left> <replica> <breaker name>
//	close <replica> <breaker name>
//
// The time left, not an instant, crosses the wire, so that replicas whose
// clocks disagree still agree on how long a breaker stays open. The name
// comes last: it may hold spaces.
type message struct {
	open    bool
	left    time.Duration // open only
	replica string
	name    string
}

func (m message) String() string {
	if m.open {
		return fmt.Sprintf("open %d %s %s", m.left.Milliseconds(), m.replica, m.name)
	}
	return fmt.Sprintf("close %s %s", m.replica, m.name)
}

// parseMessage reads a message; anything else is an error naming it.
func parseMessage(s string) (message, error) {
	kind, rest, _ := strings.Cut(s, " ")
	var m message
	switch kind {
	case "open":
		left, r, ok := strings.Cut(rest, " ")
		ms, err := strconv.ParseInt(left, 10, 64)
		if !ok || err != nil || ms <= 0 || ms > maxLeft.Milliseconds() {
			return m, fmt.Errorf("redisbreaker: message %q: time left %q is not a count of milliseconds in (0, %d]", s, left, maxLeft.Milliseconds())
		}
		m.open, m.left, rest = true, time.Duration(ms)*time.Millisecond, r
	case "close":
	default:
		return m, fmt.Errorf("redisbreaker: message %q: kind %q is neither open nor close", s, kind)
	}
	replica, name, ok := strings.Cut(rest, " ")
	if !ok || replica == "" || name == "" {
		return m, fmt.Errorf("redisbreaker: message %q: want a replica and a breaker name", s)
	}
	m.replica, m.name = replica, name
	return m, nil
}

// maxLeft bounds the time left in a message: a year is longer than any
// breaker stays open, and keeps the arithmetic far from overflow.
const maxLeft = 365 * 24 * time.Hour
