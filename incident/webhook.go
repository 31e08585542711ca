package incident

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Webhook is the payload Alertmanager posts to a webhook receiver,
// version 4: one group of alerts.
type Webhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a Webhook.
type WebhookAlert struct {
	// Status is "firing" or "resolved".
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	// Fingerprint is Alertmanager's hash of the labels: the alert's
	// identity across notifications.
	Fingerprint string `json:"fingerprint"`
}

// ParseWebhook reads an Alertmanager webhook payload. It returns an error
// naming the field for JSON that does not parse, a version other than
// "4", or an alert with a status other than firing or resolved, no
// startsAt, or no fingerprint. Fields it does not know are ignored, as
// Alertmanager may add some.
func ParseWebhook(data []byte) (Webhook, error) {
	var m Webhook
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return Webhook{}, errors.New("incident: webhook payload is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te):
			return Webhook{}, fmt.Errorf("incident: webhook payload: %s: want %s, not a JSON %s", te.Field, te.Type, te.Value)
		case errors.As(err, &pe):
			return Webhook{}, fmt.Errorf("incident: webhook payload: time %s: want RFC 3339", pe.Value)
		}
		return Webhook{}, fmt.Errorf("incident: webhook payload: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return Webhook{}, errors.New("incident: webhook payload holds more than one JSON value")
	}
	if m.Version != "4" {
		return Webhook{}, fmt.Errorf("incident: webhook payload version %q: want \"4\", Alertmanager's webhook version", m.Version)
	}
	for i, a := range m.Alerts {
		switch {
		case a.Status != "firing" && a.Status != "resolved":
			return Webhook{}, fmt.Errorf("incident: webhook payload alerts[%d].status %q: want firing or resolved", i, a.Status)
		case a.StartsAt.IsZero():
			return Webhook{}, fmt.Errorf("incident: webhook payload alerts[%d].startsAt is missing", i)
		case a.Fingerprint == "":
			return Webhook{}, fmt.Errorf("incident: webhook payload alerts[%d].fingerprint is missing", i)
		}
	}
	return m, nil
}
