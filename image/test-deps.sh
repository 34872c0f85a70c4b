#!/usr/bin/env bash
# Debian packages that building and boot-testing the image need on the build machine,
# installed only when missing: image/test-deps.sh amd64|arm64
set -euo pipefail
ARCH=${1:-amd64}
declare -A need=(
  [/usr/sbin/debootstrap]=debootstrap
  [/usr/bin/zstd]=zstd
  [/usr/bin/mcopy]=mtools
  [/usr/sbin/sfdisk]=fdisk
  [/usr/sbin/dnsmasq]=dnsmasq-base
  [/usr/bin/ssh]=openssh-client
  [/usr/sbin/ip]=iproute2
  [/usr/sbin/debugfs]=e2fsprogs
)
case $ARCH in
  amd64)
    need[/usr/bin/qemu-system-x86_64]=qemu-system-x86
    need[/usr/share/OVMF/OVMF_CODE_4M.fd]=ovmf ;;
  arm64)
    need[/usr/bin/qemu-system-aarch64]=qemu-system-arm
    need[/usr/share/AAVMF/AAVMF_CODE.fd]=qemu-efi-aarch64
    need[/usr/bin/qemu-aarch64-static]=qemu-user-static
    need[/usr/bin/aarch64-linux-gnu-g++]=g++-aarch64-linux-gnu ;;
  *) echo "ARCH must be amd64 or arm64, not \"$ARCH\"." >&2; exit 2 ;;
esac
missing=()
for path in "${!need[@]}"; do
  [ -e "$path" ] || missing+=("${need[$path]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Building and testing the $ARCH image needs these Debian packages: ${missing[*]}. Install them as root and run make again." >&2
  exit 1
fi
echo "Installing image build packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
