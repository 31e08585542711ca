package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"

	"github.com/ybiyri/runkit/internal/redact"
)

// ErrorLogBurst and ErrorLogInterval bound how much of OpenTelemetry's own
// errors and warnings reach the log: ErrorLogBurst records at once, then
// one per ErrorLogInterval. A record written after others were left out
// says how many in its suppressed attribute, and Shutdown writes the count
// still unreported, so that a collector outage costs a few lines, not one
// per export attempt.
const (
	ErrorLogBurst    = 5
	ErrorLogInterval = 30 * time.Second
)

// WithErrorLogger sets the logger for OpenTelemetry's own errors (a failed
// export, a dropped span) and its internal log: errors at ERROR, warnings
// at WARN, its informational messages at DEBUG. Nil or unset means the
// handler last given to [Telemetry.LogHandler], else slog.Default() at the
// time of each record. Like the providers, the error handler and logger
// are OpenTelemetry globals: WithoutGlobals leaves them as they are.
func WithErrorLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.errorLogger = l })
}

// diagnostics receives OpenTelemetry's errors (as its global error handler)
// and internal log (as the sink of its global logr.Logger) and writes them
// to a slog.Logger, rate-limited.
type diagnostics struct {
	fixed *slog.Logger                // from WithErrorLogger; nil for the defaults
	local atomic.Pointer[slog.Logger] // the handler LogHandler was given last
	// scrub hides the secret parts of the OTLP endpoints, which export
	// errors show in the URL they posted to. Set before the handler is
	// installed, then only read.
	scrub redact.Scrubber

	// mu guards the limiter and the count of records it held back, so
	// that the count goes with the next record allowed.
	mu         sync.Mutex
	limiter    *rate.Limiter
	suppressed int
}

func newDiagnostics(l *slog.Logger) *diagnostics {
	return &diagnostics{fixed: l, limiter: rate.NewLimiter(rate.Every(ErrorLogInterval), ErrorLogBurst)}
}

func (d *diagnostics) logger() *slog.Logger {
	if d.fixed != nil {
		return d.fixed
	}
	if l := d.local.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// Handle implements otel.ErrorHandler.
func (d *diagnostics) Handle(err error) {
	d.log(slog.LevelError, "opentelemetry error", []any{"err", err})
}

// log writes a record; records at WARN and above go through the limiter.
func (d *diagnostics) log(level slog.Level, msg string, args []any) {
	l := d.logger()
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	if level >= slog.LevelWarn {
		d.mu.Lock()
		if !d.limiter.Allow() {
			d.suppressed++
			d.mu.Unlock()
			return
		}
		n := d.suppressed
		d.suppressed = 0
		d.mu.Unlock()
		if n > 0 {
			args = append(args[:len(args):len(args)], "suppressed", n)
		}
	}
	if len(d.scrub) > 0 {
		msg = d.scrub.Text(msg)
		args = d.scrubArgs(args)
	}
	l.Log(ctx, level, msg, args...)
}

// scrubArgs returns args with the endpoints' secrets hidden in each error
// and string, in a copy: args may be the logr sink's own values.
func (d *diagnostics) scrubArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case error:
			a = d.scrub.Error(v)
		case string:
			a = d.scrub.Text(v)
		case fmt.Stringer:
			a = d.scrub.Text(v.String())
		}
		out[i] = a
	}
	return out
}

// flush writes how many records were left out since the last one written.
func (d *diagnostics) flush() {
	d.mu.Lock()
	n := d.suppressed
	d.suppressed = 0
	d.mu.Unlock()
	if n > 0 {
		d.logger().Warn("opentelemetry errors suppressed", "suppressed", n)
	}
}

// logSink is the logr.LogSink of OpenTelemetry's internal logger, which
// logs warnings at V(1), information at V(4) and debug at V(8).
type logSink struct {
	d      *diagnostics
	name   string
	values []any
}

var _ logr.LogSink = logSink{}

// level maps a logr verbosity to a slog level.
func level(v int) slog.Level {
	switch {
	case v <= 1:
		return slog.LevelWarn
	case v <= 4:
		return slog.LevelDebug
	}
	return slog.LevelDebug - 4
}

func (s logSink) Init(logr.RuntimeInfo) {}

func (s logSink) Enabled(v int) bool {
	return s.d.logger().Enabled(context.Background(), level(v))
}

func (s logSink) Info(v int, msg string, kv ...any) {
	s.d.log(level(v), msg, s.args(nil, kv))
}

func (s logSink) Error(err error, msg string, kv ...any) {
	s.d.log(slog.LevelError, msg, s.args([]any{"err", err}, kv))
}

func (s logSink) args(first, kv []any) []any {
	out := make([]any, 0, len(first)+len(s.values)+len(kv)+2)
	if s.name != "" {
		out = append(out, "logger", s.name)
	}
	out = append(out, first...)
	out = append(out, s.values...)
	return append(out, kv...)
}

func (s logSink) WithValues(kv ...any) logr.LogSink {
	s.values = append(s.values[:len(s.values):len(s.values)], kv...)
	return s
}

func (s logSink) WithName(name string) logr.LogSink {
	if s.name != "" {
		name = s.name + "/" + name
	}
	s.name = name
	return s
}
