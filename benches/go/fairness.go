package main

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// fairness: two goroutines loop on always-ready channel operations (each sends to
// and receives from a buffered channel of its own) while a 1 ms ticker runs for n ms; reports
// how late each tick is received. Only asynchronous preemption (10 ms) or the loops' own
// scheduling points let the ticker's goroutine run. The loops stop by themselves 500 ms after
// the ticking time, like the Rust side's bound.
func init() {
	register("fairness", func(n int) []metric {
		runFor := time.Duration(n) * time.Millisecond
		end := time.Now().Add(runFor)
		giveUp := end.Add(500 * time.Millisecond)
		var stop atomic.Bool
		var stopped sync.WaitGroup
		for i := 0; i < 2; i++ {
			stopped.Add(1)
			go func() {
				defer stopped.Done()
				ch := make(chan int, 1)
				for !stop.Load() && time.Now().Before(giveUp) {
					ch <- 1
					<-ch
				}
			}()
		}
		ticker := time.NewTicker(time.Millisecond)
		late := make([]float64, 0, 2048)
		for time.Now().Before(end) {
			due := <-ticker.C
			late = append(late, float64(time.Since(due).Nanoseconds())/1e3)
		}
		ticker.Stop()
		stop.Store(true)
		stopped.Wait()
		due := math.Floor(float64(runFor) / float64(time.Millisecond))
		return append(latencyMetrics(late),
			metric{"ticks", float64(len(late))},
			metric{"due", due})
	})
}
