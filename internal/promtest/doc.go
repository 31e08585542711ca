// Package promtest runs Debian's prometheus and promtool for tests: a real
// Prometheus server as a child process of the test, on a free loopback
// port, with its configuration and data in a temporary directory, and
// history backfilled with `promtool tsdb create-blocks-from openmetrics`
// so that a test judges 30 days of counters without waiting for them.
//
// A test that needs a tool skips when it is missing, unless the
// environment variable CI is set: then it fails, so that CI cannot pass
// by skipping.
package promtest
