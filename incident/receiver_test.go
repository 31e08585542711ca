package incident_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/slo/promrules"
)

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

// alert is a runkit burn-rate alert of SLO availability of checkout.
func alert(status, fingerprint, severity string, start, end time.Time) incident.WebhookAlert {
	return incident.WebhookAlert{
		Status: status,
		Labels: map[string]string{"alertname": incident.BurnAlert, "slo": "availability", "severity": severity,
			"service": "checkout", "environment": "production"},
		Annotations:  map[string]string{"summary": "SLO availability burns its error budget 20 times too fast over 1h"},
		StartsAt:     start,
		EndsAt:       end,
		GeneratorURL: "http://prometheus:9090/graph",
		Fingerprint:  fingerprint,
	}
}

func payload(t *testing.T, alerts ...incident.WebhookAlert) []byte {
	t.Helper()
	b, err := json.Marshal(incident.Webhook{Version: "4", Status: alerts[0].Status, Receiver: "runkit", Alerts: alerts})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receiver serves a Receiver on file with token "s3cret".
type receiver struct {
	*incident.Receiver
	srv  *httptest.Server
	file string
}

func newReceiver(t *testing.T, file string, cfg incident.ReceiverConfig) *receiver {
	t.Helper()
	cfg.File = file
	if cfg.Token == "" && !cfg.TrustedNetwork {
		cfg.Token = "s3cret"
	}
	r, err := incident.NewReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(func() { srv.Close(); r.Close() })
	return &receiver{r, srv, file}
}

// post sends body as Alertmanager does and returns the status and body.
func (r *receiver) post(t *testing.T, body []byte, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *receiver) mustPost(t *testing.T, alerts ...incident.WebhookAlert) {
	t.Helper()
	if code, body := r.post(t, payload(t, alerts...), "s3cret"); code != http.StatusOK {
		t.Fatalf("POST: %d %s", code, body)
	}
}

func lineCount(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

func TestBurnAlertIsPromrules(t *testing.T) {
	if incident.BurnAlert != promrules.BurnAlert {
		t.Errorf("BurnAlert = %q, promrules writes %q", incident.BurnAlert, promrules.BurnAlert)
	}
}

func TestReceiverOpensAndRestores(t *testing.T) {
	file := filepath.Join(t.TempDir(), "incidents.jsonl")
	r := newReceiver(t, file, incident.ReceiverConfig{})
	r.mustPost(t, alert("firing", "fp-page", "page", t0, time.Time{}))
	recs := r.Records()
	if len(recs) != 1 || !recs[0].Open() {
		t.Fatalf("after firing: %+v, want one open incident", recs)
	}
	want := "checkout-availability-20261203T140000Z"
	if recs[0].ID != want || recs[0].SLO != "availability" || recs[0].Service != "checkout" || recs[0].Environment != "production" || recs[0].Severity != "page" {
		t.Errorf("record %+v, want ID %s of checkout/production, page", recs[0], want)
	}
	// The ticket tier joins; the page resolves while the ticket fires.
	r.mustPost(t, alert("firing", "fp-ticket", "ticket", t0.Add(2*time.Minute), time.Time{}))
	r.mustPost(t, alert("resolved", "fp-page", "page", t0, t0.Add(10*time.Minute)), alert("firing", "fp-ticket", "ticket", t0.Add(2*time.Minute), time.Time{}))
	if recs := r.Records(); len(recs) != 1 || !recs[0].Open() {
		t.Fatalf("with the ticket firing: %+v, want one open incident", recs)
	}
	r.mustPost(t, alert("resolved", "fp-ticket", "ticket", t0.Add(2*time.Minute), t0.Add(25*time.Minute)))
	recs = r.Records()
	if len(recs) != 1 || recs[0].Open() || !recs[0].Restored.Equal(t0.Add(25*time.Minute)) {
		t.Fatalf("after both resolved: %+v, want one restored at +25m", recs)
	}
	if len(recs[0].Alerts) != 2 {
		t.Errorf("alerts %+v, want the page and the ticket", recs[0].Alerts)
	}
	// The file's last line of the ID is the incident, as dora reads it.
	f, _ := os.Open(file)
	defer f.Close()
	got, err := incident.ReadRecords(f)
	if err != nil || len(got) != 1 || got[0].Restored == nil {
		t.Errorf("ReadRecords: %+v, %v", got, err)
	}
}

func TestReceiverIdempotent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "incidents.jsonl")
	r := newReceiver(t, file, incident.ReceiverConfig{})
	firing := alert("firing", "fp", "page", t0, time.Time{})
	resolved := alert("resolved", "fp", "page", t0, t0.Add(7*time.Minute))
	r.mustPost(t, firing)
	n := lineCount(t, file)
	r.mustPost(t, firing) // a repeat notification
	r.mustPost(t, firing) // a retry
	if got := lineCount(t, file); got != n {
		t.Errorf("resends of the firing alert wrote %d lines, want none", got-n)
	}
	r.mustPost(t, resolved)
	n = lineCount(t, file)
	r.mustPost(t, resolved) // a retry of the resolved notification
	r.mustPost(t, firing)   // a late retry of the firing one
	if got := lineCount(t, file); got != n {
		t.Errorf("resends after the restore wrote %d lines, want none", got-n)
	}
	recs := r.Records()
	if len(recs) != 1 || recs[0].Open() {
		t.Fatalf("records %+v, want one restored", recs)
	}
	// The same alert firing again later is a new incident.
	r.mustPost(t, alert("firing", "fp", "page", t0.Add(time.Hour), time.Time{}))
	if recs := r.Records(); len(recs) != 2 || !recs[1].Open() {
		t.Fatalf("records %+v, want a second, open incident", recs)
	}
}

