package main

import (
	"sync"
	"time"
)

// sync_mutex_uncontended: lock, increment, unlock n times in one goroutine (ns/op).
// sync_mutex_contended: 8 goroutines share n such operations on one sync.Mutex (ns/op).
func init() {
	register("sync_mutex_uncontended", func(n int) []metric {
		var mu sync.Mutex
		x := 0
		start := time.Now()
		for i := 0; i < n; i++ {
			mu.Lock()
			x++
			mu.Unlock()
		}
		d := time.Since(start)
		if x != n {
			panic("sync_mutex_uncontended: lost updates")
		}
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
	register("sync_mutex_contended", func(n int) []metric {
		const contenders = 8
		per := n / contenders
		var mu sync.Mutex
		var wg sync.WaitGroup
		x := 0
		start := time.Now()
		for g := 0; g < contenders; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; i++ {
					mu.Lock()
					x++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		d := time.Since(start)
		if x != per*contenders {
			panic("sync_mutex_contended: lost updates")
		}
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(per*contenders)}}
	})
}
