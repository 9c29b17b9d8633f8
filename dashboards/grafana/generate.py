#!/usr/bin/env python3
"""Generates the provisioned Grafana dashboards in dashboards/grafana/dashboards/*.json.

The JSON files are the source Grafana reads and DashboardsTest checks; this script only keeps them
consistent (one datasource variable, one job filter, one way of drawing a confidence band, a description
on every panel, the same links). Run it after editing:
    python3 dashboards/grafana/generate.py

Importable anywhere: every dashboard has a `datasource` variable (default: the provisioned uid
vigil-prometheus) that every panel, query and query variable uses, an `__inputs` entry for Grafana's
"Import dashboard", a `job` variable that every Vigil selector filters on, `$__rate_interval` windows,
and links to the other Vigil dashboards and to Vigil's runbooks.
"""
import json
import pathlib
import re

OUT = pathlib.Path(__file__).resolve().parent / "dashboards"

# The datasource the provisioning file (provisioning/datasources/prometheus.yaml) creates: the default of
# every dashboard's `datasource` variable. Panels refer to the variable, never to this uid.
PROVISIONED_DS_UID = "vigil-prometheus"
PROVISIONED_DS_NAME = "Prometheus (Vigil)"
DS = {"type": "prometheus", "uid": "${datasource}"}
# Grafana version the stack runs (docker-compose.yml), listed in __requires.
GRAFANA_VERSION = "11.6.0"

# Prometheus job that scrapes Vigil (prometheus/prometheus.yml): the default of the `job` variable.
DEFAULT_JOB = "vigil"
JOB_MATCHER = 'job=~"$job"'

# Where the browser reaches Vigil: the compose stack binds it to 127.0.0.1:8080 (inside the compose
# network it is http://vigil:8080, which a browser cannot resolve). Default of the hidden `vigil_url`
# variable, which the Runbooks link and the alert tables' data links use; set ?var-vigil_url=... or
# edit the variable after importing into another Grafana.
VIGIL_URL = "http://127.0.0.1:8080"
RUNBOOKS_URL = "${vigil_url}/runbooks/"

# The minimum n Vigil itself uses before a slice counts, for the worst-slice panels:
# outcomes.min-n (VigilConfig.OUTCOMES_MIN_N, default 50) for performance metrics (WorstSlices),
# Fleet.MIN_N (100) for drift statistics (the status page's drift signals).
OUTCOMES_MIN_N = 50
DRIFT_MIN_N = 100

# Alert thresholds, read from Vigil's shipped rule file: the one source of truth that the Prometheus rules
# (../prometheus/vigil-rules.yml) are checked against (PrometheusRulesMatchVigilRulesTest). Change a threshold
# there, then regenerate. Colours follow the rule: for a "below" rule (sensitivity) green from the target,
# orange within the rule's margin below it (where a firing alert does not yet resolve), red further below;
# for an "above" rule (ECE) red from the limit, orange within the margin below it; a p-value is red up to
# the rule's p ceiling (max_p) and green from its resolve_p.
RULES_FILE = pathlib.Path(__file__).resolve().parents[2] / "monitor" / "src" / "main" / "resources" / "alert-rules.json"
RULES = {r["name"]: r for r in json.loads(RULES_FILE.read_text())["rules"]}


def rule_value(name, field):
    """A field of one of Vigil's shipped rules (margin 0 when absent, as AlertRule reads it). A KeyError when
    the rule or the field is gone, so a renamed rule cannot leave a stale number on a dashboard."""
    if field == "margin":
        return RULES[name].get("margin", 0.0)
    return RULES[name][field]


def num(x):
    """A threshold sum without binary noise (0.85 - 0.05 is 0.8)."""
    return round(x, 9)


def txt(x):
    """A threshold in a description: 0.85, 0.8, 0.001."""
    return f"{x:g}"


def pct(x):
    return f"{x * 100:g}%"


SENS_TARGET = rule_value("VigilSensitivityBelowTarget", "target")
SENS_FLOOR = num(SENS_TARGET - rule_value("VigilSensitivityBelowTarget", "margin"))
SENS_MIN_N = rule_value("VigilSensitivityBelowTarget", "min_n")
SPEC_TARGET = rule_value("VigilSpecificityBelowTarget", "target")
SPEC_FLOOR = num(SPEC_TARGET - rule_value("VigilSpecificityBelowTarget", "margin"))
SPEC_MIN_N = rule_value("VigilSpecificityBelowTarget", "min_n")
ECE_LIMIT = rule_value("VigilCalibrationErrorHigh", "target")
ECE_NEAR = num(ECE_LIMIT - rule_value("VigilCalibrationErrorHigh", "margin"))
ECE_MIN_N = rule_value("VigilCalibrationErrorHigh", "min_n")
PSI_MIN = rule_value("VigilScoreDistributionShift", "min_estimate")
PSI_MAX_P = rule_value("VigilScoreDistributionShift", "max_p")
PSI_RESOLVE_P = rule_value("VigilScoreDistributionShift", "resolve_p")
PSI_RULE_MIN_N = rule_value("VigilScoreDistributionShift", "min_n")
DRIFT_RULES_MIN_N = sorted({r["min_n"] for r in RULES.values() if r["condition"] == "p_below"})
OE_LOW = rule_value("VigilCalibrationInTheLargeOff", "low")
OE_HIGH = rule_value("VigilCalibrationInTheLargeOff", "high")
SLOPE_LOW = rule_value("VigilCalibrationSlopeOff", "low")
SLOPE_HIGH = rule_value("VigilCalibrationSlopeOff", "high")
FLIP_LIMIT = rule_value("VigilFlipRateHigh", "target")
FLIP_MIN_N = rule_value("VigilFlipRateHigh", "min_n")
DEAD_LETTER_LIMIT = rule_value("VigilDeadLetterShareHigh", "target")
DEAD_LETTER_MIN_N = rule_value("VigilDeadLetterShareHigh", "min_n")
COVERAGE_LOW = rule_value("VigilLabelCoverageLow", "target")
PREVALENCE_SHIFT_LOW = rule_value("VigilPrevalenceShift", "low")
PREVALENCE_SHIFT_HIGH = rule_value("VigilPrevalenceShift", "high")
PREVALENCE_SHIFT_MIN_N = rule_value("VigilPrevalenceShift", "min_n")
# The conventional "major shift" of PSI (0.1 moderate, 0.25 major): a colour only, no rule uses it.
PSI_MAJOR_SHIFT = 0.25

SENS_COLOURS = [("red", None), ("orange", SENS_FLOOR), ("green", SENS_TARGET)]
SPEC_COLOURS = [("red", None), ("orange", SPEC_FLOOR), ("green", SPEC_TARGET)]
ECE_COLOURS = [("green", None), ("orange", ECE_NEAR), ("red", ECE_LIMIT)]
PSI_COLOURS = [("green", None), ("orange", PSI_MIN), ("red", PSI_MAJOR_SHIFT)]
P_VALUE_COLOURS = [("red", None), ("orange", PSI_MAX_P), ("green", PSI_RESOLVE_P)]

SLICES = ["all", "site", "scanner", "scanner_model", "software", "sex", "age_band"]
BY_SLICE = "model, version, slice, slice_value"

_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\{")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
             "group_right", "inf", "nan"}


def scoped(expr):
    """Adds job=~"$job" to every vector selector of a PromQL expression (or label_values() query).
    Every selector must be written with braces (`up{}`, not `up`) so none is missed."""
    lv = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", expr, re.DOTALL)
    bare = _STRING.sub('""', lv.group(1) if lv else expr)
    bare = _GROUPING.sub(" ", bare)
    bare = re.sub(r"\{[^}]*\}", "{}", bare)
    bare = re.sub(r"\[[^\]]*\]", " ", bare)
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", bare):
        if m.start() > 0 and (bare[m.start() - 1].isdigit() or bare[m.start() - 1] == "."):
            continue  # exponent of a number such as 5e1
        rest = bare[m.end():].lstrip()
        if m.group() in _KEYWORDS or rest.startswith("(") or rest.startswith("{"):
            continue
        raise ValueError(f"selector {m.group()} without braces in {expr}: write {m.group()}{{}}")
    out = _SELECTOR.sub(lambda m: m.group(0) + JOB_MATCHER + ", ", expr)
    return out.replace(JOB_MATCHER + ", }", JOB_MATCHER + "}")


# ---------------------------------------------------------------- variables

def query_var(name, label, query, multi=False, include_all=False, all_value=None, hide=0, scope=True):
    if scope:
        query = scoped(query)
    v = {
        "name": name, "label": label, "type": "query", "datasource": DS,
        "definition": query,
        "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2, "sort": 1, "multi": multi, "includeAll": include_all, "hide": hide,
        "current": {}, "options": [], "regex": "",
    }
    if all_value is not None:
        v["allValue"] = all_value
    return v


