package incident

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

// BurnAlert is the name of the burn-rate alert runkit's rules write
// (slo/promrules.BurnAlert): the alerts a Receiver turns into incidents.
const BurnAlert = "SLOErrorBudgetBurn"

// DefaultMaxPayload bounds a webhook payload when ReceiverConfig.MaxPayload
// is zero: Alertmanager's own default bounds a group to far fewer alerts.
const DefaultMaxPayload = 1 << 20

// ErrNoToken is NewReceiver's answer to a configuration with no Token
// that does not say it is on a trusted network.
var ErrNoToken = errors.New("incident: receiver has no token: set ReceiverConfig.Token (Alertmanager's http_config.authorization), or TrustedNetwork when only trusted clients can reach it")

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// File is the incident file, JSON lines of Records, appended to and
	// synced to disk before a notification is answered. Required. It is
	// created when missing; an existing one is read back first, so a
	// restarted receiver carries on where it stopped.
	File string
	// Token is the bearer token every request must carry (Alertmanager's
	// http_config.authorization.credentials), compared in constant time.
	// Empty is refused with ErrNoToken unless TrustedNetwork is set.
	Token deploy.Secret
	// TrustedNetwork accepts requests with no token. Set it only when
	// nothing but Alertmanager can reach the receiver.
	TrustedNetwork bool
	// Deployments is a file of deployment markers, the JSON lines
	// deploy.Writer writes, read when an incident opens to attribute it
	// (see Attribute). Empty attributes nothing.
	Deployments string
	// Lookback is how far before an incident's start its deployment may
	// be. Zero means DefaultLookback.
	Lookback time.Duration
	// ServiceLabel and EnvironmentLabel name the alert labels that give
	// an incident's service and environment. Zero means "service" and
	// "environment".
	ServiceLabel, EnvironmentLabel string
	// MaxPayload bounds a request body in bytes; a larger one is answered
	// 413. Zero means DefaultMaxPayload.
	MaxPayload int64
	// Logger logs each incident opened and restored, what could not be
	// attributed, and notifications Alertmanager truncated (max_alerts).
	// Nil logs nothing.
	Logger *slog.Logger
}

// Receiver is an http.Handler for Alertmanager's webhook (payload version
// 4) that turns runkit's SLO burn-rate alerts into incident Records.
//
// An alert is runkit's when its alertname is BurnAlert and it carries an
// slo label; any other is ignored and counted (Ignored). The first firing
// alert of an SLO, service and environment opens an incident; further
// alerts of the same join it; when every alert of it has resolved, the
// incident is restored at the last one's end. The alerts of one payload
// (a group) are handled one by one, firing before resolved.
//
// Alertmanager resends: it retries a failed notification and repeats a
// firing group every repeat_interval. An alert is known by its
// fingerprint and start, so a resend changes nothing: a firing alert
// already in an incident is not added twice, and one that has already
// resolved never reopens an incident.
//
// Every change is appended to the file as the incident's whole Record and
// synced before the request is answered 200; a write that fails is
// answered 500, so that Alertmanager retries. A new Receiver on the same
// file rebuilds its state from it, so a restart loses and duplicates
// nothing. A last line cut short by a crash was never acknowledged; it is
// dropped.
type Receiver struct {
	cfg   ReceiverConfig
	token []byte // "Bearer " + Token

	ignored atomic.Int64

	// mu guards the fields below.
	mu       sync.Mutex
	file     *os.File
	records  map[string]*Record // by ID
	order    []string           // IDs, in the order first written
	open     map[string]string  // incident key → ID of its open incident
	resolved map[string]time.Time
}

var _ http.Handler = (*Receiver)(nil)

