package telemetry_test

import (
	"net/http"
	"testing"

	"github.com/ybiyri/runkit/telemetry"
)

// idleCounter is a transport that counts CloseIdleConnections calls.
type idleCounter struct {
	http.RoundTripper
	closed int
}

func (c *idleCounter) CloseIdleConnections() { c.closed++ }

// TestTransportForwardsCloseIdleConnections keeps the http.Client contract:
// client.CloseIdleConnections reaches the transport underneath.
func TestTransportForwardsCloseIdleConnections(t *testing.T) {
	clearEnv(t)
	tel, err := telemetry.Setup(t.Context(), telemetry.WithoutGlobals(), telemetry.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(t.Context())
	base := &idleCounter{RoundTripper: http.DefaultTransport}
	client := &http.Client{Transport: tel.Transport(base)}
	client.CloseIdleConnections()
	if base.closed != 1 {
		t.Errorf("CloseIdleConnections reached the base transport %d times, want 1", base.closed)
	}
}
