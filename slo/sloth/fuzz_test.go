package sloth_test

import (
	"errors"
	"os"
	"testing"

	"github.com/ybiyri/runkit/slo/sloth"
)

// Parse never panics; it returns SLOs or *Errors, and what it returns
// converts without panicking: every SLO has a name, a service and an
// objective in (0, 100], and exactly one SLI.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/options.yaml", "testdata/k8s.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(spec))
	f.Add([]byte("version: prometheus/v1\n"))
	f.Add([]byte("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nspec: {service: a1, slos: [{name: b2}]}\n"))
	f.Add([]byte("version: prometheus/v1\nservice: &a s1\nslos: [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		slos, err := sloth.Parse("fuzz.yaml", data)
		if err != nil {
			var e *sloth.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is no *Error", err)
			}
			if slos != nil {
				t.Fatalf("SLOs beside an error")
			}
			return
		}
		for _, s := range slos {
			sli := 0
			for _, q := range []string{s.SLI.ErrorQuery, s.SLI.ErrorRatioQuery, s.SLI.Plugin} {
				if q != "" {
					sli++
				}
			}
			if s.Name == "" || s.Service == "" || !(s.Objective > 0 && s.Objective <= 100) || sli != 1 {
				t.Fatalf("accepted %+v", s)
			}
			if o, err := s.AsObjective(); err == nil {
				s.Policy(o)
			}
			s.PageLabels()
			s.FieldPosition("sli.events.error_query")
		}
	})
}
