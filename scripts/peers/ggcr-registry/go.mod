// go-containerregistry's registry with the referrers API on (main.go), built by scripts/peers.mjs;
// its own module, at the go-containerregistry release ../crane is built from.
module isoplace.dev/peers/ggcr-registry

go 1.26.0

require github.com/google/go-containerregistry v0.22.1
