// Go's sync.Mutex and a channel semaphore, measured like benches/benches/sync.rs:
// uncontended lock/unlock in one goroutine, and 8 goroutines contending. GOMAXPROCS=2.
// Run: GOMAXPROCS=2 go run ./benches/go/standalone/sync_mutex
package main

import (
	"fmt"
	"sync"
	"time"
)

const n = 5_000_000

func report(name string, d time.Duration, ops int) {
	fmt.Printf("%-40s %8.1f ns/op\n", name, float64(d.Nanoseconds())/float64(ops))
}

func contended(op func()) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/8; i++ {
				op()
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func main() {
	var mu sync.Mutex
	x := 0
	start := time.Now()
	for i := 0; i < n; i++ {
		mu.Lock()
		x++
		mu.Unlock()
	}
	report("mutex_uncontended", time.Since(start), n)
	report("mutex_contended_8_tasks", contended(func() { mu.Lock(); x++; mu.Unlock() }), n)

	sem := make(chan struct{}, 2)
	start = time.Now()
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		<-sem
	}
	report("semaphore_uncontended (chan)", time.Since(start), n)
	report("semaphore_contended_8_tasks_2_permits", contended(func() { sem <- struct{}{}; <-sem }), n)
}
