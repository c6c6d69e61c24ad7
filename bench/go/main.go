// Go baseline for the tasklet runtime benchmarks (see bench/compare.sh).
//
// Run on one core: `GOMAXPROCS=1 taskset -c 0 ./go-bench [--quick] [--wall] [BENCH...]` (default: all; run a
// memory bench in a fresh process of its own, as compare.sh does, since a process's earlier goroutines
// skew the next measurement). Prints one JSON line per figure:
// {"bench": "...", "impl": "go", "value": N, "unit": "..."}
//
//	pingpong       round trips/s between two goroutines over two unbuffered channels
//	idle_mem_own   bytes per goroutine blocked on a receive from its own unbuffered channel
//	               (goroutine + channel), 1 M goroutines
//	idle_mem_shared bytes per goroutine blocked on a receive from one shared unbuffered channel
//	               (goroutine + its wait registration), 1 M goroutines
//	spawn          goroutines/s: spawn batches of trivial goroutines and run them to completion
//
// Rates are per second of the process's CPU time (getrusage), or of wall-clock time with --wall.
// Memory is the growth of HeapInuse+StackInuse (what the runtime holds live for them, after a GC),
// divided by N. Sys (what was asked of the OS) is printed too, as *_sys.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// wall makes rates use wall-clock time instead of the process's CPU time (--wall).
var wall = false

// stopwatch measures what rates are computed from: the process's CPU time (user + system, all its
// threads: with GOMAXPROCS=1 and taskset that is the one core's time given to us), so that other load
// on the machine does not count; or wall-clock time with --wall.
type stopwatch struct {
	start time.Time
	cpu   time.Duration
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startWatch() stopwatch { return stopwatch{time.Now(), cpuTime()} }

func (s stopwatch) elapsed() time.Duration {
	if wall {
		return time.Since(s.start)
	}
	return cpuTime() - s.cpu
}

func emit(bench string, value float64, unit string) {
	line, _ := json.Marshal(map[string]interface{}{"bench": bench, "impl": "go", "value": value, "unit": unit})
	fmt.Println(string(line))
}

// pingpong runs round trips in chunks until `d` has elapsed; returns round trips per second.
func pingpong(d time.Duration) float64 {
	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	const chunk = 10000
	// warm up
	for i := 0; i < chunk; i++ {
		ping <- i
		<-pong
	}
	n := 0
	start := time.Now()
	watch := startWatch()
	for time.Since(start) < d {
		for i := 0; i < chunk; i++ {
			ping <- i
			<-pong
		}
		n += chunk
	}
	elapsed := watch.elapsed()
	close(ping)
	<-pong
	return float64(n) / elapsed.Seconds()
}

type memFigures struct{ live, sys float64 }

func snapshot() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// idleMem parks n goroutines on a receive (each on its own channel, or all on one) and measures growth.
func idleMem(n int, own bool) memFigures {
	before := snapshot()
	var started sync.WaitGroup
	var done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	shared := make(chan int)
	chans := make([]chan int, 0)
	if own {
		chans = make([]chan int, n)
	}
	for i := 0; i < n; i++ {
		ch := shared
		if own {
			ch = make(chan int)
			chans[i] = ch
		}
		go func(ch chan int) {
			started.Done()
			<-ch
			done.Done()
		}(ch)
	}
	started.Wait()
	// Every goroutine has announced itself; yield until each one is parked on its receive.
	for i := 0; i < 3; i++ {
		runtime.Gosched()
	}
	after := snapshot()
	live := float64((after.HeapInuse+after.StackInuse)-(before.HeapInuse+before.StackInuse)) / float64(n)
	sys := float64(after.Sys-before.Sys) / float64(n)
	// Wake them all so the next measurement starts clean.
	if own {
		for _, ch := range chans {
			ch <- 1
		}
	} else {
		for i := 0; i < n; i++ {
			shared <- 1
		}
	}
	done.Wait()
	return memFigures{live, sys}
}

// spawn starts batches of trivial goroutines and waits for each batch to finish, until `d` elapsed.
func spawn(d time.Duration, batch int) float64 {
	var wg sync.WaitGroup
	work := func() { wg.Done() }
	run := func() {
		wg.Add(batch)
		for i := 0; i < batch; i++ {
			go work()
		}
		wg.Wait()
	}
	run() // warm up
	n := 0
	start := time.Now()
	watch := startWatch()
	for time.Since(start) < d {
		run()
		n += batch
	}
	return float64(n) / watch.elapsed().Seconds()
}

func main() {
	quick := false
	var only []string
	for _, a := range os.Args[1:] {
		if a == "--quick" {
			quick = true
		} else if a == "--wall" {
			wall = true
		} else {
			only = append(only, a)
		}
	}
	if len(only) == 0 {
		only = []string{"pingpong", "idle_mem_own", "idle_mem_shared", "spawn"}
	}
	d := 2 * time.Second
	n := 1000000
	if quick {
		d = 200 * time.Millisecond
		n = 100000
	}
	for _, b := range only {
		switch b {
		case "pingpong":
			emit("pingpong", pingpong(d), "round trips/s")
		case "idle_mem_own", "idle_mem_shared":
			m := idleMem(n, b == "idle_mem_own")
			emit(b, m.live, "B/tasklet")
			emit(b+"_sys", m.sys, "B/tasklet")
		case "spawn":
			emit("spawn", spawn(d, 100000), "tasklets/s")
		default:
			fmt.Fprintf(os.Stderr, "unknown bench %q (pingpong, idle_mem_own, idle_mem_shared, spawn)\n", b)
			os.Exit(2)
		}
	}
}
