package health

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Probe names the Kubernetes probes a check answers for. Probes combine as a
// bit set: Readiness|Startup.
type Probe uint8

const (
	// Liveness asks "should this process be restarted?". Only checks of the
	// process itself belong here: a database outage must not restart every
	// replica at once.
	Liveness Probe = 1 << iota
	// Readiness asks "should this process receive traffic now?".
	Readiness
	// Startup asks "has this process finished starting?". Kubernetes holds
	// liveness and readiness probes back until it passes.
	Startup

	allProbes = Liveness | Readiness | Startup
)

// String returns the probe's path name ("livez", "readyz", "startupz"), or a
// "|"-joined list for a combination.
func (p Probe) String() string {
	if p == 0 {
		return "none"
	}
	var parts []string
	for _, q := range []Probe{Liveness, Readiness, Startup} {
		if p&q != 0 {
			parts = append(parts, probeNames[q])
		}
	}
	if rest := p &^ allProbes; rest != 0 {
		parts = append(parts, fmt.Sprintf("Probe(%d)", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

var probeNames = map[Probe]string{Liveness: "livez", Readiness: "readyz", Startup: "startupz"}

// Severity says what a failing check does to its probe.
type Severity uint8

const (
	// Critical checks fail their probe when they fail. It is the zero value.
	Critical Severity = iota
	// NonCritical checks turn their probe's status to warn, which still
	// answers HTTP 200: the dependency is degraded, but the process should
	// keep serving.
	NonCritical
)

func (s Severity) String() string {
	switch s {
	case Critical:
		return "critical"
	case NonCritical:
		return "non-critical"
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// Default values for the zero fields of a Check.
const (
	// DefaultTimeout stays below the kubelet's default probe timeout of one
	// second, so that a slow check is reported as a failed check rather than
	// as a probe that timed out with no explanation.
	DefaultTimeout = 800 * time.Millisecond
	// DefaultCacheTTL bounds how often an on-demand check reaches its
	// dependency, however many probes arrive.
	DefaultCacheTTL = time.Second
)

// Bounds of the duration fields of a Check. Register refuses a value
// outside them, naming the field: a duration written without its unit
// (Interval: 5 is five nanoseconds) would otherwise turn a periodic check
// into a loop that burns a core, a timeout into a check that always fails,
// and a cache into none.
const (
	// MinTimeout is the shortest Timeout. An in-process check returns in
	// microseconds; a shorter timeout fails any check that does I/O.
	MinTimeout = time.Millisecond
	// MaxTimeout is the longest Timeout. Probes wait seconds (the kubelet's
	// timeoutSeconds, one by default); a check that needs longer is not a
	// health check, and a probe that finds an on-demand check running waits
	// for it up to its Timeout unless the prober gives up first.
	MaxTimeout = time.Minute
	// MinInterval is the shortest Interval of a periodic check: ten runs a
	// second, well under the kubelet's shortest period of one second.
	MinInterval = 100 * time.Millisecond
	// MinCacheTTL is the shortest CacheTTL of an on-demand check, so that
	// a burst of probes reaches the dependency at most ten times a second.
	MinCacheTTL = 100 * time.Millisecond
)

// Check describes one health check. Only Name and Func are required; every
// other zero field has the documented default.
type Check struct {
	// Name identifies the check in responses, in metrics and as the subpath
	// (/readyz/db). It must be non-empty, valid UTF-8, printable, and must
	// not contain '/', '?', '#' or white space, nor be "." or "..", nor a
	// probe's path element (livez, readyz, startupz, healthz), which the
	// handler would take for the probe.
	Name string

	// Func reports the dependency's health: nil is healthy. It should return
	// when ctx is done; if it does not, the probe still answers at Timeout.
	Func func(ctx context.Context) error

	// Probes lists the probes the check answers for. Zero means Readiness:
	// liveness never depends on an external system unless asked to.
	Probes Probe

	// Severity says whether a failure fails the probe (Critical, the zero
	// value) or only warns (NonCritical).
	Severity Severity

	// Timeout is how long one run may take before it counts as failed.
	// Zero means DefaultTimeout (800ms); otherwise it is between MinTimeout
	// (1ms) and MaxTimeout (1m). A probe waits for an on-demand check up to
	// its Timeout, so keep it below the probe's own timeout (the kubelet's
	// timeoutSeconds): a prober that gives up first sees a timeout instead
	// of the check's error. The handler stops waiting when the prober gives
	// up, and later probes share the run still in flight. A periodic check's
	// Timeout delays no probe.
	Timeout time.Duration

	// Interval, when positive, runs the check in the background at that
	// period, at least MinInterval (100ms); probes then only read its last
	// result. Zero means the check runs on demand, when a probe asks and the
	// cached result is too old.
	Interval time.Duration

	// CacheTTL is how long an on-demand result is reused, at least
	// MinCacheTTL (100ms). Zero means DefaultCacheTTL (1s). Periodic checks
	// ignore it.
	CacheTTL time.Duration

	// FailureThreshold is how many consecutive failures turn a passing check
	// to failing. Zero means 1.
	FailureThreshold int

	// SuccessThreshold is how many consecutive successes turn a failing check
	// to passing. Zero means 1.
	SuccessThreshold int
}

// validate reports the first field of c that is not acceptable.
func (c *Check) validate() error {
	if err := validName(c.Name); err != nil {
		return err
	}
	switch {
	case c.Func == nil:
		return fmt.Errorf("health: check %q: Func is nil", c.Name)
	case c.Probes&^allProbes != 0:
		return fmt.Errorf("health: check %q: Probes %v names an unknown probe", c.Name, c.Probes)
	case c.Severity > NonCritical:
		return fmt.Errorf("health: check %q: Severity %v is unknown", c.Name, c.Severity)
	case c.Timeout < 0:
		return fmt.Errorf("health: check %q: Timeout %v is negative", c.Name, c.Timeout)
	case c.Timeout > 0 && c.Timeout < MinTimeout:
		return fmt.Errorf("health: check %q: Timeout %v is below MinTimeout %v", c.Name, c.Timeout, MinTimeout)
	case c.Timeout > MaxTimeout:
		return fmt.Errorf("health: check %q: Timeout %v is above MaxTimeout %v", c.Name, c.Timeout, MaxTimeout)
	case c.Interval < 0:
		return fmt.Errorf("health: check %q: Interval %v is negative", c.Name, c.Interval)
	case c.Interval > 0 && c.Interval < MinInterval:
		return fmt.Errorf("health: check %q: Interval %v is below MinInterval %v", c.Name, c.Interval, MinInterval)
	case c.CacheTTL < 0:
		return fmt.Errorf("health: check %q: CacheTTL %v is negative", c.Name, c.CacheTTL)
	case c.CacheTTL > 0 && c.CacheTTL < MinCacheTTL:
		return fmt.Errorf("health: check %q: CacheTTL %v is below MinCacheTTL %v", c.Name, c.CacheTTL, MinCacheTTL)
	case c.FailureThreshold < 0:
		return fmt.Errorf("health: check %q: FailureThreshold %d is negative", c.Name, c.FailureThreshold)
	case c.SuccessThreshold < 0:
		return fmt.Errorf("health: check %q: SuccessThreshold %d is negative", c.Name, c.SuccessThreshold)
	}
	return nil
}

func validName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("health: check Name is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("health: check Name %q is not valid UTF-8", name)
	case name == "." || name == "..":
		// A ServeMux redirects /readyz/.. to its clean form.
		return fmt.Errorf("health: check Name %q is a path element", name)
	}
	if _, ok := probeFor(name); ok {
		// /readyz/livez is the liveness probe under the prefix /readyz.
		return fmt.Errorf("health: check Name %q is a probe's path", name)
	}
	for _, r := range name {
		if r == '/' || r == '?' || r == '#' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("health: check Name %q contains %q", name, r)
		}
	}
	return nil
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Check) withDefaults() Check {
	if c.Probes == 0 {
		c.Probes = Readiness
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.FailureThreshold == 0 {
		c.FailureThreshold = 1
	}
	if c.SuccessThreshold == 0 {
		c.SuccessThreshold = 1
	}
	return c
}
