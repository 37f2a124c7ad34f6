//go:build ignore

// The TCP echo benchmark's Go side (stdlib only): an echo server, and the load generator used
// against every server (gmp, tokio, Go) so they all face the same client.
//
//	go run benches/go/echo.go server 127.0.0.1:9002
//	go run benches/go/echo.go client 127.0.0.1:9000 [CONNS=50] [SECONDS=5] [SIZE=1024]
//
// The client opens CONNS connections, each sending SIZE-byte messages and waiting for the echo
// before sending the next, for SECONDS; it prints messages/s and p50/p99 round-trip latency.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		log.Fatal("usage: echo server ADDR | echo client ADDR [CONNS] [SECONDS] [SIZE]")
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2])
	case "client":
		conns, secs, size := arg(3, 50), arg(4, 5), arg(5, 1024)
		client(os.Args[2], conns, time.Duration(secs)*time.Second, size)
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

func arg(i, def int) int {
	if len(os.Args) > i {
		v, err := strconv.Atoi(os.Args[i])
		if err != nil {
			log.Fatal(err)
		}
		return v
	}
	return def
}

func server(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("go listening on %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Print(err)
			continue
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

func client(addr string, conns int, d time.Duration, size int) {
	var wg sync.WaitGroup
	lat := make([][]time.Duration, conns)
	deadline := time.Now().Add(d)
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			log.Fatal(err)
		}
		wg.Add(1)
		go func(i int, c net.Conn) {
			defer wg.Done()
			defer c.Close()
			msg := make([]byte, size)
			buf := make([]byte, size)
			for time.Now().Before(deadline) {
				t := time.Now()
				if _, err := c.Write(msg); err != nil {
					log.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					log.Fatal(err)
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		}(i, c)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	q := func(p float64) time.Duration { return all[int(float64(len(all)-1)*p)] }
	fmt.Printf("msgs/s %.0f p50 %v p99 %v\n", float64(len(all))/d.Seconds(), q(0.5), q(0.99))
}
