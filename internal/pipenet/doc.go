// Package pipenet is an in-memory network for tests run under
// testing/synctest: real httptest servers and a real http.Transport talk
// over net.Pipe connections, so that the bubble's fake clock runs while
// requests are in flight, which a goroutine blocked on a socket would stop.
package pipenet
