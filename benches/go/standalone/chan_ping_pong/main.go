// Go side of gmp's `ping_pong` channel benchmark (benches/benches/chan.rs): two goroutines
// bounce a value over two unbuffered channels. Prints ns per round trip.
//
//	GOMAXPROCS=2 go run ./benches/go/standalone/chan_ping_pong [-n rounds]
package main

import (
	"flag"
	"fmt"
	"time"
)

func main() {
	n := flag.Int("n", 2_000_000, "round trips")
	flag.Parse()
	for rep := 0; rep < 3; rep++ {
		a, b := make(chan uint64), make(chan uint64)
		done := make(chan struct{})
		start := time.Now()
		go func() {
			for v := range a {
				b <- v + 1
			}
		}()
		go func() {
			for i := uint64(0); i < uint64(*n); i++ {
				a <- i
				if <-b != i+1 {
					panic("bad value")
				}
			}
			close(a)
			close(done)
		}()
		<-done
		el := time.Since(start)
		fmt.Printf("go ping_pong: %.1f ns/op (%d round trips)\n", float64(el.Nanoseconds())/float64(*n), *n)
	}
}
