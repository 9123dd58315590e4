#!/bin/bash
# Build kube-apiserver, kube-controller-manager, kube-proxy, kubectl from
# Debian's kubernetes source package into /var/cache/knet-lab/<version>/bin.
# Uses a private apt sources list; changes nothing system-wide.
set -euo pipefail
CACHE=${KNET_LAB_CACHE:-/var/cache/knet-lab}
BINS="kube-apiserver kube-controller-manager kube-proxy kubectl"
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
# already built?
for d in "$CACHE"/*/bin; do
  [ -d "$d" ] || continue
  ok=1; for b in $BINS; do [ -x "$d/$b" ] || ok=0; done
  if [ $ok = 1 ]; then echo "cached: $d"; exit 0; fi
done
APT="$CACHE/apt"
mkdir -p "$APT/lists/partial" "$CACHE/src"
echo "deb-src http://deb.debian.org/debian bookworm main" > "$APT/sources.list"
AOPT=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$APT/lists")
t0=$(date +%s)
cd "$CACHE/src"
if ! ls -d kubernetes-*/ >/dev/null 2>&1; then
  apt-get "${AOPT[@]}" update
  apt-get "${AOPT[@]}" source kubernetes
fi
SRC=$(ls -d "$CACHE"/src/kubernetes-*/ | head -1); SRC=${SRC%/}
VER=${SRC##*/kubernetes-}
echo "source: $SRC version $VER"
cd "$SRC"
# replace the vendored reflect2 (v1.0.1 segfaults under go 1.19)
if [ ! -e vendor/github.com/modern-go/reflect2/.knet-replaced ]; then
  rm -rf vendor/github.com/modern-go/reflect2
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2
  rm -f vendor/github.com/modern-go/reflect2/go.mod
  touch vendor/github.com/modern-go/reflect2/.knet-replaced
fi
mkdir -p .go/src/k8s.io
ln -sfn "$SRC" .go/src/k8s.io/kubernetes
export GOPATH="$SRC/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor GO111MODULE=${GO111MODULE:-}
cd .go/src/k8s.io/kubernetes
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-proxy cmd/kubectl"
OUT=$(dirname "$(find _output -type f -name kube-apiserver -perm -u+x | head -1)")
mkdir -p "$CACHE/$VER/bin"
for b in $BINS; do cp "$OUT/$b" "$CACHE/$VER/bin/$b.tmp" && mv "$CACHE/$VER/bin/$b.tmp" "$CACHE/$VER/bin/$b"; done
echo "built in $(( $(date +%s) - t0 ))s -> $CACHE/$VER/bin"
