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
expect_route vigil-incidents alertname=VigilIncident severity=warning incident=inc-0a1b2c
expect_route vigil-webhook-critical alertname=VigilIncident severity=critical incident=inc-0a1b2c
# Every dashboard query parses as PromQL: each panel target and the selector of each query variable is
# wrapped in a recording rule (template variables replaced by sample values) and checked by promtool.
# Needs python3; skipped without it.
if command -v python3 >/dev/null; then
  echo "== dashboard queries (promtool check rules)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 - "$tmp/dashboard-queries.yml" grafana/dashboards/*.json <<'PY'
import json, re, sys
values = {"job": "vigil", "datasource": "vigil-prometheus", "model": "m", "version": "1", "site": "S01",
          "scanner": "S01/CT-07", "slice": "site", "slice_value": "S01", "window": "7d", "drift_window": "7d",
          "outcome_window": "30d", "__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
with open(sys.argv[1], "w") as out:
    out.write("groups:\n- name: dashboard-queries\n  rules:\n")
    n = 0
    for f in sys.argv[2:]:
        d = json.load(open(f))
        exprs = [t["expr"] for p in panels(d["panels"]) for t in p.get("targets", [])]
        # Query variables: the selector of label_values(selector, label).
        for v in d["templating"]["list"]:
            if v["type"] == "query":
                q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                exprs.append(re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", q, re.DOTALL).group(1))
        for e in exprs:
            expr = re.sub(r"\$\{?(\w+)\}?", lambda m: values[m.group(1)], e)
            out.write(f"  - record: dashboard_query_{n}\n    expr: {json.dumps(expr)}\n")
            n += 1
PY
  promtool check rules "$tmp/dashboard-queries.yml"
fi
# docker-compose.yml: structural validation (no Docker engine needed), both with and without the
# simulator profile.
if command -v docker-compose >/dev/null; then
  echo "== docker-compose config"
  docker-compose --env-file ../.env.example -f ../docker-compose.yml config -q
  docker-compose --env-file ../.env.example -f ../docker-compose.yml --profile simulator config -q
  # Without the .env values (Grafana's password, the webhook secret) compose must refuse to start.
  if docker-compose --env-file /dev/null -f ../docker-compose.yml config -q 2>/dev/null; then
    echo "docker-compose.yml runs without GRAFANA_ADMIN_PASSWORD / VIGIL_WEBHOOK_SECRET" >&2
    exit 1
  fi
fi
echo "all checks passed"
