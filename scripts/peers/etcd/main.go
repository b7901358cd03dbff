// etcd for the end-to-end tests, built by scripts/peers.mjs: the release's own entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
