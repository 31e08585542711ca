package telemetry

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/trace"
)

// TraceHandler wraps h so that every record made with a context inside a
// span carries trace_id and span_id, which lets a log line be found from a
// trace and the other way round. The two ids stay at the top level of the
// record whatever groups WithGroup has opened, so that one query finds
// every line of a trace. Records outside a span pass to h unchanged.
func TraceHandler(h slog.Handler) slog.Handler { return traceHandler{full: h, root: h} }

// traceHandler keeps two views of the wrapped handler: full has every
// WithAttrs and WithGroup applied, for records outside a span; root has
// only the attributes given before the first group, and the groups are
// rebuilt around a record's attributes at Handle, so that the ids can be
// added outside them.
type traceHandler struct {
	full, root slog.Handler
	groups     []logGroup // outermost first
}

// logGroup is a group opened by WithGroup and the attributes given inside
// it.
type logGroup struct {
	name  string
	attrs []slog.Attr
}

func (h traceHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.full.Enabled(ctx, l)
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.full.Handle(ctx, r)
	}
	ids := [2]slog.Attr{slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String())}
	if len(h.groups) == 0 {
		r = r.Clone()
		r.AddAttrs(ids[:]...)
		return h.full.Handle(ctx, r)
	}
	// Rebuild the groups from the innermost out; a group with no
	// attributes is not written, as WithGroup would not write it.
	last := h.groups[len(h.groups)-1]
	as := make([]slog.Attr, 0, len(last.attrs)+r.NumAttrs())
	as = append(as, last.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		as = append(as, a)
		return true
	})
	var inner slog.Attr // empty until a group has attributes
	if len(as) > 0 {
		inner = slog.Attr{Key: last.name, Value: slog.GroupValue(as...)}
	}
	for i := len(h.groups) - 2; i >= 0; i-- {
		g := h.groups[i]
		switch {
		case inner.Key == "" && len(g.attrs) == 0:
			continue
		case inner.Key == "":
			inner = slog.Attr{Key: g.name, Value: slog.GroupValue(g.attrs...)}
		default:
			as := make([]slog.Attr, 0, len(g.attrs)+1)
			inner = slog.Attr{Key: g.name, Value: slog.GroupValue(append(append(as, g.attrs...), inner)...)}
		}
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if inner.Key != "" {
		out.AddAttrs(inner)
	}
	out.AddAttrs(ids[:]...)
	return h.root.Handle(ctx, out)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := traceHandler{full: h.full.WithAttrs(attrs), root: h.root}
	if len(h.groups) == 0 {
		n.root = n.full
		return n
	}
	n.groups = slices.Clone(h.groups)
	last := &n.groups[len(n.groups)-1]
	last.attrs = append(slices.Clip(last.attrs), attrs...)
	return n
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return traceHandler{
		full:   h.full.WithGroup(name),
		root:   h.root,
		groups: append(slices.Clip(h.groups), logGroup{name: name}),
	}
}

// LogHandler returns TraceHandler(h) and, when log export is configured
// (OTEL_LOGS_EXPORTER=otlp), also sends every record through the
// OpenTelemetry slog bridge. Unless WithErrorLogger says otherwise,
// OpenTelemetry's own errors and warnings go to h from then on (to h
// alone, so that a failing log export does not feed itself).
func (t *Telemetry) LogHandler(h slog.Handler) slog.Handler {
	if t.diag != nil {
		t.diag.local.Store(slog.New(h))
	}
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
