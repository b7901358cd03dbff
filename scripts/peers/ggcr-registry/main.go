// go-containerregistry's registry (pkg/registry) with the OCI 1.1 referrers API on, for the OCI
// tests, built by scripts/peers.mjs. `crane registry serve` leaves the referrers API off, and
// distribution v3 has none, so this is the suites' one registry that serves it.
//
//	ggcr-registry [--address 127.0.0.1:0] [--disk DIR]
//
// It prints "listening on ADDR" before serving, and logs each request through registry.Logger
// to stderr (bench/fleet/registry-server.ts reads both).
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
	disk := flag.String("disk", "", "directory to keep blobs in (default: memory)")
	flag.Parse()

	blobs := registry.NewInMemoryBlobHandler()
	if *disk != "" {
		blobs = registry.NewDiskBlobHandler(*disk)
	}
	listener, err := net.Listen("tcp", *address)
	if err != nil {
		log.Fatalln(err)
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	logger.Printf("listening on %s", listener.Addr())
	handler := registry.New(registry.WithBlobHandler(blobs), registry.WithReferrersSupport(true), registry.Logger(logger))
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	log.Fatalln(server.Serve(listener))
}
