#!/usr/bin/env bash
# Builds the Pulumi CLI from source into DIR (default: bin) and prints its path.
#
# No prebuilt Pulumi binary can be downloaded where this project builds, but the
# Go module proxy serves the CLI's source. tools/pulumi pins it to the exact
# version of the SDK the program uses (v3.274.1). The build takes about six
# CPU-minutes, so an existing DIR/pulumi that already reports that version is
# reused: CI points DIR at a cache directory.
#
# usage: .ci/pulumi-cli.sh [DIR]    ->    prints DIR/pulumi (absolute) on stdout
set -euo pipefail

version=v3.274.1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$root/bin}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cli=$dir/pulumi

current=""
if [[ -x $cli ]]; then
	current=$("$cli" version 2>/dev/null || true)
fi
if [[ $current != "$version" ]]; then
	echo "building Pulumi CLI $version into $cli (was: ${current:-missing})" >&2
	(
		cd "$root/tools/pulumi"
		# go.mod/go.sum are tidy: a read-only build fails loudly instead of
		# resolving other versions.
		go build -mod=readonly -o "$cli.tmp" \
			-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
			github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	)
	mv "$cli.tmp" "$cli"
fi
echo "$cli"
