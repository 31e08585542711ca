package redisbreaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

func succeed(context.Context) (int, error) { return 1, nil }

// BenchmarkExecute is the baseline: a local breaker's closed path.
func BenchmarkExecute(b *testing.B) {
	br, err := breaker.New[int](breaker.Config{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		br.Execute(ctx, succeed)
	}
}

// BenchmarkSharedExecute is the closed path of a breaker linked to the
// fleet through a real Redis that is up.
func BenchmarkSharedExecute(b *testing.B) {
	srv := startRedis(b)
	reg := &breaker.Registry{}
	link, err := redisbreaker.New(srv.Client(b), reg, redisbreaker.Config{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer link.Close()
	for link.Check(context.Background()) != nil {
		time.Sleep(time.Millisecond)
	}
	br, _ := breaker.New[int](breaker.Config{Name: "bench"})
	reg.Add(br)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		br.Execute(ctx, succeed)
	}
}

// redisStore is gobreaker v2's SharedDataStore on go-redis: a lock with
// SET NX and a TTL, and the state as a string.
type redisStore struct{ c *redis.Client }

var errLocked = errors.New("locked")

func (s redisStore) Lock(name string) error {
	ok, err := s.c.SetNX(context.Background(), name, 1, 5*time.Second).Result()
	if err == nil && !ok {
		err = errLocked
	}
	return err
}

func (s redisStore) Unlock(name string) error { return s.c.Del(context.Background(), name).Err() }

func (s redisStore) GetData(name string) ([]byte, error) {
	data, err := s.c.Get(context.Background(), name).Bytes()
	if err == redis.Nil {
		return nil, nil
	}
	return data, err
}

func (s redisStore) SetData(name string, data []byte) error {
	return s.c.Set(context.Background(), name, data, 0).Err()
}

// BenchmarkGobreakerDistributedExecute is gobreaker v2's own
// DistributedCircuitBreaker over the same real Redis: a lock, a read and
// a write per call.
func BenchmarkGobreakerDistributedExecute(b *testing.B) {
	srv := startRedis(b)
	cb, err := gobreaker.NewDistributedCircuitBreaker[int](redisStore{srv.Client(b)}, gobreaker.Settings{
		Name: "bench", Interval: time.Minute, BucketPeriod: 6 * time.Second, Timeout: 30 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cb.Execute(func() (int, error) { return 1, nil }); err != nil {
			b.Fatal(err)
		}
	}
}
