package main

import "time"

// chained_spawn: each goroutine starts the next, n deep; the last closes done.
func link(left int, done chan struct{}) {
	if left == 0 {
		close(done)
		return
	}
	go link(left-1, done)
}

func init() {
	register("chained_spawn", func(n int) []metric {
		res := make(chan time.Duration)
		go func() {
			start := time.Now()
			done := make(chan struct{})
			link(n, done)
			<-done
			res <- time.Since(start)
		}()
		d := <-res
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
}
