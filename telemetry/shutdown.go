package telemetry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ybiyri/runkit/internal/redact"
)

// ShutdownError is one signal's failure to flush and stop at Shutdown,
// naming where its data was going.
type ShutdownError struct {
	// Signal is "traces", "metrics" or "logs".
	Signal string
	// Exporter names the signal's exporters: "otlp", "console",
	// "prometheus", or the Go type of one given by option; several are
	// separated by ", ".
	Exporter string
	// Protocol and Endpoint are those of the OTLP exporter, when the
	// signal has one. An empty Endpoint is the exporter's default. The
	// Endpoint is redacted, so that the error can be logged: the path the
	// user gave is hidden, every segment of it, and the signal's own path
	// (/v1/traces) follows, as in http://collector:4318/[redacted]/v1/traces.
	Protocol, Endpoint string
	// Err is what went wrong. When the deadline passed while an export
	// was failing, it also wraps that export's error. The parts of the
	// endpoint that Endpoint hides are hidden in Err's text too; errors.Is
	// still matches what the original error matched.
	Err error
}

func (e *ShutdownError) Error() string {
	var b strings.Builder
	b.WriteString("telemetry: shutdown ")
	b.WriteString(e.Signal)
	if e.Exporter != "" {
		b.WriteString(" via ")
		b.WriteString(e.Exporter)
	}
	if e.Protocol != "" {
		b.WriteString(" over ")
		b.WriteString(e.Protocol)
		b.WriteString(" to ")
		if e.Endpoint != "" {
			b.WriteString(e.Endpoint)
		} else {
			b.WriteString("the default endpoint")
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ShutdownError) Unwrap() error { return e.Err }

// errShutDown cancels exports still running once Shutdown has returned.
var errShutDown = errors.New("telemetry: shut down")

// signalPipeline is one signal's provider and its exporters, for Shutdown.
type signalPipeline struct {
	signal, exporter   string
	protocol, endpoint string // endpoint redacted
	scrub              redact.Scrubber
	guards             []*exportGuard
	shutdown           func(context.Context) error
}

// newPipeline describes a signal's exporters: those named by the
// configuration, then those given by option (see typeNames).
func newPipeline(name string, s signal, path string, given ...string) *signalPipeline {
	p := &signalPipeline{signal: name}
	p.exporter = strings.Join(append(slices.Clone(s.exporters), given...), ", ")
	if slices.Contains(s.exporters, "otlp") {
		p.protocol = s.protocol
		p.endpoint = s.shownEndpoint(path)
		p.scrub = s.scrubber()
	}
	return p
}

// typeNames names exporters, processors or readers given by option by
// their Go type.
func typeNames[E any](list []E) []string {
	var out []string
	for _, e := range list {
		out = append(out, fmt.Sprintf("%T", e))
	}
	return out
}

func (p *signalPipeline) newGuard() *exportGuard {
	g := newExportGuard()
	p.guards = append(p.guards, g)
	return g
}

func (p *signalPipeline) guard(e sdktrace.SpanExporter) sdktrace.SpanExporter {
	return guardedSpanExporter{e, p.newGuard()}
}

// abortGrace is how long Shutdown waits, past ctx's end, for the exports
// it cancelled to return their error. Exporters that honour cancellation,
// as OpenTelemetry's do, return at once; the bound is for those that do
// not.
const abortGrace = time.Second

// stop shuts the provider down within ctx. Exports still running when ctx
// ends are cancelled, so that none outlives Shutdown, and the error of the
// last failed export is kept: a bare "context deadline exceeded" says
// nothing of a collector that refused every connection.
func (p *signalPipeline) stop(ctx context.Context) error {
	abort := func(cause error) {
		for _, g := range p.guards {
			g.cancel(cause)
		}
	}
	for _, g := range p.guards {
		g.forget() // only exports that end during Shutdown count
	}
	stopAbort := context.AfterFunc(ctx, func() { abort(context.Cause(ctx)) })
	err := p.shutdown(ctx)
	stopAbort()
	if ctx.Err() != nil {
		abort(context.Cause(ctx))
	} else {
		abort(errShutDown)
	}
	if err != nil {
		// Let the cancelled exports return, so that their errors are
		// known.
		grace := time.NewTimer(abortGrace)
		defer grace.Stop()
		for _, g := range p.guards {
			g.wait(grace.C)
		}
	}
	for _, g := range p.guards {
		last := g.lastError()
		switch {
		case last == nil || errors.Is(err, last):
		case err == nil:
			// The span batcher reports a failed final export to the
			// error handler only; what it held is lost all the same.
			err = last
		default:
			err = &withLastExport{err, last}
		}
	}
	if err == nil {
		return nil
	}
	return &ShutdownError{Signal: p.signal, Exporter: p.exporter, Protocol: p.protocol, Endpoint: p.endpoint, Err: p.scrub.Error(err)}
}

// withLastExport is a shutdown error and the export failure behind it.
type withLastExport struct{ err, last error }

func (e *withLastExport) Error() string {
	return e.err.Error() + " (last export error: " + e.last.Error() + ")"
}

func (e *withLastExport) Unwrap() []error { return []error{e.err, e.last} }

// Shutdown flushes every span, metric and log record still in memory to
// the exporters and stops them. The signals shut down in parallel, each
// within ctx's deadline, so that one exporter retrying against a collector
// that is down does not use up the time of the others. Exports still
// running when ctx ends are cancelled; an exporter that ignores the
// cancellation holds Shutdown at most a second past the deadline. The
// result joins a [*ShutdownError] for each signal that failed; Shutdown
// never exits the process. Later calls return the first call's result.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		errs := make([]error, len(t.pipelines))
		var wg sync.WaitGroup
		for i, p := range t.pipelines {
			wg.Go(func() { errs[i] = p.stop(ctx) })
		}
		wg.Wait()
		t.shutdownErr = errors.Join(errs...)
		if t.diag != nil {
			t.diag.flush()
		}
	})
	return t.shutdownErr
}

