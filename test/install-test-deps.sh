#!/usr/bin/env bash
# Installs the Debian packages the tests use for real, only those missing.
set -euo pipefail
declare -A need=(
  [/usr/bin/chromium]=chromium
  [/usr/bin/avahi-browse]=avahi-utils
  [/usr/sbin/avahi-daemon]=avahi-daemon
  [/usr/bin/avahi-resolve]=avahi-utils
  [/usr/bin/dbus-daemon]=dbus
  [/usr/sbin/ip]=iproute2
  [/usr/sbin/smbd]=samba
  [/usr/bin/smbclient]=smbclient
  [/usr/bin/mcopy]=mtools
  [/usr/sbin/mkfs.vfat]=dosfstools
  [/usr/sbin/sfdisk]=fdisk
  [/usr/bin/zstd]=zstd
)
missing=()
for path in "${!need[@]}"; do
  [ -x "$path" ] || missing+=("${need[$path]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]}) and run make test again." >&2
  exit 1
fi
echo "Installing test packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
