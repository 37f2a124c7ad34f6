package main

import (
	"sync"
	"time"
)

// chan_mpsc and chan_mpmc: 4 producers send n messages in all (rounded up to a multiple of 4)
// on one channel of capacity 1024, drained by 1 (mpsc) or 4 (mpmc) consumers; ns per
// message.
func init() {
	register("chan_mpsc", func(n int) []metric { return chanManyToMany(n, 4, 1) })
	register("chan_mpmc", func(n int) []metric { return chanManyToMany(n, 4, 4) })
	// chan_fan_in: the producers curve, n producers -> 1 consumer, 200k messages.
	register("chan_fan_in", func(n int) []metric { return chanManyToMany(200000, n, 1) })
}

func chanManyToMany(msgs, producers, consumers int) []metric {
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
	d := time.Since(start)
	var total uint64
	for _, n := range counts {
		total += n
	}
	if total != uint64(per*producers) {
		panic("chan_mpsc/chan_mpmc: lost messages")
	}
	return []metric{{"ns", float64(d.Nanoseconds()) / float64(per*producers)}}
}
