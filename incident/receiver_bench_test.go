package incident_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/ybiyri/runkit/incident"
)

// benchPayload is a group of ten alerts of one SLO, as Alertmanager
// repeats it every repeat_interval while they fire.
func benchPayload(b *testing.B) []byte {
	var alerts []incident.WebhookAlert
	for i := range 10 {
		alerts = append(alerts, alert("firing", "fp-"+string(rune('a'+i)), "page", t0, time.Time{}))
	}
	p, err := json.Marshal(incident.Webhook{Version: "4", Status: "firing", Alerts: alerts})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkParseWebhook is the baseline: reading the payload alone.
func BenchmarkParseWebhook(b *testing.B) {
	p := benchPayload(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := incident.ParseWebhook(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiverRepeat is a repeat notification of alerts already in
// an incident: parsed and applied, nothing written.
func BenchmarkReceiverRepeat(b *testing.B) {
	r, err := incident.NewReceiver(incident.ReceiverConfig{File: filepath.Join(b.TempDir(), "i"), TrustedNetwork: true})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	p := benchPayload(b)
	m, _ := incident.ParseWebhook(p)
	if _, err := r.Handle(m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, err := incident.ParseWebhook(p)
		if err != nil {
			b.Fatal(err)
		}
		if res, err := r.Handle(m); err != nil || res.Unchanged != 10 {
			b.Fatal(res, err)
		}
	}
}
