package main

import "time"

// ping_pong: two goroutines wake each other n times. The hand-off is a channel of capacity 1
// per direction: a sticky flag with one waiter, like the Rust side's Signal.
func init() {
	register("ping_pong", func(n int) []metric {
		res := make(chan time.Duration)
		go func() {
			ping := make(chan struct{}, 1)
			pong := make(chan struct{}, 1)
			done := make(chan struct{})
			start := time.Now()
			go func() {
				for i := 0; i < n; i++ {
					<-ping
					pong <- struct{}{}
				}
			}()
			go func() {
				for i := 0; i < n; i++ {
					ping <- struct{}{}
					<-pong
				}
				close(done)
			}()
			<-done
			res <- time.Since(start)
		}()
		d := <-res
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
}
