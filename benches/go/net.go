// Issue 3's network workloads, the Go peer of benches/src/workloads/net.rs: a server on
// 127.0.0.1:0 in this process, loaded by a generator in another process, the same one the Rust
// peers face. n is the load's duration in seconds; metrics rps, p50_us, p99_us.
//
//   - http_hello: net/http serving "Hello, World!", under wrk -t2 -c50 -d<n>s --latency;
//   - tcp_echo: an io.Copy echo server, under this binary's own echo client
//     (gmpbench echo-client ADDR CONNS SECONDS SIZE), 50 connections x 1 KiB.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func init() {
	register("http_hello", httpHello)
	register("tcp_echo", tcpEcho)
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err.Error())
	}
	return ln
}

func httpHello(secs int) []metric {
	ln := listen()
	defer ln.Close()
	hello := []byte("Hello, World!")
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	}))
	out, err := exec.Command("wrk", "-t2", "-c50", fmt.Sprintf("-d%ds", secs), "--latency",
		"http://"+ln.Addr().String()+"/").Output()
	if err != nil {
		fail("wrk: " + err.Error())
	}
	s := string(out)
	if strings.Contains(s, "Non-2xx") || strings.Contains(s, "Socket errors") {
		fail("wrk saw errors: " + s)
	}
	field := func(key string) string {
		for _, l := range strings.Split(s, "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == key {
				return f[1]
			}
		}
		fail("no " + key + " in wrk's output: " + s)
		return ""
	}
	rps, err := strconv.ParseFloat(field("Requests/sec:"), 64)
	if err != nil {
		fail(err.Error())
	}
	return []metric{{"rps", rps}, {"p50_us", wrkMicros(field("50%"))}, {"p99_us", wrkMicros(field("99%"))}}
}

// wrkMicros reads wrk's "512.00us" / "1.20ms" / "1.01s" in microseconds.
func wrkMicros(s string) float64 {
	scale := 1.0
	switch {
	case strings.HasSuffix(s, "us"):
		s = strings.TrimSuffix(s, "us")
	case strings.HasSuffix(s, "ms"):
		s, scale = strings.TrimSuffix(s, "ms"), 1e3
	case strings.HasSuffix(s, "s"):
		s, scale = strings.TrimSuffix(s, "s"), 1e6
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		fail("bad wrk duration " + s)
	}
	return v * scale
}

func tcpEcho(secs int) []metric {
	ln := listen()
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	self, err := os.Executable()
	if err != nil {
		fail(err.Error())
	}
	out, err := exec.Command(self, "echo-client", ln.Addr().String(), "50", strconv.Itoa(secs), "1024").Output()
	if err != nil {
		fail("echo client: " + err.Error())
	}
	var m []metric
	for _, kv := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f, _ := strconv.ParseFloat(v, 64)
			m = append(m, metric{k, f})
		}
	}
	if len(m) != 3 {
		fail("echo client printed " + string(out))
	}
	return m
}

// echoClient is the load generator of tcp_echo for every peer: conns connections, each sending
// size-byte messages and waiting for the echo before sending the next, for secs seconds. It
// prints "rps=<messages/s> p50_us=<..> p99_us=<..>" (round-trip latency).
func echoClient(args []string) {
	if len(args) != 4 {
		fail("usage: gmpbench echo-client ADDR CONNS SECONDS SIZE")
	}
	conns, err1 := strconv.Atoi(args[1])
	secs, err2 := strconv.Atoi(args[2])
	size, err3 := strconv.Atoi(args[3])
	if err1 != nil || err2 != nil || err3 != nil {
		fail("bad numbers")
	}
	d := time.Duration(secs) * time.Second
	var wg sync.WaitGroup
	lat := make([][]float64, conns)
	deadline := time.Now().Add(d)
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", args[0])
		if err != nil {
			fail(err.Error())
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
					fail(err.Error())
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					fail(err.Error())
				}
				lat[i] = append(lat[i], float64(time.Since(t).Nanoseconds())/1e3)
			}
		}(i, c)
	}
	wg.Wait()
	var all []float64
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		fail("no messages echoed")
	}
	sort.Float64s(all)
	fmt.Printf("rps=%.0f p50_us=%.1f p99_us=%.1f\n", float64(len(all))/d.Seconds(),
		percentile(all, 50), percentile(all, 99))
}
