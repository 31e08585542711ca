package grpchealth_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/health/grpchealth"
)

func Example() {
	checker := health.New()
	defer checker.Close()
	checker.Register(health.Check{Name: "db", Func: func(context.Context) error { return nil }})

	gs := grpc.NewServer()
	hs, err := grpchealth.New(checker)
	if err != nil {
		fmt.Println(err)
		return
	}
	healthpb.RegisterHealthServer(gs, hs)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go gs.Serve(ln)
	defer gs.GracefulStop()
	defer hs.Shutdown() // ends Watch streams so that GracefulStop can finish

	conn, _ := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	resp, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "db"})
	fmt.Println(resp.GetStatus(), err)

	checker.Drain()
	resp, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	fmt.Println(resp.GetStatus(), err)
	// Output:
	// SERVING <nil>
	// NOT_SERVING <nil>
}
