// Go side of gmp's `mpsc_4to1_cap1024` and `mpmc_4to4_cap1024` channel benchmarks
// (benches/benches/chan.rs): 4 producers send on one channel of capacity 1024, drained by
// 1 (mpsc) or 4 (mpmc) consumers. Prints ns per message.
//
//	GOMAXPROCS=2 go run ./benches/go/standalone/chan_mpsc [-n messages] [-consumers 1|4]
package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
)

func run(msgs, producers, consumers int) time.Duration {
	per := (msgs + producers - 1) / producers
	ch := make(chan uint64, 1024)
	var pwg, cwg sync.WaitGroup
	counts := make([]uint64, consumers)
	start := time.Now()
	for c := 0; c < consumers; c++ {
		cwg.Add(1)
		go func(c int) {
			defer cwg.Done()
			var n uint64
			for v := range ch {
				n += v&1 | 1
			}
			counts[c] = n
		}(c)
	}
	for p := 0; p < producers; p++ {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for i := 0; i < per; i++ {
				ch <- uint64(i)
			}
		}()
	}
	pwg.Wait()
	close(ch)
	cwg.Wait()
	el := time.Since(start)
	var total uint64
	for _, n := range counts {
		total += n
	}
	if total != uint64(per*producers) {
		panic("lost messages")
	}
	return el
}

func main() {
	n := flag.Int("n", 10_000_000, "messages")
	consumers := flag.Int("consumers", 1, "consumers (1: mpsc, 4: mpmc)")
	flag.Parse()
	name := "mpsc_4to1_cap1024"
	if *consumers != 1 {
		name = fmt.Sprintf("mpmc_4to%d_cap1024", *consumers)
	}
	for rep := 0; rep < 3; rep++ {
		el := run(*n, 4, *consumers)
		fmt.Printf("go %s: %.1f ns/op (%d messages)\n", name, float64(el.Nanoseconds())/float64(*n), *n)
	}
}
