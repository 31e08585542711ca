package deploy_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

func TestReadMarkersRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := deploy.Writer(&buf)
	m2 := marker
	m2.ID, m2.Failed, m2.CommitTime = "", true, marker.Start.Add(-2*time.Hour)
	for _, m := range []deploy.Marker{marker, m2} {
		if err := w.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	// Other events and blank lines in the same stream are skipped.
	stream := "\n" + `{"event":"rollout-step","step":2}` + "\n" + buf.String() + "  \n" + `{"time":"x","msg":"hello"}` + "\n"
	got, err := deploy.ReadMarkers(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[0], marker) || !reflect.DeepEqual(got[1], m2) {
		t.Errorf("ReadMarkers = %+v\nwant %+v\nand %+v", got, marker, m2)
	}
	if dep := got[1].Deployment(); dep.ID != deploy.ID("checkout", "production", "1.4.2", "abc123") || !dep.Failed ||
		len(dep.Commits) != 1 || !dep.Commits[0].Equal(m2.CommitTime) || !dep.Time.Equal(m2.Start) {
		t.Errorf("Deployment() = %+v", dep)
	}
}

func TestReadMarkersErrors(t *testing.T) {
	ok := `{"event":"deployment","id":"1","service":"a","start":"2026-11-26T09:00:00Z","end":"2026-11-26T09:00:00Z"}`
	tests := []struct{ in, want string }{
		{ok + "\n" + `{"event":"deployment","id":"2","service":"a","start":"2026-11-26T09:00:00Z","end`, "line 2: unexpected end of JSON input"},
		{ok + "\nhello\n", "line 2 is not a JSON object"},
		{`{"event":"deployment","id":"1","start":"2026-11-26T09:00:00Z"}`, "line 1: marker Service is empty"},
		{`{"event":"deployment","id":"1","service":"a"}`, "line 1: start is missing"},
		{`{"event":"deployment","service":"a","start":"yesterday"}`, "line 1: parsing time"},
		{`{"event":"deployment","service":"a","start":"2026-11-26T09:00:00Z","end":"2026-11-26T08:00:00Z"}`, "line 1: marker End"},
		{ok + "\n{" + strings.Repeat(" ", 1<<20) + "}", "longer than 1048576 bytes"},
	}
	for _, tt := range tests {
		got, err := deploy.ReadMarkers(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadMarkers(%.60q) = %v, want %q", tt.in, err, tt.want)
		}
		if strings.HasPrefix(tt.in, ok) && len(got) != 1 {
			t.Errorf("ReadMarkers(%.60q) kept %d markers before the error, want 1", tt.in, len(got))
		}
	}
}

func FuzzReadMarkers(f *testing.F) {
	var buf bytes.Buffer
	deploy.Writer(&buf).Send(context.Background(), marker)
	f.Add(buf.String())
	f.Add(`{"event":"deployment","service":"a","start":"2026-11-26T09:00:00Z"}` + "\n\n{}")
	f.Add("{\n")
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := deploy.ReadMarkers(strings.NewReader(in))
		for _, m := range ms {
			// What it returns is valid, and survives a second round.
			if m.Validate() != nil || m.Start.IsZero() {
				t.Fatalf("ReadMarkers returned an invalid marker %+v", m)
			}
		}
		if err != nil {
			return
		}
		var again bytes.Buffer
		w := deploy.Writer(&again)
		for _, m := range ms {
			if err := w.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
		back, err := deploy.ReadMarkers(&again)
		if err != nil || len(back) != len(ms) {
			t.Fatalf("markers written again read back as %d, %v; want %d", len(back), err, len(ms))
		}
	})
}

// A Writer's line is for logs and jq: "->" is written as it is, not as
// "-\u003e", and reads back the same.
func TestWriterDoesNotEscapeHTML(t *testing.T) {
	var buf bytes.Buffer
	m := deploy.Marker{ID: "7", Service: "cart", Description: "cart -> checkout & <b>",
		Start: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 26, 9, 1, 0, 0, time.UTC)}
	if err := deploy.Writer(&buf).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"description":"cart -> checkout & <b>"`) || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("line = %q", buf.String())
	}
	got, err := deploy.ReadMarkers(&buf)
	if err != nil || len(got) != 1 || got[0].Description != m.Description {
		t.Errorf("read back %+v, %v", got, err)
	}
}
