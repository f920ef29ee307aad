# Parley in a container, on Debian 12 slim: the Debian package built in a first stage, installed
# in the second.
#   docker build -t parley .
#   docker run -p 4000:4000 -v parley-data:/var/lib/parley parley
# Configuration: mount a file over /etc/parley/parley.toml (its [http] listen must stay on
# 0.0.0.0 or [::] to be reachable from outside the container).
FROM debian:12-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config dpkg-dev file ca-certificates \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev \
      libsqlite3-dev libssl-dev libsodium-dev nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# phoenix.js is embedded in the binary: the npm packages first (cached while they do not change).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF -DPARLEY_BENCH=OFF \
    && cmake --build build --target parley \
    && cd build && cpack -G DEB

FROM debian:12-slim
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /src/build/parley_*.deb /tmp/
RUN apt-get update && apt-get install -y --no-install-recommends /tmp/parley_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/parley_*.deb \
    && useradd --system --home-dir /var/lib/parley --shell /usr/sbin/nologin parley \
    && mkdir -p /var/lib/parley && chown parley:parley /var/lib/parley \
    && sed -i 's/^listen = "127.0.0.1:4000"/listen = "0.0.0.0:4000"/' /etc/parley/parley.toml
USER parley
VOLUME /var/lib/parley
EXPOSE 4000
ENTRYPOINT ["/usr/bin/parley", "--config", "/etc/parley/parley.toml", "--data-dir", "/var/lib/parley"]
