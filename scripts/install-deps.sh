#!/usr/bin/env bash
# Installs the Debian packages signstgcn needs to build and test. As root it runs apt-get;
# otherwise it prints the exact command to run and stops. Already-installed packages are
# detected with dpkg so a second run costs nothing.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libzip-dev zlib1g-dev libdeflate-dev libcjson-dev libopenblas-openmp-dev liblapacke-dev libcmocka-dev
      libcairo2-dev libpng-dev libxml2-dev libdnnl-dev fonts-dejavu-core
      libopenmpi-dev openmpi-bin)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "signstgcn needs these Debian packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
