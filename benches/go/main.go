// Command gmpbench runs the Go side of gmp's comparison harness: the same workloads as
// benches/src/workloads, one file per workload, each registering itself by name.
//
// Usage: gmpbench <workload> <n> <warmup> <reps>   (or: gmpbench list)
//
// It prints one machine-readable line, the same format as the Rust children:
//
//	GMPB workload=<name> peer=go n=<n> reps=<reps> <metric>=<median> ... samples=<primary,...>
//
// The harness runs it with GOMAXPROCS=2; main sets it too.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// A metric is one named number; the first one a workload returns is its primary metric.
type metric struct {
	key string
	val float64
}

// A workload runs one repetition of size n.
type workload func(n int) []metric

var workloads = map[string]workload{}

func register(name string, w workload) { workloads[name] = w }

func median(xs []float64) float64 {
	v := append([]float64(nil), xs...)
	sort.Float64s(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

func percentile(xs []float64, q float64) float64 {
	v := append([]float64(nil), xs...)
	sort.Float64s(v)
	rank := int(float64(len(v))*q/100 + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(v) {
		rank = len(v)
	}
	return v[rank-1]
}

// latencyMetrics summarizes latencies in microseconds: p99_us (the primary metric), p50_us and
// max_us, like workloads::latency_us on the Rust side.
func latencyMetrics(us []float64) []metric {
	return []metric{
		{"p99_us", percentile(us, 99)},
		{"p50_us", percentile(us, 50)},
		{"max_us", percentile(us, 100)},
	}
}

// procKiB reads a "Key:   123 kB" field of a /proc file, in bytes.
func procKiB(path, key string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseFloat(f[0], 64)
				return v * 1024
			}
		}
	}
	return 0
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "gmpbench:", msg)
	os.Exit(2)
}

func main() {
	runtime.GOMAXPROCS(2)
	if len(os.Args) == 2 && os.Args[1] == "list" {
		names := make([]string, 0, len(workloads))
		for k := range workloads {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
		return
	}
	if len(os.Args) != 5 {
		fail("usage: gmpbench <workload> <n> <warmup> <reps> | gmpbench list")
	}
	w, ok := workloads[os.Args[1]]
	if !ok {
		fail("unknown workload " + os.Args[1])
	}
	n, err1 := strconv.Atoi(os.Args[2])
	warmup, err2 := strconv.Atoi(os.Args[3])
	reps, err3 := strconv.Atoi(os.Args[4])
	if err1 != nil || err2 != nil || err3 != nil || reps < 1 {
		fail("bad numbers")
	}
	var runs [][]metric
	for i := 0; i < warmup+reps; i++ {
		m := w(n)
		if i >= warmup {
			runs = append(runs, m)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "GMPB workload=%s peer=go n=%d reps=%d", os.Args[1], n, reps)
	for k, m := range runs[0] {
		vals := make([]float64, len(runs))
		for i, r := range runs {
			vals[i] = r[k].val
		}
		fmt.Fprintf(&sb, " %s=%.3f", m.key, median(vals))
	}
	samples := make([]string, len(runs))
	for i, r := range runs {
		samples[i] = strconv.FormatFloat(r[0].val, 'f', 3, 64)
	}
	fmt.Fprintf(&sb, " samples=%s", strings.Join(samples, ","))
	fmt.Println(sb.String())
}
