# Convenience front end over CMake. Every target installs what it needs first
# (scripts/install-deps.sh: apt-get as root, else it prints the apt line and stops).
#
#   make demo    build, generate the demo dataset, inspect it, write its splits
#   make test    build with warnings as errors and run every test (ctest)
#   make asan    the same tests under AddressSanitizer + UndefinedBehaviorSanitizer (built
#                without MPI: the single-process program)
#   make fuzz    libFuzzer targets (clang) in build-fuzz/
#   make bench   benchmarks (never part of the tests)
JOBS ?= $(shell nproc)
BUILD ?= build
DEMO ?= demo

.PHONY: deps build test asan fuzz demo bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNSTGCN_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNSTGCN_WERROR=ON -DSIGNSTGCN_SANITIZE=ON -DSIGNSTGCN_MPI=OFF >/dev/null
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNSTGCN_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)

demo: build
	bash scripts/demo.sh $(BUILD)/signstgcn $(DEMO)

bench: build
	bash bench/run.sh $(BUILD)/signstgcn

clean:
	rm -rf build build-asan build-fuzz
