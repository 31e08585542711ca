package telemetry

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// knownVariables are the OTEL_ variables the specification defines for
// the SDK and its exporters, and those OpenTelemetry-Go reads besides.
// A variable not among them but a letter or two away from one is most
// likely a typo, which OpenTelemetry ignores without a word.
var knownVariables = func() []string {
	vars := []string{
		"OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_LOG_LEVEL",
		"OTEL_PROPAGATORS", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
		"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER",
		"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
		"OTEL_BLRP_SCHEDULE_DELAY", "OTEL_BLRP_EXPORT_TIMEOUT", "OTEL_BLRP_MAX_QUEUE_SIZE", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
		"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT", "OTEL_METRICS_EXEMPLAR_FILTER",
		"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT",
		"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT",
		"OTEL_SPAN_LINK_COUNT_LIMIT", "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
		"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT",
		"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
		"OTEL_EXPORTER_PROMETHEUS_HOST", "OTEL_EXPORTER_PROMETHEUS_PORT",
		"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "OTEL_EXPORTER_ZIPKIN_TIMEOUT",
		"OTEL_CONFIG_FILE", "OTEL_EXPERIMENTAL_CONFIG_FILE", "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS",
		"OTEL_SEMCONV_STABILITY_OPT_IN", "OTEL_GO_X_EXEMPLAR", "OTEL_GO_X_RESOURCE", "OTEL_GO_X_OBSERVABILITY",
		"OTEL_GO_X_SELF_OBSERVABILITY", "OTEL_GO_X_CARDINALITY_LIMIT",
	}
	for _, signal := range []string{"", "TRACES_", "METRICS_", "LOGS_"} {
		for _, v := range []string{"ENDPOINT", "PROTOCOL", "HEADERS", "TIMEOUT", "COMPRESSION", "INSECURE",
			"CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"} {
			vars = append(vars, "OTEL_EXPORTER_OTLP_"+signal+v)
		}
	}
	return vars
}()

// unknownVariables returns a warning for each OTEL_ variable of the
// environment that OpenTelemetry does not read but that is at most two
// edits from one it does: OTEL_TRACE_EXPORTER for OTEL_TRACES_EXPORTER.
// Other unknown names (another language's agent, a vendor's) are left
// alone.
func unknownVariables() []string {
	var warnings []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "OTEL_") || slices.Contains(knownVariables, name) {
			continue
		}
		best, bestD := "", 3
		for _, k := range knownVariables {
			if d := editDistance(name, k, bestD); d < bestD {
				best, bestD = k, d
			}
		}
		if best != "" {
			warnings = append(warnings, fmt.Sprintf("telemetry: %s is not a variable OpenTelemetry reads; did you mean %s? It is ignored", name, best))
		}
	}
	slices.Sort(warnings)
	return warnings
}

// editDistance is the Levenshtein distance of a and b, or limit when it is
// limit or more.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
