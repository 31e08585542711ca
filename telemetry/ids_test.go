package telemetry_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/ybiyri/runkit/telemetry"
)

// lockedBuffer is a log destination that a server's goroutines and the
// test share.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON records written so far and empties b.
func (b *lockedBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(&b.buf)
	for dec.More() {
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// TestRecordsCarryTheRequestsOwnSpanWithoutExporter wires a service as the
// README does, with no OTEL_* variable set, so that nothing is exported,
// and serves it to a real client: every record logged inside a request
// carries that request's trace_id and its server span's span_id. A
// request that came with a traceparent keeps the caller's trace, and its
// span_id is the server's own span, not the caller's.
func TestRecordsCarryTheRequestsOwnSpanWithoutExporter(t *testing.T) {
	clearEnv(t)
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	var out lockedBuffer
	log := slog.New(tel.LogHandler(slog.NewJSONHandler(&out, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "serving item", "id", r.PathValue("id"))
		// What the request's context holds, for the test to compare.
		sc := trace.SpanContextFromContext(r.Context())
		w.Header().Set("X-Span", sc.TraceID().String()+"-"+sc.SpanID().String())
	})
	srv := httptest.NewServer(tel.Middleware(mux))
	defer srv.Close()

	get := func(traceparent string) (span string, rec map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/items/7", nil)
		if err != nil {
			t.Fatal(err)
		}
		if traceparent != "" {
			req.Header.Set("Traceparent", traceparent)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		recs := out.records(t)
		if len(recs) != 1 {
			t.Fatalf("%d records for one request, want 1: %v", len(recs), recs)
		}
		return resp.Header.Get("X-Span"), recs[0]
	}
	ids := func(rec map[string]any) (traceID, spanID string) {
		traceID, _ = rec["trace_id"].(string)
		spanID, _ = rec["span_id"].(string)
		return traceID, spanID
	}
	valid := func(traceID, spanID string) bool {
		tid, err1 := trace.TraceIDFromHex(traceID)
		sid, err2 := trace.SpanIDFromHex(spanID)
		return err1 == nil && err2 == nil && tid.IsValid() && sid.IsValid()
	}

	// No traceparent: the request starts a trace of its own.
	span1, rec1 := get("")
	tid1, sid1 := ids(rec1)
	if !valid(tid1, sid1) {
		t.Fatalf("record %v: want a valid trace_id and span_id", rec1)
	}
	if span1 != tid1+"-"+sid1 {
		t.Errorf("record has trace_id-span_id %s-%s, the request's context %s", tid1, sid1, span1)
	}
	span2, rec2 := get("")
	tid2, sid2 := ids(rec2)
	if !valid(tid2, sid2) || tid2 == tid1 || sid2 == sid1 || span2 != tid2+"-"+sid2 {
		t.Errorf("second request: record %v, context %s; want its own trace, not the first's %s-%s", rec2, span2, tid1, sid1)
	}

	// A caller's traceparent: the trace is the caller's, the span the
	// server's.
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	span3, rec3 := get("00-" + callerTrace + "-" + callerSpan + "-01")
	tid3, sid3 := ids(rec3)
	if tid3 != callerTrace {
		t.Errorf("with a traceparent: trace_id %q, want the caller's %s", tid3, callerTrace)
	}
	if !valid(tid3, sid3) || sid3 == callerSpan {
		t.Errorf("with a traceparent: span_id %q, want the server span's own, not the caller's %s", sid3, callerSpan)
	}
	if span3 != tid3+"-"+sid3 {
		t.Errorf("record has trace_id-span_id %s-%s, the request's context %s", tid3, sid3, span3)
	}
}
