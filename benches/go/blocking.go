package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// all_blocked_{sleep,spin} and blocking_{sleep,spin}: blockers goroutines each hold
// their OS thread n times for 100 ms, yielding in between, while this goroutine starts a short
// goroutine every millisecond; reports their start-to-run latency. The sleep variants block in
// a raw nanosleep system call, which holds the thread like std::thread::sleep (time.Sleep would
// park only the goroutine); Go's sysmon sees the thread in a syscall and hands its P off. The
// spin variants busy-loop, which only asynchronous preemption interrupts.
func init() {
	for _, v := range []struct {
		name     string
		blockers int
		spin     bool
	}{
		{"all_blocked_sleep", 2, false},
		{"all_blocked_spin", 2, true},
		{"blocking_sleep", 1, false},
		{"blocking_spin", 1, true},
	} {
		register(v.name, func(n int) []metric { return blocked(n, v.blockers, v.spin) })
	}
}

// holdThread keeps the calling thread for d: in the kernel, or spinning on the CPU.
func holdThread(d time.Duration, spin bool) {
	if !spin {
		ts := syscall.NsecToTimespec(int64(d))
		_ = syscall.Nanosleep(&ts, nil)
		return
	}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

func blocked(n, blockers int, spin bool) []metric {
	var finished atomic.Int32
	for i := 0; i < blockers; i++ {
		go func() {
			for r := 0; r < n; r++ {
				holdThread(100*time.Millisecond, spin)
				runtime.Gosched()
			}
			finished.Add(1)
		}()
	}
	var mu sync.Mutex
	lat := make([]float64, 0, 4096)
	var ran sync.WaitGroup
	time.Sleep(5 * time.Millisecond) // let the blockers reach their threads first
	for int(finished.Load()) < blockers {
		t0 := time.Now()
		ran.Add(1)
		go func() {
			us := float64(time.Since(t0).Nanoseconds()) / 1e3
			mu.Lock()
			lat = append(lat, us)
			mu.Unlock()
			ran.Done()
		}()
		time.Sleep(time.Millisecond)
	}
	ran.Wait()
	return append(latencyMetrics(lat), metric{"probes", float64(len(lat))})
}
