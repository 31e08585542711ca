package deploy

import (
	"strings"
	"testing"

	"github.com/ybiyri/runkit/slo/promrules"
)

// The series FetchPrometheusSLOStatus reads are the ones promrules writes.
func TestPrometheusSeriesNames(t *testing.T) {
	for _, c := range [][2]string{
		{promErrorRatio, promrules.ErrorRatio},
		{promBudgetRemaining, promrules.BudgetRemaining},
		{promInfo, promrules.Info},
		{promBurnAlert, promrules.BurnAlert},
	} {
		if c[0] != c[1] {
			t.Errorf("deploy reads %q, promrules writes %q", c[0], c[1])
		}
	}
}

// decodeVector reads any bytes without panicking, and what it accepts is
// a vector of numbers.
func FuzzDecodeVector(f *testing.F) {
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"slo":"a"},"value":[1796212800.5,"0.25"]}]}}`)
	f.Add(`{"status":"error","errorType":"bad_data","error":"parse error"}`)
	f.Add(`{"status":"success","data":{"resultType":"matrix","result":[]}}`)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"value":[1e300,"NaN"]}]}}`)
	f.Add(`<html>`)
	f.Fuzz(func(t *testing.T, body string) {
		out, _, err := decodeVector(strings.NewReader(body))
		if err == nil && out == nil {
			t.Errorf("accepted %q with no vector", body)
		}
	})
}
