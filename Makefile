# ww: build, test, demo and benchmark.
GO      ?= go
BIN     := bin
FUZZTIME ?= 5s
export CGO_ENABLED ?= 0

.PHONY: all build test check unit fuzz deps demo bench install clean

all: build

build:
	$(GO) build -o $(BIN)/ww ./cmd/ww

# The one command that runs every test: installs what the tests need,
# fails on gofmt differences, go vet findings and staticcheck findings,
# runs the tests with the race detector (root-only ones included when run
# as root) and fuzzes the parsers for a few seconds each.
test: deps check unit fuzz

deps:
	@bash .ci/deps

# staticcheck is the version go.mod's tool line pins, fetched through the
# module proxy like any dependency; staticcheck.conf says which checks.
check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt differs:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseFDFlag$$' -fuzztime $(FUZZTIME) ./fdmgr
	$(GO) test -run '^$$' -fuzz '^FuzzParseSource$$' -fuzztime $(FUZZTIME) ./fdmgr
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./cmd/internal/runcargs
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./policy
	$(GO) test -run '^$$' -fuzz '^FuzzDecide$$' -fuzztime $(FUZZTIME) ./policy

demo: build
	@bash cmd/ww/testdata/demo.sh $(BIN)/ww

# Times whole runs of ww against a minimal Go launcher, and with 1000
# named fds against 1; then, as root with runc, ww runtime against a Go
# program that only execs runc, for run and for a pass-through call; and
# prints medians and ratios with their targets (a report: a missed target
# does not fail). Flags for the driver go in BENCHFLAGS, e.g.
# BENCHFLAGS='-rounds 3 -runs 50'; see bin/ww-bench -help.
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

clean:
	rm -rf $(BIN)
