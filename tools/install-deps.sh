#!/usr/bin/env bash
# install-deps.sh — installs the Debian packages byolcl needs, only those that are missing.
# Runs as root or through sudo. Nothing else is downloaded.
set -euo pipefail
packages=(build-essential cmake pkg-config
          openmpi-bin libopenmpi-dev  # mpirun -np N byolcl train (tests/mpi_test.sh)
          ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo oclgrind
          libclblast-dev libpng-dev zlib1g-dev libcmocka-dev dataset-fashion-mnist
          python3-torch python3-torchvision) # tests/interop_torch.sh: exported encoders in PyTorch
packages+=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
