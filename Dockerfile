# Alam's container image: `alam serve` on a distroless base, as a non-root user, with the
# gazetteers embedded in the binary (mount a directory and set ALAM_GAZETTEERS to replace them).
#
# Build: docker build -t alam .
# Run:   docker run --read-only -p 50051:50051 -p 9090:9090 alam
#        docker run --read-only -v "$PWD/my-gazetteers:/gazetteers:ro" -e ALAM_GAZETTEERS=/gazetteers alam --watch
#
# The binary writes nothing to disk (logs go to standard error), so the root filesystem can be
# read-only and no volume is needed.

# Build stage: the rust image has the C compiler that ring (TLS) needs; protox compiles the
# proto in Rust, so no protoc.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Only what the build reads, so that editing docs or tests does not invalidate the layer.
COPY Cargo.toml Cargo.lock build.rs ./
COPY engine ./engine
COPY src ./src
COPY proto ./proto
COPY gazetteers ./gazetteers
# The cache mounts keep the registry and the compiled dependencies between builds; the binary
# is copied out of the cached target directory, which is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin alam \
    && cp target/release/alam /usr/local/bin/alam

# Runtime stage: glibc and libgcc only (cc), no shell, no package manager; runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/alam /usr/local/bin/alam
USER 65532:65532
# gRPC, then Prometheus metrics (/metrics).
EXPOSE 50051 9090
ENV ALAM_ADDR=0.0.0.0:50051 \
    ALAM_METRICS_ADDR=0.0.0.0:9090 \
    ALAM_LOG_FORMAT=json
# Docker and Compose health: the image has no shell, so the binary asks its own gRPC health.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
    CMD ["/usr/local/bin/alam", "probe", "--addr", "127.0.0.1:50051"]
ENTRYPOINT ["/usr/local/bin/alam", "serve"]