func TestReceiverGroupedAlerts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "incidents.jsonl")
	r := newReceiver(t, file, incident.ReceiverConfig{})
	latency := alert("firing", "fp-latency", "ticket", t0.Add(time.Minute), time.Time{})
	latency.Labels = map[string]string{"alertname": incident.BurnAlert, "slo": "latency", "severity": "ticket", "service": "checkout", "environment": "production"}
	other := alert("firing", "fp-other", "page", t0, time.Time{})
	other.Labels = map[string]string{"alertname": "HighCPU", "severity": "page"}
	noData := alert("firing", "fp-nodata", "ticket", t0, time.Time{})
	noData.Labels = map[string]string{"alertname": promrules.NoDataAlert, "slo": "availability", "severity": "ticket"}
	code, body := r.post(t, payload(t,
		alert("firing", "fp-page", "page", t0, time.Time{}),
		latency, other, noData,
		alert("firing", "fp-ticket", "ticket", t0.Add(time.Minute), time.Time{}),
	), "s3cret")
	if code != http.StatusOK || body != "opened 2, restored 0, unchanged 0, ignored 2\n" {
		t.Errorf("POST: %d %q", code, body)
	}
	recs := r.Records()
	if len(recs) != 2 || recs[0].SLO != "availability" || len(recs[0].Alerts) != 2 || recs[1].SLO != "latency" {
		t.Errorf("records %+v, want availability (page and ticket) and latency", recs)
	}
	if r.Ignored() != 2 {
		t.Errorf("Ignored() = %d, want 2", r.Ignored())
	}
}

func TestReceiverRestartLosesAndDuplicatesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "incidents.jsonl")
	r := newReceiver(t, file, incident.ReceiverConfig{})
	r.mustPost(t, alert("firing", "fp-page", "page", t0, time.Time{}), alert("firing", "fp-ticket", "ticket", t0, time.Time{}))
	r.mustPost(t, alert("resolved", "fp-ticket", "ticket", t0, t0.Add(3*time.Minute)))
	r.srv.Close()
	r.Close()

	// A crash while appending left half a line.
	f, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"checkout-availability-2026`)
	f.Close()

	r2 := newReceiver(t, file, incident.ReceiverConfig{})
	if recs := r2.Records(); len(recs) != 1 || !recs[0].Open() || len(recs[0].Alerts) != 2 {
		t.Fatalf("after restart: %+v, want the open incident with both alerts", recs)
	}
	n := lineCount(t, file)
	// Alertmanager repeats what it sent before the restart.
	r2.mustPost(t, alert("firing", "fp-page", "page", t0, time.Time{}), alert("firing", "fp-ticket", "ticket", t0, time.Time{}))
	r2.mustPost(t, alert("resolved", "fp-ticket", "ticket", t0, t0.Add(3*time.Minute)))
	if got := lineCount(t, file); got != n {
		t.Errorf("repeats after the restart wrote %d lines, want none", got-n)
	}
	r2.mustPost(t, alert("resolved", "fp-page", "page", t0, t0.Add(9*time.Minute)))
	recs := r2.Records()
	if len(recs) != 1 || recs[0].Open() || !recs[0].Restored.Equal(t0.Add(9*time.Minute)) {
		t.Fatalf("records %+v, want one, restored at +9m", recs)
	}
	b, _ := os.ReadFile(file)
	if bytes.Contains(b, []byte(`"checkout-availability-2026`+"{")) || !bytes.HasSuffix(b, []byte("\n")) {
		t.Errorf("the cut line was not dropped:\n%s", b)
	}
}

func TestReceiverResolvedNeverSeenFiring(t *testing.T) {
	r := newReceiver(t, filepath.Join(t.TempDir(), "incidents.jsonl"), incident.ReceiverConfig{})
	r.mustPost(t, alert("resolved", "fp", "page", t0, t0.Add(4*time.Minute)))
	recs := r.Records()
	if len(recs) != 1 || recs[0].Open() || recs[0].Restored.Sub(recs[0].Start) != 4*time.Minute {
		t.Fatalf("records %+v, want one incident of 4m, restored", recs)
	}
}

func TestReceiverBadRequests(t *testing.T) {
	r := newReceiver(t, filepath.Join(t.TempDir(), "incidents.jsonl"), incident.ReceiverConfig{MaxPayload: 4096})
	ok := payload(t, alert("firing", "fp", "page", t0, time.Time{}))
	for _, tc := range []struct {
		name  string
		body  string
		token string
		code  int
		want  string
	}{
		{"no token", string(ok), "", 401, "bearer token"},
		{"wrong token", string(ok), "s3cres", 401, "bearer token"},
		{"bad JSON", `{"version":"4","alerts":[`, "s3cret", 400, "unexpected EOF"},
		{"not an object", `[]`, "s3cret", 400, "not a JSON object"},
		{"unknown version", `{"version":"3","alerts":[]}`, "s3cret", 400, `version "3"`},
		{"no version", `{"alerts":[]}`, "s3cret", 400, `version ""`},
		{"bad status", `{"version":"4","alerts":[{"status":"pending","startsAt":"2026-12-03T14:00:00Z","fingerprint":"a"}]}`, "s3cret", 400, `alerts[0].status "pending"`},
		{"no fingerprint", `{"version":"4","alerts":[{"status":"firing","startsAt":"2026-12-03T14:00:00Z"}]}`, "s3cret", 400, "alerts[0].fingerprint is missing"},
		{"no start", `{"version":"4","alerts":[{"status":"firing","fingerprint":"a"}]}`, "s3cret", 400, "alerts[0].startsAt is missing"},
		{"bad time", `{"version":"4","alerts":[{"status":"firing","startsAt":"yesterday","fingerprint":"a"}]}`, "s3cret", 400, "want RFC 3339"},
		{"wrong type", `{"version":4}`, "s3cret", 400, "version: want string, not a JSON number"},
		{"oversized", `{"version":"4","groupKey":"` + strings.Repeat("x", 5000) + `"}`, "s3cret", 413, "over 4096 bytes"},
	} {
		code, body := r.post(t, []byte(tc.body), tc.token)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, code, body, tc.code, tc.want)
		}
	}
	if len(r.Records()) != 0 {
		t.Errorf("bad requests opened %+v", r.Records())
	}
	resp, err := http.Get(r.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestNewReceiverRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := incident.NewReceiver(incident.ReceiverConfig{File: filepath.Join(dir, "a")}); !errors.Is(err, incident.ErrNoToken) {
		t.Errorf("no token: %v, want ErrNoToken", err)
	}
	r, err := incident.NewReceiver(incident.ReceiverConfig{File: filepath.Join(dir, "b"), TrustedNetwork: true})
	if err != nil {
		t.Errorf("trusted network: %v", err)
	} else {
		r.Close()
		r.Close()
	}
	if _, err := incident.NewReceiver(incident.ReceiverConfig{TrustedNetwork: true}); err == nil || !strings.Contains(err.Error(), "File") {
		t.Errorf("no file: %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte(`{"id":"x","start":"2026-12-03T14:00:00Z"}`+"\n"+`{"id":"y","start":"2026-12-03T14:00:00Z","restord":null}`+"\n"), 0o644)
	if _, err := incident.NewReceiver(incident.ReceiverConfig{File: bad, TrustedNetwork: true}); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "restord") {
		t.Errorf("bad file: %v, want line 2 and the field named", err)
	}
	if _, err := incident.NewReceiver(incident.ReceiverConfig{File: filepath.Join(dir, "c"), TrustedNetwork: true, Lookback: -time.Hour}); err == nil || !strings.Contains(err.Error(), "Lookback -1h0m0s") {
		t.Errorf("negative lookback: %v", err)
	}
}

func TestReceiverClosed(t *testing.T) {
	r := newReceiver(t, filepath.Join(t.TempDir(), "incidents.jsonl"), incident.ReceiverConfig{})
	r.Close()
	if code, _ := r.post(t, payload(t, alert("firing", "fp", "page", t0, time.Time{})), "s3cret"); code != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d, want 503", code)
	}
}

