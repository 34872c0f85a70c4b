#!/usr/bin/env bash
# Builds the Hearth disk image from Debian packages: `make image ARCH=amd64|arm64`.
#
#   debootstrap (trixie) -> the built appliance + units -> systemd-repart --offline
#   -> image/out/hearth-<version>-<arch>.img, .img.zst, .sha256, .manifest.txt, .build.json
#
# Nothing is mounted: partitions and file systems are made by systemd-repart from a
# directory tree, run inside the new system itself (trixie's repart has --offline).
# Runs as root, needs debootstrap; arm64 on an amd64 host also needs qemu-user-static.
set -euo pipefail

ARCH=${1:-${ARCH:-amd64}}
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

SUITE=trixie
MIRROR=${HEARTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
VERSION=$(node -p "require('./package.json').version")
NAME=hearth-$VERSION-$ARCH
OUT=$REPO/image/out
CACHE=$REPO/image/cache
WORK=$CACHE/work-$ARCH
ROOTFS=$WORK/rootfs
# Timestamps inside the file systems come from the last commit, so reruns of one commit agree.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1767225600)
export SOURCE_DATE_EPOCH

case $ARCH in
  amd64)
    KERNEL=linux-image-amd64 EFI_ARCH=x64 EFI_BOOT=BOOTX64.EFI NODE_CPU=x64
    CONSOLE="console=tty0 console=ttyS0,115200" ;;
  arm64)
    KERNEL=linux-image-arm64 EFI_ARCH=aa64 EFI_BOOT=BOOTAA64.EFI NODE_CPU=arm64
    CONSOLE="console=tty0 console=ttyAMA0,115200" ;;
  *) echo "ARCH must be amd64 or arm64, not \"$ARCH\"." >&2; exit 2 ;;
esac

fail() { echo "make image: $*" >&2; exit 1; }
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

[ "$(id -u)" -eq 0 ] || fail "building the image needs root (debootstrap and chroot). Run it as root."
for tool in debootstrap chroot zstd sha256sum npm; do
  command -v "$tool" >/dev/null || fail "\"$tool\" is missing; install it (apt-get install debootstrap zstd)."
done

HOST_ARCH=$(dpkg --print-architecture)
if [ "$ARCH" != "$HOST_ARCH" ]; then
  # Foreign binaries in the chroot run through qemu-user, registered with binfmt_misc.
  [ -e /usr/lib/binfmt.d/qemu-aarch64.conf ] || fail "building arm64 on $HOST_ARCH needs qemu-user-static (apt-get install qemu-user-static)."
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
  fi
  command -v aarch64-linux-gnu-g++ >/dev/null || fail "building arm64 needs the cross compiler for better-sqlite3 (apt-get install g++-aarch64-linux-gnu)."
fi

for dist in appliance/dist/hearthd.js provisioning/dist/provisioning/src/first-boot.js ui/dist/index.html; do
  [ -e "$dist" ] || fail "$dist is missing; run npm run build first (make image does)."
done

# Anything left mounted inside the work tree (a /proc from an interrupted run) is unmounted
# before the tree is deleted, and rm never crosses into another file system.
unmount_work() {
  awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
}
clean_work() { unmount_work; rm -rf --one-file-system "$WORK"; }
trap unmount_work EXIT
clean_work
mkdir -p "$WORK" "$OUT" "$CACHE/debs-$ARCH"

step "debootstrap $SUITE $ARCH"
PACKAGES=$(grep -v '^#' image/packages.txt | xargs | tr ' ' ',')
debootstrap --arch="$ARCH" --variant=minbase --include="$PACKAGES,$KERNEL" \
  --cache-dir="$CACHE/debs-$ARCH" "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.out" 2>&1 \
  || { tail -30 "$WORK/debootstrap.out" >&2; fail "debootstrap failed (log above; is $MIRROR reachable?)"; }

in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" "$@"; }

step "the appliance and its production dependencies"
APP=$WORK/app
mkdir -p "$APP"
cp package.json package-lock.json "$APP/"
NPM_TARGET=()
[ "$ARCH" = "$HOST_ARCH" ] || NPM_TARGET=(--cpu="$NODE_CPU" --os=linux --libc=glibc)
(cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund "${NPM_TARGET[@]}" > "$WORK/npm.out" 2>&1) \
  || { tail -30 "$WORK/npm.out" >&2; fail "npm ci failed"; }
