"""The Grafana dashboard and the alerting rules against a live exposition: every metric their
queries read is one the server exposes (a histogram by its _bucket, _sum and _count series),
every label they match or group by is one those metrics carry (or one Prometheus adds to a
target), and every literal value they match (grpc_code="Unavailable") is one the server writes.
So the dashboard and the alerts cannot drift from the code. Also: each query is valid PromQL
(promtool check rules, with Grafana's variables replaced), and the dashboard's panels all read
the datasource variable.

Usage: queries-check.py METRICS.txt DASHBOARD.json PROMETHEUSRULE.yaml
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

# Series Prometheus writes itself for each target, not in any exposition.
TARGET_SERIES = {"up"}
# Labels Prometheus (and the operator's ServiceMonitor) add to a target's series.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "endpoint", "container"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2"}
# Aggregations may put their by/without list before the parenthesis: `sum by (le) (…)`.
AGGREGATIONS = {"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk",
                "bottomk", "quantile", "count_values", "limitk", "limit_ratio"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}

TOKEN = re.compile(
    r'"(?:\\.|[^"\\])*"'  # string
    r"|'(?:\\.|[^'\\])*'"
    r"|`[^`]*`"
    r"|\[[^\]]*\]"  # range or subquery
    r"|[0-9]+(?:ms|[smhdwy])(?:[0-9]+(?:ms|[smhdwy]))*\b"  # duration
    r"|(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)"  # number
    r"|[A-Za-z_:][A-Za-z0-9_:]*"  # identifier
    r"|=~|!~|!=|==|>=|<=|[-+*/%^<>=(){},@]"
    r"|\s+"
)


def tokens(expr):
    position = 0
    while position < len(expr):
        match = TOKEN.match(expr, position)
        if not match:
            raise ValueError(f"cannot read {expr[position:]!r}")
        position = match.end()
        if not match[0].isspace():
            yield match[0]


def parse(expr):
    """The selectors of a PromQL expression, as (metric, [(label, op, value)]), and the labels
    of its by/without/on/ignoring/group_* lists."""
    toks = list(tokens(expr))
    selectors, grouping = [], set()
    i = 0
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if tok in LABEL_LISTS:
            i += 1
            if i < len(toks) and toks[i] == "(":
                i += 1
                while toks[i] != ")":
                    if toks[i] != ",":
                        grouping.add(toks[i])
                    i += 1
            i += 1
            continue
        if tok == "offset":
            i += 2
            continue
        is_name = re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", tok)
        if is_name and tok not in KEYWORDS | AGGREGATIONS and nxt != "(":
            matchers = []
            i += 1
            if nxt == "{":
                i += 1
                while toks[i] != "}":
                    if toks[i] == ",":
                        i += 1
                        continue
                    label, op, value = toks[i], toks[i + 1], toks[i + 2]
                    matchers.append((label, op, value[1:-1]))
                    i += 3
                i += 1
            selectors.append((tok, matchers))
            continue
        if tok == "{":
            raise ValueError(f"a selector without a metric name in {expr!r}")
        i += 1
    return selectors, grouping


def exposition(path):
    """Each series name of the exposition, with its labels and their values."""
    series = {}
    line_re = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+\S+")
    label_re = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:\\.|[^"\\])*)"')
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            match = line_re.match(line)
            labels = series.setdefault(match[1], {})
            for name, value in label_re.findall(match[2] or ""):
                labels.setdefault(name, set()).add(value)
    return series


def dashboard_queries(path, failures):
    with open(path, encoding="utf-8") as f:
        dashboard = json.load(f)
    queries = []
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    if variables.get("datasource", {}).get("type") != "datasource":
        failures.append(f"{path}: no datasource variable")
    panels = list(dashboard["panels"])
    ids = []
    while panels:
        panel = panels.pop(0)
        panels += panel.get("panels", [])
        ids.append(panel["id"])
        if panel["type"] == "row":
            continue
        where = f"{path}: panel {panel['title']!r}"
        for item in [panel] + panel.get("targets", []):
            if item.get("datasource", {}).get("uid") != "${datasource}":
                failures.append(f"{where}: does not read the ${{datasource}} variable")
        for target in panel.get("targets", []):
            queries.append((where, target["expr"]))
    if len(ids) != len(set(ids)):
        failures.append(f"{path}: panel ids repeat")
    for variable in variables.values():
        if variable["type"] != "query":
            continue
        # label_values(SELECTOR, LABEL): the selector is a query, the label must be on it.
        match = re.fullmatch(r"label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)", variable["query"])
        if not match:
            failures.append(f"{path}: variable {variable['name']}: not label_values(…, label)")
            continue
        queries.append((f"{path}: variable {variable['name']}", match[1]))
        queries.append((f"{path}: variable {variable['name']}", f"group by ({match[2]}) ({match[1]})"))
    return queries


def rule_queries(path):
    with open(path, encoding="utf-8") as f:
        rule = yaml.safe_load(f)
    return [(f"{path}: {r.get('alert') or r.get('record')}", r["expr"])
            for group in rule["spec"]["groups"] for r in group["rules"]]


def grafana_to_promql(expr):
    """Grafana's variables replaced by what Prometheus would get."""
    expr = re.sub(r"\$__(rate_)?interval|\$__range", "5m", expr)
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".*", expr)