// NewReceiver opens cfg.File and rebuilds the incidents it holds. It
// returns ErrNoToken for a receiver with neither Token nor
// TrustedNetwork, and an error naming the file and line of a record that
// does not parse.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	switch {
	case cfg.File == "":
		return nil, errors.New("incident: ReceiverConfig.File is empty: name the incident file")
	case cfg.Token == "" && !cfg.TrustedNetwork:
		return nil, ErrNoToken
	case cfg.Lookback < 0:
		return nil, fmt.Errorf("incident: ReceiverConfig.Lookback %v is negative", cfg.Lookback)
	case cfg.MaxPayload < 0:
		return nil, fmt.Errorf("incident: ReceiverConfig.MaxPayload %d is negative", cfg.MaxPayload)
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.Lookback == 0 {
		cfg.Lookback = DefaultLookback
	}
	if cfg.ServiceLabel == "" {
		cfg.ServiceLabel = "service"
	}
	if cfg.EnvironmentLabel == "" {
		cfg.EnvironmentLabel = "environment"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Receiver{
		cfg:      cfg,
		records:  map[string]*Record{},
		open:     map[string]string{},
		resolved: map[string]time.Time{},
	}
	if cfg.Token != "" {
		r.token = []byte("Bearer " + string(cfg.Token))
	}
	f, err := os.OpenFile(cfg.File, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("incident: %w", err)
	}
	if err := r.load(f); err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// load reads the records of f, drops a last line cut short, and leaves f
// at its end.
func (r *Receiver) load(f *os.File) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("incident: reading %s: %w", r.cfg.File, err)
	}
	if n := len(data); n > 0 && data[n-1] != '\n' {
		keep := bytes.LastIndexByte(data, '\n') + 1
		r.cfg.Logger.Warn("incident file ends in a line cut short; dropping it", "file", r.cfg.File, "bytes", n-keep)
		if err := f.Truncate(int64(keep)); err != nil {
			return fmt.Errorf("incident: %w", err)
		}
		data = data[:keep]
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("incident: %w", err)
	}
	recs, err := ReadRecords(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("incident: %s: %w", r.cfg.File, err)
	}
	for _, rec := range recs {
		r.store(rec)
	}
	return nil
}

// ReadRecords reads an incident file: JSON lines of Records, where a line
// with the ID of an earlier one replaces it. It returns the incidents in
// the order their IDs first appear, and an error naming the line of one
// that does not parse, has a field a Record does not have, or has no id
// or start.
func ReadRecords(rd io.Reader) ([]Record, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	var out []Record
	index := map[string]int{}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		rec, err := parseRecord(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		if i, ok := index[rec.ID]; ok {
			out[i] = rec
			continue
		}
		index[rec.ID] = len(out)
		out = append(out, rec)
	}
	return out, nil
}

func parseRecord(line []byte) (Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return Record{}, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	switch {
	case rec.ID == "":
		return Record{}, errors.New("id is missing")
	case rec.Start.IsZero():
		return Record{}, fmt.Errorf("incident %s: start is missing", rec.ID)
	}
	return rec, nil
}

// store puts rec into the receiver's state.
func (r *Receiver) store(rec Record) {
	if _, ok := r.records[rec.ID]; !ok {
		r.order = append(r.order, rec.ID)
	}
	r.records[rec.ID] = &rec
	k := key(rec.SLO, rec.Service, rec.Environment)
	if rec.Open() {
		r.open[k] = rec.ID
	} else if r.open[k] == rec.ID {
		delete(r.open, k)
	}
	for _, a := range rec.Alerts {
		if a.End != nil {
			if s, ok := r.resolved[a.Fingerprint]; !ok || a.Start.After(s) {
				r.resolved[a.Fingerprint] = a.Start
			}
		}
	}
}

func key(slo, service, env string) string { return slo + "\x00" + service + "\x00" + env }

// Records returns the incidents, in the order they opened.
func (r *Receiver) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Record, len(r.order))
	for i, id := range r.order {
		out[i] = clone(*r.records[id])
	}
	return out
}

// Ignored counts the alerts received that are not runkit's burn-rate
// alerts.
func (r *Receiver) Ignored() int64 { return r.ignored.Load() }

// Close closes the incident file; requests after it are answered 503. It
// is safe to call more than once.
func (r *Receiver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	return err
}

