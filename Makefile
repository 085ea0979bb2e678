# postkit — build, test and install the multicall binary.
#
#   make build              dist/postkit (runs npm ci first when node_modules is missing)
#   make test               every test; ends with a "N passed, N failed, N skipped" line
#   make check              tsc --noEmit and the import-layering test
#   make run                the mail system on the embedded default instance in ./run (foreground)
#   make install PREFIX=dir the binary in dir/sbin plus one symlink per tool name
#   make bench              the side-by-side benchmarks against Debian's Postfix (root; see bench/)

SHELL := /bin/bash
PREFIX ?= /usr/local
TOOLS := postfix sendmail mailq newaliases postqueue postsuper postcat postdrop postmap postalias postkick postlock postlog postconf
SOURCES := $(shell find cmd internal -name '*.ts' ! -name '*_test.ts' 2>/dev/null) build.ts package.json

# Bun comes from npm. npm 12 skips unapproved install scripts; then .bin/bun is a placeholder and the real
# binary is still in the platform package.
BUN = $(shell if [ -x node_modules/@oven/bun-linux-x64/bin/bun ]; then echo node_modules/@oven/bun-linux-x64/bin/bun; else echo node_modules/.bin/bun; fi)

.PHONY: build test check run install bench clean

build: dist/postkit

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

dist/postkit: node_modules/.installed $(SOURCES)
	@mkdir -p dist
	$(BUN) build.ts dist/postkit

test: dist/postkit
	@bash .ci/test-deps.sh
	@set -o pipefail; mkdir -p .test-tmp; \
	POSTKIT_BIN=$(CURDIR)/dist/postkit $(BUN) test --timeout 60000 2>&1 | tee .test-tmp/test.log; status=$$?; \
	pass=$$(grep -aE '^ *[0-9]+ pass$$' .test-tmp/test.log | awk '{s+=$$1} END {print s+0}'); \
	fail=$$(grep -aE '^ *[0-9]+ fail$$' .test-tmp/test.log | awk '{s+=$$1} END {print s+0}'); \
	err=$$(grep -aE '^ *[0-9]+ errors?$$' .test-tmp/test.log | awk '{s+=$$1} END {print s+0}'); \
	skip=$$(grep -aE '^ *[0-9]+ (skip|todo)$$' .test-tmp/test.log | awk '{s+=$$1} END {print s+0}'); \
	fail=$$((fail + err)); if [ $$status -ne 0 ] && [ $$fail -eq 0 ]; then fail=1; fi; \
	echo "$$pass passed, $$fail failed, $$skip skipped"; exit $$status

check: node_modules/.installed
	$(BUN) x tsc --noEmit -p .
	$(BUN) test internal/layering_test.ts

run: dist/postkit
	@[ -f run/etc/main.cf ] || ./dist/postkit init $(CURDIR)/run
	./dist/postkit postfix -c $(CURDIR)/run/etc start-fg

install: dist/postkit
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 dist/postkit $(DESTDIR)$(PREFIX)/sbin/postkit
	for t in $(TOOLS); do ln -sf postkit $(DESTDIR)$(PREFIX)/sbin/$$t; done

bench: dist/postkit
	bash bench/startup.sh
	bash bench/maps.sh
	bash bench/queue.sh 10000
	bash bench/local.sh 500 4
	bash bench/smtp.sh 2000

clean:
	rm -rf dist .test-tmp