// exportGuard lets Shutdown cancel an exporter's exports, wait for them,
// and read the error of the last one.
type exportGuard struct {
	ctx    context.Context // cancelled to cancel every export
	cancel context.CancelCauseFunc

	// mu guards the fields below.
	mu      sync.Mutex
	running int           // exports under way
	idle    chan struct{} // closed when running drops to zero
	last    error         // of the last export; nil after a success
}

func newExportGuard() *exportGuard {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &exportGuard{ctx: ctx, cancel: cancel}
}

func (g *exportGuard) run(ctx context.Context, export func(context.Context) error) error {
	g.mu.Lock()
	if g.running == 0 {
		g.idle = make(chan struct{})
	}
	g.running++
	g.mu.Unlock()

	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(g.ctx, func() { cancel(context.Cause(g.ctx)) })
	err := export(ctx)
	stop()
	cancel(nil)

	g.mu.Lock()
	g.last = err
	g.running--
	if g.running == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
	return err
}

// wait returns when no export is under way, or when timeout fires.
func (g *exportGuard) wait(timeout <-chan time.Time) {
	g.mu.Lock()
	idle := g.idle
	running := g.running
	g.mu.Unlock()
	if running == 0 {
		return
	}
	select {
	case <-idle:
	case <-timeout:
	}
}

// forget clears the last error.
func (g *exportGuard) forget() {
	g.mu.Lock()
	g.last = nil
	g.mu.Unlock()
}

func (g *exportGuard) lastError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

type guardedSpanExporter struct {
	sdktrace.SpanExporter
	g *exportGuard
}

func (e guardedSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.g.run(ctx, func(ctx context.Context) error { return e.SpanExporter.ExportSpans(ctx, spans) })
}

type guardedMetricExporter struct {
	sdkmetric.Exporter
	g *exportGuard
}

func (e guardedMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return e.g.run(ctx, func(ctx context.Context) error { return e.Exporter.Export(ctx, rm) })
}

type guardedLogExporter struct {
	sdklog.Exporter
	g *exportGuard
}

func (e guardedLogExporter) Export(ctx context.Context, records []sdklog.Record) error {
	return e.g.run(ctx, func(ctx context.Context) error { return e.Exporter.Export(ctx, records) })
}
