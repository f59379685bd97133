#!/usr/bin/env bash
# Installs the system packages the tests use when they are missing: Debian's etcd-server
# (real etcd for the store tests), awscli (the aws-cli v2 smoke test of the emulator) and zsh
# (the zsh completion script is checked by zsh itself).
set -euo pipefail
need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
[ -x /usr/bin/aws ] || need+=(awscli)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian's packages"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian's package starts no daemon here (no systemd); the tests start their own etcd members.
