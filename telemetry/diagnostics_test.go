package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ybiyri/runkit/telemetry"
)

// syncBuffer is a bytes.Buffer for a handler that exporters' goroutines
// write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the records written, without the time.
func (s *syncBuffer) lines() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func textLogger(w *syncBuffer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
}

// captureStdLog sends the standard log package's output, where
// OpenTelemetry writes by default, to a buffer for the test.
func captureStdLog(t *testing.T) *syncBuffer {
	var b syncBuffer
	prev := log.Writer()
	log.SetOutput(&b)
	t.Cleanup(func() { log.SetOutput(prev) })
	return &b
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestExportErrorsGoToTheLogHandler wires the service as the README does:
// Setup, then a logger from LogHandler. An export failure must reach that
// logger, not the standard log package.
func TestExportErrorsGoToTheLogHandler(t *testing.T) {
	clearEnv(t)
	restoreGlobals(t)
	std := captureStdLog(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+closedAddr(t))
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics(), telemetry.WithMetricsExporter("none"))
	if err != nil {
		t.Fatal(err)
	}
	var app syncBuffer
	slog.New(tel.LogHandler(slog.NewTextHandler(&app, nil))).Info("started")
	_, span := tel.Tracer("t").Start(context.Background(), "work")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tel.Shutdown(ctx) // the final export fails, and the batcher reports it to the error handler

	if !strings.Contains(app.String(), "level=ERROR") || !strings.Contains(app.String(), "connection refused") {
		t.Errorf("application log = %q, want the export failure at ERROR", app.String())
	}
	if s := std.String(); s != "" {
		t.Errorf("standard log got %q, want nothing", s)
	}
}

func TestErrorLoggerDefaultsAndOption(t *testing.T) {
	clearEnv(t)
	restoreGlobals(t)
	std := captureStdLog(t)
	var def syncBuffer
	prev := slog.Default()
	slog.SetDefault(textLogger(&def, slog.LevelInfo))
	t.Cleanup(func() { slog.SetDefault(prev) })

	// Nothing given: slog.Default().
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	otel.Handle(errors.New("first"))
	tel.Shutdown(t.Context())
	if got, want := def.lines(), []string{`level=ERROR msg="opentelemetry error" err=first`}; !slices.Equal(got, want) {
		t.Errorf("slog.Default got %q, want %q", got, want)
	}

	// WithErrorLogger wins over the LogHandler's handler.
	var opt, app syncBuffer
	tel, err = telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics(), telemetry.WithErrorLogger(textLogger(&opt, slog.LevelInfo)))
	if err != nil {
		t.Fatal(err)
	}
	tel.LogHandler(slog.NewTextHandler(&app, nil))
	otel.Handle(errors.New("second"))
	tel.Shutdown(t.Context())
	if got, want := opt.lines(), []string{`level=ERROR msg="opentelemetry error" err=second`}; !slices.Equal(got, want) {
		t.Errorf("WithErrorLogger's logger got %q, want %q", got, want)
	}
	if app.String() != "" || len(def.lines()) != 1 || std.String() != "" {
		t.Errorf("other loggers got app=%q default=%q std=%q", app.String(), def.String(), std.String())
	}
}

// TestInternalLogLevels shows OpenTelemetry's internal log at slog levels:
// its warnings at WARN, its info (provider created) at DEBUG only.
func TestInternalLogLevels(t *testing.T) {
	clearEnv(t)
	restoreGlobals(t)
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf syncBuffer
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics(), telemetry.WithErrorLogger(textLogger(&buf, level)))
		if err != nil {
			t.Fatal(err)
		}
		sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter()) // warns
		sdktrace.NewTracerProvider().Shutdown(t.Context())           // informs
		tel.Shutdown(t.Context())
		out := buf.String()
		if !strings.Contains(out, `level=WARN msg="SimpleSpanProcessor is not recommended`) {
			t.Errorf("at %v the log lacks the warning: %q", level, out)
		}
		if got := strings.Contains(out, `level=DEBUG msg="TracerProvider created"`); got != (level == slog.LevelDebug) {
			t.Errorf("at %v the log has the provider's info at DEBUG: %v, want %v: %q", level, got, level == slog.LevelDebug, out)
		}
	}
}

// TestErrorLogRateLimit: during an outage the log gets a few records, then
// one per interval that says how many were left out, and Shutdown reports
// the rest.
func TestErrorLogRateLimit(t *testing.T) {
	clearEnv(t)
	restoreGlobals(t)
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		tel, err := telemetry.Setup(t.Context(), telemetry.WithoutRuntimeMetrics(), telemetry.WithErrorLogger(textLogger(&buf, slog.LevelInfo)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 1000 {
			otel.Handle(fmt.Errorf("export %d", i))
		}
		if n := len(buf.lines()); n != telemetry.ErrorLogBurst {
			t.Fatalf("1000 errors at once wrote %d records, want %d", n, telemetry.ErrorLogBurst)
		}
		time.Sleep(telemetry.ErrorLogInterval)
		otel.Handle(errors.New("still down"))
		lines := buf.lines()
		last := lines[len(lines)-1]
		want := fmt.Sprintf(`level=ERROR msg="opentelemetry error" err="still down" suppressed=%d`, 1000-telemetry.ErrorLogBurst)
		if last != want {
			t.Errorf("after %v: %q, want %q", telemetry.ErrorLogInterval, last, want)
		}
		for range 7 {
			otel.Handle(errors.New("down"))
		}
		tel.Shutdown(t.Context())
		lines = buf.lines()
		if last, want := lines[len(lines)-1], `level=WARN msg="opentelemetry errors suppressed" suppressed=7`; last != want {
			t.Errorf("at Shutdown: %q, want %q", last, want)
		}
	})
}
