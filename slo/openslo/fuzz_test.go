package openslo_test

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ybiyri/runkit/slo/openslo"
)

// comparable drops what a second reading cannot keep: positions, and the
// identity (not the name) of each time zone.
func comparable(slos []openslo.SLO) ([]openslo.SLO, []string) {
	out := clearPositions(slos)
	var zones []string
	for i := range out {
		objs := append([]openslo.Objective(nil), out[i].Objectives...)
		for j := range objs {
			zones = append(zones, objs[j].Window.String())
			objs[j].Window.Location = nil
		}
		out[i].Objectives = objs
	}
	return out, zones
}

// Whatever Parse accepts, Write writes, and Parse reads back the same.
func FuzzParseWriteParse(f *testing.F) {
	fleet, err := os.ReadFile("testdata/fleet.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fleet)
	f.Add([]byte(sloDoc))
	f.Add([]byte(strings.Replace(sloDoc, "target: 0.999", "targetPercent: 99.95", 1)))
	f.Add([]byte(strings.Replace(sloDoc, "query: errors_total", "query: errors_total\n              limits: [1, 2.5, {a: null}]\n              on: yes", 1)))
	f.Add([]byte("apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: p}\nspec: {type: Prometheus}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		slos, err := openslo.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := openslo.Write(&buf, slos...); err != nil {
			t.Fatalf("Write of what Parse read: %v", err)
		}
		if len(slos) == 0 {
			// No SLOs (a set of SLIs) write nothing, which is no file to
			// read back.
			if buf.Len() != 0 {
				t.Fatalf("Write of no SLOs wrote %q", buf.Bytes())
			}
			return
		}
		again, err := openslo.Parse("again.yaml", buf.Bytes())
		if err != nil {
			t.Fatalf("Parse of what Write wrote: %v\n%s", err, buf.Bytes())
		}
		a, za := comparable(slos)
		b, zb := comparable(again)
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(za, zb) {
			t.Fatalf("read → write → read changed the SLOs:\n%#v\n%#v\n%s", a, b, buf.Bytes())
		}
	})
}
