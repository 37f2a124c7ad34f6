// Go side of gmp's `worker_pool` channel benchmark (benches/benches/chan.rs): the seed
// chapter's worker pool, 10 workers, jobs and results channels of capacity 100, jobs of 1,000
// xorshift steps. Prints the wall time per run for 100,000 jobs (the figure) and for
// 20,000 jobs (the criterion bench's scaled-down run).
//
//	GOMAXPROCS=2 go run ./benches/go/standalone/chan_worker_pool
package main

import (
	"fmt"
	"sync"
	"time"
)

func work(job uint64) uint64 {
	x := job | 1
	for i := 0; i < 1000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func workerPool(jobs <-chan uint64, results chan<- uint64, numWorkers int) {
	var wg sync.WaitGroup
	for i := 0; i < numWorkers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				results <- work(job)
			}
		}()
	}
	wg.Wait()
	close(results)
}

func run(n uint64) time.Duration {
	start := time.Now()
	jobs := make(chan uint64, 100)
	results := make(chan uint64, 100)
	go workerPool(jobs, results, 10)
	go func() {
		for j := uint64(0); j < n; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	var count, acc uint64
	for r := range results {
		count++
		acc ^= r
	}
	if count != n {
		panic("lost results")
	}
	_ = acc
	return time.Since(start)
}

func main() {
	for _, n := range []uint64{100_000, 20_000} {
		for rep := 0; rep < 3; rep++ {
			el := run(n)
			fmt.Printf("go worker_pool_%dk_jobs: %.2f ms/run\n", n/1000, float64(el.Microseconds())/1000)
		}
	}
}
