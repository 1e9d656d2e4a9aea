# syntax=docker/dockerfile:1
# An image holding only the static topgg-int binary (musl, built on Alpine) and an empty /tmp
# for the built-in receiver's throwaway store: no shell, no libc, no package manager.
#
#   docker build -t topgg-int .
#   docker run --rm topgg-int check                       # the built-in receiver, as a smoke test
#   docker run --rm -e TOPGG_WEBHOOK_SECRET topgg-int check --webhook-url https://bot.example.com/topgg/votes
#
# The README's "Docker" section walks through it. rustls with webpki-roots carries its own CA
# roots and SQLite is compiled in (rusqlite "bundled"), so nothing else is needed at run time.

FROM rust:1-alpine AS build
# musl-dev: the C runtime rusqlite's bundled SQLite and ring compile against.
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Alpine's Rust targets musl and links statically: the binary runs with no libc beside it.
RUN cargo build --release --locked --bin topgg-int \
    && mkdir -p /out/tmp \
    && cp target/release/topgg-int /out/topgg-int \
    && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/topgg-int /topgg-int
COPY --from=build /out/tmp /tmp
# Nobody in particular: the image needs no root. serve's --data-dir must then be a volume the
# user can write (docker run -v "$PWD/data:/data" --user "$(id -u)" …).
USER 65534:65534
ENTRYPOINT ["/topgg-int"]
CMD ["--help"]
