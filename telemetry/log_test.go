package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"

	"github.com/ybiyri/runkit/telemetry"
)

var testSpan = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
	SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	TraceFlags: trace.FlagsSampled,
})

const (
	testTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpanID  = "00f067aa0ba902b7"
)

// jsonLines decodes each line of buf as a JSON object.
func jsonLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestTraceHandlerGroups(t *testing.T) {
	var buf bytes.Buffer
	drop := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(telemetry.TraceHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: drop})))
	ctx := trace.ContextWithSpanContext(context.Background(), testSpan)

	log.With("service", "checkout").WithGroup("req").With("method", "GET").WithGroup("user").InfoContext(ctx, "charged", "id", 7)
	log.WithGroup("req").InfoContext(ctx, "no attributes")
	log.WithGroup("req").InfoContext(context.Background(), "outside a span", "id", 8)
	log.InfoContext(ctx, "no group", "id", 9)

	want := []map[string]any{
		{"msg": "charged", "service": "checkout", "trace_id": testTraceID, "span_id": testSpanID,
			"req": map[string]any{"method": "GET", "user": map[string]any{"id": 7.0}}},
		{"msg": "no attributes", "trace_id": testTraceID, "span_id": testSpanID},
		{"msg": "outside a span", "req": map[string]any{"id": 8.0}},
		{"msg": "no group", "trace_id": testTraceID, "span_id": testSpanID, "id": 9.0},
	}
	if diff := cmp.Diff(want, jsonLines(t, &buf)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestTraceHandlerConformance runs the standard library's handler tests on
// TraceHandler, with every record made inside a span: apart from the two
// top-level ids it adds, it must behave as the handler it wraps.
func TestTraceHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return inSpan{telemetry.TraceHandler(slog.NewJSONHandler(&buf, nil))}
	}
	result := func(t *testing.T) map[string]any {
		lines := jsonLines(t, &buf)
		if len(lines) != 1 {
			t.Fatalf("%d records, want 1", len(lines))
		}
		m := lines[0]
		if m["trace_id"] != testTraceID || m["span_id"] != testSpanID {
			t.Errorf("record %v lacks the top-level trace_id and span_id", m)
		}
		delete(m, "trace_id")
		delete(m, "span_id")
		return m
	}
	slogtest.Run(t, newHandler, result)
}

// inSpan makes every record inside testSpan, as if logged with a span's
// context.
type inSpan struct{ slog.Handler }

func (h inSpan) Handle(ctx context.Context, r slog.Record) error {
	return h.Handler.Handle(trace.ContextWithSpanContext(ctx, testSpan), r)
}

func (h inSpan) WithAttrs(as []slog.Attr) slog.Handler { return inSpan{h.Handler.WithAttrs(as)} }
func (h inSpan) WithGroup(name string) slog.Handler    { return inSpan{h.Handler.WithGroup(name)} }
