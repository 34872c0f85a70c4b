# Hearth: the two commands a person needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

NPM_STAMP := node_modules/.hearth-installed
TEST_FILES = $(shell find test -name '*.test.ts' -not -path '*/node_modules/*' -not -path 'test/image/*' | sort)
ARCH ?= amd64
VERSION = $(shell node -p "require('./package.json').version")
IMAGE = image/out/hearth-$(VERSION)-$(ARCH).img
# What goes into the image: when none of it changed since the last build, make test reuses it.
IMAGE_INPUTS = $(shell find appliance/src provisioning/src ui/src image/build.sh image/packages.txt image/repart image/rootfs package-lock.json \( -type f -o -type l \) 2>/dev/null)

.PHONY: run build test test-deps bench image image-if-stale image-test clean

# npm ci only when package.json or the lock changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NPM_STAMP)
	npm run -s build

## Start hearthd in development mode: data in ./var, URL and setup code printed.
run: build
	HEARTH_DATA_DIR=$${HEARTH_DATA_DIR:-./var} node appliance/dist/cli/main.js serve --dev

## Debian packages the tests drive for real (installed only when missing).
test-deps:
	@bash test/install-test-deps.sh
	@bash image/test-deps.sh amd64

## Install what the tests need, build (the amd64 image too), run every test with Node's own runner.
test: $(NPM_STAMP) test-deps build
	npm run -s typecheck
	$(MAKE) --no-print-directory image-if-stale ARCH=amd64
	HEARTH_IMAGE=$(abspath image/out/hearth-$(VERSION)-amd64.img) node --import tsx --test --test-reporter=spec --test-timeout=900000 $(TEST_FILES) $(sort $(wildcard test/image/*.test.ts))

## Performance figures: prints a table and writes bench-results.json.
bench: build
	node --import tsx test/bench/run.ts

## The bootable disk image: image/out/hearth-<version>-<arch>.img (+ .zst, .sha256, manifest).
image: build
	@bash image/test-deps.sh $(ARCH)
	bash image/build.sh $(ARCH)

image-if-stale:
	@if [ ! -e $(IMAGE) ] || [ -n "$$(find $(IMAGE_INPUTS) -newer $(IMAGE) -print -quit)" ]; then \
	  $(MAKE) --no-print-directory image ARCH=$(ARCH); else echo "$(IMAGE) is up to date"; fi

## Build the image for ARCH and boot-test it in QEMU (amd64 is part of make test).
image-test: $(NPM_STAMP) test-deps
	$(MAKE) --no-print-directory image-if-stale ARCH=$(ARCH)
	HEARTH_IMAGE=$(abspath $(IMAGE)) node --import tsx --test --test-reporter=spec --test-timeout=1800000 test/image/*.test.ts

clean:
	rm -rf appliance/dist ui/dist bench-results.json test/e2e/screenshots
