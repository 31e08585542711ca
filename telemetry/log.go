package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/trace"
)

// TraceHandler wraps h so that every record made with a context inside a
// span carries trace_id and span_id, which lets a log line be found from a
// trace and the other way round.
func TraceHandler(h slog.Handler) slog.Handler { return traceHandler{h} }

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

// LogHandler returns TraceHandler(h) and, when log export is configured
// (OTEL_LOGS_EXPORTER=otlp), also sends every record through the
// OpenTelemetry slog bridge.
func (t *Telemetry) LogHandler(h slog.Handler) slog.Handler {
	th := TraceHandler(h)
	if !t.logs {
		return th
	}
	return fanout{th, otelslog.NewHandler("github.com/ybiyri/runkit/telemetry", otelslog.WithLoggerProvider(t.LoggerProvider))}
}

// fanout sends each record to two handlers.
type fanout struct{ a, b slog.Handler }

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	return f.a.Enabled(ctx, l) || f.b.Enabled(ctx, l)
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errA, errB error
	if f.a.Enabled(ctx, r.Level) {
		errA = f.a.Handle(ctx, r.Clone())
	}
	if f.b.Enabled(ctx, r.Level) {
		errB = f.b.Handle(ctx, r)
	}
	if errA != nil {
		return errA
	}
	return errB
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	return fanout{f.a.WithAttrs(attrs), f.b.WithAttrs(attrs)}
}

func (f fanout) WithGroup(name string) slog.Handler {
	return fanout{f.a.WithGroup(name), f.b.WithGroup(name)}
}
