# Alam's container image: `alam serve` on a distroless base, as a non-root user, with the
# gazetteers embedded in the binary (mount a directory and set ALAM_GAZETTEERS to replace them).
#
# Build: docker build -t alam .
# Run:   docker run --read-only -p 50051:50051 -p 9090:9090 alam
#        docker run --read-only -v "$PWD/my-gazetteers:/gazetteers:ro" -e ALAM_GAZETTEERS=/gazetteers alam --watch
#
# The binary writes nothing to disk (logs go to standard error), so the root filesystem can be
# read-only and no volume is needed.
#
# Base images are named in full (registry/repository:tag), as Podman and Buildah require, and
# not pinned by digest: a digest must be read from the registry, never typed in. To pin one,
# read its index digest (`docker buildx imagetools inspect docker.io/library/rust:1.95-slim-bookworm`
# or `crane digest …`) and append it, `FROM docker.io/library/rust:1.95-slim-bookworm@sha256:…`;
# from then on updates, security fixes included, arrive only when the digest is changed (a bot such
# as Renovate or Dependabot can propose that).
#
# The repository's address and the commit are the builder's to give, as build arguments:
#   docker build --build-arg SOURCE=https://… --build-arg REVISION="$(git rev-parse HEAD)" -t alam .

# Build stage: the rust image has the C compiler that ring (TLS) needs; protox compiles the
# proto in Rust, so no protoc.
FROM docker.io/library/rust:1.95-slim-bookworm AS build
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
ARG SOURCE=""
ARG REVISION=""
# OCI annotations; CI checks that the version is the workspace's (Cargo.toml).
LABEL org.opencontainers.image.title="alam" \
      org.opencontainers.image.description="Finds the officials, countries, cities, organizations and initiatives named in Arabic text: a gRPC service (alam serve)." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"
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
