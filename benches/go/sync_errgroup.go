package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// limitGroup is x/sync/errgroup's Group written with the standard library only: a WaitGroup,
// a channel semaphore for SetLimit, the first error cancelling the group's context.
type limitGroup struct {
	cancel  func()
	wg      sync.WaitGroup
	sem     chan struct{}
	errOnce sync.Once
	err     error
}

func newLimitGroup(ctx context.Context) (*limitGroup, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &limitGroup{cancel: cancel}, ctx
}

func (g *limitGroup) setLimit(n int) { g.sem = make(chan struct{}, n) }

func (g *limitGroup) done() {
	if g.sem != nil {
		<-g.sem
	}
	g.wg.Done()
}

func (g *limitGroup) goRun(f func() error) {
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

func (g *limitGroup) wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}

// sync_errgroup_limit10: an errgroup with SetLimit(10) runs n trivial items (ns/item).
func init() {
	register("sync_errgroup_limit10", func(n int) []metric {
		var count atomic.Int64
		start := time.Now()
		g, _ := newLimitGroup(context.Background())
		g.setLimit(10)
		for i := 0; i < n; i++ {
			g.goRun(func() error { count.Add(1); return nil })
		}
		if err := g.wait(); err != nil || count.Load() != int64(n) {
			panic("sync_errgroup_limit10: bad run")
		}
		d := time.Since(start)
		return []metric{{"ns", float64(d.Nanoseconds()) / float64(n)}}
	})
}
