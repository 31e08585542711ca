package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// label describes a sink that holds a secret: its kind and its URL
// redacted. Embedded, its methods are the sink's, so that no verb of fmt
// (%#v included), no slog handler and no JSON encoder prints the sink's
// fields.
type label string

func (l label) String() string               { return string(l) }
func (l label) Format(f fmt.State, _ rune)   { io.WriteString(f, string(l)) }
func (l label) LogValue() slog.Value         { return slog.StringValue(string(l)) }
func (l label) MarshalText() ([]byte, error) { return []byte(l), nil }

// HTTPError is a sink's HTTP request that got an error status.
type HTTPError struct {
	Sink   string
	Status int
	// Body is the start of the response body, which vendors use to say
	// what was wrong with the request, with the sink's secrets (header
	// values, and the URL's parts that RedactURL hides, of four characters
	// or more) replaced by "[redacted]" where the vendor echoes them. It is
	// one line: runs of white space, line breaks included, are one space,
	// and past maxErrorBody bytes it is cut, ending in "…", so that a
	// server's HTML error page does not flood a log.
	Body string
}

// maxErrorBody bounds HTTPError.Body.
const maxErrorBody = 200

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s answered %d %s: %s", e.Sink, e.Status, http.StatusText(e.Status), e.Body)
}