def custom_var(name, label, values, default, multi=False, include_all=False, all_value=None):
    v = {
        "name": name, "label": label, "type": "custom", "query": ",".join(values),
        "multi": multi, "includeAll": include_all, "hide": 0,
        "current": {"selected": True, "text": default, "value": default},
        "options": [{"selected": x == default, "text": x, "value": x} for x in values],
    }
    if all_value is not None:
        v["allValue"] = all_value
    return v


def datasource_var():
    """The Prometheus every panel queries; defaults to the provisioned one, any Prometheus can be picked."""
    return {
        "name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
        "description": "The Prometheus that scrapes Vigil.",
        "current": {"selected": True, "text": PROVISIONED_DS_NAME, "value": PROVISIONED_DS_UID},
        "options": [], "refresh": 1, "regex": "", "hide": 0, "multi": False, "includeAll": False,
    }


def job_var():
    """The Prometheus job(s) scraping Vigil; every Vigil selector filters on it."""
    v = query_var("job", "Job", "label_values(vigil_ingest_records_total, job)", include_all=True, scope=False)
    v["description"] = "Prometheus scrape job(s) of Vigil; All = every job that exports vigil_ingest_records_total."
    v["current"] = {"selected": True, "text": DEFAULT_JOB, "value": DEFAULT_JOB}
    return v


def vigil_url_var():
    """Hidden: where the browser reaches Vigil's HTTP server (runbooks, /api/incidents)."""
    return {
        "name": "vigil_url", "label": "Vigil URL", "type": "textbox", "query": VIGIL_URL, "hide": 2,
        "description": "Base URL of Vigil's HTTP server as the browser reaches it (runbooks at /runbooks/).",
        "current": {"selected": False, "text": VIGIL_URL, "value": VIGIL_URL},
        "options": [{"selected": True, "text": VIGIL_URL, "value": VIGIL_URL}],
    }


def model_vars(multi=False):
    return [
        query_var("model", "Model", "label_values(vigil_window_predictions{}, model)",
                  multi=multi, include_all=multi, all_value=".*" if multi else None),
        query_var("version", "Version", 'label_values(vigil_window_predictions{model=~"$model"}, version)',
                  multi=multi, include_all=multi, all_value=".*" if multi else None),
    ]


def site_scanner_vars(multi=False):
    return [
        query_var("site", "Site", 'label_values(vigil_window_predictions{model=~"$model", slice="site"}, slice_value)',
                  multi=multi, include_all=multi, all_value=".*" if multi else None),
        # Scanner values are site-qualified (S01/CT-07), so the site filters them.
        query_var("scanner", "Scanner",
                  'label_values(vigil_window_predictions{model=~"$model", slice="scanner", slice_value=~"$site/.*"}, slice_value)',
                  multi=multi, include_all=multi, all_value=".*" if multi else None),
    ]


def window_var(name, label, metric, default):
    v = query_var(name, label, f'label_values({metric}{{model=~"$model"}}, window)')
    v["current"] = {"selected": True, "text": default, "value": default}
    return v


def slice_vars(metric):
    return [
        custom_var("slice", "Slice", SLICES, "all"),
        query_var("slice_value", "Slice value",
                  f'label_values({metric}{{model="$model", version="$version", slice="$slice"}}, slice_value)'),
    ]


# ---------------------------------------------------------------- panels

class Layout:
    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1

    def place(self, w, h):
        if self.x + w > 24:
            self.x = 0
            self.y += self.row_h
            self.row_h = 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def newline(self):
        if self.x:
            self.x = 0
            self.y += self.row_h
            self.row_h = 0

    def pid(self):
        i = self.next_id
        self.next_id += 1
        return i


def target(expr, legend="", ref="A", instant=False, table=False):
    return {
        "datasource": DS, "refId": ref, "expr": scoped(expr), "legendFormat": legend or "__auto",
        "instant": instant, "range": not instant, "format": "table" if table else "time_series",
        "editorMode": "code",
    }


def thresholds(steps):
    """steps: [(color, value or None)] starting with the base colour."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in steps]}


def row(lay, title):
    lay.newline()
    p = {"type": "row", "title": title, "collapsed": False, "id": lay.pid(),
         "gridPos": {"x": 0, "y": lay.y, "w": 24, "h": 1}, "panels": []}
    lay.y += 1
    return p


def timeseries(lay, title, targets, unit="short", w=12, h=8, overrides=None, min_=None, max_=None,
               desc="", thr=None, thr_style="off", log=False, stack=False):
    defaults = {"unit": unit, "custom": {"lineWidth": 1, "fillOpacity": 0, "showPoints": "never",
                                          "spanNulls": True, "thresholdsStyle": {"mode": thr_style}}}
    if log:
        defaults["custom"]["scaleDistribution"] = {"type": "log", "log": 10}
    if stack:
        defaults["custom"]["stacking"] = {"mode": "normal", "group": "A"}
        defaults["custom"]["fillOpacity"] = 30
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if thr:
        defaults["thresholds"] = thresholds(thr)
    return {"type": "timeseries", "title": title, "description": desc, "id": lay.pid(), "datasource": DS,
            "gridPos": lay.place(w, h), "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "none"}}}


def band_targets(metric, selector, prefix="", ref0=0):
    refs = "ABCDEFGHIJKLMNOP"
    out = []
    for i, bound in enumerate(["lower", "estimate", "upper"]):
        out.append(target(f'{metric}{{{selector}, bound="{bound}"}}', prefix + bound, refs[ref0 + i]))
    return out


def band_overrides(prefix=""):
    """Upper filled down to lower: the 95% interval as a shaded band around the estimate."""
    return [
        {"matcher": {"id": "byName", "options": prefix + "upper"},
         "properties": [{"id": "custom.fillBelowTo", "value": prefix + "lower"},
                        {"id": "custom.lineWidth", "value": 0},
                        {"id": "custom.fillOpacity", "value": 20},
                        {"id": "color", "value": {"mode": "fixed", "fixedColor": "blue"}}]},
        {"matcher": {"id": "byName", "options": prefix + "lower"},
         "properties": [{"id": "custom.lineWidth", "value": 0},
                        {"id": "color", "value": {"mode": "fixed", "fixedColor": "blue"}}]},
        {"matcher": {"id": "byName", "options": prefix + "estimate"},
         "properties": [{"id": "custom.lineWidth", "value": 2},
                        {"id": "color", "value": {"mode": "fixed", "fixedColor": "blue"}}]},
    ]


def band(lay, title, metric, selector, unit="percentunit", w=12, h=8, reference=None, desc="",
         min_=None, max_=None, thr=None):
    """A confidence band: three queries (bound=lower/estimate/upper), upper filled to lower.
    reference: optional selector whose estimate is drawn dashed for comparison (e.g. slice="all")."""
    targets = band_targets(metric, selector)
    overrides = band_overrides()
    if reference:
        targets.append(target(f'{metric}{{{reference}, bound="estimate"}}', "all slices", "D"))
        overrides.append({"matcher": {"id": "byName", "options": "all slices"},
                          "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                         {"id": "color", "value": {"mode": "fixed", "fixedColor": "text"}}]})
    return timeseries(lay, title, targets, unit=unit, w=w, h=h, overrides=overrides, desc=desc,
                      min_=min_, max_=max_, thr=thr, thr_style="dashed" if thr else "off")


def stat(lay, title, targets, unit="short", w=4, h=4, thr=None, mappings=None, desc="", color_mode="background"):
    return {"type": "stat", "title": title, "description": desc, "id": lay.pid(), "datasource": DS,
            "gridPos": lay.place(w, h), "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": thresholds(thr or [("green", None)]),
                                         "mappings": mappings or [], "color": {"mode": "thresholds"}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": color_mode, "graphMode": "none", "textMode": "auto",
                        "justifyMode": "auto", "orientation": "auto"}}


def table(lay, title, targets, w=24, h=10, transformations=None, overrides=None, desc="", unit="short",
          sort_by=None):
    opts = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    if sort_by:
        opts["sortBy"] = [{"displayName": sort_by[0], "desc": sort_by[1]}]
    return {"type": "table", "title": title, "description": desc, "id": lay.pid(), "datasource": DS,
            "gridPos": lay.place(w, h), "targets": targets,
            "transformations": transformations or [],
            "fieldConfig": {"defaults": {"unit": unit, "custom": {"align": "auto", "filterable": True,
                                                                    "cellOptions": {"type": "auto"}}},
                            "overrides": overrides or []},
            "options": opts}


def bargauge(lay, title, targets, unit="percentunit", w=12, h=8, thr=None, desc="", min_=None, max_=None):
    d = {"unit": unit, "thresholds": thresholds(thr or [("green", None)]), "color": {"mode": "thresholds"}}
    if min_ is not None:
        d["min"] = min_
    if max_ is not None:
        d["max"] = max_
    return {"type": "bargauge", "title": title, "description": desc, "id": lay.pid(), "datasource": DS,
            "gridPos": lay.place(w, h), "targets": targets,
            "fieldConfig": {"defaults": d, "overrides": []},
            "options": {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}}


def colored(name, thr, unit=None, decimals=None):
    props = [{"id": "thresholds", "value": thresholds(thr)},
             {"id": "custom.cellOptions", "value": {"type": "color-background", "mode": "basic"}}]
    if unit:
        props.append({"id": "unit", "value": unit})
    if decimals is not None:
        props.append({"id": "decimals", "value": decimals})
    return {"matcher": {"id": "byName", "options": name}, "properties": props}


PANEL_NAMES = {"timeseries": "Time series", "stat": "Stat", "table": "Table", "bargauge": "Bar gauge",
               "barchart": "Bar chart"}


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


# Vigil's detail families (MetricCatalog, exported only with metrics.detail=true; DashboardsTest checks this list
# against the catalog): a panel that reads one says so in its description.
DETAIL_FAMILIES = {
    "vigil_score_mean", "vigil_score_js_distance", "vigil_score_wasserstein", "vigil_uncertainty_mean",
    "vigil_abstention_rate_ratio", "vigil_feature_mean", "vigil_feature_ks_statistic",
    "vigil_feature_missing_rate_ratio", "vigil_attribute_chi_square", "vigil_ppv_at_reference_prevalence_ratio",
    "vigil_npv_at_reference_prevalence_ratio", "vigil_brier_score", "vigil_brier_reliability",
    "vigil_brier_resolution", "vigil_brier_uncertainty", "vigil_log_loss", "vigil_mce_ratio",
    "vigil_calibration_intercept", "vigil_calibration_in_the_large", "vigil_reliability_observed_ratio",
    "vigil_reliability_mean_score", "vigil_label_coverage_predicted_positive_ratio",
    "vigil_label_coverage_predicted_negative_ratio", "vigil_label_delay_seconds", "vigil_worst_slice",
    "vigil_worst_slice_gap", "vigil_worst_slice_compared", "vigil_estimated_ppv_ratio", "vigil_estimated_npv_ratio",
    "vigil_estimated_auc_ratio", "vigil_score_change", "vigil_window_predictions_without_subject",
}
DETAIL_NOTE = (" Needs metrics.detail=true on Vigil: off by default, /metrics carries the decision families at 7d and "
               "30d (at most 200 series per slice); every number is on /api/v1 either way.")


def note_detail(p):
    """Appends DETAIL_NOTE to a panel that reads a detail family."""
    exprs = " ".join(t.get("expr", "") for t in p.get("targets", []))
    names = set(re.findall(r"\b(vigil_[a-z_]+)", exprs))
    if names & DETAIL_FAMILIES and "metrics.detail" not in p.get("description", ""):
        p["description"] = p.get("description", "").rstrip() + DETAIL_NOTE


def dashboard(uid, title, description, variables, panels, tags, time_from="now-30d", refresh="1m"):
    """variables: the dashboard's own; the datasource, job and (hidden) vigil_url variables are added here."""
    types = set()
    for p in all_panels(panels):
        if p["type"] == "row":
            continue
        note_detail(p)
        if not p.get("description", "").strip():
            raise ValueError(f"{uid}: panel '{p['title']}' has no description")
        types.add(p["type"])
    d = {
        # For Grafana's "Import dashboard": asks for a Prometheus datasource. Panels use the dashboard's
        # `datasource` variable, so the import works with any datasource uid.
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus",
                      "description": "The Prometheus that scrapes Vigil (job " + DEFAULT_JOB + " by default)",
                      "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": GRAFANA_VERSION},
                       {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}]
                      + [{"type": "panel", "id": t, "name": PANEL_NAMES[t], "version": ""} for t in sorted(types)],
        "uid": uid, "title": title, "description": description, "tags": ["vigil"] + tags,
        "schemaVersion": 39, "version": 1, "editable": True, "graphTooltip": 1,
        "timezone": "utc", "refresh": refresh, "time": {"from": time_from, "to": "now"},
        "annotations": {"list": []},
        "templating": {"list": [datasource_var(), job_var()] + variables + [vigil_url_var()]},
        "links": [
            # Every other Vigil dashboard (all carry the tag), with the current time range and variables.
            {"title": "Vigil dashboards", "type": "dashboards", "tags": ["vigil"], "asDropdown": True,
             "includeVars": True, "keepTime": True, "targetBlank": False, "icon": "external link",
             "tooltip": "", "url": ""},
            {"title": "Runbooks", "type": "link", "url": RUNBOOKS_URL, "tags": [], "asDropdown": False,
             "includeVars": False, "keepTime": False, "targetBlank": True, "icon": "doc",
             "tooltip": "Vigil's runbooks: one per alert rule, served by Vigil at /runbooks/"},
        ],
        "panels": panels,
    }
    return d


