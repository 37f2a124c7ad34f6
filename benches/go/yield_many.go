package main

import (
	"runtime"
	"sync"
	"time"
)

// yield_many: 1000 goroutines each call runtime.Gosched n times.
const yieldTasks = 1000

func init() {
	register("yield_many", func(n int) []metric {
		res := make(chan time.Duration)
		go func() {
			start := time.Now()
			var wg sync.WaitGroup
			wg.Add(yieldTasks)
			for i := 0; i < yieldTasks; i++ {
				go func() {
					for j := 0; j < n; j++ {
						runtime.Gosched()
					}
					wg.Done()
				}()
			}
			wg.Wait()
			res <- time.Since(start)
		}()
		d := <-res
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(yieldTasks*n)}}
	})
}
