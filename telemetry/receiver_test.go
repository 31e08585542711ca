package telemetry_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	colllogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	collmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	colltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// receiver is an OTLP receiver that decodes what it is sent with the
// official protobuf types and keeps counts.
type receiver struct {
	mu       sync.Mutex
	spans    map[string]int   // by name, for spans carrying attribute seq
	seqs     map[int64]bool   // distinct seq attribute values
	counters map[string]int64 // last cumulative value by metric name
	logs     []string         // log bodies with their trace_id attribute
	requests atomic.Int32
}

func newReceiver() *receiver {
	return &receiver{spans: map[string]int{}, seqs: map[int64]bool{}, counters: map[string]int64{}}
}

func (rc *receiver) traces(req *colltracepb.ExportTraceServiceRequest) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				for _, kv := range sp.GetAttributes() {
					if kv.GetKey() == "seq" {
						rc.spans[sp.GetName()]++
						rc.seqs[kv.GetValue().GetIntValue()] = true
					}
				}
			}
		}
	}
}

func (rc *receiver) metrics(req *collmetricpb.ExportMetricsServiceRequest) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, p := range m.GetSum().GetDataPoints() {
					rc.counters[m.GetName()] = p.GetAsInt()
				}
			}
		}
	}
}

// ServeHTTP implements OTLP/HTTP with protobuf bodies.
func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.requests.Add(1)
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", 400)
		return
	}
	switch r.URL.Path {
	case "/v1/traces":
		var req colltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.traces(&req)
		out, _ := proto.Marshal(&colltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	case "/v1/metrics":
		var req collmetricpb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.metrics(&req)
		out, _ := proto.Marshal(&collmetricpb.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	case "/v1/logs":
		var req colllogspb.ExportLogsServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.mu.Lock()
		for _, rl := range req.GetResourceLogs() {
			for _, sl := range rl.GetScopeLogs() {
				for _, lr := range sl.GetLogRecords() {
					rc.logs = append(rc.logs, lr.GetBody().GetStringValue()+" trace="+hex.EncodeToString(lr.GetTraceId()))
				}
			}
		}
		rc.mu.Unlock()
		out, _ := proto.Marshal(&colllogspb.ExportLogsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	default:
		http.NotFound(w, r)
	}
}

func (rc *receiver) startHTTP(t *testing.T) string {
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL
}

// grpcTraces serves the OTLP trace service over gRPC.
type grpcTraces struct {
	colltracepb.UnimplementedTraceServiceServer
	rc *receiver
}

func (g grpcTraces) Export(_ context.Context, req *colltracepb.ExportTraceServiceRequest) (*colltracepb.ExportTraceServiceResponse, error) {
	g.rc.requests.Add(1)
	g.rc.traces(req)
	return &colltracepb.ExportTraceServiceResponse{}, nil
}

func (rc *receiver) startGRPC(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	colltracepb.RegisterTraceServiceServer(gs, grpcTraces{rc: rc})
	go gs.Serve(ln)
	t.Cleanup(gs.Stop)
	return "http://" + ln.Addr().String()
}

// connWatch is a listener that counts the connections it accepts.
type connWatch struct {
	ln    net.Listener
	conns atomic.Int32
	done  chan struct{}
}

func watch(t *testing.T, addr string) *connWatch {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	w := &connWatch{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w.conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-w.done })
	return w
}
