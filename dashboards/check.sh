#!/usr/bin/env bash
# Checks the Prometheus and Alertmanager files with the real tools (Debian: apt-get install -y
# prometheus prometheus-alertmanager). Exits non-zero on the first failure. Usage: dashboards/check.sh
set -euo pipefail
cd "$(dirname "$0")"

for tool in promtool amtool; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y prometheus prometheus-alertmanager)" >&2; exit 2; }
done

echo "== promtool check rules"
promtool check rules prometheus/vigil-rules.yml
echo "== promtool test rules"
promtool test rules prometheus/vigil-rules.test.yml
echo "== promtool check config"
# Scrape targets (vigil, alertmanager) are compose service names; the check does not resolve them.
promtool check config prometheus/prometheus.yml
echo "== amtool check-config"
amtool check-config alertmanager/alertmanager.yml

# Routing: each severity reaches the intended receiver.
expect_route() {
  local want="$1"; shift
  local got
  got="$(amtool config routes test --config.file=alertmanager/alertmanager.yml "$@" 2>/dev/null)"
  if [ "$got" != "$want" ]; then
    echo "route for $*: expected $want, got $got" >&2
    exit 1
  fi
}
echo "== amtool config routes test"
expect_route vigil-webhook-critical severity=critical model=chest-ct slice=site slice_value=S01
expect_route vigil-webhook severity=warning model=chest-ct slice=site slice_value=S01
expect_route vigil-webhook severity=info model=chest-ct
echo "all checks passed"
