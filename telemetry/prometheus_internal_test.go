package telemetry

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestRenamingGatherer(t *testing.T) {
	names := func(mfs []*dto.MetricFamily) []string {
		var out []string
		for _, mf := range mfs {
			out = append(out, mf.GetName())
		}
		return out
	}
	family := func(name string) *dto.MetricFamily { return &dto.MetricFamily{Name: &name} }
	tests := []struct {
		in, want []string
	}{
		{[]string{"go_goroutine_count", "jobs_total"}, []string{"go_goroutines", "jobs_total"}},
		// A metric of the application's already has the name: keep both
		// distinct rather than serve two families of one name.
		{[]string{"go_goroutine_count", "go_goroutines"}, []string{"go_goroutine_count", "go_goroutines"}},
		{nil, nil},
	}
	for _, tt := range tests {
		g := renamingGatherer{prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
			var mfs []*dto.MetricFamily
			for _, n := range tt.in {
				mfs = append(mfs, family(n))
			}
			return mfs, nil
		})}
		mfs, err := g.Gather()
		if got := names(mfs); err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Gather of %v = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
