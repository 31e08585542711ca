package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// promRenames maps the Prometheus names of metrics that promtool rejects
// to the names MetricsHandler serves them under. The runtime's
// go.goroutine.count is a gauge, which Prometheus must not name _count
// (a histogram's suffix); go_goroutines is the name Go services have
// always exposed it under. OTLP export keeps the OpenTelemetry name.
var promRenames = map[string]string{"go_goroutine_count": "go_goroutines"}

// renamingGatherer serves a registry's metrics with promRenames applied.
type renamingGatherer struct{ prometheus.Gatherer }

func (g renamingGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := g.Gatherer.Gather()
	taken := make(map[string]bool, len(mfs))
	for _, mf := range mfs {
		taken[mf.GetName()] = true
	}
	for _, mf := range mfs {
		// Gather builds new families on each call: renaming one in place
		// touches nothing the registry keeps.
		if to, ok := promRenames[mf.GetName()]; ok && !taken[to] {
			mf.Name = &to
		}
	}
	return mfs, err
}
