# Gossip Lab: `make serve` serves the playground, `make test` runs every test.
SHELL := bash
# wasm-opt (npm binaryen) and the cargo-installed tools must be found on PATH by trunk.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: serve build package fuzz test test-native test-wasm test-e2e bench bench-wasm bench-frames bench-soak bench-scale setup clean

## Serve the playground on http://127.0.0.1:8080 (installs what is missing first).
serve: 
	scripts/setup.sh web
	trunk serve --release --address 127.0.0.1 --port 8080

## Build the page into dist/.
build:
	scripts/setup.sh web
	trunk build --release

## The npm package `gossip-lab` (the embed loader, JS glue, wasm, styles and lessons): target/npm/gossip-lab-VERSION.tgz.
package: build
	node scripts/npm-package.mjs

## Hostile input: FUZZ_CASES (default 20,000) random and mutated inputs per parser; prints the cases each survived.
fuzz:
	FUZZ_CASES=$${FUZZ_CASES:-20000} cargo test --test fuzz -- --nocapture 2>&1 | grep -E '^fuzz|test result|panicked|minimal'

## Every test: native (unit, integration, statistical, property), wasm in headless Chromium, end to end.
test: 
	scripts/setup.sh all
	$(MAKE) test-native test-wasm build test-e2e

test-native:
	cargo test --all-targets

test-wasm:
	cargo test --target wasm32-unknown-unknown --test wasm

test-e2e:
	cargo build --bin gossip-lab
	node --test tests/e2e/

## Engine benchmarks (criterion).
bench:
	cargo bench --bench engine

setup:
	scripts/setup.sh all

clean:
	cargo clean
	rm -rf dist node_modules

## The engine in wasm (headless Chromium) against native, same scenarios.
bench-wasm: build
	cargo build --release --bin gossip-lab
	node tests/e2e/bench-wasm.mjs

## Frame times of the page in headless Chromium at 1,000, 10,000 and 100,000 nodes.
bench-frames: build
	node tests/e2e/bench-frames.mjs

## Soak: membership with churn, a 10,000-node rumor restarting, aggregation with
## epochs, each played for SOAK_MINUTES (default 10, at most 60) in headless
## Chromium; prints rounds per second, JS heap and wasm memory per minute.
bench-soak: build
	node tests/e2e/bench-soak.mjs

## Membership protocols at scale, natively: memory per node and time per round.
bench-scale:
	cargo build --release --bin gossip-lab
	scripts/bench-scale.sh
