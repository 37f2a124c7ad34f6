// Go peer of examples/sysmon_fairness.rs: two goroutines loop on always-ready channel
// operations (send then receive on a buffered channel of their own) while a 1 ms ticker runs
// for one second; prints how late each tick is received.
//
// Run with: GOMAXPROCS=2 go run examples/peers/go/fairness.go
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync/atomic"
	"time"
)

func main() {
	runtime.GOMAXPROCS(2)
	var stop atomic.Bool
	for i := 0; i < 2; i++ {
		go func() {
			ch := make(chan int, 1)
			for !stop.Load() {
				ch <- 1
				<-ch
			}
		}()
	}
	ticker := time.NewTicker(time.Millisecond)
	var late []time.Duration
	end := time.Now().Add(time.Second)
	for time.Now().Before(end) {
		due := <-ticker.C
		late = append(late, time.Since(due))
	}
	ticker.Stop()
	stop.Store(true)
	fmt.Println(summary(late))
}

func human(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.1fus", float64(d)/1e3)
	}
	return fmt.Sprintf("%.2fms", float64(d)/1e6)
}

func summary(s []time.Duration) string {
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n == 0 {
		return "no samples"
	}
	at := func(q float64) time.Duration {
		i := int(float64(n)*q + 0.999999)
		if i < 1 {
			i = 1
		}
		if i > n {
			i = n
		}
		return s[i-1]
	}
	return fmt.Sprintf("p50 %9s p99 %9s max %9s (n=%d)", human(at(0.5)), human(at(0.99)), human(s[n-1]), n)
}
