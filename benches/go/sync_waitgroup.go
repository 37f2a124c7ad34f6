package main

import (
	"sync"
	"time"
)

// sync_waitgroup_1m: wg.Add(1) and a goroutine calling wg.Done(), n times, then wg.Wait()
// (ns/task).
func init() {
	register("sync_waitgroup_1m", func(n int) []metric {
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { wg.Done() }()
		}
		wg.Wait()
		d := time.Since(start)
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
}
