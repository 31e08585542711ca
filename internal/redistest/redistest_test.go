package redistest_test

import (
	"net"
	"testing"

	"github.com/ybiyri/runkit/internal/redistest"
)

func TestKillAndRestart(t *testing.T) {
	s := redistest.Start(t)
	s.Kill()
	if c, err := net.Dial("tcp", s.Addr); err == nil {
		c.Close()
		t.Fatal("dial after Kill succeeded")
	}
	s.Restart()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatalf("dial after Restart: %v", err)
	}
	c.Close()
	s.Kill()
	s.Kill()
}
