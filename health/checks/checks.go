package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ybiyri/runkit/internal/redact"
)

// SQL returns a check that pings db through its connection pool.
func SQL(db *sql.DB) (func(context.Context) error, error) {
	if db == nil {
		return nil, errors.New("checks: SQL: db is nil")
	}
	return db.PingContext, nil
}

// HTTPConfig configures an HTTP check. Every zero field has a default.
type HTTPConfig struct {
	// Client sends the requests. Nil means a client of the check's own,
	// made once, whose idle connections are reused from run to run.
	Client *http.Client
	// Header is added to every request, for a token or a Host override: a
	// "Host" entry (in any case) sets the request's Host, the name the
	// server sees, while the connection still goes to the URL's host (and
	// TLS verifies that name).
	Header http.Header
	// Healthy decides from the status code. Nil means any code below 500:
	// a 404 or 401 shows the dependency is up and answering.
	Healthy func(code int) bool
}

// maxDrain bounds how much of a response body is read to let its
// connection be reused.
const maxDrain = 64 << 10

// HTTP returns a check that sends GET to rawURL. Its errors, which verbose
// probes and logs show, never carry the URL's user info, query or path:
// they show its scheme, host and port (and runkit's own API paths, such as
// /slo).
func HTTP(rawURL string, cfg HTTPConfig) (func(context.Context) error, error) {
	// Errors reach verbose probe output and logs: the URL shows redacted
	// (internal/redact's rule), and transport errors are scrubbed of it.
	shown := redact.URL(rawURL)
	scrub := redact.NewScrubber(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("checks: HTTP: URL %q: %w", shown, scrub.Error(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("checks: HTTP: URL %q is not an absolute http or https URL", shown)
	}
	client := cfg.Client
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 2
		client = &http.Client{Transport: t}
	}
	healthy := cfg.Healthy
	if healthy == nil {
		healthy = func(code int) bool { return code < 500 }
	}
	// net/http sends Request.Host and ignores a Host header field; written
	// under another case, the field goes out as a second Host line, which
	// servers answer with 400.
	header := make(http.Header, len(cfg.Header))
	host := ""
	for k, vs := range cfg.Header {
		if http.CanonicalHeaderKey(k) != "Host" {
			header[k] = vs
			continue
		}
		if len(vs) != 1 || vs[0] == "" || host != "" {
			return nil, fmt.Errorf("checks: HTTP: Header %q %q: want one non-empty Host", k, vs)
		}
		host = vs[0]
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return err
		}
		for k, vs := range header {
			req.Header[k] = vs
		}
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			return scrub.Error(err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		resp.Body.Close()
		if !healthy(resp.StatusCode) {
			return fmt.Errorf("GET %s: status %d", shown, resp.StatusCode)
		}
		return nil
	}, nil
}

// TCP returns a check that opens a TCP connection to addr (host:port) and
// closes it.
func TCP(addr string) (func(context.Context) error, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("checks: TCP: address %q: %w", addr, err)
	}
	var d net.Dialer
	return func(ctx context.Context) error {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}, nil
}

// DNS returns a check that resolves host with r, or with the default
// resolver when r is nil, and fails when it has no addresses. A host that
// is empty, not valid UTF-8, or holds white space or a control character
// is an error.
func DNS(host string, r *net.Resolver) (func(context.Context) error, error) {
	if host == "" {
		return nil, errors.New("checks: DNS: host is empty")
	}
	if !utf8.ValidString(host) || strings.ContainsFunc(host, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return nil, fmt.Errorf("checks: DNS: host %q is not a host name", host)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return func(ctx context.Context) error {
		addrs, err := r.LookupHost(ctx, host)
		if err != nil {
			return err
		}
		if len(addrs) == 0 {
			return fmt.Errorf("lookup %s: no addresses", host)
		}
		return nil
	}, nil
}

// DiskFree returns a check that fails when the file system holding path has
// fewer than minBytes available to unprivileged users.
func DiskFree(path string, minBytes uint64) (func(context.Context) error, error) {
	if path == "" {
		return nil, errors.New("checks: DiskFree: path is empty")
	}
	if minBytes == 0 {
		return nil, errors.New("checks: DiskFree: minBytes is 0, which never fails")
	}
	return func(context.Context) error {
		free, err := freeBytes(path)
		if err != nil {
			return err
		}
		if free < minBytes {
			return fmt.Errorf("%s: %d bytes free, want at least %d", path, free, minBytes)
		}
		return nil
	}, nil
}

// Goroutines returns a check that fails when the process runs more than max
// goroutines, a sign of a leak or of requests piling up.
func Goroutines(max int) (func(context.Context) error, error) {
	if max <= 0 {
		return nil, fmt.Errorf("checks: Goroutines: max %d is not positive", max)
	}
	return func(context.Context) error {
		if n := runtime.NumGoroutine(); n > max {
			return fmt.Errorf("%d goroutines, over the ceiling of %d", n, max)
		}
		return nil
	}, nil
}
