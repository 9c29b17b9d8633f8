#!/usr/bin/env python3
"""Generates the provisioned Grafana dashboards in dashboards/grafana/dashboards/*.json.

The JSON files are the source Grafana reads and DashboardsTest checks; this script only keeps them
consistent (one datasource uid, one way of drawing a confidence band). Run it after editing:
    python3 dashboards/grafana/generate.py
"""
import json
import pathlib

DS = {"type": "prometheus", "uid": "vigil-prometheus"}
OUT = pathlib.Path(__file__).resolve().parent / "dashboards"

SLICES = ["all", "site", "scanner", "scanner_model", "software", "sex", "age_band"]
BY_SLICE = "model, version, slice, slice_value"


# ---------------------------------------------------------------- variables

def query_var(name, label, query, multi=False, include_all=False, all_value=None, hide=0):
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


def model_vars(multi=False):
    return [
        query_var("model", "Model", "label_values(vigil_window_predictions, model)",
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
        "datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
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


def dashboard(uid, title, description, variables, panels, tags, time_from="now-30d", refresh="1m", links=True):
    d = {
        "uid": uid, "title": title, "description": description, "tags": ["vigil"] + tags,
        "schemaVersion": 39, "version": 1, "editable": True, "graphTooltip": 1,
        "timezone": "utc", "refresh": refresh, "time": {"from": time_from, "to": "now"},
        "annotations": {"list": []},
        "templating": {"list": variables},
        "panels": panels,
    }
    if links:
        d["links"] = [{"title": "Vigil", "type": "dashboards", "tags": ["vigil"], "asDropdown": True,
                       "includeVars": True, "keepTime": True}]
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
    panels.append(stat(lay, "Vigil up", [target('min(up{job="vigil"})', "up", instant=True)], w=4,
                       thr=[("red", None), ("green", 1)],
                       mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}]))
    panels.append(stat(lay, "Critical alerts", [target('sum(max without (instance) (vigil_alerts_active{severity="critical", ' + mv + '})) or vector(0)', "critical", instant=True)],
                       w=4, thr=[("green", None), ("red", 1)]))
    panels.append(stat(lay, "Warnings", [target('sum(max without (instance) (vigil_alerts_active{severity="warning", ' + mv + '})) or vector(0)', "warning", instant=True)],
                       w=4, thr=[("green", None), ("orange", 1)]))
    panels.append(stat(lay, "Models monitored", [target(f'count(count by (model, version) (vigil_window_predictions{{{mv}}}))', "models", instant=True)],
                       w=4, color_mode="none"))
    panels.append(stat(lay, "Slices monitored", [target(f'count(vigil_window_predictions{{{mv}, window="$drift_window", bound="estimate"}})', "slices", instant=True)],
                       w=4, color_mode="none"))
    panels.append(stat(lay, "Predictions in window (all)", [target(f'sum(vigil_window_predictions{{{mv}, slice="all", window="$drift_window", bound="estimate"}})', "n", instant=True)],
                       w=4, color_mode="none"))

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
        colored("Sensitivity lower", [("red", None), ("orange", 0.8), ("green", 0.85)], "percentunit", 1),
        colored("Sensitivity", [("red", None), ("orange", 0.8), ("green", 0.85)], "percentunit", 1),
        colored("Specificity lower", [("red", None), ("orange", 0.75), ("green", 0.8)], "percentunit", 1),
        colored("ECE", [("green", None), ("orange", 0.05), ("red", 0.1)], "percentunit", 1),
        colored("Score PSI", [("green", None), ("orange", 0.1), ("red", 0.25)], "none", 3),
        colored("PSI p-value", [("red", None), ("orange", 0.001), ("green", 0.05)], "sci"),
        colored("Label coverage", [("orange", None), ("green", 0.5)], "percentunit", 0),
        {"matcher": {"id": "byName", "options": "Predictions"}, "properties": [{"id": "decimals", "value": 0}]},
    ]
    panels.append(row(lay, "Every model x slice (worst first)"))
    panels.append(table(lay, "Fleet: model x slice", fleet_targets, h=14, transformations=transformations,
                        overrides=overrides, sort_by=("Active alerts", True),
                        desc="One row per model version and slice. Sensitivity/specificity lower = lower bound of the 95% "
                             "interval over the outcome window; ECE, PSI and its p-value over the drift window. Sorted by "
                             "active alerts; click a header to sort by another column."))
    panels.append(bargauge(lay, "Worst 10 slices: sensitivity lower bound",
                           [target(f'bottomk(10, vigil_sensitivity_ratio{{{sel_o}, bound="lower"}})',
                                   "{{model}} {{version}} {{slice}}={{slice_value}}", instant=True)],
                           thr=[("red", None), ("orange", 0.8), ("green", 0.85)], min_=0, max_=1))
    panels.append(bargauge(lay, "Worst 10 slices: score PSI",
                           [target(f'topk(10, vigil_score_psi{{{sel_d}, bound="estimate"}})',
                                   "{{model}} {{version}} {{slice}}={{slice_value}}", instant=True)],
                           unit="none", thr=[("green", None), ("orange", 0.1), ("red", 0.25)], min_=0))
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
                        overrides=[colored("Sensitivity lower", [("red", None), ("orange", 0.8), ("green", 0.85)], "percentunit", 1),
                                   colored("ECE", [("green", None), ("orange", 0.05), ("red", 0.1)], "percentunit", 1),
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
                           thr=[("green", None), ("red", 0.85)]))
        panels.append(band(lay, f"Specificity: {dim} {var}", "vigil_specificity_ratio", so, reference=all_o, w=8, min_=0, max_=1))
        panels.append(band(lay, f"AUC: {dim} {var}", "vigil_auc_ratio", so, reference=all_o, w=8, min_=0.5, max_=1))
        panels.append(band(lay, f"ECE: {dim} {var}", "vigil_ece_ratio", so, reference=all_o, w=8, min_=0,
                           unit="percentunit", thr=[("green", None), ("red", 0.1)],
                           desc="Debiased ECE with its conservative 95% interval; the alert needs the lower bound above 0.1."))
        panels.append(band(lay, f"Positive rate: {dim} {var}", "vigil_positive_rate_ratio", sd, reference=all_d, w=8, min_=0))
        panels.append(band(lay, f"Estimated sensitivity (no labels): {dim} {var}", "vigil_estimated_sensitivity_ratio", sd,
                           reference=all_d, w=8, min_=0, max_=1,
                           desc="Confidence-based performance estimation from calibrated scores, while labels are pending."))
        panels.append(timeseries(lay, f"Sample sizes: {dim} {var}",
                                 [target(f'vigil_snapshot_samples{{{so}, metric=~"sensitivity|specificity|ece"}}', "{{metric}} (outcome window)", "A"),
                                  target(f'vigil_window_predictions{{{sd}, bound="estimate"}}', "predictions (drift window)", "B")],
                                 unit="short", w=24, h=6))
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
                        unit="percentunit"))
    panels.append(row(lay, "Calibration over time (band: 95% interval where Vigil exports one)"))
    panels.append(band(lay, "Expected calibration error (ECE)", "vigil_ece_ratio", s, unit="percentunit",
                       thr=[("green", None), ("red", 0.1)], min_=0,
                       desc="ECE over 10 bins, debiased (the plug-in ECE is biased upward), with a conservative 95% "
                            "interval; the alert fires when the lower bound is above 0.1 with n >= 100."))
    panels.append(band(lay, "Observed / expected positives", "vigil_observed_expected_ratio", s, unit="none",
                       thr=[("red", None), ("green", 0.8), ("red", 1.25)],
                       desc="Calibration in the large: 1 is ideal; above 1 the model under-predicts risk."))
    panels.append(band(lay, "Calibration slope (ideal 1)", "vigil_calibration_slope", s, unit="none", w=8))
    panels.append(band(lay, "Calibration intercept, slope free (ideal 0)", "vigil_calibration_intercept", s, unit="none",
                       w=8))
    panels.append(band(lay, "Calibration-in-the-large, slope fixed at 1 (ideal 0)", "vigil_calibration_in_the_large", s,
                       unit="none", w=8, desc="Below 0: predicted probabilities too high overall; above 0: too low."))
    panels.append(timeseries(lay, "Maximum calibration error (MCE)",
                             [target(f'vigil_mce_ratio{{{s}, bound="estimate"}}', "estimate", "A")],
                             unit="percentunit", w=8, min_=0, desc="A point estimate (no interval)."))
    panels.append(band(lay, "Brier score", "vigil_brier_score", s, unit="none", min_=0))
    panels.append(timeseries(lay, "Brier decomposition (Murphy)", [
        target(f'vigil_brier_reliability{{{s}, bound="estimate"}}', "reliability (lower is better)", "A"),
        target(f'vigil_brier_resolution{{{s}, bound="estimate"}}', "resolution (higher is better)", "B"),
        target(f'vigil_brier_uncertainty{{{s}, bound="estimate"}}', "uncertainty", "C"),
        target(f'vigil_log_loss{{{s}, bound="estimate"}}', "log loss", "D"),
    ], unit="none"))
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
                             unit="none", w=8, min_=0, thr=[("green", None), ("orange", 0.1), ("red", 0.25)], thr_style="dashed"))
    panels.append(timeseries(lay, "PSI p-value (log scale)", [target(f'vigil_snapshot_p_value{{{s}, metric="score_psi"}}', "p-value", "A")],
                             unit="sci", w=8, log=True, thr=[("red", None), ("green", 0.001)], thr_style="dashed",
                             desc="p-value of PSI under its chi-square null; alerts need p < 0.001 and PSI >= 0.1."))
    panels.append(timeseries(lay, "KS distance vs critical value", [
        target(f'vigil_score_ks_statistic{{{s}, bound="estimate"}}', "KS distance", "A"),
        target(f'vigil_score_ks_statistic{{{s}, bound="upper"}}', "critical value (alpha 0.05)", "B")],
        unit="none", w=8, min_=0,
        overrides=[{"matcher": {"id": "byName", "options": "critical value (alpha 0.05)"},
                    "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                   {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}]))
    panels.append(timeseries(lay, "Jensen-Shannon distance", [target(f'vigil_score_js_distance{{{s}, bound="estimate"}}', "JS distance", "A")],
                             unit="none", w=8, min_=0))
    panels.append(timeseries(lay, "Wasserstein-1 distance", [target(f'vigil_score_wasserstein{{{s}, bound="estimate"}}', "Wasserstein", "A")],
                             unit="none", w=8, min_=0))
    panels.append(band(lay, "Mean score", "vigil_score_mean", s, unit="none", w=8))
    panels.append(row(lay, "Decisions and model outputs (band: 95% interval)"))
    panels.append(band(lay, "Positive rate", "vigil_positive_rate_ratio", s, w=8, min_=0))
    panels.append(band(lay, "Abstention rate", "vigil_abstention_rate_ratio", s, w=8, min_=0))
    panels.append(band(lay, "Mean uncertainty", "vigil_uncertainty_mean", s, unit="none", w=8, min_=0))
    panels.append(timeseries(lay, "Predictions in window", [target(f'vigil_window_predictions{{{s}, bound="estimate"}}', "predictions", "A")],
                             unit="short", w=24, h=6))
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
        overrides=[colored("PSI", [("green", None), ("orange", 0.1), ("red", 0.25)], "none", 3),
                   {"matcher": {"id": "byName", "options": "Missing"}, "properties": [{"id": "unit", "value": "percentunit"}]}]))
    panels.append(timeseries(lay, "Feature PSI", [target(f'vigil_feature_psi{{{s}, bound="estimate"}}', "{{feature}}", "A")],
                             unit="none", w=12, h=9, min_=0))
    panels.append(timeseries(lay, "Attribute chi-square", [target(f'vigil_attribute_chi_square{{{s}, bound="estimate"}}', "{{attribute}}", "A")],
                             unit="none", w=12, min_=0))
    panels.append(table(lay, "New acquisition setups (absent from the reference)", [
        target(f'vigil_acquisition_change{{{mv}, window="$window", bound="estimate"}} == 1', instant=True, table=True)],
        w=12, h=8, transformations=[{"id": "organize", "options": {"excludeByName": {
            "Time": True, "__name__": True, "bound": True, "Value": True, "model": True, "version": True}}}],
        desc="Scanner, scanner model or software version first seen after the reference was built."))
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
    panels.append(band(lay, "Label coverage", "vigil_label_coverage_ratio", s, w=8, min_=0, max_=1))
    panels.append(timeseries(lay, "Label coverage per predicted class", [
        target(f'vigil_label_coverage_predicted_positive_ratio{{{s}, bound="estimate"}}', "predicted positive", "A"),
        target(f'vigil_label_coverage_predicted_negative_ratio{{{s}, bound="estimate"}}', "predicted negative", "B")],
        unit="percentunit", w=8, min_=0, max_=1,
        desc="Labels usually arrive mostly for predicted positives; a large gap biases sensitivity and NPV."))
    panels.append(table(lay, "Slices with verification bias", [
        target(f'vigil_verification_bias{{{mv}, window="$window", bound="estimate"}} == 1', instant=True, table=True)],
        w=8, h=8, transformations=[{"id": "organize", "options": {"excludeByName": {
            "Time": True, "__name__": True, "bound": True, "Value": True, "model": True, "version": True}}}]))
    panels.append(row(lay, "Delay and maturity"))
    panels.append(timeseries(lay, "Label delay quantiles", [
        target(f'vigil_label_delay_seconds{{{s}, bound="estimate"}}', "q{{quantile}}", "A")], unit="s", w=8, min_=0))
    panels.append(timeseries(lay, "Labelled cases and predictions", [
        target(f'vigil_window_labelled{{{s}, bound="estimate"}}', "labelled", "A"),
        target(f'vigil_window_predictions{{{s}, bound="estimate"}}', "predictions", "B")], unit="short", w=8))
    panels.append(band(lay, "Prevalence among labelled", "vigil_prevalence_ratio", s, w=8, min_=0))
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
        desc="A cohort's metrics are provisional until its label coverage has matured."))
    panels.append(timeseries(lay, "Share of final snapshots per window", [
        target(f'avg by (window) (vigil_snapshot_final{{{mv}, slice="$slice", slice_value="$slice_value"}})', "{{window}}", "A")],
        unit="percentunit", w=12, h=10, min_=0, max_=1))
    panels.append(row(lay, "Label-free estimates vs realised"))
    panels.append(timeseries(lay, "Sensitivity: estimated (no labels) vs realised", [
        target(f'vigil_estimated_sensitivity_ratio{{{s}, bound="estimate"}}', "estimated (CBPE)", "A"),
        target(f'vigil_sensitivity_ratio{{{s}, bound="estimate"}}', "realised", "B")], unit="percentunit", min_=0, max_=1))
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
                       thr=[("green", None), ("red", 0.05)]))
    panels.append(timeseries(lay, "Absolute score change between repeat studies", [
        target(f'vigil_score_change{{{s}, bound="estimate"}}', "q{{quantile}}", "A")], unit="none", min_=0))
    panels.append(timeseries(lay, "Repeat pairs (n)", [
        target(f'vigil_snapshot_samples{{{s}, metric="flip_rate"}}', "pairs", "A")], unit="short", w=24, h=5))
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
            "Time": True, "__name__": True, "bound": True, "Value": True, "model": True, "version": True}}}]))
    variables = model_vars() + [window_var("window", "Window", "vigil_flip_rate_ratio", "30d")] + slice_vars("vigil_window_predictions")
    return dashboard("vigil-stability", "Vigil / Stability",
                     "Flip rate and score change on repeat studies, CUSUM statistics against their thresholds.",
                     variables, panels, ["stability"])


