#!/bin/sh
# bench/deps.sh - what `make bench` needs beyond scripts/deps.sh: Debian's python3-pandas, for
# the seed's pipeline (bench/seed_pipeline.py runs under /usr/bin/python3, not a pyenv/venv
# python).  Installs it when run as root; otherwise says how, and the bench leaves the seed out.
set -eu
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "bench/deps.sh: python3-pandas is missing; the seed pipeline will be skipped" >&2
    echo "bench/deps.sh: run as root (or: sudo apt-get install python3-pandas)" >&2
    exit 0
fi
echo "bench/deps.sh: installing python3-pandas" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-pandas >/dev/null
