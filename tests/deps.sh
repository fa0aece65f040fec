#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what the build and the tests need, from Debian's archive, when missing.
set -eu
pkgs="gcc make libc6-dev libunbound-dev libmnl-dev libinih-dev libcmocka-dev libjson-c-dev libsystemd-dev unbound dnsutils
iproute2 procps psmisc clang clang-tools clang-format libclang-rt-14-dev libldns-dev gnuplot-nox frr nftables
debhelper dpkg-dev build-essential lintian scdoc python3 man-db systemd-container pkgconf
sudo icinga2-bin icinga2-common nagios-nrpe-server nagios-nrpe-plugin
dnsperf stress-ng prometheus prometheus-node-exporter"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# prometheus (for promtool) and the node exporter start their daemons when installed under
# systemd: a Prometheus server scraping every 15 s is load the timing tests do not want, and
# the integration test runs its own node exporter in its namespace.
if [ -d /run/systemd/system ]; then
	for p in prometheus prometheus-node-exporter; do
		case " $missing " in *" $p "*) systemctl disable --now "$p.service" >/dev/null 2>&1 || : ;; esac
	done
fi
