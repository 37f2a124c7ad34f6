package main

import "time"

// chan_ping_pong: two goroutines bounce a value over two unbuffered channels, n round trips.
// ns per round trip.
func init() {
	register("chan_ping_pong", func(n int) []metric {
		a, b := make(chan uint64), make(chan uint64)
		done := make(chan struct{})
		start := time.Now()
		go func() {
			for v := range a {
				b <- v + 1
			}
		}()
		go func() {
			for i := uint64(0); i < uint64(n); i++ {
				a <- i
				if <-b != i+1 {
					panic("chan_ping_pong: bad value")
				}
			}
			close(a)
			close(done)
		}()
		<-done
		d := time.Since(start)
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
}
