//go:build !(linux || darwin)

package checks

import (
	"fmt"
	"runtime"
)

func freeBytes(path string) (uint64, error) {
	return 0, fmt.Errorf("free space of %s: not supported on %s", path, runtime.GOOS)
}
