package redact_test

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/ybiyri/runkit/internal/redact"
)

// A webhook URL in a log line: where it points stays, the token goes,
// wherever in the path it is; runkit's own API paths stay.
func ExampleURL() {
	fmt.Println(redact.URL("https://hooks.slack.com/services/T0/B0/XYZ"))
	fmt.Println(redact.URL("https://api.telegram.org/bot123456:ABC-DEF/sendMessage"))
	fmt.Println(redact.URL("https://admin:hunter2@grafana.internal:3000/api/annotations?key=abc#x"))
	fmt.Println(redact.URL("admin:hunter2@grafana.internal"))
	// Output:
	// https://hooks.slack.com/[redacted]
	// https://api.telegram.org/[redacted]
	// https://[redacted]@grafana.internal:3000/api/annotations?[redacted]#[redacted]
	// [redacted]@grafana.internal
}

// An error from http.Client that shows the webhook's token, and a vendor's
// answer that echoes an API key.
func ExampleScrubber() {
	s := redact.NewScrubber("https://h.example.com/hook/T0KEN", "api-key-1")
	err := s.Error(&url.Error{Op: "Post", URL: "https://h.example.com/hook/T0KEN", Err: errors.New("connection refused")})
	fmt.Println(err)
	fmt.Println(s.Text(`{"error": "bad key api-key-1 for /hook/T0KEN"}`))
	// Output:
	// Post "https://h.example.com/[redacted]": connection refused
	// {"error": "bad key [redacted] for /[redacted]"}
}