# ---------------------------------------------------------------- alerts and pipeline

def alerts_pipeline():
    lay = Layout()
    panels = [row(lay, "Alerts")]
    panels.append(stat(lay, "Vigil up", [target('min(up{job="vigil"})', "up", instant=True)], w=4,
                       thr=[("red", None), ("green", 1)],
                       mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}],
                       desc="Prometheus scrape of /metrics; readiness (/health/ready) follows the stream state."))
    panels.append(stat(lay, "Stream state", [target('max(kafka_stream_client_state{job="vigil"})', "state", instant=True)], w=4,
                       thr=[("red", None)], mappings=STATE_MAPPINGS,
                       desc="KafkaStreams state; /health/ready answers 200 only while RUNNING."))
    panels.append(stat(lay, "Critical", [target('sum(max without (instance) (vigil_alerts_active{severity="critical", model=~"$model"})) or vector(0)', "critical", instant=True)],
                       w=4, thr=[("green", None), ("red", 1)]))
    panels.append(stat(lay, "Warning", [target('sum(max without (instance) (vigil_alerts_active{severity="warning", model=~"$model"})) or vector(0)', "warning", instant=True)],
                       w=4, thr=[("green", None), ("orange", 1)]))
    panels.append(stat(lay, "Info", [target('sum(max without (instance) (vigil_alerts_active{severity="info", model=~"$model"})) or vector(0)', "info", instant=True)],
                       w=4, thr=[("green", None), ("blue", 1)]))
    panels.append(stat(lay, "Webhook failures (1h)", [target(
        'sum(increase(vigil_webhook_deliveries_total{outcome!~"delivered|success|ok"}[1h])) or vector(0)', "failures", instant=True)],
        w=4, thr=[("green", None), ("orange", 1)]))
    panels.append(table(lay, "Active alerts", [
        target('vigil_alerts_active{model=~"$model"} == 1', instant=True, table=True)], h=9,
        transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True, "Value": True, "job": True, "instance": True},
                                                        "indexByName": {"severity": 0, "rule": 1, "model": 2, "version": 3, "slice": 4, "slice_value": 5}}}],
        sort_by=("severity", False)))
    panels.append(timeseries(lay, "Active alerts by severity", [
        target('sum by (severity) (max without (instance) (vigil_alerts_active{model=~"$model"}))', "{{severity}}", "A")], unit="short", stack=True))
    panels.append(timeseries(lay, "Webhook deliveries by outcome", [
        target('sum by (endpoint, outcome) (rate(vigil_webhook_deliveries_total[5m]))', "{{endpoint}} {{outcome}}", "A")],
        unit="reqps"))
    panels.append(row(lay, "Ingest"))
    panels.append(timeseries(lay, "Records by stream and outcome", [
        target('sum by (stream, outcome) (rate(vigil_ingest_records_total[5m]))', "{{stream}} {{outcome}}", "A")], unit="rps", w=8))
    panels.append(timeseries(lay, "Dead letters by reason", [
        target('sum by (stream, reason) (rate(vigil_ingest_records_total{outcome="dead_lettered"}[5m]))', "{{stream}} {{reason}}", "A")],
        unit="rps", w=8))
    panels.append(timeseries(lay, "Dead-letter share", [
        target('sum by (stream) (rate(vigil_ingest_records_total{outcome="dead_lettered"}[10m])) '
               '/ sum by (stream) (rate(vigil_ingest_records_total[10m]))', "{{stream}}", "A")],
        unit="percentunit", w=8, min_=0, thr=[("green", None), ("red", 0.05)], thr_style="dashed"))
    panels.append(row(lay, "Kafka Streams and JVM"))
    panels.append(timeseries(lay, "Stream thread process rate", [
        target('sum by (instance, thread_id) (kafka_stream_thread_process_rate{job="vigil"})', "{{instance}} {{thread_id}}", "A")],
        unit="rps", w=8))
    panels.append(timeseries(lay, "Consumer lag (max records)", [
        target('max by (instance, client_id) (kafka_consumer_fetch_manager_records_lag_max{job="vigil"})', "{{instance}} {{client_id}}", "A")],
        unit="short", w=8, min_=0))
    panels.append(timeseries(lay, "Alive stream threads", [
        target('sum by (instance) (kafka_stream_alive_stream_threads{job="vigil"})', "{{instance}}", "A")], unit="short", w=8, min_=0))
    panels.append(timeseries(lay, "JVM heap", [
        target('sum by (instance) (jvm_memory_used_bytes{job="vigil", area="heap"})', "{{instance}} used", "A"),
        target('sum by (instance) (jvm_memory_max_bytes{job="vigil", area="heap"})', "{{instance}} max", "B")], unit="bytes", w=8))
    panels.append(timeseries(lay, "Process CPU", [
        target('process_cpu_usage{job="vigil"}', "{{instance}}", "A")], unit="percentunit", w=8, min_=0))
    panels.append(timeseries(lay, "Scrape up", [target('up{job="vigil"}', "{{instance}}", "A")], unit="short", w=8, min_=0, max_=1))
    variables = [query_var("model", "Model", "label_values(vigil_window_predictions, model)",
                           multi=True, include_all=True, all_value=".*")]
    return dashboard("vigil-alerts-pipeline", "Vigil / Alerts and pipeline health",
                     "Active alerts, webhook delivery, ingest and dead letters, Kafka Streams and JVM health.",
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
