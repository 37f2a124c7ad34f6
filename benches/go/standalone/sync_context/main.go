// Cancel one context with 100k goroutines waiting on ctx.Done(); time from cancel() until
// every goroutine has observed it. GOMAXPROCS=2.
// Run: GOMAXPROCS=2 go run sync_context.go
package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

func main() {
	const waiters = 100_000
	best := time.Duration(1 << 62)
	for r := 0; r < 10; r++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg, ready sync.WaitGroup
		for i := 0; i < waiters; i++ {
			wg.Add(1)
			ready.Add(1)
			go func() {
				defer wg.Done()
				done := ctx.Done()
				ready.Done()
				<-done
			}()
		}
		ready.Wait()
		start := time.Now()
		cancel()
		wg.Wait()
		if d := time.Since(start); d < best {
			best = d
		}
	}
	fmt.Printf("%-40s %8.1f ns/waiter  (%v per 100k)\n", "context_cancel_fanout_100k", float64(best.Nanoseconds())/waiters, best)
}
