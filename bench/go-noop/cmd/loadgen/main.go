// Command loadgen is the benchmarks' load generator for request sequences h2load cannot
// express: every sequence has its own request bodies (pre-encoded protobuf, made by the
// Node harness with protobuf-es), so non-repeatable mutations (RunSignature on fresh keys,
// StartTask+CompleteTask pairs) can be driven at a fixed concurrency. It speaks gRPC with
// grpc-go and a pass-through codec, so it never decodes a message; it checks every call's
// gRPC status (h2load cannot), and times each whole sequence as one sample.
//
// Usage: loadgen -plan plan.json   (result JSON on stdout)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

type Step struct {
	Path string `json:"path"`
	Body []byte `json:"body"` // base64 in JSON
}

type Plan struct {
	Addr        string   `json:"addr"`
	Concurrency int      `json:"concurrency"`
	Conns       int      `json:"conns"`
	DurationMs  int      `json:"durationMs"`
	WarmupMs    int      `json:"warmupMs"`
	Rate        float64  `json:"rate"`    // >0: open loop, sequences started per second (total)
	Mode        string   `json:"mode"`    // "cycle" (repeat the sequences) or "once" (each at most once)
	Capture     string   `json:"capture"` // file for the responses of successful sequences (JSONL)
	Sequences   [][]Step `json:"sequences"`
}

type Result struct {
	Samples   int            `json:"samples"` // sequences that ended inside the window
	Calls     int64          `json:"calls"`
	Errors    map[string]int `json:"errors"`
	FirstErr  string         `json:"firstError,omitempty"`
	WindowS   float64        `json:"windowS"`
	Rps       float64        `json:"rps"`
	CallsPerS float64        `json:"callsPerS"`
	P50Us     float64        `json:"p50Us"`
	P90Us     float64        `json:"p90Us"`
	P99Us     float64        `json:"p99Us"`
	MaxUs     float64        `json:"maxUs"`
	MeanUs    float64        `json:"meanUs"`
	Missed    int64          `json:"missed,omitempty"`
	Exhausted bool           `json:"exhausted,omitempty"`
	Taken     int            `json:"taken"` // sequences started (in "once" mode: how many were used up)
}

type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type captured struct {
	Seq int      `json:"seq"`
	Res [][]byte `json:"res"`
}