// ServeHTTP handles one webhook notification: POST only, with the bearer
// token when one is configured. It answers 401 without the token, 413
// for a payload over MaxPayload, 400 naming the field for a payload that
// is not version 4 of Alertmanager's webhook, 500 when the file cannot
// be written (Alertmanager then retries), and 200 with a line counting
// what changed.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "incident: the receiver takes Alertmanager's webhook notifications by POST", http.StatusMethodNotAllowed)
		return
	}
	if r.token != nil && subtle.ConstantTimeCompare([]byte(req.Header.Get("Authorization")), r.token) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="runkit incidents"`)
		http.Error(w, "incident: missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.cfg.MaxPayload))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			http.Error(w, fmt.Sprintf("incident: payload over %d bytes", r.cfg.MaxPayload), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "incident: reading the payload: "+err.Error(), http.StatusBadRequest)
		return
	}
	msg, err := ParseWebhook(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := r.Handle(msg)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errClosed) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "opened %d, restored %d, unchanged %d, ignored %d\n", res.Opened, res.Restored, res.Unchanged, res.Ignored)
}

var errClosed = errors.New("incident: receiver is closed")

// Result counts what one notification changed.
type Result struct {
	// Opened and Restored count incidents; Updated counts alerts that
	// joined or left an incident without opening or restoring it;
	// Unchanged counts alerts already handled (resends); Ignored counts
	// alerts that are not runkit's burn-rate alerts.
	Opened, Restored, Updated, Unchanged, Ignored int
}

// Handle applies a parsed notification's alerts, firing ones first, each
// appended to the file before the next. It returns the first error
// writing the file; the alerts before it are kept.
func (r *Receiver) Handle(msg Webhook) (Result, error) {
	var res Result
	if msg.TruncatedAlerts > 0 {
		// The webhook's max_alerts cut the group short: those alerts
		// arrive only once the others resolve.
		r.cfg.Logger.Warn("Alertmanager left alerts out of the notification: set no max_alerts on the webhook", "truncated", msg.TruncatedAlerts, "group", msg.GroupKey)
	}
	alerts := make([]WebhookAlert, 0, len(msg.Alerts))
	for _, a := range msg.Alerts {
		if a.Labels["alertname"] != BurnAlert || a.Labels["slo"] == "" {
			res.Ignored++
			r.ignored.Add(1)
			continue
		}
		alerts = append(alerts, a)
	}
	slices.SortStableFunc(alerts, func(a, b WebhookAlert) int {
		return strings.Compare(a.Status, b.Status) // "firing" < "resolved"
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.file == nil {
		return res, errClosed
	}
	for _, a := range alerts {
		if err := r.apply(a, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// apply handles one alert; r.mu is held.
func (r *Receiver) apply(a WebhookAlert, res *Result) error {
	slo := a.Labels["slo"]
	service, env := a.Labels[r.cfg.ServiceLabel], a.Labels[r.cfg.EnvironmentLabel]
	k := key(slo, service, env)
	fp, start := a.Fingerprint, a.StartsAt
	if s, ok := r.resolved[fp]; ok && !start.After(s) {
		res.Unchanged++ // this instance of the alert has resolved already
		return nil
	}
	var rec Record
	id, isOpen := r.open[k]
	if isOpen {
		rec = clone(*r.records[id])
	}
	i := slices.IndexFunc(rec.Alerts, func(x AlertRef) bool { return x.Fingerprint == fp && x.End == nil })
	switch {
	case a.Status == "firing" && i >= 0:
		res.Unchanged++
		return nil
	case a.Status == "firing" && isOpen:
		rec.Alerts = append(rec.Alerts, AlertRef{Fingerprint: fp, Severity: a.Labels["severity"], Start: start})
		rec.Severity = higher(rec.Severity, a.Labels["severity"])
		res.Updated++
	case a.Status == "firing":
		rec = r.newRecord(a, slo, service, env)
		res.Opened++
	case i >= 0 && start.Before(rec.Alerts[i].Start):
		res.Unchanged++ // the end of an earlier instance, sent late
		return nil
	case i >= 0:
		end := endOf(a)
		rec.Alerts[i].End = &end
		if slices.ContainsFunc(rec.Alerts, func(x AlertRef) bool { return x.End == nil }) {
			res.Updated++
			break
		}
		restored := start
		for _, x := range rec.Alerts {
			if x.End.After(restored) {
				restored = *x.End
			}
		}
		rec.Restored = &restored
		res.Restored++
	default:
		// Resolved, and never seen firing: the firing notification was
		// lost (the receiver was down and Alertmanager gave up). The
		// incident still happened.
		rec = r.newRecord(a, slo, service, env)
		end := endOf(a)
		rec.Alerts[0].End = &end
		rec.Restored = &end
		res.Opened++
		res.Restored++
	}
	if err := r.write(rec); err != nil {
		return err
	}
	r.store(rec)
	switch {
	case rec.Open() && !isOpen:
		r.cfg.Logger.Info("incident opened", "id", rec.ID, "slo", slo, "service", service, "environment", env, "start", rec.Start, "cause", rec.Cause)
	case !rec.Open():
		r.cfg.Logger.Info("incident restored", "id", rec.ID, "slo", slo, "service", service, "environment", env, "restored", *rec.Restored, "after", rec.Restored.Sub(rec.Start))
	}
	return nil
}

// endOf is a resolved alert's end: EndsAt, or its start when Alertmanager
// sent none.
func endOf(a WebhookAlert) time.Time {
	if a.EndsAt.IsZero() || a.EndsAt.Before(a.StartsAt) {
		return a.StartsAt
	}
	return a.EndsAt
}

func (r *Receiver) newRecord(a WebhookAlert, slo, service, env string) Record {
	id := RecordID(service, slo, a.StartsAt)
	for n := 2; r.records[id] != nil; n++ {
		id = fmt.Sprintf("%s-%d", RecordID(service, slo, a.StartsAt), n)
	}
	rec := Record{
		ID:          id,
		Title:       a.Annotations["summary"],
		Start:       a.StartsAt,
		URL:         a.GeneratorURL,
		Severity:    a.Labels["severity"],
		SLO:         slo,
		Service:     service,
		Environment: env,
		Labels:      a.Labels,
		Alerts:      []AlertRef{{Fingerprint: a.Fingerprint, Severity: a.Labels["severity"], Start: a.StartsAt}},
	}
	if rec.Title == "" {
		rec.Title = "SLO " + slo + " burns its error budget"
	}
	if r.cfg.Deployments != "" {
		if ref, ok, err := r.attribute(service, env, a.StartsAt); err != nil {
			r.cfg.Logger.Warn("incident not attributed: reading deployments", "id", id, "file", r.cfg.Deployments, "err", err)
		} else if ok {
			rec.Cause, rec.Deployment = ref.ID, &ref
		}
	}
	return rec
}

func (r *Receiver) attribute(service, env string, start time.Time) (DeploymentRef, bool, error) {
	f, err := os.Open(r.cfg.Deployments)
	if err != nil {
		return DeploymentRef{}, false, err
	}
	defer f.Close()
	ms, err := deploy.ReadMarkers(f)
	if err != nil {
		return DeploymentRef{}, false, err
	}
	ref, ok := Attribute(ms, service, env, start, r.cfg.Lookback)
	return ref, ok, nil
}

// write appends rec to the file and syncs it; r.mu is held.
func (r *Receiver) write(rec Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("incident: %w", err)
	}
	line = append(line, '\n')
	if _, err := r.file.Write(line); err != nil {
		return fmt.Errorf("incident: writing %s: %w", r.cfg.File, err)
	}
	if err := r.file.Sync(); err != nil {
		return fmt.Errorf("incident: syncing %s: %w", r.cfg.File, err)
	}
	return nil
}

// higher returns the higher of two severities: "page" over any other,
// else the first that is set.
func higher(a, b string) string {
	if a == "page" || b == "" {
		return a
	}
	if b == "page" || a == "" {
		return b
	}
	return a
}

func clone(rec Record) Record {
	rec.Alerts = slices.Clone(rec.Alerts)
	if rec.Restored != nil {
		t := *rec.Restored
		rec.Restored = &t
	}
	return rec
}
