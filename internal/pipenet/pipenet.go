package pipenet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// Net is a set of servers and a transport that dials them.
type Net struct {
	mu        sync.Mutex // guards listeners
	listeners map[string]*listener
	// Transport dials the servers of this network, and nothing else.
	Transport *http.Transport
}

// New returns an empty network whose transport's idle connections are
// closed when the test ends.
func New(t testing.TB) *Net {
	n := &Net{listeners: make(map[string]*listener)}
	n.Transport = &http.Transport{DialContext: n.dial}
	t.Cleanup(n.Transport.CloseIdleConnections)
	return n
}

// ErrRefused is the error of dialing an address no server listens on.
var ErrRefused = errors.New("pipenet: connection refused")

// Serve starts an httptest server for h on the network and returns its
// URL, http://upstreamN.test:80; the server is closed when the test ends.
func (n *Net) Serve(t testing.TB, h http.Handler) string {
	n.mu.Lock()
	addr := "upstream" + strconv.Itoa(len(n.listeners)+1) + ".test:80"
	ln := &listener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
	n.listeners[addr] = ln
	n.mu.Unlock()
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return "http://" + addr
}

func (n *Net) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	n.mu.Lock()
	ln := n.listeners[addr]
	n.mu.Unlock()
	if ln == nil {
		return nil, ErrRefused
	}
	client, server := net.Pipe()
	select {
	case ln.conns <- server:
		return client, nil
	case <-ln.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, ErrRefused
}

type listener struct {
	addr  string
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *listener) Addr() net.Addr { return addr(l.addr) }

type addr string

func (addr) Network() string  { return "pipe" }
func (a addr) String() string { return string(a) }