# Only llama.cpp's CPU build for this architecture: the CUDA and Vulkan variants are 600+ MB.
for variant in "$APP"/node_modules/@node-llama-cpp/*; do
  [ "$(basename "$variant")" = "linux-$NODE_CPU" ] || rm -rf "$variant"
done
[ -d "$APP/node_modules/@node-llama-cpp/linux-$NODE_CPU" ] || fail "npm did not install @node-llama-cpp/linux-$NODE_CPU"
rm -rf "$APP/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$APP/node_modules/node-llama-cpp/llama/llama.cpp"
# better-sqlite3 is compiled (npm ran no install scripts): for the host's arch the tested
# build is reused; for another arch it is cross-compiled against the same Node headers.
SQLITE=node_modules/better-sqlite3/build/Release/better_sqlite3.node
if [ "$ARCH" = "$HOST_ARCH" ]; then
  mkdir -p "$(dirname "$APP/$SQLITE")"
  cp "$SQLITE" "$APP/$SQLITE"
else
  (cd "$APP/node_modules/better-sqlite3" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    node "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" rebuild --release --arch=arm64 --nodedir=/usr -j 2 > "$WORK/gyp.out" 2>&1) \
    || { tail -30 "$WORK/gyp.out" >&2; fail "cross-compiling better-sqlite3 failed"; }
  rm -rf "$APP/node_modules/better-sqlite3/build/Release/obj.target" "$APP/node_modules/better-sqlite3/build/Release/.deps"
fi
TARGET_NODE_MAJOR=$(dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f '${Version}' nodejs | cut -d. -f1)
[ "$TARGET_NODE_MAJOR" = "$(node -p 'process.versions.node.split(".")[0]')" ] \
  || fail "the image's Node is $TARGET_NODE_MAJOR.x but this host builds with $(node -v); native modules would not load."
LIB=$ROOTFS/usr/lib/hearth
mkdir -p "$LIB/appliance" "$LIB/provisioning" "$LIB/ui"
cp -a "$APP/package.json" "$APP/node_modules" README.md "$LIB/"
cp -a appliance/dist "$LIB/appliance/"
cp -a provisioning/dist "$LIB/provisioning/"
cp -a ui/dist "$LIB/ui/"
find "$LIB" -name '*.map' -delete

step "system configuration"
cp -a image/rootfs/. "$ROOTFS/"
chmod 0755 "$ROOTFS/usr/bin/hearth" "$ROOTFS/usr/lib/hearth-image/"*
# The service user; a fixed uid so the data partition's owners stay right across images.
in_root groupadd --system --gid 900 hearth
in_root useradd --system --uid 900 --gid 900 --home-dir /var/lib/hearth/data --no-create-home --shell /usr/sbin/nologin --comment "Hearth appliance" hearth
in_root systemctl enable hearthd.service hearth-firstboot.service hearth-factory-reset.service \
  hearth-factory-reset-request.path systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  ssh.service iwd.service >/dev/null 2>&1
# (ssh and iwd start only when first boot has written their configuration: see their drop-ins.)
# Samba runs as hearthd's child, not as the distribution's services.
in_root systemctl mask smbd.service nmbd.service samba-ad-dc.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer >/dev/null 2>&1 || true
# The root file system is read-only and sized by the image: never grown.
in_root systemctl mask systemd-growfs-root.service >/dev/null 2>&1
# Each box makes its own SSH host keys and machine id at first boot, never the image's.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
: > "$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"
ln -sf /run/systemd/resolve/stub-resolv.conf "$ROOTFS/etc/resolv.conf"
# State the read-only root points at on the data partition.
ln -sfn /var/lib/hearth/system/localtime "$ROOTFS/etc/localtime"
echo "hearth" > "$ROOTFS/etc/hostname"
mkdir -p "$ROOTFS/efi" "$ROOTFS/etc/issue.d"
ln -sfn /run/hearth/issue "$ROOTFS/etc/issue.d/hearth.issue"
# Smaller: no documentation, manuals, translations or package lists on the box.
rm -rf "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/* \
  "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log "$ROOTFS"/var/cache/debconf/*-old

step "boot partition (systemd-boot, Debian's kernel)"
BUILD=$ROOTFS/build
ESP=$BUILD/esp
mkdir -p "$ESP/EFI/BOOT" "$ESP/loader/entries" "$ESP/hearth" "$BUILD/out"
KVER=$(basename "$(ls -d "$ROOTFS"/lib/modules/* | sort -V | tail -1)")
mv "$ROOTFS/boot/vmlinuz-$KVER" "$ESP/hearth/vmlinuz"
mv "$ROOTFS/boot/initrd.img-$KVER" "$ESP/hearth/initrd.img"
rm -f "$ROOTFS"/boot/*-"$KVER" "$ROOTFS"/vmlinuz* "$ROOTFS"/initrd.img*
cp "$ROOTFS/usr/lib/systemd/boot/efi/systemd-boot$EFI_ARCH.efi" "$ESP/EFI/BOOT/$EFI_BOOT"
printf 'timeout 0\neditor no\ndefault hearth.conf\n' > "$ESP/loader/loader.conf"
cat > "$ESP/loader/entries/hearth.conf" <<EOF
title   Hearth $VERSION
version $KVER
linux   /hearth/vmlinuz
initrd  /hearth/initrd.img
options root=PARTLABEL=hearth-root ro rootfstype=ext4 systemd.volatile=state $CONSOLE quiet
EOF

step "disk image (systemd-repart --offline)"
cp image/repart/*.conf "$BUILD/"
mkdir -p "$BUILD/repart" && mv "$BUILD"/*.conf "$BUILD/repart/"
# A fixed seed gives the same partition and file system UUIDs on every build of one version.
SEED=$(printf 'hearth-%s-%s' "$VERSION" "$ARCH" | sha256sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
FILES_SHA=$(cd "$ROOTFS" && find . -path ./build -prune -o -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o -print | LC_ALL=C sort | sha256sum | cut -d' ' -f1)
FILES_COUNT=$(cd "$ROOTFS" && find . -path ./build -prune -o -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o -print | wc -l)
# repart reads /proc/self; the chroot gets a /proc for this step only.
mount -t proc proc "$ROOTFS/proc"
in_root systemd-repart --offline=yes --empty=create --size=auto --sector-size=512 --seed="$SEED" \
  --definitions=/build/repart --dry-run=no --no-pager /build/out/disk.img > "$WORK/repart.out" 2>&1 \
  || { tail -30 "$WORK/repart.out" >&2; fail "systemd-repart failed"; }
unmount_work
IMG=$OUT/$NAME.img
mv "$BUILD/out/disk.img" "$IMG"

step "compressed copy, checksums, manifest"
zstd -q -T0 -3 -f "$IMG" -o "$IMG.zst"
(cd "$OUT" && sha256sum "$NAME.img" "$NAME.img.zst" > "$NAME.sha256")
{
  echo "# Hearth $VERSION $ARCH image manifest"
  echo "suite $SUITE"
  echo "kernel $KVER"
  echo "source-date-epoch $SOURCE_DATE_EPOCH"
  echo "files $FILES_COUNT sha256-of-file-list $FILES_SHA"
  echo
  echo "# Debian packages"
  dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f '${Package}\t${Version}\t${Architecture}\n' | LC_ALL=C sort
  echo
  echo "# npm packages (production)"
  node -e '
    const lock = require(process.argv[1]);
    for (const [path, p] of Object.entries(lock.packages)) if (path && !p.dev) console.log(path.replace(/^.*node_modules\//, "") + "\t" + p.version);
  ' "$APP/package-lock.json" | LC_ALL=C sort -u
} > "$OUT/$NAME.manifest.txt"
RAW_BYTES=$(stat -c %s "$IMG")
ZST_BYTES=$(stat -c %s "$IMG.zst")
printf '{"arch":"%s","version":"%s","buildSeconds":%d,"rawBytes":%d,"compressedBytes":%d,"files":%d,"kernel":"%s"}\n' \
  "$ARCH" "$VERSION" "$SECONDS" "$RAW_BYTES" "$ZST_BYTES" "$FILES_COUNT" "$KVER" > "$OUT/$NAME.build.json"
clean_work

printf '\nBuilt %s in %ss: %s MB raw, %s MB compressed\n' "$IMG" "$SECONDS" $((RAW_BYTES / 1000000)) $((ZST_BYTES / 1000000))
