# Hearth: the two commands a person needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

NPM_STAMP := node_modules/.hearth-installed
TEST_FILES = $(shell find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)

.PHONY: run build test test-deps bench image image-test clean

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

## Install what the tests need, build, run every test with Node's own runner.
test: $(NPM_STAMP) test-deps build
	npm run -s typecheck
	node --import tsx --test --test-reporter=spec --test-timeout=600000 $(TEST_FILES)

## Performance figures: prints a table and writes bench-results.json.
bench: build
	node --import tsx test/bench/run.ts

image:
	@echo "The bootable image arrives with its own issue." >&2; exit 2

image-test:
	@echo "The image boot test arrives with the image." >&2; exit 2

clean:
	rm -rf appliance/dist ui/dist bench-results.json test/e2e/screenshots
