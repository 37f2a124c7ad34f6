package main

import (
	"syscall"
	"time"
)

// lifo_strand: a goroutine readies another through a channel (it lands in the waker's P's
// runnext), then blocks its OS thread for 50 ms in a raw nanosleep system call: like
// std::thread::sleep on the Rust side, the thread is gone, but Go's runtime knows it is in a
// syscall and hands the P off (sysmon retake), or another P steals runnext.
func init() {
	register("lifo_strand", func(n int) []metric {
		lat := make([]float64, 0, n)
		res := make(chan []float64)
		go func() {
			base := time.Now()
			wake := make(chan int64) // unbuffered: the receiver is parked when we send
			ready := make(chan struct{})
			done := make(chan struct{})
			go func() {
				for i := 0; i < n; i++ {
					ready <- struct{}{}
					stamp := <-wake
					now := int64(time.Since(base))
					lat = append(lat, float64(now-stamp)/1e3)
				}
				close(done)
			}()
			go func() {
				block := syscall.NsecToTimespec(int64(50 * time.Millisecond))
				for i := 0; i < n; i++ {
					<-ready
					// Let the receiver park on `wake` (Rust: waits for its Pending + 100 us).
					time.Sleep(100 * time.Microsecond)
					wake <- int64(time.Since(base))
					_ = syscall.Nanosleep(&block, nil)
				}
			}()
			<-done
			res <- lat
		}()
		l := <-res
		stranded := 0
		for _, v := range l {
			if v >= 25000 {
				stranded++
			}
		}
		return append(latencyMetrics(l),
			metric{"stranded", float64(stranded)},
			metric{"rounds", float64(len(l))})
	})
}