// Temporary reports whether a retry may succeed: 429 and 5xx, except 501
// Not Implemented, 505 HTTP Version Not Supported and 511 Network
// Authentication Required, which the next attempt gets again.
func (e *HTTPError) Temporary() bool {
	switch e.Status {
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported, http.StatusNetworkAuthenticationRequired:
		return false
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// oneLine returns s on one line, cut to max bytes at a rune boundary.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// netError marks a transport error as worth retrying.
type netError struct{ err error }

func (e netError) Error() string   { return e.err.Error() }
func (e netError) Unwrap() error   { return e.err }
func (e netError) Temporary() bool { return true }

// post sends body as JSON. Secret header values never reach an error: only
// the sink's name, the status and the vendor's answer do, with every secret
// of the sink (header values and the URL's secret parts) hidden by scrub.
func post(ctx context.Context, client *http.Client, sink string, u *url.URL, header http.Header, secrets map[string]Secret, scrub scrubber, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: bad URL", sink)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	for k, v := range secrets {
		req.Header.Set(k, v.reveal())
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error carries the URL, which may hold a token.
		return netError{scrub.scrub(err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		// Scrubbed whole, then cut: a secret is never cut in half.
		return &HTTPError{Sink: sink, Status: resp.StatusCode, Body: oneLine(scrub.apply(string(snippet)), maxErrorBody)}
	}
	return nil
}

// baseURL parses the URL of a config field, v or def when v is empty. Its
// error shows the value redacted.
func baseURL(field, v, def string) (*url.URL, error) {
	if v == "" {
		v = def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("deploy: %s %q is not an http or https URL", field, RedactURL(v))
	}
	return u, nil
}

// httpSink sends markers to one vendor's HTTP API. What differs between
// vendors is the body and the headers, which body returns.
type httpSink struct {
	label
	name    string
	url     *url.URL
	client  *http.Client
	secrets map[string]Secret
	scrub   scrubber
	body    func(m Marker) (any, http.Header)
}

// newHTTPSink returns a sink posting to base joined with the path elements
// of the vendor's API. Its label shows base redacted (see RedactURL) and
// the API's path, which holds no secret; scrub hides extra, the config's
// own secrets, besides the header values.
func newHTTPSink(name string, base *url.URL, elem []string, client *http.Client, secrets map[string]Secret, extra []Secret, body func(Marker) (any, http.Header)) *httpSink {
	endpoint := base
	shown := *base
	shown.RawQuery, shown.ForceQuery, shown.Fragment, shown.RawFragment = "", false, "", ""
	desc := strings.TrimSuffix(RedactURL(shown.String()), "/")
	if len(elem) > 0 {
		endpoint = base.JoinPath(elem...)
		desc += "/" + strings.Join(elem, "/")
	}
	if base.RawQuery != "" || base.ForceQuery {
		desc += "?" + redacted
	}
	if base.Fragment != "" {
		desc += "#" + redacted
	}
	all := slices.Clone(extra)
	for _, v := range secrets {
		all = append(all, v)
	}
	return &httpSink{label: label(name + " sink to " + desc), name: name, url: endpoint, client: client,
		secrets: secrets, scrub: newScrubber(base.String(), all...), body: body}
}

func (s *httpSink) Name() string { return s.name }

func (s *httpSink) Send(ctx context.Context, m Marker) error {
	body, header := s.body(m)
	return post(ctx, s.client, s.name, s.url, header, s.secrets, s.scrub, body)
}

// GrafanaConfig configures a Grafana annotation sink.
type GrafanaConfig struct {
	// URL is Grafana's base URL. Required.
	URL string
	// Token is a service account token with annotation rights. Required.
	Token Secret
	// Tags are added to every annotation, besides "deploy" and
	// service/environment/version tags.
	Tags []string
	// DashboardUID, when set, puts the annotation on one dashboard rather
	// than the organization.
	DashboardUID string
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client `json:"-"`
}

// Grafana returns a sink that adds a Grafana annotation (POST
// /api/annotations) spanning the deployment.
func Grafana(cfg GrafanaConfig) (Sink, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("deploy: GrafanaConfig.URL is empty")
	}
	u, err := baseURL("GrafanaConfig.URL", cfg.URL, "")
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, fmt.Errorf("deploy: GrafanaConfig.Token is empty")
	}
	auth := map[string]Secret{"Authorization": "Bearer " + cfg.Token}
	return newHTTPSink("grafana", u, []string{"api", "annotations"}, cfg.Client, auth, []Secret{cfg.Token}, func(m Marker) (any, http.Header) {
		tags := append([]string{"deploy", "service:" + m.Service}, cfg.Tags...)
		if m.Environment != "" {
			tags = append(tags, "env:"+m.Environment)
		}
		if m.Version != "" {
			tags = append(tags, "version:"+m.Version)
		}
		body := map[string]any{
			"time":    m.Start.UnixMilli(),
			"timeEnd": m.End.UnixMilli(),
			"tags":    tags,
			"text":    m.text(),
		}
		if cfg.DashboardUID != "" {
			body["dashboardUID"] = cfg.DashboardUID
		}
		return body, nil
	}), nil
}

// text is the marker's title with its revision and link.
func (m Marker) text() string {
	s := m.title()
	if m.Revision != "" {
		s += " @ " + m.Revision
	}
	if m.URL != "" {
		s += " " + m.URL
	}
	return s
}

// HoneycombConfig configures a Honeycomb marker sink.
type HoneycombConfig struct {
	// URL is the API's base URL. Empty means https://api.honeycomb.io.
	URL string
	// Key is a configuration key of the environment. Required.
	Key Secret
	// Dataset is the dataset slug. Empty means "__all__": a marker on
	// every dataset of the environment.
	Dataset string
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client `json:"-"`
}

// Honeycomb returns a sink that creates a Honeycomb marker (POST
// /1/markers/{dataset}) of type "deploy".
func Honeycomb(cfg HoneycombConfig) (Sink, error) {
	u, err := baseURL("HoneycombConfig.URL", cfg.URL, "https://api.honeycomb.io")
	if err != nil {
		return nil, err
	}
	if cfg.Key == "" {
		return nil, fmt.Errorf("deploy: HoneycombConfig.Key is empty")
	}
	ds := cfg.Dataset
	if ds == "" {
		ds = "__all__"
	}
	auth := map[string]Secret{"X-Honeycomb-Team": cfg.Key}
	return newHTTPSink("honeycomb", u, []string{"1", "markers", url.PathEscape(ds)}, cfg.Client, auth, nil, func(m Marker) (any, http.Header) {
		body := map[string]any{
			"message":    m.title(),
			"type":       "deploy",
			"start_time": m.Start.Unix(),
			"end_time":   m.End.Unix(),
		}
		if m.URL != "" {
			body["url"] = m.URL
		}
		return body, nil
	}), nil
}

// DatadogConfig configures a Datadog DORA deployment sink.
type DatadogConfig struct {
	// URL is the site's API base URL. Empty means https://api.datadoghq.com.
	URL  string
	Site string
	// APIKey is required.
	APIKey Secret
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client `json:"-"`
}

// Datadog returns a sink that sends a DORA deployment event (POST
// /api/v2/dora/deployment). Datadog drops a repeated event by its id, so
// retries do not count a deployment twice.
func Datadog(cfg DatadogConfig) (Sink, error) {
	def := "https://api.datadoghq.com"
	if cfg.Site != "" {
		if cfg.URL != "" {
			return nil, fmt.Errorf("deploy: DatadogConfig.URL and DatadogConfig.Site are both set; set one")
		}
		if !isSiteName(cfg.Site) {
			return nil, fmt.Errorf("deploy: DatadogConfig.Site %q: want a site name such as datadoghq.eu or us3.datadoghq.com, without scheme, port or path", cfg.Site)
		}
		def = "https://api." + cfg.Site
	}
	u, err := baseURL("DatadogConfig.URL", cfg.URL, def)
	if err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("deploy: DatadogConfig.APIKey is empty")
	}
	auth := map[string]Secret{"DD-API-KEY": cfg.APIKey}
	return newHTTPSink("datadog", u, []string{"api", "v2", "dora", "deployment"}, cfg.Client, auth, nil, func(m Marker) (any, http.Header) {
		attrs := map[string]any{
			"service":     m.Service,
			"started_at":  m.Start.UnixNano(),
			"finished_at": m.End.UnixNano(),
			"id":          m.ID,
		}
		if m.Environment != "" {
			attrs["env"] = m.Environment
		}
		if m.Version != "" {
			attrs["version"] = m.Version
		}
		if m.Revision != "" && m.Repository != "" {
			// Datadog requires both or neither.
			attrs["git"] = map[string]string{"commit_sha": m.Revision, "repository_url": m.Repository}
		}
		return map[string]any{"data": map[string]any{"attributes": attrs}}, nil
	}), nil
}

