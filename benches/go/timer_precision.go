package main

import (
	"syscall"
	"time"
)

// timer_precision: one goroutine sleeps 100 us n times in a row (time.Sleep); reports how late
// each wake-up is and the CPU the process used meanwhile, as a percentage of one core.
func init() {
	register("timer_precision", func(n int) []metric {
		const sleep = 100 * time.Microsecond
		for i := 0; i < 50; i++ {
			time.Sleep(sleep)
		}
		late := make([]float64, 0, n)
		wall0, cpu0 := time.Now(), cpuTime()
		for i := 0; i < n; i++ {
			deadline := time.Now().Add(sleep)
			time.Sleep(sleep)
			late = append(late, float64(time.Since(deadline).Nanoseconds())/1e3)
		}
		cpu := cpuTime() - cpu0
		pct := 100 * cpu.Seconds() / time.Since(wall0).Seconds()
		return append(latencyMetrics(late),
			metric{"sleeps", float64(len(late))},
			metric{"cpu_pct", pct})
	})
}

// cpuTime is this process's CPU time so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
