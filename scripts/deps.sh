#!/bin/sh
# deps.sh - install what the project needs and is missing, on Debian.
#
#   scripts/deps.sh build   compiler and -dev libraries
#   scripts/deps.sh test    build + test tools + the local services and aws-kinesis-agg (npm)
#   scripts/deps.sh demo    build + the local services
#   scripts/deps.sh bench   test + hyperfine, wrk, python3-boto3
#
# Packages already installed are left alone; apt-get runs only when
# something is missing.  npm packages go to scripts/node/node_modules,
# pinned by scripts/node/package-lock.json (kinesalite, dynalite,
# kinesis-mock as npm kinesis-local, aws-kinesis-agg).
set -eu
cd "$(dirname "$0")/.."

what=${1:-build}
build="gcc make pkg-config libc6-dev libcurl4-openssl-dev libssl-dev libjq-dev libonig-dev libmicrohttpd-dev libmaxminddb-dev zlib1g-dev"
test="$build curl clang libclang-rt-dev mandoc python3 nodejs npm procps jq openssl time prometheus prometheus-node-exporter chromium libmaxmind-db-writer-perl"
bench="$test hyperfine wrk python3-boto3"

case $what in
build) pkgs=$build ;;
test) pkgs=$test ;;
demo) pkgs="$build curl nodejs npm python3 procps libmaxmind-db-writer-perl" ;;
bench) pkgs=$bench ;;
*) echo "usage: scripts/deps.sh build|test|demo|bench" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
# node and npm may come from elsewhere than Debian (nvm, NodeSource): accept them
case $missing in *nodejs*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;; esac
case $missing in *npm*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;; esac

if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
fi

if [ "$what" != build ]; then
	if [ ! -x scripts/node/node_modules/.bin/kinesalite ] ||
	   [ ! -x scripts/node/node_modules/.bin/dynalite ] ||
	   [ ! -f scripts/node/node_modules/aws-kinesis-agg/package.json ] ||
	   [ ! -f scripts/node/node_modules/kinesis-local/main.js ] ||
	   [ scripts/node/package-lock.json -nt scripts/node/node_modules/.package-lock.json ]; then
		echo "deps: installing kinesalite, dynalite, kinesis-mock and aws-kinesis-agg (npm ci)" >&2
		(cd scripts/node && npm ci --no-audit --no-fund --loglevel=error >&2)
	fi
fi
