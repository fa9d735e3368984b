#!/usr/bin/env bash
# The picture of the printed Accounts sheet in docs/reports.md: the README's
# first command (`run --config accounts.example.toml --simulate`), its
# workbook rendered by LibreOffice to PDF (as tests/cli/sheets.rs does) and
# the first Accounts page turned into a PNG by pdftoppm.
#
# Usage: scripts/xlsx_preview.sh [OUT.png]   (default docs/images/xlsx-accounts.png)
# Needs soffice (libreoffice-calc-nogui), poppler-utils and the Carlito font
# (fonts-crosextra-carlito), like the render test.
set -euo pipefail
cd "$(dirname "$0")/.."
png="${1:-docs/images/xlsx-accounts.png}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet -- run --config accounts.example.toml --simulate --no-history -q \
  --formats xlsx --out "$work/out" >/dev/null
xlsx=$(ls "$work"/out/*.xlsx)
soffice "-env:UserInstallation=file://$work/profile" --headless --convert-to pdf \
  --outdir "$work" "$xlsx" >/dev/null 2>&1
pdf=$(ls "$work"/*.pdf)
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
for ((page = 1; page <= pages; page++)); do
  if pdftotext -f "$page" -l "$page" -layout "$pdf" - | grep -q " Accounts .*Page $page of"; then
    pdftoppm -f "$page" -l "$page" -r 72 -png -singlefile "$pdf" "${png%.png}"
    echo "$png: page $page of $pdf"
    exit 0
  fi
done
echo "no Accounts page in $pdf" >&2
exit 1
