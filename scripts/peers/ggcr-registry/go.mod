// go-containerregistry's registry with referrers on, built by scripts/peers.mjs.
module isoplace.dev/peers/ggcr-registry

go 1.26.0

require github.com/google/go-containerregistry v0.22.1
