// The network workloads, the Go peer of benches/src/workloads/net.rs: a server on 127.0.0.1:0
// in this process, loaded by the harness's own load generator in another process (the
// gmp-bench binary named by $GMPB_LOAD_BIN: gmp-bench --load <http|echo> ADDR 50 SECS 1024),
// the same client the Rust peers face. n is the load's duration in seconds; metrics rps,
// p50_us, p99_us.
//
//   - http_hello: net/http serving "Hello, World!";
//   - tcp_echo: an io.Copy echo server, 1 KiB messages.
package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
	return load("http", ln.Addr().String(), secs)
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
	return load("echo", ln.Addr().String(), secs)
}

// load runs the harness's load generator against addr for secs seconds and reads its line
// "rps=.. p50_us=.. p99_us=.. errors=0".
func load(proto, addr string, secs int) []metric {
	bin := os.Getenv("GMPB_LOAD_BIN")
	if bin == "" {
		fail("GMPB_LOAD_BIN is not set: the load generator is gmp-bench's (run me from the harness)")
	}
	cmd := exec.Command(bin, "--load", proto, addr, "50", strconv.Itoa(secs), "1024")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fail("load generator: " + err.Error())
	}
	var m []metric
	for _, kv := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "errors" {
			f, _ := strconv.ParseFloat(v, 64)
			m = append(m, metric{k, f})
		}
	}
	if len(m) != 3 {
		fail("load generator printed " + string(out))
	}
	return m
}
