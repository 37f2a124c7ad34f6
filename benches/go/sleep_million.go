package main

import (
	"sync"
	"time"
)

// sleep_million: the seed's Question 4, n goroutines each sleeping 1 s, waited for with a
// WaitGroup; wall time and peak RSS.
func init() {
	register("sleep_million", func(n int) []metric {
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Second)
			}()
		}
		wg.Wait()
		wall := time.Since(start).Seconds()
		hwm := procKiB("/proc/self/status", "VmHWM:")
		return []metric{
			{"wall_s", wall},
			{"peak_rss_mib", hwm / (1024 * 1024)},
		}
	})
}
