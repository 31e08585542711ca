// Package redact hides the parts of URLs that carry secrets, for the
// errors and logs of the packages that hold such URLs (deploy's sinks,
// telemetry's OTLP endpoints), so that both follow one rule.
package redact