func writeMarkers(t *testing.T, ms ...deploy.Marker) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "deployments.jsonl")
	var buf bytes.Buffer
	w := deploy.Writer(&buf)
	for _, m := range ms {
		if err := w.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestReceiverAttributes(t *testing.T) {
	markers := writeMarkers(t,
		deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.1", Start: t0.Add(-30 * time.Hour)},
		deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2", Start: t0.Add(-2 * time.Hour)},
		deploy.Marker{Service: "checkout", Environment: "staging", Version: "1.4.3", Start: t0.Add(-time.Hour)},
		deploy.Marker{Service: "search", Environment: "production", Version: "7", Start: t0.Add(-time.Hour)},
		deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.4", Start: t0.Add(time.Minute)},
	)
	r := newReceiver(t, filepath.Join(t.TempDir(), "incidents.jsonl"), incident.ReceiverConfig{Deployments: markers, Lookback: 3 * time.Hour})
	r.mustPost(t, alert("firing", "fp", "page", t0, time.Time{}))
	rec := r.Records()[0]
	want := deploy.ID("checkout", "production", "1.4.2", "")
	if rec.Cause != want || rec.Deployment == nil || rec.Deployment.Version != "1.4.2" || !rec.Deployment.Time.Equal(t0.Add(-2*time.Hour)) {
		t.Errorf("cause %q, deployment %+v; want %s, 1.4.2 two hours before", rec.Cause, rec.Deployment, want)
	}
	// Beyond the lookback, nothing.
	r2 := newReceiver(t, filepath.Join(t.TempDir(), "incidents.jsonl"), incident.ReceiverConfig{Deployments: markers, Lookback: time.Hour})
	r2.mustPost(t, alert("firing", "fp", "page", t0, time.Time{}))
	if rec := r2.Records()[0]; rec.Cause != "" || rec.Deployment != nil {
		t.Errorf("lookback 1h: cause %q, deployment %+v; want none", rec.Cause, rec.Deployment)
	}
}

func TestAttribute(t *testing.T) {
	ms := []deploy.Marker{
		{ID: "a", Service: "checkout", Environment: "production", Start: t0.Add(-time.Hour)},
		{ID: "a", Service: "checkout", Environment: "production", Start: t0.Add(-50 * time.Minute)}, // a second replica
		{ID: "b", Service: "checkout", Environment: "production", Start: t0},
	}
	for _, tc := range []struct {
		start    time.Time
		lookback time.Duration
		want     string
	}{
		{t0, 0, "b"}, // at the start itself
		{t0.Add(-time.Second), 0, "a"},
		{t0.Add(-time.Second), 30 * time.Minute, ""},
		{t0.Add(-time.Hour - time.Second), 0, ""},
		{t0.Add(25 * time.Hour), 0, ""}, // beyond DefaultLookback
	} {
		ref, ok := incident.Attribute(ms, "checkout", "production", tc.start, tc.lookback)
		if ref.ID != tc.want || ok != (tc.want != "") {
			t.Errorf("Attribute(%v, %v) = %q, %v; want %q", tc.start.Sub(t0), tc.lookback, ref.ID, ok, tc.want)
		}
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"SLOErrorBudgetBurn","slo":"a"},"startsAt":"2026-12-03T14:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"ab12"}]}`))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"resolved","startsAt":"2026-12-03T14:00:00Z","endsAt":"2026-12-03T14:05:00Z","fingerprint":"x"}]}`))
	f.Add([]byte(`{"version":"3"}`))
	f.Add([]byte(`{"version":"4"} {}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := incident.ParseWebhook(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "incident: webhook payload") {
				t.Errorf("error %q does not say what it is about", err)
			}
			return
		}
		// What parses is handled without error, and a resend changes
		// nothing.
		r, err := incident.NewReceiver(incident.ReceiverConfig{File: filepath.Join(t.TempDir(), "i"), TrustedNetwork: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.Handle(m); err != nil {
			t.Fatal(err)
		}
		before := fmt.Sprint(r.Records())
		res, err := r.Handle(m)
		if err != nil || res.Opened+res.Restored+res.Updated > 0 || fmt.Sprint(r.Records()) != before {
			t.Errorf("a resend changed %+v, %v", res, err)
		}
	})
}

// The logger hears of each incident opened and restored, and of a
// deployments file it could not read; the incident is recorded anyway,
// unattributed. A page joining a ticket's incident raises its severity.
func TestReceiverLogsAndSeverity(t *testing.T) {
	var logs bytes.Buffer
	bad := filepath.Join(t.TempDir(), "deployments.jsonl")
	os.WriteFile(bad, []byte("{\"event\":\"deployment\",\"service\":\"checkout\",\"revison\":\"x\"}\n"), 0o644)
	r := newReceiver(t, filepath.Join(t.TempDir(), "incidents.jsonl"), incident.ReceiverConfig{
		Deployments: bad, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r.mustPost(t, alert("firing", "fp-ticket", "ticket", t0, time.Time{}))
	r.mustPost(t, alert("firing", "fp-page", "page", t0.Add(time.Minute), time.Time{}))
	r.mustPost(t, alert("resolved", "fp-ticket", "ticket", t0, t0.Add(5*time.Minute)), alert("resolved", "fp-page", "page", t0.Add(time.Minute), t0.Add(6*time.Minute)))
	if _, err := r.Handle(incident.Webhook{Version: "4", TruncatedAlerts: 3}); err != nil {
		t.Fatal(err)
	}
	recs := r.Records()
	if len(recs) != 1 || recs[0].Severity != "page" || recs[0].Cause != "" || !recs[0].Restored.Equal(t0.Add(6*time.Minute)) {
		t.Errorf("records %+v, want one page, unattributed, restored at +6m", recs)
	}
	for _, want := range []string{`msg="incident not attributed: reading deployments"`, `revison`, `msg="incident opened"`, `msg="incident restored"`, `after=6m0s`, `set no max_alerts on the webhook" truncated=3`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}