// isSiteName reports whether s is a DNS name of two labels or more.
func isSiteName(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(s) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// WebhookConfig configures a generic JSON webhook.
type WebhookConfig struct {
	// URL receives a POST of the marker as JSON. Required.
	URL string
	// Header is sent with every request. Its values print as
	// "[redacted]" wherever the config is printed, as Secrets do, but
	// only Secrets are also hidden in the receiver's answers: Webhook
	// refuses a header that carries credentials by its name
	// (Authorization, Proxy-Authorization, Cookie, an "auth" word, and any
	// name holding "token", "key", "secret", "signature", "password" or
	// "session"), which belongs in Secrets, and Idempotency-Key, which
	// the sink sets from the marker's ID.
	Header http.Header
	// Secrets are headers whose values must never be printed.
	Secrets map[string]Secret
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client `json:"-"`
}

// Webhook returns a sink that POSTs the marker as JSON, with the marker's
// ID in an Idempotency-Key header so that the receiver can drop repeats.
func Webhook(cfg WebhookConfig) (Sink, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("deploy: WebhookConfig.URL is empty")
	}
	u, err := baseURL("WebhookConfig.URL", cfg.URL, "")
	if err != nil {
		return nil, err
	}
	secret := make(map[string]bool, len(cfg.Secrets))
	for k := range cfg.Secrets {
		secret[http.CanonicalHeaderKey(k)] = true
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Header)) {
		name := http.CanonicalHeaderKey(k)
		switch {
		case name == "Idempotency-Key":
			return nil, fmt.Errorf("deploy: WebhookConfig.Header %q is set by the sink, from the marker's ID", name)
		case secret[name]:
			return nil, fmt.Errorf("deploy: WebhookConfig.Header: %q is in both WebhookConfig.Header and WebhookConfig.Secrets", name)
		case credentialHeader(name):
			return nil, fmt.Errorf("deploy: WebhookConfig.Header %q carries credentials: put it in WebhookConfig.Secrets, whose values are never printed", name)
		}
	}
	return newHTTPSink("webhook", u, nil, cfg.Client, cfg.Secrets, nil, func(m Marker) (any, http.Header) {
		h := cfg.Header.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Idempotency-Key", m.ID)
		return m, h
	}), nil
}

// credentialHeader reports whether a header's name says it carries
// credentials.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	if n == "cookie" {
		return true
	}
	for seg := range strings.FieldsFuncSeq(n, func(r rune) bool { return r == '-' || r == '_' }) {
		if seg == "auth" || strings.HasPrefix(seg, "authoriz") || strings.HasPrefix(seg, "authent") {
			return true
		}
		for _, w := range [...]string{"token", "key", "secret", "signature", "password", "session"} {
			if strings.Contains(seg, w) {
				return true
			}
		}
	}
	return false
}
