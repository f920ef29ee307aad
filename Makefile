# Quick start: `make run` (build and start the server), `make test` (build and run every test).
BUILD ?= build
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all bootstrap build run test unit bench format clean package

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/parley $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

# Benchmarks (BENCHMARKS.md): installs the peers when missing, builds, runs every scenario
# against Parley and its peers (about 20 minutes on 2 cores), writes bench/results/<date>.* and
# refreshes BENCHMARKS.md.
bench: bootstrap $(BUILD)/build.ninja
	@bench/install-peers
	cmake --build $(BUILD) -j $(JOBS) --target parley parley_loadgen parley_ceiling parley_micro
	ulimit -n $$(ulimit -Hn) && bench/run_bench.py --build $(BUILD)

# A Debian package of the server: build/parley_<version>_<arch>.deb (README: Deploying).
package: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target parley
	cd $(BUILD) && cpack -G DEB

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