STATE_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "CREATED", "color": "yellow"}, "1": {"text": "REBALANCING", "color": "yellow"},
    "2": {"text": "RUNNING", "color": "green"}, "3": {"text": "PENDING_SHUTDOWN", "color": "orange"},
    "4": {"text": "NOT_RUNNING", "color": "red"}, "5": {"text": "PENDING_ERROR", "color": "red"},
    "6": {"text": "ERROR", "color": "red"}}}]

# ---------------------------------------------------------------- fleet overview

def fleet():
    lay = Layout()
    mv = 'model=~"$model", version=~"$version"'
    sel_o = f'{mv}, slice=~"$slice", window="$outcome_window"'
    sel_d = f'{mv}, slice=~"$slice", window="$drift_window"'
    panels = []
    panels.append(stat(lay, "Vigil up", [target('min(up{})', "up", instant=True)], w=4,
                       thr=[("red", None), ("green", 1)],
                       mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}],
                       desc="UP when Prometheus' last scrape of every Vigil instance's /metrics succeeded; DOWN means "
                            "the numbers on these dashboards are no longer being refreshed."))
    panels.append(stat(lay, "Critical alerts", [target('sum(max without (instance) (vigil_alerts_active{severity="critical", ' + mv + '})) or vector(0)', "critical", instant=True)],
                       w=4, thr=[("green", None), ("red", 1)],
                       desc="Critical alerts Vigil is firing now for the selected models (its own evidence-gated rules, "
                            "vigil_alerts_active); red from 1. The alerts dashboard lists them with their runbooks."))
    panels.append(stat(lay, "Warnings", [target('sum(max without (instance) (vigil_alerts_active{severity="warning", ' + mv + '})) or vector(0)', "warning", instant=True)],
                       w=4, thr=[("green", None), ("orange", 1)],
                       desc="Warning alerts Vigil is firing now for the selected models; orange from 1."))
    panels.append(stat(lay, "Models monitored", [target(f'count(count by (model, version) (vigil_window_predictions{{{mv}}}))', "models", instant=True)],
                       w=4, color_mode="none",
                       desc="Model versions (of the selection) for which Vigil exports prediction counts."))
    panels.append(stat(lay, "Slices monitored", [target(f'count(vigil_window_predictions{{{mv}, window="$drift_window", bound="estimate"}})', "slices", instant=True)],
                       w=4, color_mode="none",
                       desc="Model version x slice combinations (all, sites, scanners, software, sex, age band...) with "
                            "predictions in the drift window."))
    panels.append(stat(lay, "Predictions in window (all)", [target(f'sum(vigil_window_predictions{{{mv}, slice="all", window="$drift_window", bound="estimate"}})', "n", instant=True)],
                       w=4, color_mode="none",
                       desc="Predictions in the drift window, summed over the selected model versions (slice all)."))

    agg = f"max by ({BY_SLICE})"
    fleet_targets = [
        target(f'{agg} (vigil_window_predictions{{{sel_d}, bound="estimate"}})', ref="A", instant=True, table=True),
        target(f'{agg} (vigil_sensitivity_ratio{{{sel_o}, bound="lower"}})', ref="B", instant=True, table=True),
        target(f'{agg} (vigil_sensitivity_ratio{{{sel_o}, bound="estimate"}})', ref="C", instant=True, table=True),
        target(f'{agg} (vigil_specificity_ratio{{{sel_o}, bound="lower"}})', ref="D", instant=True, table=True),
        target(f'{agg} (vigil_ece_ratio{{{sel_o}, bound="estimate"}})', ref="E", instant=True, table=True),
        target(f'{agg} (vigil_score_psi{{{sel_d}, bound="estimate"}})', ref="F", instant=True, table=True),
        target(f'{agg} (vigil_snapshot_p_value{{{sel_d}, metric="score_psi"}})', ref="G", instant=True, table=True),
        target(f'{agg} (vigil_label_coverage_ratio{{{sel_o}, bound="estimate"}})', ref="H", instant=True, table=True),
        # Zero for slices without alerts, so every row has a value to sort on.
        target(f'sum by ({BY_SLICE}) (max without (instance) (vigil_alerts_active{{{mv}, slice=~"$slice"}})) '
               f'or 0 * {agg} (vigil_window_predictions{{{sel_d}, bound="estimate"}})', ref="I", instant=True, table=True),
    ]
    names = {"Value #A": "Predictions", "Value #B": "Sensitivity lower", "Value #C": "Sensitivity",
             "Value #D": "Specificity lower", "Value #E": "ECE", "Value #F": "Score PSI",
             "Value #G": "PSI p-value", "Value #H": "Label coverage", "Value #I": "Active alerts",
             "slice_value": "Slice value", "slice": "Slice", "model": "Model", "version": "Version"}
    order = ["Model", "Version", "Slice", "Slice value", "Active alerts", "Sensitivity lower", "Sensitivity",
             "Specificity lower", "ECE", "Score PSI", "PSI p-value", "Label coverage", "Predictions"]
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": names,
                                       "indexByName": {k: i for i, k in enumerate(
                                           ["model", "version", "slice", "slice_value", "Value #I", "Value #B", "Value #C",
                                            "Value #D", "Value #E", "Value #F", "Value #G", "Value #H", "Value #A"])}}},
        {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "Active alerts", "desc": True}]}},
    ]
    overrides = [
        colored("Active alerts", [("green", None), ("red", 1)], decimals=0),
        colored("Sensitivity lower", SENS_COLOURS, "percentunit", 1),
        colored("Sensitivity", SENS_COLOURS, "percentunit", 1),
        colored("Specificity lower", SPEC_COLOURS, "percentunit", 1),
        colored("ECE", ECE_COLOURS, "percentunit", 1),
        colored("Score PSI", PSI_COLOURS, "none", 3),
        colored("PSI p-value", P_VALUE_COLOURS, "sci"),
        colored("Label coverage", [("orange", None), ("green", COVERAGE_LOW)], "percentunit", 0),
        {"matcher": {"id": "byName", "options": "Predictions"}, "properties": [{"id": "decimals", "value": 0}]},
    ]
    panels.append(row(lay, "Every model x slice (worst first)"))
    panels.append(table(lay, "Fleet: model x slice", fleet_targets, h=14, transformations=transformations,
                        overrides=overrides, sort_by=("Active alerts", True),
                        desc="One row per model version and slice. Sensitivity/specificity lower = lower bound of the 95% "
                             "interval over the outcome window; ECE, PSI and its p-value over the drift window. Sorted by "
                             "active alerts; click a header to sort by another column. Colours come from Vigil's alert "
                             f"rules: sensitivity green from {txt(SENS_TARGET)}, orange from {txt(SENS_FLOOR)}; specificity "
                             f"green from {txt(SPEC_TARGET)}, orange from {txt(SPEC_FLOOR)}; ECE red from {txt(ECE_LIMIT)}, "
                             f"orange from {txt(ECE_NEAR)}; PSI orange from {txt(PSI_MIN)}; its p-value red up to "
                             f"{txt(PSI_MAX_P)}, green from {txt(PSI_RESOLVE_P)}; label coverage orange below "
                             f"{txt(COVERAGE_LOW)}."))
    # Slices below the minimum n Vigil uses do not compete: their wide intervals would fill the list.
    on_slice = f"on ({BY_SLICE}, window)"
    panels.append(bargauge(lay, "Worst 10 slices: sensitivity lower bound",
                           [target(f'bottomk(10, vigil_sensitivity_ratio{{{sel_o}, bound="lower"}} '
                                   f'and {on_slice} vigil_snapshot_samples{{{sel_o}, metric="sensitivity"}} >= {OUTCOMES_MIN_N})',
                                   "{{model}} {{version}} {{slice}}={{slice_value}}", instant=True)],
                           thr=SENS_COLOURS, min_=0, max_=1,
                           desc=f"The 10 slices whose sensitivity has the lowest lower 95% bound over the outcome window, "
                                f"among slices with n >= {OUTCOMES_MIN_N} for sensitivity (Vigil's outcomes.min-n). Green "
                                f"from the {txt(SENS_TARGET)} target, orange from {txt(SENS_FLOOR)} (the alert's "
                                f"non-inferiority bound), red below."))
    panels.append(bargauge(lay, "Worst 10 slices: score PSI",
                           [target(f'topk(10, vigil_score_psi{{{sel_d}, bound="estimate"}} '
                                   f'and {on_slice} vigil_snapshot_samples{{{sel_d}, metric="score_psi"}} >= {DRIFT_MIN_N})',
                                   "{{model}} {{version}} {{slice}}={{slice_value}}", instant=True)],
                           unit="none", thr=PSI_COLOURS, min_=0,
                           desc=f"The 10 slices with the largest score PSI against the reference over the drift window, "
                                f"among slices with at least {DRIFT_MIN_N} predictions (Vigil's minimum for a drift signal). "
                                f"Orange from {txt(PSI_MIN)} (moderate shift, the drift alert's minimum), red from "
                                f"{txt(PSI_MAJOR_SHIFT)} (major shift)."))
    panels.append(row(lay, "Scanners at the selected sites"))
    sc = f'{mv}, slice="scanner", slice_value=~"$site/.*"'
    scanner_targets = [
        target(f'{agg} (vigil_window_predictions{{{sc}, window="$drift_window", bound="estimate"}})', ref="A", instant=True, table=True),
        target(f'{agg} (vigil_sensitivity_ratio{{{sc}, window="$outcome_window", bound="lower"}})', ref="B", instant=True, table=True),
        target(f'{agg} (vigil_ece_ratio{{{sc}, window="$outcome_window", bound="estimate"}})', ref="C", instant=True, table=True),
        target(f'{agg} (vigil_score_ks_statistic{{{sc}, window="$drift_window", bound="estimate"}})', ref="D", instant=True, table=True),
        target(f'{agg} (vigil_score_ks_statistic{{{sc}, window="$drift_window", bound="upper"}})', ref="E", instant=True, table=True),
        target(f'{agg} (vigil_acquisition_change{{{sc}, window="$drift_window", bound="estimate"}})', ref="F", instant=True, table=True),
    ]
    names2 = {"Value #A": "Predictions", "Value #B": "Sensitivity lower", "Value #C": "ECE",
              "Value #D": "Score KS", "Value #E": "KS critical", "Value #F": "New setup",
              "slice_value": "Scanner", "model": "Model", "version": "Version"}
    panels.append(table(lay, "Scanners", scanner_targets, h=10,
                        transformations=[{"id": "merge", "options": {}},
                                         {"id": "organize", "options": {"excludeByName": {"Time": True, "slice": True},
                                                                        "renameByName": names2}},
                                         {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "Sensitivity lower", "desc": False}]}}],
                        overrides=[colored("Sensitivity lower", SENS_COLOURS, "percentunit", 1),
                                   colored("ECE", ECE_COLOURS, "percentunit", 1),
                                   colored("New setup", [("green", None), ("blue", 1)], decimals=0),
                                   {"matcher": {"id": "byName", "options": "Predictions"}, "properties": [{"id": "decimals", "value": 0}]}],
                        sort_by=("Sensitivity lower", False),
                        desc="Scanner slices are site-qualified (S01/CT-07). KS above its critical value means the score "
                             "distribution differs from the reference at alpha 0.05."))
    variables = model_vars(multi=True) + site_scanner_vars(multi=True) + [
        custom_var("slice", "Slice", SLICES, "All", multi=True, include_all=True, all_value=".*"),
        window_var("drift_window", "Drift window", "vigil_window_predictions", "7d"),
        window_var("outcome_window", "Outcome window", "vigil_window_labelled", "30d"),
    ]
    variables[4]["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
    return dashboard("vigil-fleet", "Vigil / Fleet overview",
                     "Every model version x slice at a glance, worst first, with status colours.",
                     variables, panels, ["fleet"])


# ---------------------------------------------------------------- drill-down

def drilldown():
    lay = Layout()
    mv = 'model="$model", version="$version"'
    panels = []
    all_o = f'{mv}, slice="all", slice_value="all", window="$outcome_window"'
    all_d = f'{mv}, slice="all", slice_value="all", window="$drift_window"'
    for dim, var in (("scanner", "$scanner"), ("site", "$site")):
        so = f'{mv}, slice="{dim}", slice_value="{var}", window="$outcome_window"'
        sd = f'{mv}, slice="{dim}", slice_value="{var}", window="$drift_window"'
        panels.append(row(lay, f"{dim.capitalize()} {var} (band: 95% interval; dashed: all slices)"))
        panels.append(band(lay, f"Sensitivity: {dim} {var}", "vigil_sensitivity_ratio", so, reference=all_o, w=8, min_=0, max_=1,
                           thr=[("green", None), ("red", SENS_TARGET)],
                           desc=f"Sensitivity of this {dim} over the outcome window: the line is the estimate, the band its "
                                f"95% interval, dashed the all-slices estimate. The dashed red line is the {txt(SENS_TARGET)} target; the "
                                "alert needs the whole band below it."))
        panels.append(band(lay, f"Specificity: {dim} {var}", "vigil_specificity_ratio", so, reference=all_o, w=8, min_=0, max_=1,
                           desc=f"Specificity of this {dim} over the outcome window with its 95% interval (band) and the "
                                f"all-slices estimate (dashed); the alert needs the whole band below the {txt(SPEC_TARGET)} target."))
        panels.append(band(lay, f"AUC: {dim} {var}", "vigil_auc_ratio", so, reference=all_o, w=8, min_=0.5, max_=1,
                           desc=f"Area under the ROC curve of this {dim} with its DeLong 95% interval (band) and the "
                                "all-slices AUC (dashed); 0.5 is chance. It does not depend on the threshold."))
        panels.append(band(lay, f"ECE: {dim} {var}", "vigil_ece_ratio", so, reference=all_o, w=8, min_=0,
                           unit="percentunit", thr=[("green", None), ("red", ECE_LIMIT)],
                           desc=f"Debiased ECE with its conservative 95% interval; the alert needs the lower bound above {txt(ECE_LIMIT)}."))
        panels.append(band(lay, f"Positive rate: {dim} {var}", "vigil_positive_rate_ratio", sd, reference=all_d, w=8, min_=0,
                           desc=f"Share of this {dim}'s predictions at or above the threshold over the drift window, with "
                                "its 95% interval; needs no labels, so it moves first when inputs or the case mix change."))
        panels.append(band(lay, f"Estimated sensitivity (no labels): {dim} {var}", "vigil_estimated_sensitivity_ratio", sd,
                           reference=all_d, w=8, min_=0, max_=1,
                           desc="Confidence-based performance estimation (CBPE) from calibrated scores while labels are "
                                "pending, with its 95% interval; only as good as the calibration it relies on."))
        panels.append(timeseries(lay, f"Sample sizes: {dim} {var}",
                                 [target(f'vigil_snapshot_samples{{{so}, metric=~"sensitivity|specificity|ece"}}', "{{metric}} (outcome window)", "A"),
                                  target(f'vigil_window_predictions{{{sd}, bound="estimate"}}', "predictions (drift window)", "B")],
                                 unit="short", w=24, h=6,
                                 desc=f"The n behind the bands above: cases per metric over the outcome window and "
                                      f"predictions over the drift window. Alerts need n >= {SENS_MIN_N} for sensitivity, "
                                      f"{SPEC_MIN_N} for specificity, {ECE_MIN_N} for ECE; small n means wide bands."))
    variables = model_vars() + site_scanner_vars() + [
        window_var("drift_window", "Drift window", "vigil_window_predictions", "7d"),
        window_var("outcome_window", "Outcome window", "vigil_window_labelled", "30d"),
    ]
    return dashboard("vigil-drilldown", "Vigil / Site and scanner drill-down",
                     "One site and one of its scanners against all slices, every metric with its 95% interval.",
                     variables, panels, ["drilldown"])


# ---------------------------------------------------------------- calibration

def calibration():
    lay = Layout()
    s = 'model="$model", version="$version", slice="$slice", slice_value="$slice_value", window="$window"'
    panels = [row(lay, "Reliability diagram (latest)")]
    rel = [
        target(f'max by (bin) (vigil_reliability_mean_score{{{s}, bound="estimate"}})', ref="A", instant=True, table=True),
        target(f'max by (bin) (vigil_reliability_observed_ratio{{{s}, bound="estimate"}})', ref="B", instant=True, table=True),
        target(f'max by (bin) (vigil_reliability_observed_ratio{{{s}, bound="lower"}})', ref="C", instant=True, table=True),
        target(f'max by (bin) (vigil_reliability_observed_ratio{{{s}, bound="upper"}})', ref="D", instant=True, table=True),
    ]
    rename = {"Value #A": "Mean score", "Value #B": "Observed positive rate", "Value #C": "Observed lower",
              "Value #D": "Observed upper", "bin": "Bin"}
    bar = {"type": "barchart", "title": "Reliability: observed positive rate vs mean score per bin",
           "description": "A calibrated model has equal bars in every bin. Bins are 10 equal-width score bins.",
           "id": lay.pid(), "datasource": DS, "gridPos": lay.place(14, 10),
           "targets": rel[:2],
           "transformations": [{"id": "merge", "options": {}},
                               {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": rename}},
                               {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "Bin", "desc": False}]}}],
           "fieldConfig": {"defaults": {"unit": "percentunit", "min": 0, "max": 1, "custom": {"fillOpacity": 80}},
                           "overrides": []},
           "options": {"xField": "Bin", "orientation": "vertical", "groupWidth": 0.7, "barWidth": 0.9,
                       "showValue": "never", "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                       "tooltip": {"mode": "multi"}}}
    panels.append(bar)
    panels.append(table(lay, "Reliability bins with 95% interval of the observed rate", rel, w=10, h=10,
                        transformations=[{"id": "merge", "options": {}},
                                         {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": rename}},
                                         {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "Bin", "desc": False}]}}],
                        unit="percentunit",
                        desc="Per score bin: mean score, observed positive rate and the 95% interval of the observed rate. "
                             "A bin is miscalibrated when its interval excludes its mean score."))
    panels.append(row(lay, "Calibration over time (band: 95% interval where Vigil exports one)"))
    panels.append(band(lay, "Expected calibration error (ECE)", "vigil_ece_ratio", s, unit="percentunit",
                       thr=[("green", None), ("red", ECE_LIMIT)], min_=0,
                       desc=f"ECE over 10 bins, debiased (the plug-in ECE is biased upward), with a conservative 95% "
                            f"interval; the alert fires when the lower bound is above {txt(ECE_LIMIT)} with n >= {ECE_MIN_N}."))
    panels.append(band(lay, "Observed / expected positives", "vigil_observed_expected_ratio", s, unit="none",
                       thr=[("red", None), ("green", OE_LOW), ("red", OE_HIGH)],
                       desc=f"Calibration in the large: 1 is ideal; above 1 the model under-predicts risk. The alert needs "
                            f"the band outside {txt(OE_LOW)}..{txt(OE_HIGH)} (dashed) in the 7d and the 30d windows."))
    panels.append(band(lay, "Calibration slope (ideal 1)", "vigil_calibration_slope", s, unit="none", w=8,
                       thr=[("red", None), ("green", SLOPE_LOW), ("red", SLOPE_HIGH)],
                       desc=f"Slope of the logistic recalibration with its 95% interval: below 1 the scores are too "
                            f"extreme (overconfident), above 1 too timid. The alert needs the band outside "
                            f"{txt(SLOPE_LOW)}..{txt(SLOPE_HIGH)} (dashed)."))
    panels.append(band(lay, "Calibration intercept, slope free (ideal 0)", "vigil_calibration_intercept", s, unit="none",
                       w=8, desc="Intercept of the logistic recalibration with the slope free, with its 95% interval "
                                 "(band); read it together with the slope."))
    panels.append(band(lay, "Calibration-in-the-large, slope fixed at 1 (ideal 0)", "vigil_calibration_in_the_large", s,
                       unit="none", w=8, desc="Below 0: predicted probabilities too high overall; above 0: too low."))
    panels.append(timeseries(lay, "Maximum calibration error (MCE)",
                             [target(f'vigil_mce_ratio{{{s}, bound="estimate"}}', "estimate", "A")],
                             unit="percentunit", w=8, min_=0, desc="A point estimate (no interval)."))
    panels.append(band(lay, "Brier score", "vigil_brier_score", s, unit="none", min_=0,
                       desc="Mean squared error of the predicted probability with its 95% interval (band); lower is "
                            "better, and it rises with both miscalibration and lost discrimination."))
    panels.append(timeseries(lay, "Brier decomposition (Murphy)", [
        target(f'vigil_brier_reliability{{{s}, bound="estimate"}}', "reliability (lower is better)", "A"),
        target(f'vigil_brier_resolution{{{s}, bound="estimate"}}', "resolution (higher is better)", "B"),
        target(f'vigil_brier_uncertainty{{{s}, bound="estimate"}}', "uncertainty", "C"),
        target(f'vigil_log_loss{{{s}, bound="estimate"}}', "log loss", "D"),
    ], unit="none", desc="Murphy decomposition over 10 bins: Brier = reliability - resolution + uncertainty. Rising "
                         "reliability is miscalibration, falling resolution lost discrimination; uncertainty follows "
                         "prevalence. Log loss for comparison."))
    variables = model_vars() + [window_var("window", "Outcome window", "vigil_window_labelled", "30d")] + slice_vars("vigil_window_labelled")
    return dashboard("vigil-calibration", "Vigil / Calibration",
                     "Reliability bins, ECE, observed/expected, calibration slope and intercept, Brier decomposition.",
                     variables, panels, ["calibration"])