func main() {
	planPath := flag.String("plan", "", "plan JSON file")
	flag.Parse()
	raw, err := os.ReadFile(*planPath)
	if err != nil {
		log.Fatal(err)
	}
	var p Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		log.Fatal(err)
	}
	if p.Concurrency <= 0 {
		p.Concurrency = 1
	}
	if p.Conns <= 0 {
		p.Conns = p.Concurrency
	}
	if len(p.Sequences) == 0 {
		log.Fatal("no sequences")
	}
	conns := make([]*grpc.ClientConn, p.Conns)
	for i := range conns {
		c, err := grpc.NewClient("passthrough:///"+p.Addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)))
		if err != nil {
			log.Fatal(err)
		}
		c.Connect()
		conns[i] = c
	}
	ctx0, cancel0 := context.WithTimeout(context.Background(), 10*time.Second)
	for _, c := range conns {
		for s := c.GetState(); s.String() != "READY"; s = c.GetState() {
			if !c.WaitForStateChange(ctx0, s) {
				log.Fatal("connection not ready: ", s)
			}
		}
	}
	cancel0()

	var (
		next       atomic.Int64
		calls      atomic.Int64
		missed     atomic.Int64
		exhausted  atomic.Bool
		mu         sync.Mutex
		lat        []float64 // per call, of the sequences that ended inside the window
		seqs       int
		errs       = map[string]int{}
		firstErr   string
		lastEnd    time.Time
		capturedMu sync.Mutex
		caps       []captured
	)
	start := time.Now()
	warmEnd := start.Add(time.Duration(p.WarmupMs) * time.Millisecond)
	deadline := warmEnd.Add(time.Duration(p.DurationMs) * time.Millisecond)

	runSeq := func(conn *grpc.ClientConn, idx int) {
		seq := p.Sequences[idx%len(p.Sequences)]
		var res [][]byte
		var failed error
		var callLat [4]float64
		own := callLat[:0]
		for _, st := range seq {
			req := st.Body
			var out []byte
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			c0 := time.Now()
			err := conn.Invoke(ctx, st.Path, &req, &out)
			own = append(own, float64(time.Since(c0).Microseconds()))
			cancel()
			calls.Add(1)
			if err != nil {
				failed = err
				break
			}
			if p.Capture != "" {
				res = append(res, out)
			}
		}
		t1 := time.Now()
		if failed == nil && p.Capture != "" {
			capturedMu.Lock()
			caps = append(caps, captured{Seq: idx, Res: res})
			capturedMu.Unlock()
		}
		mu.Lock()
		defer mu.Unlock()
		if t1.After(lastEnd) {
			lastEnd = t1
		}
		if failed != nil {
			code := status.Code(failed).String()
			errs[code]++
			if firstErr == "" {
				firstErr = failed.Error()
			}
			return
		}
		// A sequence counts when it ends inside the window (throughput = completions per second
		// of the window, also when calls take longer than the window, as in an overloaded server).
		if t1.After(warmEnd) && !t1.After(deadline) {
			seqs++
			lat = append(lat, own...)
		}
	}
	take := func() (int, bool) {
		i := int(next.Add(1) - 1)
		if p.Mode == "once" && i >= len(p.Sequences) {
			exhausted.Store(true)
			return 0, false
		}
		return i, true
	}

	var wg sync.WaitGroup
	if p.Rate > 0 {
		work := make(chan int, p.Concurrency)
		for w := 0; w < p.Concurrency; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := range work {
					runSeq(conns[w%len(conns)], i)
				}
			}(w)
		}
		interval := time.Duration(float64(time.Second) / p.Rate)
		for k := 0; ; k++ {
			at := start.Add(time.Duration(k) * interval)
			if at.After(deadline) {
				break
			}
			time.Sleep(time.Until(at))
			i, ok := take()
			if !ok {
				break
			}
			select {
			case work <- i:
			default:
				missed.Add(1)
			}
		}
		close(work)
	} else {
		for w := 0; w < p.Concurrency; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				conn := conns[w%len(conns)]
				for time.Now().Before(deadline) {
					i, ok := take()
					if !ok {
						return
					}
					runSeq(conn, i)
				}
			}(w)
		}
	}
	wg.Wait()

	end := deadline
	if exhausted.Load() && lastEnd.Before(deadline) {
		end = lastEnd
	}
	window := end.Sub(warmEnd).Seconds()
	sort.Float64s(lat)
	taken := int(next.Load())
	if p.Mode == "once" {
		taken = min(taken, len(p.Sequences))
	}
	r := Result{Taken: taken, Samples: seqs, Calls: calls.Load(), Errors: errs, FirstErr: firstErr, WindowS: window, Missed: missed.Load(), Exhausted: exhausted.Load()}
	if window > 0 {
		r.Rps = float64(seqs) / window
		r.CallsPerS = float64(len(lat)) / window
	}
	if len(lat) > 0 {
		q := func(f float64) float64 { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
		r.P50Us, r.P90Us, r.P99Us, r.MaxUs = q(0.5), q(0.9), q(0.99), lat[len(lat)-1]
		sum := 0.0
		for _, v := range lat {
			sum += v
		}
		r.MeanUs = sum / float64(len(lat))
	}
	if p.Capture != "" {
		f, err := os.Create(p.Capture)
		if err != nil {
			log.Fatal(err)
		}
		enc := json.NewEncoder(f)
		for _, c := range caps {
			_ = enc.Encode(c)
		}
		f.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
