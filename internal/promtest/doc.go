// Package promtest runs a real Prometheus and a real Alertmanager for
// tests: Debian's prometheus and prometheus-alertmanager, as child
// processes of the test, each with its configuration and data in a
// temporary directory, on a free loopback port, killed at cleanup; and
// history backfilled with `promtool tsdb create-blocks-from openmetrics`,
// so that a test judges 30 days of counters without waiting for them.
//
// A test that needs one skips when its binary is missing, unless the
// environment variable CI is set: then it fails, so that CI cannot pass
// by skipping.
package promtest
