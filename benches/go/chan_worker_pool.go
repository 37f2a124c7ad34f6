package main

import (
	"sync"
	"time"
)

// chan_worker_pool: the seed chapter's worker pool, 10 workers, jobs and results channels of
// capacity 100, n jobs of 1,000 xorshift steps; ns per job.
func init() {
	register("chan_worker_pool", func(n int) []metric {
		start := time.Now()
		jobs := make(chan uint64, 100)
		results := make(chan uint64, 100)
		go chanWorkerPool(jobs, results, 10)
		go func() {
			for j := uint64(0); j < uint64(n); j++ {
				jobs <- j
			}
			close(jobs)
		}()
		var count, acc uint64
		for r := range results {
			count++
			acc ^= r
		}
		if count != uint64(n) {
			panic("chan_worker_pool: lost results")
		}
		_ = acc
		d := time.Since(start)
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
}

func chanWork(job uint64) uint64 {
	x := job | 1
	for i := 0; i < 1000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func chanWorkerPool(jobs <-chan uint64, results chan<- uint64, numWorkers int) {
	var wg sync.WaitGroup
	for i := 0; i < numWorkers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				results <- chanWork(job)
			}
		}()
	}
	wg.Wait()
	close(results)
}
