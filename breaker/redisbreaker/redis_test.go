package redisbreaker_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a real redis-server run by a test as its child process,
// with no persistence, on a free loopback port.
type redisServer struct {
	t    testing.TB
	path string
	args []string
	Addr string
	cmd  *exec.Cmd
}

// startRedis starts a redis-server for the test and stops it at cleanup.
// Without the binary it skips, or fails when CI is set: CI must not pass
// by skipping.
func startRedis(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not found under CI: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{t: t, path: path, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		args: append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, extra...)}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Start starts the server (again) on its port and waits until it answers.
func (s *redisServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command(s.path, s.args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 64)
			n, _ := c.Read(buf)
			c.Close()
			if n > 0 && (string(buf[:n]) == "+PONG\r\n" || string(buf[:min(n, 7)]) == "-NOAUTH") {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s did not answer within 10s: %v", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientTimeout bounds every command of the tests' clients: a call that
// waited on Redis while it is partitioned would take that long.
const clientTimeout = 3 * time.Second

// Kill stops the server at once, as a crash would.
func (s *redisServer) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Pause freezes the server: connections stay open and nothing answers,
// as in a network partition. Resume thaws it.
func (s *redisServer) Pause()  { s.cmd.Process.Signal(syscall.SIGSTOP) }
func (s *redisServer) Resume() { s.cmd.Process.Signal(syscall.SIGCONT) }

// Client returns a client whose dial, read and write timeouts are
// clientTimeout, closed at cleanup.
func (s *redisServer) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: clientTimeout,
		ReadTimeout: clientTimeout, WriteTimeout: clientTimeout})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisHarness(t *testing.T) {
	s := startRedis(t)
	c := s.Client(t)
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING the test's redis-server: %v", err)
	}
	s.Kill()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("PING after Kill succeeded")
	}
	s.Start()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after restart: %v", err)
	}
}
