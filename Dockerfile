# ww's node image: a static ww and the installer that the DaemonSet in
# deploy/ runs. Build it with `make image`. The builder and the base are
# arguments, so that a machine without a registry can name local images.
ARG BUILDER=docker.io/library/golang:1.26-bookworm
ARG BASE=docker.io/library/busybox:1.37

FROM ${BUILDER} AS build
ARG VERSION=devel
ARG COMMIT=unknown
WORKDIR /src
COPY . .
# On amd64, ww starts at its own entry point (see the Makefile's ENTRY).
RUN entry=; [ "$(go env GOARCH)" = amd64 ] && entry="-E github.com/ww-dev/ww/cmd/internal/fastpath.entry"; \
	CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "$entry -X main.version=${VERSION} -X main.commit=${COMMIT}" \
	-o /out/ww ./cmd/ww

# busybox gives the installer its shell, cp, mv, nsenter and pidof.
FROM ${BASE}
COPY --from=build /out/ww /usr/local/bin/ww
COPY deploy/ww-node-install /usr/local/bin/ww-node-install
ENTRYPOINT ["/usr/local/bin/ww-node-install"]
