# Two commands do everything: `make run` and `make test`. Nothing to install
# but Go: the database, object storage, queue and mail are embedded.
GO ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
export CLOUDMARKET_MODE ?= local

.PHONY: run test vet bench build package generate invoke token fuzz clean console console-check

run: ## the whole system on :8080 (PORT to change), data in .data/
	$(GO) run ./infra/cmd/emulator

test: vet ## everything, no network, no services
	$(GO) test -race -count=1 ./...

vet: # -race: vet then compiles the packages as the tests do, once for both
	$(GO) vet -race ./...
	@test -z "$$(gofmt -l shared functions infra)" || (echo "gofmt needed:"; gofmt -l shared functions infra; exit 1)

bench: ## benchmarks print their figures, then binary size and cold start against a hello-world function
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./infra/cmd/coldstart

fuzz: ## a short run of every fuzz target
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20s ./shared/orgcode
	$(GO) test -run '^$$' -fuzz FuzzDueAfterWorkingDays -fuzztime 20s ./shared/workday
	$(GO) test -run '^$$' -fuzz FuzzServe -fuzztime 20s ./shared/httpapi
	$(GO) test -run '^$$' -fuzz FuzzExternalLinks -fuzztime 20s ./shared/market
	$(GO) test -run '^$$' -fuzz FuzzParseCatalogue -fuzztime 20s ./shared/market

build: ## every function as linux/amd64 binary .build/<name>/main
	@for fn in $(FUNCTIONS); do \
		echo "build $$fn"; \
		GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o .build/$$fn/main ./functions/$$fn || exit 1; \
	done

STAGE ?=
package: ## for deployment: .build/<STAGE>/ holds src/<name>/main (what serverless.yml deploys), <name>.zip and manifest.json
	@test -n "$(STAGE)" || (echo "usage: make package STAGE=dev"; exit 1)
	$(GO) run ./infra/cmd/package -stage $(STAGE)

generate: ## serverless.yml, infra/terraform/routes.json and functions/*/main.go from shared/app/catalogue.go
	$(GO) run ./infra/cmd/generate

invoke: ## e.g. make invoke FN=create-license-upload EVENT=events/http-create-license-upload-png.json
	$(GO) run ./infra/cmd/invoke -fn $(FN) -event $(EVENT)

ROLE ?= provider
SUB ?= 100000000001
token: ## make token ROLE=operator:reviewer SUB=200000000001
	@$(GO) run ./infra/cmd/token -role $(ROLE) -sub $(SUB)

console: ## test and rebuild the console (console/ → infra/emulator/console, embedded by make run); needs Node.js 20
	cd console && npm ci && npm test && npm run build

console-check: ## rebuild the console in a temporary folder; fail if the committed build differs
	.ci/console-check

clean:
	rm -rf .build

.PHONY: smoke
URL ?=
TOKEN ?=
smoke: ## read-only checks against a deployed stage: make smoke URL=https://api.example.com TOKEN=<a caller's token>
	@test -n "$(URL)" -a -n "$(TOKEN)" || (echo "usage: make smoke URL=https://api.example.com TOKEN=<a caller's token>"; exit 1)
	$(GO) run ./infra/cmd/smoke -url "$(URL)" -token "$(TOKEN)"
