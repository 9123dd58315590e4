#!/bin/sh
# Runs inside the pod's netns, in a fresh mount (+UTS) namespace.
# usage: pod-start.sh PIDFILE RESOLV HOSTNAME CGROUPDIR... -- CMD...
# RESOLV - keeps the host's resolv.conf (hostNetwork pods).
pidfile=$1 resolv=$2 host=$3
shift 3
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  echo $$ > "$1/cgroup.procs" || exit 1
  shift
done
shift
[ "$resolv" = - ] || mount --bind "$resolv" /etc/resolv.conf || exit 1
hostname "$host" 2>/dev/null
echo $$ > "$pidfile"
exec "$@"
