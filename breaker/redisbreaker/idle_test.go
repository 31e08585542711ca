//go:build unix

package redisbreaker_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/breaker/redisbreaker"
)

// idleWindow is how long TestIdleLinkCost measures each replica: ten
// seconds, scaled to a minute in the report; an idle link does the same
// every Timeout, so the ratio does not depend on the window.
const idleWindow = 10 * time.Second

// idleCost is what a replica process spent over the window.
type idleCost struct {
	cpu     time.Duration // user and system
	mallocs uint64
}

// An idle link is nearly free: over the same window, a replica process
// whose registry is linked to Redis, with no change to share and no
// Check, spends at most 1.5 times the CPU and the allocations of the same
// process unlinked. Both are separate processes, run side by side, each
// with ten breakers and a connected Redis client, and measured after they
// settle. (The link used to wake every 10ms to poll the subscription:
// about 8 times the CPU, and 500 allocations a second against 2.)
func TestIdleLinkCost(t *testing.T) {
	if os.Getenv("REDISBREAKER_IDLE") != "" {
		t.Skip("a replica of TestIdleLinkCost")
	}
	srv := startRedis(t)
	var wg sync.WaitGroup
	costs := map[string]idleCost{}
	var mu sync.Mutex
	for _, mode := range []string{"unlinked", "linked"} {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestIdleReplicaProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "REDISBREAKER_IDLE="+mode, "REDISBREAKER_IDLE_ADDR="+srv.Addr)
			out, err := cmd.CombinedOutput()
			var c idleCost
			var cpu int64
			i := strings.Index(string(out), "idle cost:")
			if err != nil || i < 0 {
				t.Errorf("%s replica: %v\n%s", mode, err, out)
				return
			}
			if _, err := fmt.Sscanf(string(out[i:]), "idle cost: cpu_ns=%d mallocs=%d", &cpu, &c.mallocs); err != nil {
				t.Errorf("%s replica: %v\n%s", mode, err, out)
				return
			}
			c.cpu = time.Duration(cpu)
			mu.Lock()
			costs[mode] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	per := float64(time.Minute) / float64(idleWindow)
	for _, mode := range []string{"unlinked", "linked"} {
		c := costs[mode]
		t.Logf("%s replica, idle, per minute: %v of CPU, %.0f mallocs", mode, time.Duration(float64(c.cpu)*per).Round(time.Millisecond), float64(c.mallocs)*per)
	}
	// Both spend a few milliseconds in ten seconds and make next to no
	// allocation, the scheduler's and the runtime's: below 1ms of CPU (0.1%
	// of a core) and one allocation per second of the window, a difference
	// is that noise on a shared machine, not the link's.
	u, l := costs["unlinked"], costs["linked"]
	seconds := int(idleWindow / time.Second)
	noise := time.Duration(seconds) * time.Millisecond
	if float64(l.cpu) > 1.5*float64(u.cpu)+float64(noise) {
		t.Errorf("an idle linked replica spent %v of CPU against %v unlinked, want at most 1.5 times (+%v of noise)", l.cpu, u.cpu, noise)
	}
	if float64(l.mallocs) > 1.5*float64(u.mallocs)+float64(seconds) {
		t.Errorf("an idle linked replica made %d allocations against %d unlinked, want at most 1.5 times (+%d of noise)", l.mallocs, u.mallocs, seconds)
	}
}

// TestIdleReplicaProcess is one replica of TestIdleLinkCost, run in a
// process of its own.
func TestIdleReplicaProcess(t *testing.T) {
	mode := os.Getenv("REDISBREAKER_IDLE")
	if mode == "" {
		t.Skip("run by TestIdleLinkCost")
	}
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDISBREAKER_IDLE_ADDR")})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	reg := &breaker.Registry{}
	for i := range 10 {
		b, err := breaker.New[int](breaker.Config{Name: fmt.Sprint("dependency-", i)})
		if err != nil {
			t.Fatal(err)
		}
		reg.Add(b)
	}
	if mode == "linked" {
		l, err := redisbreaker.New(rdb, reg, redisbreaker.Config{Namespace: "idle", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for l.Check(ctx) != nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(time.Second) // settle
	before, mallocs := usage(), mallocCount()
	time.Sleep(idleWindow)
	after, mallocs2 := usage(), mallocCount()
	fmt.Printf("idle cost: cpu_ns=%d mallocs=%d\n", after-before, mallocs2-mallocs)
}

func usage() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mallocCount() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}
