package main

import (
	"sync/atomic"
	"time"
)

// spawn_many: one goroutine starts n empty goroutines and waits until all have run (an atomic
// countdown whose last decrement closes a channel). bytes_per_task: peak RSS growth per
// goroutine (meaningful in the first repetition of a process, as the size curve runs it).
func init() {
	register("spawn_many", func(n int) []metric {
		before := procKiB("/proc/self/status", "VmRSS:")
		res := make(chan time.Duration)
		go func() {
			start := time.Now()
			var left atomic.Int64
			left.Store(int64(n))
			done := make(chan struct{})
			for i := 0; i < n; i++ {
				go func() {
					if left.Add(-1) == 0 {
						close(done)
					}
				}()
			}
			<-done
			res <- time.Since(start)
		}()
		d := <-res
		growth := procKiB("/proc/self/status", "VmHWM:") - before
		if growth < 0 {
			growth = 0
		}
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}, {"bytes_per_task", growth / float64(n)}}
	})
}
