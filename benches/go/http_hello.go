//go:build ignore

// The HTTP hello benchmark's Go peer: net/http serving "Hello, World!" (stdlib only).
//
//	go run benches/go/http_hello.go 127.0.0.1:8082
//
// GOMAXPROCS sets the number of Ps, as for gmp's and tokio's servers in examples/http_load.rs.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	addr := "127.0.0.1:8082"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("go listening on http://%s\n", ln.Addr())
	hello := []byte("Hello, World!")
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})))
}
