// Package redistest runs a real redis-server for tests: Debian's, as a
// child process of the test, on a free loopback port, with no persistence.
// It speaks to the server only to see it answer, so it imports no Redis
// client.
//
// A test that needs the server skips when redis-server is missing, unless
// the environment variable CI is set: then it fails, so that CI cannot
// pass by skipping.
package redistest