# ---------------------------------------------------------------- drift

def drift():
    lay = Layout()
    mv = 'model="$model", version="$version"'
    s = f'{mv}, slice="$slice", slice_value="$slice_value", window="$window"'
    panels = [row(lay, "Score distribution against the reference")]
    panels.append(timeseries(lay, "Score PSI", [target(f'vigil_score_psi{{{s}, bound="estimate"}}', "PSI", "A")],
                             unit="none", w=8, min_=0, thr=PSI_COLOURS, thr_style="dashed",
                             desc=f"Population stability index of the scores over the reference deciles; dashed lines at "
                                  f"{txt(PSI_MIN)} (moderate shift) and {txt(PSI_MAJOR_SHIFT)} (major shift). Read it "
                                  f"with its p-value (next panel)."))
    panels.append(timeseries(lay, "PSI p-value (log scale)", [target(f'vigil_snapshot_p_value{{{s}, metric="score_psi"}}', "p-value", "A")],
                             unit="sci", w=8, log=True, thr=[("red", None), ("green", PSI_MAX_P)], thr_style="dashed",
                             desc=f"p-value of PSI under its chi-square null; the alert needs p <= {txt(PSI_MAX_P)}, PSI >= "
                                  f"{txt(PSI_MIN)} and n >= {PSI_RULE_MIN_N} in the 7d and the 30d windows."))
    panels.append(timeseries(lay, "KS distance vs critical value", [
        target(f'vigil_score_ks_statistic{{{s}, bound="estimate"}}', "KS distance", "A"),
        target(f'vigil_score_ks_statistic{{{s}, bound="upper"}}', "critical value (alpha 0.05)", "B")],
        unit="none", w=8, min_=0,
        overrides=[{"matcher": {"id": "byName", "options": "critical value (alpha 0.05)"},
                    "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                   {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}],
        desc="Kolmogorov-Smirnov distance between window and reference scores; dashed red is the sketch-aware "
             "critical value at alpha 0.05: above it the two distributions differ."))
    panels.append(timeseries(lay, "Jensen-Shannon distance", [target(f'vigil_score_js_distance{{{s}, bound="estimate"}}', "JS distance", "A")],
                             unit="none", w=8, min_=0,
                             desc="Jensen-Shannon distance (base 2: 0 identical, 1 disjoint) between window and "
                                  "reference scores over the reference deciles."))
    panels.append(timeseries(lay, "Wasserstein-1 distance", [target(f'vigil_score_wasserstein{{{s}, bound="estimate"}}', "Wasserstein", "A")],
                             unit="none", w=8, min_=0,
                             desc="Wasserstein-1 (earth mover's) distance between window and reference scores, in score "
                                  "units: how far the scores moved on average."))
    panels.append(band(lay, "Mean score", "vigil_score_mean", s, unit="none", w=8,
                       desc="Mean score in the window with its 95% interval (band)."))
    panels.append(row(lay, "Decisions and model outputs (band: 95% interval)"))
    panels.append(band(lay, "Positive rate", "vigil_positive_rate_ratio", s, w=8, min_=0,
                       desc="Share of predictions at or above the threshold with its 95% interval (band); a shift "
                            "without a change in prevalence points to input drift."))
    panels.append(band(lay, "Abstention rate", "vigil_abstention_rate_ratio", s, w=8, min_=0,
                       desc="Share of predictions where the model abstained, with its 95% interval (band)."))
    panels.append(band(lay, "Mean uncertainty", "vigil_uncertainty_mean", s, unit="none", w=8, min_=0,
                       desc="Mean uncertainty the model reported, with its 95% interval (band); rising uncertainty "
                            "often precedes drift in the scores."))
    panels.append(timeseries(lay, "Predictions in window", [target(f'vigil_window_predictions{{{s}, bound="estimate"}}', "predictions", "A")],
                             unit="short", w=24, h=6,
                             desc=f"Predictions in the selected window and slice: the n behind every drift statistic "
                                  f"on this dashboard (drift alerts need n >= {'-'.join(map(str, DRIFT_RULES_MIN_N))})."))
    panels.append(row(lay, "Inputs, acquisition and attributes"))
    panels.append(table(lay, "Features against the reference (latest)", [
        target(f'max by (feature) (vigil_feature_psi{{{s}, bound="estimate"}})', ref="A", instant=True, table=True),
        target(f'max by (feature) (vigil_feature_ks_statistic{{{s}, bound="estimate"}})', ref="B", instant=True, table=True),
        target(f'max by (feature) (vigil_feature_ks_statistic{{{s}, bound="upper"}})', ref="C", instant=True, table=True),
        target(f'max by (feature) (vigil_feature_missing_rate_ratio{{{s}, bound="estimate"}})', ref="D", instant=True, table=True),
        target(f'max by (feature) (vigil_feature_mean{{{s}, bound="estimate"}})', ref="E", instant=True, table=True)],
        w=12, h=9,
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": {
                             "feature": "Feature", "Value #A": "PSI", "Value #B": "KS", "Value #C": "KS critical",
                             "Value #D": "Missing", "Value #E": "Mean"}}},
                         {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "PSI", "desc": True}]}}],
        overrides=[colored("PSI", PSI_COLOURS, "none", 3),
                   {"matcher": {"id": "byName", "options": "Missing"}, "properties": [{"id": "unit", "value": "percentunit"}]}],
        desc="Per input feature, latest PSI, KS distance and its critical value, missing rate and mean against the "
             f"reference, sorted by PSI (orange from {txt(PSI_MIN)}, red from {txt(PSI_MAJOR_SHIFT)}). KS above its "
             "critical value: the feature moved."))
    panels.append(timeseries(lay, "Feature PSI", [target(f'vigil_feature_psi{{{s}, bound="estimate"}}', "{{feature}}", "A")],
                             unit="none", w=12, h=9, min_=0,
                             desc=f"PSI of each input feature against the reference over time; {txt(PSI_MIN)} is a "
                                  f"moderate, {txt(PSI_MAJOR_SHIFT)} a major shift."))
    panels.append(timeseries(lay, "Attribute chi-square", [target(f'vigil_attribute_chi_square{{{s}, bound="estimate"}}', "{{attribute}}", "A")],
                             unit="none", w=12, min_=0,
                             desc="Pearson chi-square of each categorical attribute's distribution against the "
                                  "reference; larger means a bigger change in the mix (e.g. protocols)."))
    panels.append(table(lay, "New acquisition setups (absent from the reference)", [
        target(f'vigil_acquisition_change{{{mv}, window="$window", bound="estimate"}} == 1', instant=True, table=True)],
        w=12, h=8, transformations=[{"id": "organize", "options": {"excludeByName": {
            "Time": True, "__name__": True, "bound": True, "Value": True, "model": True, "version": True,
            "job": True, "instance": True}}}],
        desc="Scanner, scanner model or software version first seen after the reference was built "
             "(vigil_acquisition_change = 1): validate the model on it before trusting its numbers."))
    variables = model_vars() + [window_var("window", "Drift window", "vigil_window_predictions", "7d")] + slice_vars("vigil_window_predictions")
    return dashboard("vigil-drift", "Vigil / Drift",
                     "Score and input drift against the reference profile: PSI, KS, JS, Wasserstein, rates with 95% bands.",
                     variables, panels, ["drift"], time_from="now-14d")


