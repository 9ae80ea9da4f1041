#!/usr/bin/env sh
# Build the Mosquitto password file for the gateway, the trade sources and the members.
#
#   deploy/mosquitto/make-passwd.sh OUT_FILE gateway MW BANKA BANKB ...
#   deploy/mosquitto/make-passwd.sh OUT_FILE gateway:$GATEWAY_MQTT_PASSWORD MW:s3cret ...
#
# NAME gets a random password, NAME:PASSWORD the one given. Generated passwords are printed once as
# NAME=PASSWORD lines on stdout, to be handed to each participant; only hashes are written to OUT_FILE.
# Usernames are topic ids: no '/', '+', '#' (docs/TOPICS.md).
set -eu

if [ "$#" -lt 2 ]; then
  echo "usage: $0 OUT_FILE NAME[:PASSWORD] ..." >&2
  exit 2
fi
command -v mosquitto_passwd >/dev/null 2>&1 || { echo "mosquitto_passwd is not installed" >&2; exit 1; }

out="$1"
shift
umask 077
tmp="$out.tmp.$$"
: > "$tmp"
trap 'rm -f "$tmp"' EXIT

for entry in "$@"; do
  name="${entry%%:*}"
  case "$name" in
    ''|*/*|*+*|*'#'*) echo "invalid name: '$name'" >&2; exit 2 ;;
  esac
  if [ "$name" = "$entry" ]; then
    password="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$name=$password"
  else
    password="${entry#*:}"
  fi
  mosquitto_passwd -b "$tmp" "$name" "$password"
done
mv "$tmp" "$out"
trap - EXIT
