// Command watchers opens N WatchSignatures streams and measures delivery: for every event
// received, receive time minus the event's event_time (commit time on the same machine,
// millisecond resolution). Messages are not decoded: the WatchSignaturesResponse is
// scanned with protowire for events(1) -> event_time(8) only.
//
// Usage: watchers -addr host:port -n 1000 -conns 10 -body <base64 request> -warmup 1s -duration 5s
// Prints "ready" on stdout once every stream has its first message, then one result JSON line on stdout.
// With -stalled K, K more streams (on connections of their own) are opened and never read. With
// -check, every reading stream checks that it receives every revision once, in order (an
// unfiltered watch of a writer that changes one signature per revision), from its first to the end.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"

	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// eventTimes appends the event_time (ms since epoch) of every event in a WatchSignaturesResponse.
func eventTimes(b []byte, out []int64) []int64 {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return out
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			ev, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return out
			}
			b = b[m:]
			out = append(out, eventTime(ev))
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return out
		}
		b = b[m:]
	}
	return out
}

func eventTime(ev []byte) int64 {
	for len(ev) > 0 {
		num, typ, n := protowire.ConsumeTag(ev)
		if n < 0 {
			return 0
		}
		ev = ev[n:]
		if num == 8 && typ == protowire.BytesType {
			ts, m := protowire.ConsumeBytes(ev)
			if m < 0 {
				return 0
			}
			var sec, nanos int64
			for len(ts) > 0 {
				f, t, k := protowire.ConsumeTag(ts)
				if k < 0 {
					break
				}
				ts = ts[k:]
				if t != protowire.VarintType {
					k = protowire.ConsumeFieldValue(f, t, ts)
					if k < 0 {
						break
					}
					ts = ts[k:]
					continue
				}
				v, k := protowire.ConsumeVarint(ts)
				if k < 0 {
					break
				}
				ts = ts[k:]
				if f == 1 {
					sec = int64(v)
				} else if f == 2 {
					nanos = int64(int32(v))
				}
			}
			return sec*1000 + nanos/1_000_000
		}
		m := protowire.ConsumeFieldValue(num, typ, ev)
		if m < 0 {
			return 0
		}
		ev = ev[m:]
	}
	return 0
}

// revisions appends the revision of every event in a WatchSignaturesResponse.
func revisions(b []byte, out []int64) []int64 {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return out
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			ev, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return out
			}
			b = b[m:]
			for len(ev) > 0 {
				f, t, k := protowire.ConsumeTag(ev)
				if k < 0 {
					break
				}
				ev = ev[k:]
				if f == 1 && t == protowire.VarintType {
					v, _ := protowire.ConsumeVarint(ev)
					out = append(out, int64(v))
					break
				}
				k = protowire.ConsumeFieldValue(f, t, ev)
				if k < 0 {
					break
				}
				ev = ev[k:]
			}
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return out
		}
		b = b[m:]
	}
	return out
}

type Result struct {
	Streams    int            `json:"streams"`
	Events     int64          `json:"events"`
	Messages   int64          `json:"messages"`
	WindowS    float64        `json:"windowS"`
	EventsPerS float64        `json:"eventsPerS"`
	P50Ms      float64        `json:"p50Ms"`
	P90Ms      float64        `json:"p90Ms"`
	P99Ms      float64        `json:"p99Ms"`
	MaxMs      float64        `json:"maxMs"`
	StreamErrs map[string]int `json:"streamErrors"`
	FirstErr   string         `json:"firstError,omitempty"`
	OpenMs     float64        `json:"openMs"`
	// With -check: reading streams whose revisions were not every revision once, in order.
	OutOfOrder int   `json:"outOfOrder"`
	Gaps       int   `json:"gaps"`
	LastRevMin int64 `json:"lastRevisionMin"`
	LastRevMax int64 `json:"lastRevisionMax"`
	Stalled    int   `json:"stalled"`
}