def main():
    metrics_path, dashboard_path, rule_path = sys.argv[1:4]
    series = exposition(metrics_path)
    failures = []
    queries = dashboard_queries(dashboard_path, failures) + rule_queries(rule_path)
    names_read = set()
    for where, expr in queries:
        expr = grafana_to_promql(expr)
        try:
            selectors, grouping = parse(expr)
        except (ValueError, IndexError) as error:
            failures.append(f"{where}: cannot read {expr!r}: {error}")
            continue
        known_labels = set(TARGET_LABELS)
        for name, matchers in selectors:
            names_read.add(name)
            if name in TARGET_SERIES:
                continue
            if name not in series:
                failures.append(f"{where}: {name} is not in the exposition")
                continue
            labels = series[name]
            known_labels |= set(labels)
            for label, op, value in matchers:
                if label in TARGET_LABELS:
                    continue
                if label not in labels:
                    failures.append(f"{where}: {name} has no label {label}")
                    continue
                # Literal values, or alternatives of literal words: each must be written.
                if "$" in value or ".*" in value:
                    continue
                if op in ("=", "!=") or re.fullmatch(r"[A-Za-z0-9_.]+(\|[A-Za-z0-9_.]+)*", value):
                    for alternative in value.split("|") if op in ("=~", "!~") else [value]:
                        if alternative not in labels[label]:
                            failures.append(f"{where}: {name} never has {label}={alternative!r} "
                                            f"(it has {sorted(labels[label])})")
        for label in grouping - known_labels:
            failures.append(f"{where}: groups by {label}, which none of its metrics carries")

    # Valid PromQL: promtool parses each query as a recording rule.
    with tempfile.TemporaryDirectory() as work:
        rules = {"groups": [{"name": "queries", "rules": [
            {"record": f"query:{n}", "expr": grafana_to_promql(expr)}
            for n, (_, expr) in enumerate(queries)]}]}
        path = os.path.join(work, "queries.yaml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(rules, f)
        check = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
        if check.returncode != 0:
            output = check.stdout + check.stderr
            culprits = sorted({int(n) for n in re.findall(r'"query:([0-9]+)"', output)})
            failures.append("promtool cannot parse a query:\n" + output + "".join(
                f"  query:{n} is {queries[n][0]}: {queries[n][1]}\n" for n in culprits))

    for failure in failures:
        print("FAIL", failure)
    if failures:
        sys.exit(1)
    print(f"{len(queries)} queries of the dashboard and the alerting rules read "
          f"{len(names_read)} series names, all exposed: {', '.join(sorted(names_read))}")


if __name__ == "__main__":
    main()
