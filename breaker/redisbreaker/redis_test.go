package redisbreaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ybiyri/runkit/internal/redistest"
)

// redisServer is a real redis-server run by the test; see redistest.
type redisServer struct{ *redistest.Server }

func startRedis(t testing.TB, extra ...string) redisServer {
	return redisServer{redistest.Start(t, extra...)}
}

// clientTimeout bounds every command of the tests' clients: a call that
// waited on Redis while it is partitioned would take that long.
const clientTimeout = 3 * time.Second

// Client returns a client whose dial, read and write timeouts are
// clientTimeout, closed at cleanup.
func (s redisServer) Client(t testing.TB) *redis.Client {
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
	s.Restart()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after restart: %v", err)
	}
}
