#!/usr/bin/env bash
# Builds kube-apiserver from source into DIR (default: bin) and prints its path.
#
# No prebuilt Kubernetes binary can be downloaded where this project builds, but the Go module proxy
# serves k8s.io/kubernetes. .ci/kube-apiserver pins it (with every k8s.io staging module at the
# matching v0.34.4; go.sum committed) at v1.34.4: the newest patch of 1.34, the platform's default
# control-plane minor (config/defaults.go DefaultKubernetesVersion) and the minor of the k8s.io/api
# the program builds against (go.mod). The cold build takes about 15 CPU-minutes, so the binary is
# kept as DIR/kube-apiserver-VERSION and reused while it reports that version: CI points DIR at
# its cache directory.
#
# usage: .ci/kube-apiserver.sh [DIR]    ->    prints DIR/kube-apiserver-v1.34.4 (absolute) on stdout
set -euo pipefail

version=v1.34.4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$root/bin}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$dir/kube-apiserver-$version

current=""
if [[ -x $bin ]]; then
	current=$("$bin" --version 2>/dev/null || true)
fi
if [[ $current != "Kubernetes $version" ]]; then
	echo "building kube-apiserver $version into $bin (was: ${current:-missing})" >&2
	minor=${version#v1.}
	minor=${minor%%.*}
	# A build cache of its own, removed afterwards: Kubernetes' compiled packages are gigabytes that
	# nothing else reuses, and a CI machine's disk once ran out in the next step with them in GOCACHE.
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	(
		export GOCACHE=$scratch
		cd "$root/.ci/kube-apiserver"
		# go.mod/go.sum are tidy: a read-only build fails loudly instead of resolving other versions.
		# The -X flags are the ones hack/lib/version.sh sets, so --version and /version say v1.34.4.
		go build -mod=readonly -o "$bin.tmp" \
			-ldflags "-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
			k8s.io/kubernetes/cmd/kube-apiserver
	)
	mv "$bin.tmp" "$bin"
fi
echo "$bin"
