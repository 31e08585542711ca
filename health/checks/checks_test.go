package checks_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/health/checks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pingDriver is a database/sql driver whose connections answer Ping with
// the driver's current error, and which counts the connections it opens.
type pingDriver struct {
	opened atomic.Int32
	mu     sync.Mutex
	err    error
}

func (d *pingDriver) Open(string) (driver.Conn, error) {
	d.opened.Add(1)
	return &pingConn{d}, nil
}

func (d *pingDriver) setErr(err error) { d.mu.Lock(); d.err = err; d.mu.Unlock() }

type pingConn struct{ d *pingDriver }

func (c *pingConn) Ping(context.Context) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	return c.d.err
}
func (c *pingConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *pingConn) Close() error                        { return nil }
func (c *pingConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

var drv = &pingDriver{}

func init() { sql.Register("runkit-ping", drv) }

func TestSQL(t *testing.T) {
	drv.setErr(nil)
	drv.opened.Store(0)
	db, err := sql.Open("runkit-ping", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check, err := checks.SQL(db)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := check(t.Context()); err != nil {
			t.Fatalf("SQL check = %v, want nil", err)
		}
	}
	if n := drv.opened.Load(); n != 1 {
		t.Errorf("20 pings opened %d connections, want 1 reused", n)
	}
	drv.setErr(errors.New("database is shutting down"))
	if err := check(t.Context()); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("SQL check with a failing server = %v", err)
	}
	if _, err := checks.SQL(nil); err == nil {
		t.Error("SQL(nil) = nil error")
	}
}

func TestHTTP(t *testing.T) {
	var conns atomic.Int32
	status := atomic.Int32{}
	status.Store(200)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(int(status.Load()))
		w.Write([]byte(strings.Repeat("x", 10000)))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	check, err := checks.HTTP(srv.URL+"/livez", checks.HTTPConfig{Header: http.Header{"X-Token": {"t"}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := check(t.Context()); err != nil {
			t.Fatalf("HTTP check = %v", err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("10 runs opened %d connections, want 1 reused", n)
	}
	status.Store(503)
	if err := check(t.Context()); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("HTTP check against a 503 = %v", err)
	}
	status.Store(404)
	if err := check(t.Context()); err != nil {
		t.Errorf("HTTP check against a 404 = %v, want nil (the server answers)", err)
	}
	strict, _ := checks.HTTP(srv.URL, checks.HTTPConfig{Client: srv.Client(), Healthy: func(c int) bool { return c == 200 }})
	if err := strict(t.Context()); err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Errorf("strict HTTP check without the token = %v", err)
	}
	for _, bad := range []string{"", "payments:8080", "ftp://x/", "http://[::1"} {
		if _, err := checks.HTTP(bad, checks.HTTPConfig{}); err == nil {
			t.Errorf("HTTP(%q) = nil error", bad)
		}
	}
	srv.CloseClientConnections()
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	check, err := checks.TCP(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := check(t.Context()); err != nil {
		t.Errorf("TCP check against a listener = %v", err)
	}
	ln.Close()
	<-done
	if err := check(t.Context()); err == nil {
		t.Error("TCP check against a closed port = nil")
	}
	if _, err := checks.TCP("no-port"); err == nil {
		t.Error(`TCP("no-port") = nil error`)
	}
}

func TestDNS(t *testing.T) {
	check, err := checks.DNS("localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(t.Context()); err != nil {
		t.Errorf("DNS check of localhost = %v", err)
	}
	bad, _ := checks.DNS("no-such-host.invalid", nil)
	if err := bad(t.Context()); err == nil {
		t.Error("DNS check of a .invalid name = nil")
	}
	if _, err := checks.DNS("", nil); err == nil {
		t.Error(`DNS("") = nil error`)
	}
}

func TestDiskFree(t *testing.T) {
	dir := t.TempDir()
	check, err := checks.DiskFree(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(t.Context()); err != nil {
		t.Errorf("DiskFree(%s, 1) = %v", dir, err)
	}
	huge, _ := checks.DiskFree(dir, 1<<62)
	if err := huge(t.Context()); err == nil || !strings.Contains(err.Error(), "want at least") {
		t.Errorf("DiskFree with an impossible minimum = %v", err)
	}
	missing, _ := checks.DiskFree(dir+"/missing", 1)
	if err := missing(t.Context()); err == nil {
		t.Error("DiskFree of a missing path = nil")
	}
	if _, err := checks.DiskFree(dir, 0); err == nil {
		t.Error("DiskFree(dir, 0) = nil error")
	}
}

func TestGoroutines(t *testing.T) {
	check, err := checks.Goroutines(10000)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(t.Context()); err != nil {
		t.Errorf("Goroutines(10000) = %v", err)
	}
	low, _ := checks.Goroutines(1)
	if err := low(t.Context()); err == nil {
		t.Error("Goroutines(1) = nil while the test runs several")
	}
	if _, err := checks.Goroutines(0); err == nil {
		t.Error("Goroutines(0) = nil error")
	}
}

// A Host in Header sets the request's Host, which is what
// the server sees; net/http ignores a Host header field.
func TestHTTPHostOverride(t *testing.T) {
	hosts := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
	}))
	defer srv.Close()
	for _, key := range []string{"Host", "host"} {
		check, err := checks.HTTP(srv.URL+"/healthz", checks.HTTPConfig{Header: http.Header{key: {"payments.internal"}, "X-Token": {"t"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := check(t.Context()); err != nil {
			t.Fatalf("HTTP check = %v", err)
		}
		select {
		case got := <-hosts:
			if got != "payments.internal" {
				t.Errorf("Header %q: the server saw Host %q, want payments.internal", key, got)
			}
		case <-time.After(10 * time.Second):
			// A second, lower-case host field makes the server answer
			// 400 itself, which a check that accepts any code below 500
			// took for healthy.
			t.Errorf("Header %q: the request never reached the handler", key)
		}
	}
}

func TestHTTPRejectsBadHost(t *testing.T) {
	for _, h := range []http.Header{
		{"Host": {}},
		{"Host": {""}},
		{"Host": {"a", "b"}},
		{"Host": {"a"}, "host": {"b"}},
	} {
		if _, err := checks.HTTP("http://127.0.0.1/", checks.HTTPConfig{Header: h}); err == nil || !strings.Contains(err.Error(), "Host") {
			t.Errorf("HTTP with Header %v = %v, want an error naming Host", h, err)
		}
	}
}

// A host that cannot be a DNS name is refused when the check is made, not
// reported as "no such host" by every run.
func TestDNSRefusesUnprintableHost(t *testing.T) {
	for _, host := range []string{"db\n", "db host", "db\x00", "\xff"} {
		if _, err := checks.DNS(host, nil); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("checks: DNS: host %q", host)) {
			t.Errorf("DNS(%q) = %v, want an error naming the host", host, err)
		}
	}
}
