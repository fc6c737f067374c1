# ww: build, test, demo and benchmark.
GO      ?= go
BIN     := bin
# A count, not a duration: Go 1.26's fuzzer can fail a run that ends on a
# -fuzztime deadline with "context deadline exceeded" and no failing input
# (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 100000x
export CGO_ENABLED ?= 0

.PHONY: all build test check cross unit fuzz deps demo bench install image clean

all: build

# On linux/amd64 ww starts at its own entry point, which hands a call
# that ww runtime passes through to the lower runtime before the Go
# runtime starts (cmd/internal/fastpath, execEarly); other builds pass
# such calls through once the runtime has started.
ENTRY := github.com/ww-dev/ww/cmd/internal/fastpath.entry
LDFLAGS ?= $(if $(filter linux/amd64,$(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH)),-E $(ENTRY))

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ww ./cmd/ww

# The one command that runs every test: installs what the tests need,
# fails on gofmt differences, go vet findings and staticcheck findings,
# builds fdmgr for other platforms, runs the tests with the race detector
# (root-only ones included when run as root) and fuzzes the parsers for a
# few seconds each.
test: deps check cross unit fuzz

deps:
	@bash .ci/deps

# staticcheck is the version go.mod's tool line pins, fetched through the
# module proxy like any dependency; staticcheck.conf says which checks.
check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt differs:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# fdmgr's child side is imported by other people's programs, so it must
# build wherever they do: for each platform in CROSS, build and vet fdmgr
# and a program that takes a listener through it; then run fdmgr's
# portable tests as js/wasm under Node.js, where no fd can be received
# (skipped without node). To try every platform Go supports but android
# and ios, whose programs link only with cgo:
# make cross CROSS="$(go tool dist list | grep -v -e android -e ios)"
CROSS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 freebsd/amd64 freebsd/arm64 windows/amd64 windows/arm64
cross:
	@set -e; for p in $(strip $(CROSS)); do \
		echo "cross: $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build ./fdmgr ./cmd/internal/receiver; \
		GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) vet ./fdmgr ./cmd/internal/receiver; \
	done
	@if command -v node >/dev/null; then \
		echo "cross: js/wasm tests under node"; \
		GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" ./fdmgr; \
	else \
		echo "cross: no node, js/wasm tests skipped"; \
	fi

unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseFDFlag$$' -fuzztime $(FUZZTIME) ./fdmgr
	$(GO) test -run '^$$' -fuzz '^FuzzParseSource$$' -fuzztime $(FUZZTIME) ./fdmgr
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./cmd/internal/runcargs
	$(GO) test -run '^$$' -fuzz '^FuzzCleanJoin$$' -fuzztime $(FUZZTIME) ./cmd/internal/fastpath
	$(GO) test -run '^$$' -fuzz '^FuzzParseHeadFast$$' -fuzztime $(FUZZTIME) ./spec
	$(GO) test -run '^$$' -fuzz '^FuzzNamespacesFast$$' -fuzztime $(FUZZTIME) ./spec
	$(GO) test -run '^$$' -fuzz '^FuzzParseState$$' -fuzztime $(FUZZTIME) ./spec
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./policy
	$(GO) test -run '^$$' -fuzz '^FuzzDecide$$' -fuzztime $(FUZZTIME) ./policy
	$(GO) test -run '^$$' -fuzz '^FuzzYAMLSubset$$' -fuzztime $(FUZZTIME) ./policy
	$(GO) test -run '^$$' -fuzz '^FuzzImports$$' -fuzztime $(FUZZTIME) ./cmd/internal/install
	$(GO) test -run '^$$' -fuzz '^FuzzAppendRecord$$' -fuzztime $(FUZZTIME) ./hook
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZTIME) ./hook

demo: build
	@bash cmd/ww/testdata/demo.sh $(BIN)/ww

# Times whole runs of ww against a minimal Go launcher, and with 1000
# named fds against 1; then, as root with runc, ww runtime against a Go
# program that only execs runc, for run and for a pass-through call; then,
# as root with containerd 1.6 and 2.x, pod cycles through the CRI; and
# prints medians and ratios with their targets (a report: a missed target
# does not fail). Flags for the driver go in BENCHFLAGS, e.g.
# BENCHFLAGS='-rounds 3 -runs 50'; see bin/ww-bench -help. ww runtime's
# targets are printed as (F + own cost) / F, the own cost timed with
# /bin/true as the lower runtime; NVIDIA's runtime wrapper is timed beside
# it when on PATH, or built (cgo) from the module proxy into a cache folder
# with BENCHFLAGS='-nvidia-build $$HOME/.cache/ww-bench'.
bench: build
	$(GO) build -o $(BIN)/ww-bench ./cmd/ww-bench
	$(GO) build -o $(BIN)/ww-bench-launcher ./cmd/ww-bench/launcher
	$(GO) build -o $(BIN)/ww-bench-execrunc ./cmd/ww-bench/execrunc
	$(GO) build -o $(BIN)/ww-bench-nop ./cmd/ww-bench/nop
	$(BIN)/ww-bench -ww $(BIN)/ww -launcher $(BIN)/ww-bench-launcher \
		-execrunc $(BIN)/ww-bench-execrunc -nop $(BIN)/ww-bench-nop $(BENCHFLAGS)

install: build
	install -m 0755 $(BIN)/ww /usr/local/bin/ww
	ln -sf ww /usr/local/bin/ww-runtime

# The node image (Dockerfile): podman, else docker, else buildah. BUILDER
# and BASE name the build and base images (local ones where no registry
# is reachable); PODMAN is the podman command with its global flags, and
# IMAGEFLAGS go to the build command as they are.
PODMAN  ?= podman
IMAGE   ?= ww:$(VERSION)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
IMAGEARGS = --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
	$(if $(BUILDER),--build-arg BUILDER=$(BUILDER)) $(if $(BASE),--build-arg BASE=$(BASE))
image:
	@if command -v podman >/dev/null; then set -x; $(PODMAN) build $(IMAGEFLAGS) $(IMAGEARGS) -t $(IMAGE) .; \
	elif command -v docker >/dev/null; then set -x; docker build $(IMAGEFLAGS) $(IMAGEARGS) -t $(IMAGE) .; \
	elif command -v buildah >/dev/null; then set -x; buildah bud $(IMAGEFLAGS) $(IMAGEARGS) -t $(IMAGE) .; \
	else echo "image: no podman, docker or buildah" >&2; exit 1; fi

clean:
	rm -rf $(BIN)
