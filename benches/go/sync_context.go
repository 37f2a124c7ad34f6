package main

import (
	"context"
	"sync"
	"time"
)

// sync_context_cancel_100k: n goroutines wait on one context's Done(); the primary metric is
// the time from cancel() until every waiter has finished (ms), setup excluded; total_ms
// includes starting the waiters.
func init() {
	register("sync_context_cancel_100k", func(n int) []metric {
		t0 := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		var wg, ready sync.WaitGroup
		for i := 0; i < n; i++ {
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
		wake := time.Since(start)
		total := time.Since(t0)
		return []metric{
			{"ms", float64(wake.Nanoseconds()) / 1e6},
			{"ns_per_waiter", float64(wake.Nanoseconds()) / float64(n)},
			{"total_ms", float64(total.Nanoseconds()) / 1e6},
		}
	})
}