func main() {
	addr := flag.String("addr", "", "server address")
	n := flag.Int("n", 1, "streams")
	nconns := flag.Int("conns", 1, "connections (streams are spread over them)")
	bodyB64 := flag.String("body", "", "WatchSignaturesRequest, base64")
	warmup := flag.Duration("warmup", time.Second, "time after all streams are open before measuring")
	duration := flag.Duration("duration", 5*time.Second, "measurement window")
	stalled := flag.Int("stalled", 0, "more streams, on connections of their own, that are opened and never read")
	check := flag.Bool("check", false, "check that every reading stream gets every revision once, in order")
	untilStdin := flag.Bool("until-stdin", false, "end when every reading stream has reached the revision written on stdin (or -duration passed)")
	flag.Parse()
	body, err := base64.StdEncoding.DecodeString(*bodyB64)
	if err != nil {
		log.Fatal(err)
	}
	conns := make([]*grpc.ClientConn, *nconns)
	for i := range conns {
		c, err := grpc.NewClient("passthrough:///"+*addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(256<<20)))
		if err != nil {
			log.Fatal(err)
		}
		conns[i] = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	desc := &grpc.StreamDesc{StreamName: "WatchSignatures", ServerStreams: true}
	var (
		opened   sync.WaitGroup
		done     sync.WaitGroup
		measure  atomic.Bool
		events   atomic.Int64
		messages atomic.Int64
		mu       sync.Mutex
		lat      []float64
		errs     = map[string]int{}
		firstErr string
	)
	var outOfOrder, gaps atomic.Int64
	var target atomic.Int64
	target.Store(1 << 62)
	var reached sync.WaitGroup
	lastMin, lastMax := int64(1<<62), int64(0)
	stalledConns := make([]*grpc.ClientConn, 0)
	for i := 0; i < *stalled; i++ {
		if i%100 == 0 {
			c, err := grpc.NewClient("passthrough:///"+*addr,
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
			if err != nil {
				log.Fatal(err)
			}
			stalledConns = append(stalledConns, c)
		}
		s, err := stalledConns[len(stalledConns)-1].NewStream(ctx, &grpc.StreamDesc{StreamName: "WatchSignatures", ServerStreams: true}, "/mageflow.v1.SignatureService/WatchSignatures")
		if err == nil {
			req := body
			err = s.SendMsg(&req)
		}
		if err == nil {
			err = s.CloseSend()
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	t0 := time.Now()
	for i := 0; i < *n; i++ {
		opened.Add(1)
		done.Add(1)
		reached.Add(1)
		go func(i int) {
			defer done.Done()
			s, err := conns[i%len(conns)].NewStream(ctx, desc, "/mageflow.v1.SignatureService/WatchSignatures")
			if err == nil {
				req := body
				err = s.SendMsg(&req)
			}
			if err == nil {
				err = s.CloseSend()
			}
			if err == nil {
				_, err = s.Header() // the server answers headers once the handler runs
			}
			opened.Done()
			local := make([]float64, 0, 1024)
			var times, revs []int64
			var last int64
			bad, gap, doneReading := false, false, false
			for err == nil {
				var msg []byte
				if err = s.RecvMsg(&msg); err != nil {
					break
				}
				now := time.Now().UnixMicro()
				if *check || *untilStdin {
					revs = revisions(msg, revs[:0])
					for _, r := range revs {
						if last != 0 && r <= last {
							bad = true
						} else if last != 0 && r != last+1 {
							gap = true
						}
						last = r
					}
					if *untilStdin && last >= target.Load() && !doneReading {
						doneReading = true
						reached.Done()
					}
				}
				if !measure.Load() {
					continue
				}
				times = eventTimes(msg, times[:0])
				messages.Add(1)
				events.Add(int64(len(times)))
				for _, t := range times {
					local = append(local, float64(now-t*1000)/1000)
				}
			}
			if *untilStdin && !doneReading {
				reached.Done()
			}
			if bad {
				outOfOrder.Add(1)
			}
			if gap {
				gaps.Add(1)
			}
			mu.Lock()
			if *check {
				lastMin, lastMax = min(lastMin, last), max(lastMax, last)
			}
			lat = append(lat, local...)
			if ctx.Err() == nil {
				code := status.Code(err).String()
				errs[code]++
				if firstErr == "" {
					firstErr = err.Error()
				}
			}
			mu.Unlock()
		}(i)
	}
	opened.Wait()
	openMs := float64(time.Since(t0).Microseconds()) / 1000
	fmt.Println("ready")
	time.Sleep(*warmup)
	measure.Store(true)
	mStart := time.Now()
	if *untilStdin {
		go func() {
			var rev int64
			if _, err := fmt.Scan(&rev); err == nil {
				target.Store(rev)
			}
		}()
		all := make(chan struct{})
		go func() { reached.Wait(); close(all) }()
		select {
		case <-all:
		case <-time.After(*duration):
		}
	} else {
		time.Sleep(*duration)
	}
	measure.Store(false)
	window := time.Since(mStart).Seconds()
	cancel()
	done.Wait()
	sort.Float64s(lat)
	r := Result{Streams: *n, Events: events.Load(), Messages: messages.Load(), WindowS: window, StreamErrs: errs, FirstErr: firstErr, OpenMs: openMs,
		OutOfOrder: int(outOfOrder.Load()), Gaps: int(gaps.Load()), LastRevMin: lastMin, LastRevMax: lastMax, Stalled: *stalled}
	r.EventsPerS = float64(r.Events) / window
	if len(lat) > 0 {
		q := func(f float64) float64 { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
		r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs = q(0.5), q(0.9), q(0.99), lat[len(lat)-1]
	}
	for _, c := range conns {
		c.Close()
	}
	for _, c := range stalledConns {
		c.Close()
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
