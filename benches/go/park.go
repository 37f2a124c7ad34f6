package main

import (
	"runtime"
	"sync"
	"time"
)

// park: n goroutines blocked at once on a channel that is closed to release them.
func init() {
	register("park", func(n int) []metric {
		runtime.GC()
		baseRSS := procKiB("/proc/self/status", "VmRSS:")
		baseVM := procKiB("/proc/self/status", "VmSize:")
		baseKS := procKiB("/proc/meminfo", "KernelStack:")
		release := make(chan struct{})
		var parked, finished sync.WaitGroup
		parked.Add(n)
		finished.Add(n)
		start := time.Now()
		for i := 0; i < n; i++ {
			go func() {
				parked.Done()
				<-release
				finished.Done()
			}()
		}
		parked.Wait()
		parkNs := float64(time.Since(start).Nanoseconds())
		time.Sleep(5 * time.Millisecond) // let the last ones block on the channel
		rss := procKiB("/proc/self/status", "VmRSS:")
		hwm := procKiB("/proc/self/status", "VmHWM:")
		vm := procKiB("/proc/self/status", "VmSize:")
		ks := procKiB("/proc/meminfo", "KernelStack:")
		close(release)
		finished.Wait()
		per := func(a, b float64) float64 {
			if a < b {
				return 0
			}
			return (a - b) / float64(n)
		}
		return []metric{
			{"peak_bytes_per_unit", per(hwm, baseRSS)},
			{"rss_bytes_per_unit", per(rss, baseRSS)},
			{"vm_bytes_per_unit", per(vm, baseVM)},
			{"kernel_stack_bytes_per_unit", per(ks, baseKS)},
			{"park_ns_per_unit", parkNs / float64(n)},
			{"units", float64(n)},
			{"rss_total_bytes", rss},
		}
	})
}
