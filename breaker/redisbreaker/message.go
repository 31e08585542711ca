package redisbreaker

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// message is what replicas publish on the channel:
//
//	open <version> <milliseconds left> <replica> <breaker name>
//	close <version> <replica> <breaker name>
//
// The time left, not an instant, crosses the wire, so that replicas whose
// clocks disagree still agree on how long a breaker stays open. The
// version orders the changes of one breaker: it is the Redis time, in
// milliseconds, of the change, and only a newer version wins. The name
// comes last: it may hold spaces.
type message struct {
	open    bool
	version int64
	left    time.Duration // open only
	replica string
	name    string
}

func (m message) String() string {
	if m.open {
		return fmt.Sprintf("open %d %d %s %s", m.version, m.left.Milliseconds(), m.replica, m.name)
	}
	return fmt.Sprintf("close %d %s %s", m.version, m.replica, m.name)
}

// parseMessage reads a message; anything else is an error naming it.
func parseMessage(s string) (message, error) {
	kind, rest, _ := strings.Cut(s, " ")
	var m message
	switch kind {
	case "open":
		m.open = true
	case "close":
	default:
		return m, fmt.Errorf("redisbreaker: message %q: kind %q is neither open nor close", s, kind)
	}
	v, rest, _ := strings.Cut(rest, " ")
	version, err := strconv.ParseInt(v, 10, 64)
	if err != nil || version <= 0 {
		return m, fmt.Errorf("redisbreaker: message %q: version %q is not a positive count of milliseconds", s, v)
	}
	m.version = version
	if m.open {
		left, r, ok := strings.Cut(rest, " ")
		ms, err := strconv.ParseInt(left, 10, 64)
		if !ok || err != nil || !validLeft(ms) {
			return m, fmt.Errorf("redisbreaker: message %q: time left %q is not a count of milliseconds in (0, %d]", s, left, maxLeft.Milliseconds())
		}
		m.left, rest = time.Duration(ms)*time.Millisecond, r
	}
	replica, name, ok := strings.Cut(rest, " ")
	if !ok || replica == "" || name == "" {
		return m, fmt.Errorf("redisbreaker: message %q: want a replica and a breaker name", s)
	}
	m.replica, m.name = replica, name
	return m, nil
}

// maxLeft bounds every time left read from Redis, in a message or an
// answer: a year is longer than any breaker stays open, and keeps the
// arithmetic far from overflow.
const maxLeft = 365 * 24 * time.Hour

// validLeft reports whether ms milliseconds left is within (0, maxLeft].
func validLeft(ms int64) bool { return ms > 0 && ms <= maxLeft.Milliseconds() }
