// Command noop-server is the peer baseline of the benchmarks: a grpc-go server with one
// trivial unary method, /bench.v1.Noop/Call (google.protobuf.Empty in and out), using the
// standard proto codec. It prints "noop listening grpc=<addr>" once it accepts connections.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

type noop struct{}

var desc = grpc.ServiceDesc{
	ServiceName: "bench.v1.Noop",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Call",
		Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			return &emptypb.Empty{}, nil
		},
	}},
	Metadata: "bench/noop.proto",
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	s.RegisterService(&desc, noop{})
	fmt.Printf("noop listening grpc=%s\n", lis.Addr())
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		<-ch
		s.Stop()
	}()
	if err := s.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
