# syntax=docker/dockerfile:1
# The plat image: platd (built with the `kubernetes` feature, so the
# ServiceRegistration controller is in) and platctl, on distroless as user
# 65532. No shell, no package manager.
#
#   docker build -t ghcr.io/plat-dev/plat:0.1.0 .
#   docker run --rm -p 8700:8700 ghcr.io/plat-dev/plat:0.1.0 serve --dev --listen 0.0.0.0:8700
#
# The manifests in manifests/ run it as `platd serve` and `platctl check run`.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The registry, git checkouts and target/ live in cache mounts, kept between
# builds but not in the image's layers, so the binaries are copied out in the
# same step. --features platd/kubernetes rather than --features kubernetes:
# with two packages selected, the package-qualified form names whose feature
# it is.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p platd -p platctl --features platd/kubernetes \
    && install -D -m 0755 target/release/platd /out/platd \
    && install -D -m 0755 target/release/platctl /out/platctl

# cc: glibc and libgcc_s (and libssl), what a Rust binary linked against
# glibc needs; nonroot: runs as user and group 65532 (nonroot).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/platd /out/platctl /usr/local/bin/
USER 65532:65532
# platd's working directory; the Kubernetes manifests mount volumes over
# /var/lib/plat and /tmp, and set data_dir and the database URL themselves.
WORKDIR /home/nonroot
EXPOSE 8700
ENTRYPOINT ["/usr/local/bin/platd"]
CMD ["serve"]
