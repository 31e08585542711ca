package deploy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// The gate judges checkout from the series its rules record in
// Prometheus, every replica's events summed. (A stand-in answers here as
// Prometheus's query API would.)
func ExampleFetchPrometheusSLOStatus() {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("query")
		result := `[]`
		switch {
		case strings.HasPrefix(q, "runkit:slo_info"):
			result = `[{"metric":{"__name__":"runkit:slo_info","slo":"checkout","target":"0.999","window":"30d"},"value":[1796212800,"1"]}]`
		case strings.HasPrefix(q, "ALERTS"):
			result = `[{"metric":{"__name__":"ALERTS","alertname":"SLOErrorBudgetBurn","alertstate":"firing","slo":"checkout","severity":"critical","long_window":"1h","short_window":"5m"},"value":[1796212800,"1"]}]`
		default:
			result = `[{"metric":{"__name__":"runkit:slo_budget_remaining:ratio","slo":"checkout"},"value":[1796212800,"0.75"]},
				{"metric":{"__name__":"runkit:slo_errors:ratio_rate30d","slo":"checkout"},"value":[1796212800,"0.00025"]},
				{"metric":{"__name__":"runkit:slo_errors:ratio_rate1h","slo":"checkout"},"value":[1796212800,"0.02"]},
				{"metric":{"__name__":"runkit:slo_errors:ratio_rate5m","slo":"checkout"},"value":[1796212800,"0.03"]}]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, result)
	}))
	defer prom.Close()

	statuses, err := deploy.FetchPrometheusSLOStatus(context.Background(), nil, deploy.PrometheusSource{
		URL: prom.URL, SLO: "checkout",
		// The rules were written with promrules.Config.Severity mapping
		// the page tier to "critical".
		Severity: map[slo.Severity]string{slo.Page: "critical"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := statuses[0]
	fmt.Printf("%s: %.0f%% of the budget left, recent burn rate %.0f over %v, page firing: %v\n",
		s.Objective, 100*s.Remaining, s.RecentBurnRate, s.RecentWindow, s.Firing(slo.Page))
	d := deploy.Gate{}.Decide(deploy.Request{}, statuses...)
	fmt.Println(d.Allow, d.Rule)
	// Output:
	// checkout: 75% of the budget left, recent burn rate 20 over 1h0m0s, page firing: true
	// false page-firing
}
