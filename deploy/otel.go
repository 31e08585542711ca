package deploy

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

const scope = "github.com/ybiyri/runkit/deploy"

// OTelConfig configures the OpenTelemetry sink. Every zero field has a
// default.
type OTelConfig struct {
	// TracerProvider makes the deployment span. Nil means the global one.
	TracerProvider trace.TracerProvider
	// LoggerProvider, when set, also emits a log record for the
	// deployment.
	LoggerProvider log.LoggerProvider
}

// OTel returns a sink that records the deployment as a span from Start to
// End named "deploy SERVICE", and as a log record when a logger provider is
// set, carrying the deployment.*, service.* and vcs.* semantic-convention
// attributes. It uses the OpenTelemetry API only: the application's SDK
// exports it.
func OTel(cfg OTelConfig) Sink {
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	o := &otelSink{tracer: tp.Tracer(scope)}
	if cfg.LoggerProvider != nil {
		o.logger = cfg.LoggerProvider.Logger(scope)
	}
	return o
}

type otelSink struct {
	tracer trace.Tracer
	logger log.Logger
}

func (o *otelSink) Name() string { return "otel" }

// Attributes returns the semantic-convention attributes of m.
func (m Marker) Attributes() []attribute.KeyValue {
	status := semconv.DeploymentStatusSucceeded
	if m.Failed {
		status = semconv.DeploymentStatusFailed
	}
	attrs := []attribute.KeyValue{
		semconv.DeploymentID(m.ID),
		semconv.DeploymentName(m.Service),
		status,
		semconv.ServiceName(m.Service),
	}
	if m.Environment != "" {
		attrs = append(attrs, semconv.DeploymentEnvironmentNameKey.String(m.Environment))
	}
	if m.Version != "" {
		attrs = append(attrs, semconv.ServiceVersion(m.Version))
	}
	if m.Revision != "" {
		attrs = append(attrs, semconv.VCSRefHeadRevisionKey.String(m.Revision))
	}
	if m.Repository != "" {
		attrs = append(attrs, semconv.VCSRepositoryURLFullKey.String(m.Repository))
	}
	return attrs
}

func (o *otelSink) Send(ctx context.Context, m Marker) error {
	attrs := m.Attributes()
	_, span := o.tracer.Start(ctx, "deploy "+m.Service,
		trace.WithTimestamp(m.Start), trace.WithAttributes(attrs...), trace.WithSpanKind(trace.SpanKindInternal))
	if m.Failed {
		span.SetStatus(codes.Error, "deployment failed")
	}
	span.End(trace.WithTimestamp(m.End))
	if o.logger != nil {
		var rec log.Record
		rec.SetTimestamp(m.End)
		rec.SetEventName("deployment")
		rec.SetSeverity(log.SeverityInfo)
		rec.SetBody(attribute.StringValue(m.title()))
		rec.AddAttributes(attrs...)
		o.logger.Emit(ctx, rec)
	}
	return nil
}
