// Package grpchealth serves the gRPC Health Checking Protocol
// (grpc.health.v1: Check, Watch and List) from a health.Checker, so that a
// gRPC service and its HTTP probes report the same checks.
//
// The service "" is the checker's readiness: SERVING while /readyz passes or
// warns. Every check is a service of its own name: SERVING while the check
// passes, NOT_SERVING while it fails, UNKNOWN before its first result. While
// the checker drains, every service is NOT_SERVING, so that clients and load
// balancers move away before the server stops.
//
// Watch sends the current status at once and then every change, including
// the service becoming SERVICE_UNKNOWN when its check is unregistered (and
// known again when it is registered). Periodic checks produce results on
// their own; while a stream watches a service, the server itself evaluates
// it every WatchInterval, which runs its on-demand checks, so their changes
// show without any other probe.
package grpchealth
