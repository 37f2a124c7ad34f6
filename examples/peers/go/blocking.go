// Go peer of examples/sysmon_blocking.rs and examples/sysmon_all_blocked.rs: `blockers`
// goroutines each block their thread ten times for 100 ms (a nanosleep system call, which holds
// the thread like std::thread::sleep, or a busy loop), yielding in between, while the main
// goroutine starts a short goroutine every millisecond; prints the start-to-run latency.
//
// Run with: GOMAXPROCS=2 go run examples/peers/go/blocking.go -blockers=2 -mode=spin
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func block(mode string, d time.Duration) {
	if mode == "sleep" {
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil)
		return
	}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

func main() {
	blockers := flag.Int("blockers", 1, "goroutines that block their thread")
	mode := flag.String("mode", "sleep", "sleep or spin")
	flag.Parse()
	runtime.GOMAXPROCS(2)

	var done atomic.Int32
	for i := 0; i < *blockers; i++ {
		go func() {
			for r := 0; r < 10; r++ {
				block(*mode, 100*time.Millisecond)
				runtime.Gosched()
			}
			done.Add(1)
		}()
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	time.Sleep(5 * time.Millisecond)
	for int(done.Load()) < *blockers {
		t0 := time.Now()
		wg.Add(1)
		go func() {
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			wg.Done()
		}()
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	fmt.Println(summary(lat))
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