# ---------------------------------------------------------------- label maturity

def labels():
    lay = Layout()
    mv = 'model="$model", version="$version"'
    s = f'{mv}, slice="$slice", slice_value="$slice_value", window="$window"'
    panels = [row(lay, "Coverage and verification bias")]
    panels.append(band(lay, "Label coverage", "vigil_label_coverage_ratio", s, w=8, min_=0, max_=1,
                       desc="Share of the window's predictions that have ground truth, with its 95% interval (band); "
                            "a cohort's metrics stay provisional until coverage reaches 0.8 (outcomes.maturity-coverage)."))
    panels.append(timeseries(lay, "Label coverage per predicted class", [
        target(f'vigil_label_coverage_predicted_positive_ratio{{{s}, bound="estimate"}}', "predicted positive", "A"),
        target(f'vigil_label_coverage_predicted_negative_ratio{{{s}, bound="estimate"}}', "predicted negative", "B")],
        unit="percentunit", w=8, min_=0, max_=1,
        desc="Labels usually arrive mostly for predicted positives; a large gap biases sensitivity and NPV."))
    panels.append(table(lay, "Slices with verification bias", [
        target(f'vigil_verification_bias{{{mv}, window="$window", bound="estimate"}} == 1', instant=True, table=True)],
        w=8, h=8, transformations=[{"id": "organize", "options": {"excludeByName": {
            "Time": True, "__name__": True, "bound": True, "Value": True, "model": True, "version": True,
            "job": True, "instance": True}}}],
        desc=f"Slices where label coverage among predicted negatives is below half the coverage among predicted "
             f"positives (each class with n >= {OUTCOMES_MIN_N}): sensitivity and NPV measured there are biased."))
    panels.append(row(lay, "Delay and maturity"))
    panels.append(timeseries(lay, "Label delay quantiles", [
        target(f'vigil_label_delay_seconds{{{s}, bound="estimate"}}', "q{{quantile}}", "A")], unit="s", w=8, min_=0,
        desc="Quantiles of the time from prediction to ground truth; a window's metrics mature only after about "
             "the upper quantile has passed."))
    panels.append(timeseries(lay, "Labelled cases and predictions", [
        target(f'vigil_window_labelled{{{s}, bound="estimate"}}', "labelled", "A"),
        target(f'vigil_window_predictions{{{s}, bound="estimate"}}', "predictions", "B")], unit="short", w=8,
        desc="Predictions in the window's cohorts and how many of them have a label; the gap is labels still to come."))
    panels.append(band(lay, "Prevalence among labelled", "vigil_prevalence_ratio", s, w=8, min_=0,
                       desc="Share of labelled cases that are positive, with its 95% interval (band); a change moves "
                            "PPV and NPV even when sensitivity and specificity hold."))
    panels.append(table(lay, "Provisional vs final (per metric, this slice)", [
        target(f'vigil_snapshot_final{{{mv}, slice="$slice", slice_value="$slice_value"}}', instant=True, table=True),
        target(f'vigil_snapshot_samples{{{mv}, slice="$slice", slice_value="$slice_value"}}', instant=True, table=True, ref="B")],
        w=12, h=10,
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {"excludeByName": {"Time": True, "model": True, "version": True, "slice": True, "slice_value": True},
                                                        "renameByName": {"Value #A": "Final", "Value #B": "n"}}},
                         {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "Final", "desc": False}]}}],
        overrides=[{"matcher": {"id": "byName", "options": "Final"},
                    "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
                        "0": {"text": "provisional", "color": "orange"}, "1": {"text": "final", "color": "green"}}}]},
                                   {"id": "custom.cellOptions", "value": {"type": "color-text"}}]}],
        desc="A cohort's metrics are provisional until its label coverage has matured. At Vigil's defaults /metrics "
             "carries the status of metric=labelled only (every outcome metric of a window shares it) and n for the "
             "metrics an alert rule gates on; every metric's with metrics.detail=true."))
    panels.append(timeseries(lay, "Share of final snapshots per window", [
        target(f'avg by (window) (vigil_snapshot_final{{{mv}, slice="$slice", slice_value="$slice_value"}})', "{{window}}", "A")],
        unit="percentunit", w=12, h=10, min_=0, max_=1,
        desc="Share of this slice's metrics whose labels have matured (final), per window; short windows hold the "
             "newest cohorts, whose labels are still arriving."))
    panels.append(row(lay, "Prevalence against the reference"))
    panels.append(band(lay, "Prevalence shift: observed minus reference", "vigil_prevalence_shift", s,
                       unit="percentunit", thr=[("red", None), ("green", PREVALENCE_SHIFT_LOW),
                                                ("red", PREVALENCE_SHIFT_HIGH)],
                       desc=f"Observed prevalence minus the reference profile's (claimed, else its labelled share), with "
                            f"Newcombe's 95% interval (band). The alert needs the band outside "
                            f"{txt(PREVALENCE_SHIFT_LOW)}..{txt(PREVALENCE_SHIFT_HIGH)} (dashed) in the 7d and the 30d "
                            f"windows with n >= {PREVALENCE_SHIFT_MIN_N}. No series: the profile gives no prevalence."))
    panels.append(timeseries(lay, "PPV and NPV: observed vs at the reference prevalence", [
        target(f'vigil_ppv_ratio{{{s}, bound="estimate"}}', "PPV observed", "A"),
        target(f'vigil_ppv_at_reference_prevalence_ratio{{{s}, bound="estimate"}}', "PPV at reference prevalence", "B"),
        target(f'vigil_npv_ratio{{{s}, bound="estimate"}}', "NPV observed", "C"),
        target(f'vigil_npv_at_reference_prevalence_ratio{{{s}, bound="estimate"}}', "NPV at reference prevalence",
               "D")], unit="percentunit", min_=0, max_=1,
        desc="PPV and NPV as users meet them (at the observed prevalence) next to the same sensitivity and "
             "specificity at the reference prevalence (Bayes). Observed moved, reference-prevalence held: the "
             "population changed, not the model."))
    panels.append(row(lay, "Label-free estimates vs realised"))
    panels.append(timeseries(lay, "Sensitivity: estimated (no labels) vs realised", [
        target(f'vigil_estimated_sensitivity_ratio{{{s}, bound="estimate"}}', "estimated (CBPE)", "A"),
        target(f'vigil_sensitivity_ratio{{{s}, bound="estimate"}}', "realised", "B")], unit="percentunit", min_=0, max_=1,
        desc="Sensitivity estimated from calibrated scores (CBPE, no labels) next to the sensitivity measured from "
             "labels; a lasting gap means the calibration the estimate relies on has drifted."))
    variables = model_vars() + [window_var("window", "Outcome window", "vigil_window_labelled", "30d")] + slice_vars("vigil_window_labelled")
    return dashboard("vigil-labels", "Vigil / Label maturity",
                     "How far ground truth has arrived: coverage per predicted class, verification bias, delay, provisional vs final.",
                     variables, panels, ["labels"], time_from="now-90d")


