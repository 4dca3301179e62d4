# Client Finance Portal backend. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

FUNCTIONS := $(notdir $(wildcard functions/*))
BUILD     := .local/build
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags='-s -w'
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help deps build run test trivy test-unit css bench bench-billing publish-sample fuzz load invoke redrive fmt lint vet synth preflight deploy

help: ## list the targets
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN{FS=":.*## "}{printf "  make %-16s %s\n", $$1, $$2}'

deps: ## install what the local stack and the tests need (Java, ClamAV, DynamoDB Local, SES mailbox, browser)
	@bash infra/local/install.sh

build: ## build every function as Lambda runs it: linux/arm64, stripped, $(BUILD)/<function>/bootstrap
	@for f in $(FUNCTIONS) ; do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) -o $(BUILD)/$$f/bootstrap ./functions/$$f ; \
	done
	@CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) -o $(BUILD)/hello/bootstrap ./infra/local/hello
	@echo "built $(words $(FUNCTIONS)) functions into $(BUILD)/"

run: deps ## start the whole local stack (the site http://localhost:8080, API :3000, S3 :9000, mailbox :8005, DynamoDB :8000); Ctrl-C stops it
	@go run ./infra/local

test: deps lint build trivy ## everything: unit, store (DynamoDB Local), end-to-end (local stack), CDK assertions and trivy
	go test -count=1 -timeout 60m ./...

trivy: ## build trivy (pinned in infra/cdk/trivy.mod) into Go's build cache; the first build takes about 14 minutes
	GOEXPERIMENT=jsonv2 go tool -modfile=infra/cdk/trivy.mod trivy --version

test-unit: ## only the tests that need no local services
	go test -count=1 ./shared/access/... ./shared/secret/... ./shared/mail/... ./infra/wiring/...

css: ## rebuild the portal's stylesheet and GOV.UK Frontend bundle (shared/page/static) from the pinned npm packages
	go test -count=1 ./shared/page -run '^TestStylesheetIsCurrent$$' -update

bench: deps build ## binary sizes, the Go benchmarks, then cold starts against a hello-world (exits 1 on a budget overrun)
	@echo "Stripped linux/arm64 binaries ($(GOFLAGS_LAMBDA)), budget 12 MiB each (render, which embeds PDFium: 24 MiB):"
	@hello=$$(stat -c %s $(BUILD)/hello/bootstrap); over=0; \
	printf "  %-18s %10s %8s\n" function bytes "x hello"; \
	printf "  %-18s %10d %8s\n" hello-world $$hello 1.00; \
	for f in $(FUNCTIONS); do s=$$(stat -c %s $(BUILD)/$$f/bootstrap); budget=12; [ $$f = render ] && budget=24; \
	  printf "  %-18s %10d %8s\n" $$f $$s $$(awk "BEGIN{printf \"%.2f\", $$s/$$hello}"); \
	  if [ $$s -gt $$((budget << 20)) ]; then echo "  $$f is over the $$budget MiB budget"; over=1; fi; done; \
	exit $$over
	go test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...
	go run ./infra/local/coldstart

bench-billing: deps ## the billing run as a batch with a manifest over S3 and over SFTP through the local stack: N documents (12,000), N/3 clients
	CFP_BILLING_DOCS=$(or $(N),12000) go test ./infra/local/billing -run '^$$' -bench BillingRun -benchtime 1x -count=1 -timeout 40m

publish-sample: ## export N sample PDFs and a manifest and send them to the running local stack over SFTP (S3=1: over S3): make publish-sample N=12000
	go run ./infra/local/billing -n $(or $(N),12000) $(if $(S3),-s3)

load: deps ## a bounded load test on loopback: sign-in codes, document lists, the portal's pages, access requests, rate limits
	go run ./infra/local/load -n $(or $(N),200) -c $(or $(C),8)

fuzz: ## run every Go fuzz target for FUZZTIME each (default 20s); make test runs their seed corpora
	FUZZTIME=$(or $(FUZZTIME),20s) bash infra/local/fuzz.sh

invoke: ## run one event against the running local stack: make invoke FN=notify EVENT=events/notify-schedule.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=events/<file>.json"; exit 2; }
	@curl -sS --fail-with-body -X POST --data-binary @$(EVENT) \
	  http://$${CFP_LAMBDA_ADDR:-127.0.0.1:3001}/2015-03-31/functions/$(FN)/invocations; echo

redrive: ## send again the S3 events the running local stack kept after Lambda's retries (as the AWS failed-events queue)
	@curl -sS --fail-with-body http://$${CFP_LAMBDA_ADDR:-127.0.0.1:3001}/failed-events; echo
	@curl -sS --fail-with-body -X POST http://$${CFP_LAMBDA_ADDR:-127.0.0.1:3001}/failed-events/redrive; echo

CDK := .local/cdk-cli/node_modules/.bin/cdk
$(CDK): infra/cdk/package.json infra/cdk/package-lock.json
	mkdir -p .local/cdk-cli && cp infra/cdk/package.json infra/cdk/package-lock.json .local/cdk-cli/
	npm ci --prefix .local/cdk-cli --no-audit --no-fund

synth: build $(CDK) ## synthesize the CloudFormation template into .local/cdk.out (no AWS account needed)
	cd infra/cdk && ../../$(CDK) synth --quiet

preflight: build ## check the AWS account before make deploy (SES identity and sandbox, quotas, API Gateway logging role, certificate)
	go run ./infra/cdk/preflight

deploy: build $(CDK) ## deploy to AWS (needs credentials and the settings in infra/cdk/README-deploy.md)
	cd infra/cdk && ../../$(CDK) deploy -c strict=true --require-approval broadening

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

lint: vet ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' ; git ls-files -o --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	go vet ./...
