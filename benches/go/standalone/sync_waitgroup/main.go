// WaitGroup add/done/wait across 1M goroutines. GOMAXPROCS=2.
// Run: GOMAXPROCS=2 go run sync_waitgroup.go
package main

import (
	"fmt"
	"sync"
	"time"
)

func main() {
	const tasks = 1_000_000
	best := time.Duration(1 << 62)
	for r := 0; r < 5; r++ {
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < tasks; i++ {
			wg.Add(1)
			go func() { wg.Done() }()
		}
		wg.Wait()
		if d := time.Since(start); d < best {
			best = d
		}
	}
	fmt.Printf("%-40s %8.1f ns/op  (%v per 1M)\n", "waitgroup_1m_tasks", float64(best.Nanoseconds())/tasks, best)
}
