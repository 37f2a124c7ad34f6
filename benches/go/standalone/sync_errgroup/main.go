// errgroup-equivalent with SetLimit(10) over 100k trivial items, hand-written with a
// semaphore channel (stdlib only, as x/sync/errgroup does it). GOMAXPROCS=2.
// Run: GOMAXPROCS=2 go run sync_errgroup.go
package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

type group struct {
	cancel  func()
	wg      sync.WaitGroup
	sem     chan struct{}
	errOnce sync.Once
	err     error
}

func withContext(ctx context.Context) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &group{cancel: cancel}, ctx
}

func (g *group) setLimit(n int) { g.sem = make(chan struct{}, n) }

func (g *group) done() {
	if g.sem != nil {
		<-g.sem
	}
	g.wg.Done()
}

func (g *group) Go(f func() error) {
	if g.sem != nil {
		g.sem <- struct{}{}
	}
	g.wg.Add(1)
	go func() {
		defer g.done()
		if err := f(); err != nil {
			g.errOnce.Do(func() {
				g.err = err
				g.cancel()
			})
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}

func main() {
	const items = 100_000
	best := time.Duration(1 << 62)
	for r := 0; r < 10; r++ {
		var n atomic.Int64
		start := time.Now()
		g, _ := withContext(context.Background())
		g.setLimit(10)
		for i := 0; i < items; i++ {
			g.Go(func() error { n.Add(1); return nil })
		}
		if err := g.Wait(); err != nil || n.Load() != items {
			panic("bad run")
		}
		if d := time.Since(start); d < best {
			best = d
		}
	}
	fmt.Printf("%-40s %8.1f ns/item  (%v per 100k)\n", "errgroup_limit10_100k_items", float64(best.Nanoseconds())/items, best)
}