# ---------------------------------------------------------------- stability

def stability():
    lay = Layout()
    mv = 'model="$model", version="$version"'
    s = f'{mv}, slice="$slice", slice_value="$slice_value", window="$window"'
    panels = [row(lay, "Repeat studies")]
    panels.append(band(lay, "Decision flip rate on repeat studies", "vigil_flip_rate_ratio", s, min_=0,
                       thr=[("green", None), ("red", FLIP_LIMIT)],
                       desc=f"Share of repeat studies of the same subject whose decision flipped, with its 95% interval "
                            f"(band); the dashed red line is the {txt(FLIP_LIMIT)} limit, the alert needs the whole band "
                            f"above it with at least {FLIP_MIN_N} pairs."))
    panels.append(timeseries(lay, "Absolute score change between repeat studies", [
        target(f'vigil_score_change{{{s}, bound="estimate"}}', "q{{quantile}}", "A")], unit="none", min_=0,
        desc="Quantiles of the absolute score change between repeat studies of the same subject; a rising upper "
             "quantile means unstable outputs even where decisions have not flipped yet."))
    panels.append(timeseries(lay, "Repeat pairs (n)", [
        target(f'vigil_snapshot_samples{{{s}, metric="flip_rate"}}', "pairs", "A")], unit="short", w=24, h=5,
        desc=f"Repeat-study pairs behind the flip rate; below {FLIP_MIN_N} the flip-rate alert does not fire."))
    panels.append(row(lay, "Sequential change detection (CUSUM)"))
    panels.append(timeseries(lay, "CUSUM statistic vs alarm threshold", [
        target(f'vigil_cusum_statistic{{{mv}, slice="$slice", slice_value="$slice_value", bound="estimate"}}', "{{series}} ({{window}})", "A"),
        target(f'vigil_cusum_statistic{{{mv}, slice="$slice", slice_value="$slice_value", bound="upper"}}', "{{series}} threshold", "B")],
        unit="none", w=16, h=9, min_=0,
        overrides=[{"matcher": {"id": "byRegexp", "options": ".* threshold"},
                    "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                   {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}],
        desc="Alarm when the statistic crosses its threshold h (tuned to a stated average run length)."))
    panels.append(table(lay, "CUSUM in alarm (all slices)", [
        target(f'vigil_cusum_alarm{{{mv}, bound="estimate"}} == 1', instant=True, table=True)],
        w=8, h=9, transformations=[{"id": "organize", "options": {"excludeByName": {
            "Time": True, "__name__": True, "bound": True, "Value": True, "model": True, "version": True,
            "job": True, "instance": True}}}],
        desc="CUSUM series in alarm now, over every slice of this model version (vigil_cusum_alarm = 1); the alert "
             "VigilCusumAlarm fires for the acquisition slices (all, site, scanner, scanner model, software)."))
    variables = model_vars() + [window_var("window", "Window", "vigil_flip_rate_ratio", "30d")] + slice_vars("vigil_window_predictions")
    return dashboard("vigil-stability", "Vigil / Stability",
                     "Flip rate and score change on repeat studies, CUSUM statistics against their thresholds.",
                     variables, panels, ["stability"])


# ---------------------------------------------------------------- alerts and pipeline

def alerts_pipeline():
    lay = Layout()
    m = 'model=~"$model"'
    hidden = {"Time": True, "__name__": True, "job": True, "instance": True}
    panels = [row(lay, "Alerts and incidents")]
    panels.append(stat(lay, "Vigil up", [target('min(up{})', "up", instant=True)], w=4,
                       thr=[("red", None), ("green", 1)],
                       mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}],
                       desc="Prometheus scrape of /metrics; readiness (/health/ready) follows the stream state."))
    panels.append(stat(lay, "Stream state", [target('max(kafka_stream_client_state{})', "state", instant=True)], w=4,
                       thr=[("red", None)], mappings=STATE_MAPPINGS,
                       desc="KafkaStreams state; /health/ready answers 200 only while RUNNING."))
    for severity, colour in (("critical", "red"), ("warning", "orange"), ("info", "blue")):
        panels.append(stat(lay, severity.capitalize(), [target(
            f'sum(max without (instance) (vigil_alerts_active{{severity="{severity}", {m}}})) or vector(0)', severity,
            instant=True)], w=4, thr=[("green", None), (colour, 1)],
            desc=f"Alerts of severity {severity} firing now (Vigil's own rules, vigil_alerts_active), across instances."))
    panels.append(stat(lay, "Webhook failures (time range)", [target(
        'sum(increase(vigil_webhook_deliveries_total{outcome!~"delivered|success|ok"}[$__range])) or vector(0)',
        "failures", instant=True)], w=4, thr=[("green", None), ("orange", 1)],
        desc="Webhook deliveries over the dashboard's time range that were not delivered (retried, dropped or the "
             "endpoint disabled after a 410); retries are normal, drops lose a notification."))
    runbook_link = {"title": "Runbook for ${__data.fields.rule}", "url": "${vigil_url}/runbooks/${__data.fields.rule}",
                    "targetBlank": True}
    incident_links = [{"title": "Incident runbook", "url": "${vigil_url}/runbooks/VigilIncident", "targetBlank": True},
                      {"title": "Open incidents in Vigil (/api/incidents)", "url": "${vigil_url}/api/incidents",
                       "targetBlank": True}]
    panels.append(table(lay, "Open incidents", [
        target(f'max without (instance) (vigil_incidents_active{{{m}}}) > 0', instant=True, table=True)], h=7,
        transformations=[{"id": "organize", "options": {
            "excludeByName": dict(hidden, Value=True),
            "indexByName": {"severity": 0, "incident": 1, "model": 2, "version": 3, "root": 4, "root_value": 5},
            "renameByName": {"root": "root slice", "root_value": "root value"}}}],
        overrides=[{"matcher": {"id": "byName", "options": "incident"},
                    "properties": [{"id": "links", "value": incident_links}]}],
        sort_by=("severity", False),
        desc="Incidents group alerts by root cause: one change (a scanner's software update can fire twenty alerts) "
             "is one incident, rooted at the smallest slice that explains all its alerts, with the severity of its "
             "worst alert (vigil_incidents_active, 1 per open incident). Act on the root; vigil_alerts_active has an "
             "incident label, so the Active alerts table below shows which alerts belong to which incident."))
    panels.append(table(lay, "Active alerts", [
        target(f'max without (instance) (vigil_alerts_active{{{m}}}) > 0', instant=True, table=True)], h=9,
        transformations=[{"id": "organize", "options": {
            "excludeByName": hidden,
            "indexByName": {"severity": 0, "rule": 1, "incident": 2, "model": 3, "version": 4, "slice": 5,
                            "slice_value": 6, "Value": 7},
            "renameByName": {"Value": "firing"}}}],
        overrides=[{"matcher": {"id": "byName", "options": "rule"}, "properties": [{"id": "links", "value": [runbook_link]}]},
                   {"matcher": {"id": "byName", "options": "firing"}, "properties": [{"id": "decimals", "value": 0}]}],
        sort_by=("severity", False),
        desc="Every alert Vigil is firing now (vigil_alerts_active > 0; firing counts alerts with the same labels, "
             "e.g. one rule over two windows). incident is the open incident the alert belongs to (none before one "
             "forms). Click a rule for its runbook."))
    panels.append(timeseries(lay, "Active alerts by severity", [
        target(f'sum by (severity) (max without (instance) (vigil_alerts_active{{{m}}}))', "{{severity}}", "A")],
        unit="short", stack=True,
        desc="Firing alerts over time, stacked by severity; a step up with many alerts at once is usually one "
             "incident (see Open incidents)."))
    panels.append(timeseries(lay, "Webhook deliveries by outcome", [
        target('sum by (endpoint, outcome) (rate(vigil_webhook_deliveries_total{}[$__rate_interval]))',
               "{{endpoint}} {{outcome}}", "A")],
        unit="reqps",
        desc="Webhook delivery attempts per second by endpoint and outcome (delivered, retried, dropped, disabled). "
             "Deliveries are durable: a receiver that is down is retried, not lost, until the retry horizon."))
    panels.append(row(lay, "Ingest"))
    panels.append(timeseries(lay, "Records by stream and outcome", [
        target('sum by (stream, outcome) (rate(vigil_ingest_records_total{}[$__rate_interval]))',
               "{{stream}} {{outcome}}", "A")], unit="rps", w=8,
        desc="Records read per second from the predictions and ground-truth topics, by outcome: received = "
             "accepted + dead_lettered + dropped. Summed over instances."))
    panels.append(timeseries(lay, "Dead letters by reason", [
        target('sum by (stream, reason) (rate(vigil_ingest_records_total{outcome="dead_lettered"}[$__rate_interval]))',
               "{{stream}} {{reason}}", "A")],
        unit="rps", w=8,
        desc="Records sent to the dead-letter topic per second, by stream and validation reason; the reason names "
             "the field or rule a producer broke."))
    panels.append(timeseries(lay, "Dead-letter share", [
        target('sum by (stream) (rate(vigil_ingest_records_total{outcome="dead_lettered"}[$__rate_interval])) '
               '/ sum by (stream) (rate(vigil_ingest_records_total{}[$__rate_interval]))', "{{stream}}", "A")],
        unit="percentunit", w=8, min_=0, thr=[("green", None), ("red", DEAD_LETTER_LIMIT)], thr_style="dashed",
        desc=f"Share of each stream's records that were dead-lettered; the dashed red line is the "
             f"{pct(DEAD_LETTER_LIMIT)} of VigilDeadLetterShareHigh (which needs the share's 95% interval above it "
             f"with at least {DEAD_LETTER_MIN_N} records)."))
    panels.append(row(lay, "Kafka Streams and JVM"))
    panels.append(timeseries(lay, "Stream thread process rate", [
        target('sum by (instance, thread_id) (kafka_stream_thread_process_rate{})', "{{instance}} {{thread_id}}", "A")],
        unit="rps", w=8,
        desc="Records processed per second by each Kafka Streams thread; zero while input arrives means a stuck thread."))
    panels.append(timeseries(lay, "Consumer lag (max records)", [
        target('max by (instance, client_id) (kafka_consumer_fetch_manager_records_lag_max{})', "{{instance}} {{client_id}}", "A")],
        unit="short", w=8, min_=0,
        desc="Largest consumer lag in records per client: a lag that keeps growing means Vigil is falling behind its "
             "input (VigilConsumerLagHigh) and every metric is late."))
    panels.append(timeseries(lay, "Alive stream threads", [
        target('sum by (instance) (kafka_stream_alive_stream_threads{})', "{{instance}}", "A")], unit="short", w=8, min_=0,
        desc="Kafka Streams threads alive per instance; fewer than configured means a thread died."))
    panels.append(timeseries(lay, "JVM heap", [
        target('sum by (instance) (jvm_memory_used_bytes{area="heap"})', "{{instance}} used", "A"),
        target('sum by (instance) (jvm_memory_max_bytes{area="heap"})', "{{instance}} max", "B")], unit="bytes", w=8,
        desc="Heap used against its maximum per instance; used staying near max after collections means the heap "
             "is too small."))
    panels.append(timeseries(lay, "Process CPU", [
        target('process_cpu_usage{}', "{{instance}}", "A")], unit="percentunit", w=8, min_=0,
        desc="CPU used by each Vigil process, as a share of the CPUs available to it."))
    panels.append(timeseries(lay, "Scrape up", [target('up{}', "{{instance}}", "A")], unit="short", w=8, min_=0, max_=1,
                             desc="1 while Prometheus scrapes the instance successfully, 0 when the scrape fails "
                                  "(VigilDown fires after a while)."))
    variables = [query_var("model", "Model", "label_values(vigil_window_predictions{}, model)",
                           multi=True, include_all=True, all_value=".*")]
    return dashboard("vigil-alerts-pipeline", "Vigil / Alerts and pipeline health",
                     "Open incidents and active alerts with their runbooks, webhook delivery, ingest and dead letters, "
                     "Kafka Streams and JVM health.",
                     variables, panels, ["alerts", "pipeline"], time_from="now-6h", refresh="30s")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fn in [("fleet", fleet), ("drilldown", drilldown), ("calibration", calibration), ("drift", drift),
                     ("labels", labels), ("stability", stability), ("alerts-pipeline", alerts_pipeline)]:
        path = OUT / f"vigil-{name}.json"
        path.write_text(json.dumps(fn(), indent=2) + "\n")
        print(path)


if __name__ == "__main__":
    main()
