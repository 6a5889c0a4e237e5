#!/usr/bin/env bash
# Installs what the PDF copies need (app/services/pdf.py), from Debian's packages:
#   fonts-noto-cjk        Noto Sans CJK SC, the font of every PDF (required)
#   fonts-hanazono        HanaMinA/B: CJK Extensions B to F, which Noto mostly lacks
#   fonts-babelstone-han  BabelStone Han: CJK characters added up to Unicode 14
#   libpango-1.0-0, libpangoft2-1.0-0  the text layout WeasyPrint loads
# Does nothing when all are present. Without apt-get it only says what is missing: the
# app still runs, and making a PDF then fails with a message that names the package.
set -euo pipefail

have_family() { fc-list ":family=$1" family 2>/dev/null | grep -q .; }
have_library() { { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q "$1"; }

need=()
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
have_family "Noto Sans CJK SC" || need+=(fonts-noto-cjk)
have_family "HanaMinB" || need+=(fonts-hanazono)
have_family "BabelStone Han" || need+=(fonts-babelstone-han)
have_library "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-fonts: apt-get not found; PDF copies need: ${need[*]}" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-fonts: installing ${need[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fc-list ":family=Noto Sans CJK SC" family | grep -q . || { echo "install-fonts: Noto Sans CJK SC still missing" >&2; exit 1; }
