#!/usr/bin/env bash
# Real photographs for the ImageNet classification test: scikit-image's sample images (Chelsea the
# cat, a cup of espresso, a motorcycle), taken from Debian's python3-skimage package without
# installing it. Cached in ~/.cache/fttl-test-photos (or $FTTL_TEST_PHOTOS).
set -euo pipefail
dest="${FTTL_TEST_PHOTOS:-$HOME/.cache/fttl-test-photos}"
if [ -f "$dest/chelsea.png" ] && [ -f "$dest/coffee.png" ] && [ -f "$dest/motorcycle_left.png" ]; then
  echo "test photos: $dest (cached)"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-skimage >/dev/null 2>&1) || { apt-get update -qq && (cd "$work" && apt-get download python3-skimage >/dev/null); }
dpkg-deb -x "$work"/python3-skimage_*.deb "$work/x"
mkdir -p "$dest"
for f in chelsea.png coffee.png motorcycle_left.png; do
  cp "$work/x/usr/lib/python3/dist-packages/skimage/data/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
echo "test photos: $dest"
