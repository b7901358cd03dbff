// go-containerregistry's registry with the OCI 1.1 referrers API on (`crane registry serve`
// leaves it off), for the OCI interop tests, built by scripts/peers.mjs. Listens on --address,
// keeps blobs in --disk (else in memory), says "listening on ADDR" first and logs each request
// to stderr.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	address := flag.String("address", "127.0.0.1:0", "address to listen on")
	disk := flag.String("disk", "", "directory for blobs (default: in memory)")
	flag.Parse()
	blobs := registry.NewInMemoryBlobHandler()
	if *disk != "" {
		blobs = registry.NewDiskBlobHandler(*disk)
	}
	l, err := net.Listen("tcp", *address)
	if err != nil {
		log.Fatalln(err)
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	log.Printf("listening on %s", l.Addr())
	s := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler:           registry.New(registry.WithBlobHandler(blobs), registry.WithReferrersSupport(true), registry.Logger(logger)),
	}
	log.Fatalln(s.Serve(l))
}
