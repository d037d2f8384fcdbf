#!/usr/bin/env bash
# A journaled ext4 file system on this machine's disk, for `node bench/clickhouse.mjs --data-dir DIR`: an image file
# on the disk (default /var/tmp), formatted by mkfs.ext4 with its defaults (which include a journal, as on a ClickHouse
# host), loop-mounted at DIR. Needs root (mount) and e2fsprogs. The root file system of this project's VMs is ext4
# without a journal, where every new file pays a scan of recently deleted inodes (README, "Ingest, fifth change").
#   bash bench/journaled-ext4.sh [DIR] [SIZE]       mount (default /mnt/opt-bench-ext4, 16G; the image is sparse)
#   bash bench/journaled-ext4.sh --remove [DIR]     unmount and delete the image
set -euo pipefail
if [ "${1:-}" = "--remove" ]; then
  dir="${2:-/mnt/opt-bench-ext4}"
  umount "$dir"
  rm -f "/var/tmp/$(basename "$dir").img"
  rmdir "$dir"
  exit 0
fi
dir="${1:-/mnt/opt-bench-ext4}"
size="${2:-16G}"
img="/var/tmp/$(basename "$dir").img"
if mountpoint -q "$dir"; then echo "$dir"; exit 0; fi
truncate -s "$size" "$img"
mkfs.ext4 -q -F "$img"
mkdir -p "$dir"
mount -o loop "$img" "$dir"
echo "$dir"
