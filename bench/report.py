"""The report: docs/performance.json (every scale run so far) and docs/performance.md rendered from it.

A run replaces the entry of its own scale and keeps the others, so a scale-1
and a scale-10 run side by side show whether the per-request cost stays flat.
The Markdown's "Analysis" section is written by hand and kept across runs
(everything between the two ``analysis`` comment lines).
"""

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, WORKERS, machine

INDEX_ASSERT_SCALE = 10  # the EXPLAIN targets are set at the 10x scale
RATIO_TARGET_AT = 8  # connections at which the ratio-to-floor target is judged
P99_GROWTH_LIMIT = 4  # p99 at the highest connection count at most this many times the lowest's
FLAT_LIMIT = 0.2  # ratios to the floor within 20% between scale 1 and scale 10
ANALYSIS_START = "<!-- analysis: written by hand, kept when the report is regenerated -->"
ANALYSIS_END = "<!-- /analysis -->"
ANALYSIS_PLACEHOLDER = "(No analysis written yet.)"


def _output(command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False, cwd=ROOT)  # noqa: S603
    except OSError:
        return ""
    return (result.stdout or result.stderr).strip()


def versions():
    import django
    import gunicorn
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    commit = _output(["git", "rev-parse", "--short", "HEAD"])
    dirty = bool(_output(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "postgres": postgres,
        "wrk": _output(["wrk", "-v"]).split(" [", 1)[0].strip(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def _targets(endpoint, result, floor):
    """The issue's targets for one endpoint, each as (what, met)."""
    by_connections = {level["connections"]: level for level in result["levels"]}
    floor_by_connections = {level["connections"]: level for level in floor["levels"]}
    targets = []
    base = by_connections.get(RATIO_TARGET_AT) or result["levels"][0]
    if endpoint.target_ratio is not None:
        ratio = base["rps"] / floor_by_connections[base["connections"]]["rps"]
        targets.append((f"throughput at least {endpoint.target_ratio} of the floor's", ratio >= endpoint.target_ratio))
    if endpoint.p95_target_ms is not None:
        targets.append((f"p95 under {endpoint.p95_target_ms:g} ms", base["p95_ms"] < endpoint.p95_target_ms))
    if len(result["levels"]) > 1:
        low, high = result["levels"][0], result["levels"][-1]
        targets.append((f"no errors at {high['connections']} connections", high["errors"] == 0))
        targets.append(
            (
                f"p99 at {high['connections']} at most {P99_GROWTH_LIMIT}x p99 at {low['connections']}",
                high["p99_ms"] <= P99_GROWTH_LIMIT * low["p99_ms"],
            )
        )
    return [{"target": what, "met": met} for what, met in targets]


def _per_student(endpoint_table, endpoints, *, students):
    """The class dashboards' p50 at 8 connections per student in the class, and whether it stays flat as the
    class grows (each size at most 20% above the smaller one's: issue 16's "per-student cost flat")."""
    rows = []
    for endpoint, result in zip(endpoint_table, endpoints, strict=True):
        if not endpoint.class_size:
            continue
        size = min(endpoint.class_size, students) if students else endpoint.class_size
        level = next((lv for lv in result["levels"] if lv["connections"] == RATIO_TARGET_AT), result["levels"][0])
        rows.append({"name": endpoint.name, "students": size, "p50_ms": level["p50_ms"]})
    rows.sort(key=lambda row: row["students"])
    for smaller, row in zip(rows, rows[1:], strict=False):
        row["ms_per_student"] = row["p50_ms"] / row["students"]
        row["flat"] = row["ms_per_student"] <= 1.2 * smaller["p50_ms"] / smaller["students"]
    if rows:
        rows[0]["ms_per_student"] = rows[0]["p50_ms"] / rows[0]["students"]
    return rows


def build_run(*, args, seeded, floor, endpoints, endpoint_table, checks, load, seconds, imports=None):
    floor_by_connections = {level["connections"]: level["rps"] for level in floor["levels"]}
    for result in [floor, *endpoints]:
        for level in result["levels"]:
            level["ratio_to_floor"] = round(level["rps"] / floor_by_connections[level["connections"]], 3)
    for endpoint, result in zip(endpoint_table, endpoints, strict=True):
        result["targets"] = _targets(endpoint, result, floor)
    per_student = _per_student(endpoint_table, endpoints, students=(seeded or {}).get("students") or 0)
    command = "make bench" + ("" if args.scale == 1 else f" SCALE={args.scale:g}")
    return {
        "scale": args.scale,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "command": command,
        "python_command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": machine(),
        "load_average": {"before": [round(x, 2) for x in load[0]], "after": [round(x, 2) for x in load[1]]},
        "versions": versions(),
        "server": {
            "gunicorn_workers": WORKERS,
            "worker_class": "sync",
            "conn_max_age": os.environ.get("DJANGO_CONN_MAX_AGE"),
            "cache": "redis" if os.environ.get("REDIS_URL") else "local memory",
            "debug": os.environ.get("DJANGO_DEBUG"),
        },
        "load": {"duration_s": args.duration, "warmup_s": args.warmup, "connections": args.connections},
        "seed": seeded,
        "floor": floor,
        "endpoints": endpoints,
        "explain": checks,
        "dashboard_per_student": per_student,
        "lessonfile_import": imports,
    }


def write(folder, run):
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "performance.json", folder / "performance.md"
    runs = {}
    if json_path.exists():
        runs = json.loads(json_path.read_text()).get("runs", {})
    runs[f"{run['scale']:g}"] = run
    runs = dict(sorted(runs.items(), key=lambda item: float(item[0])))
    json_path.write_text(json.dumps({"runs": runs}, indent=2, default=str) + "\n")
    analysis = ANALYSIS_PLACEHOLDER
    if md_path.exists():
        text = md_path.read_text()
        if ANALYSIS_START in text and ANALYSIS_END in text:
            analysis = text.split(ANALYSIS_START, 1)[1].split(ANALYSIS_END, 1)[0].strip()
    md_path.write_text(render(runs, analysis))
    return json_path, md_path


def _yes(flag):
    return "yes" if flag else "**no**"


def render(runs, analysis):
    lines = [
        "# Performance",
        "",
        'Generated by `make bench` (bench/, see the README\'s "Performance" section); the JSON beside',
        "this file has every figure. Throughput is also given as a ratio to the floor, a bare Django",
        "view with no middleware served by the same gunicorn settings in the same run, so the ratios",
        "hold on a noisy machine. Each scale's section is replaced when that scale is run again.",
        "",
    ]
    for scale, run in runs.items():
        lines += _render_run(scale, run)
    lines += _render_flatness(runs)
    lines += ["## Analysis", "", ANALYSIS_START, "", analysis, "", ANALYSIS_END, ""]
    return "\n".join(lines)


def _render_run(scale, run):
    m, v, load, seed = run["machine"], run["versions"], run["load_average"], run["seed"]
    rows = seed.get("rows", {})
    lines = [
        f"## Scale {scale}",
        "",
        f"Reproduce: `{run['command']}` (runs `{run['python_command']}`); finished {run['finished_at']}, "
        f"{run['seconds']:.0f} s in all.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory, {m['os']}.",
        f"- Load average (1, 5, 15 min): {', '.join(map(str, load['before']))} before, "
        f"{', '.join(map(str, load['after']))} after. The load generator (wrk, 2 threads) shares the machine.",
        f"- Versions: Python {v['python']}, Django {v['django']}, gunicorn {v['gunicorn']}, psycopg {v['psycopg']}, "
        f"PostgreSQL {v['postgres']}, {v['wrk']}; commit {v['commit']}.",
        f"- Server: gunicorn {run['server']['gunicorn_workers']} {run['server']['worker_class']} workers, "
        f"DJANGO_DEBUG={run['server']['debug']}, CONN_MAX_AGE={run['server']['conn_max_age']}, "
        f"{run['server']['cache']} cache. Load: {run['load']['duration_s']:g} s per endpoint and connection count "
        f"after a {run['load']['warmup_s']:g} s warm-up.",
        f"- Data: {rows.get('auth_user', 0):,} users, {rows.get('lesson', 0)} lessons, "
        f"{rows.get('classroom', 0):,} classes, {rows.get('selfcheckattempt', 0):,} self-check attempts, "
        f"{rows.get('orderingattempt', 0):,} ordering attempts, {rows.get('predictionsubmission', 0):,} predictions, "
        f"{rows.get('cardstate', 0):,} card states, {rows.get('reviewlog', 0):,} review logs"
        + (f" (seeded in {seed['seconds']:.0f} s)." if seed.get("seconds") else "."),
        "",
        "| endpoint | connections | req/s | p50 ms | p95 ms | p99 ms | errors | ratio to floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in [run["floor"], *run["endpoints"]]:
        for level in result["levels"]:
            lines.append(
                f"| {result['name']} | {level['connections']} | {level['rps']:.0f} | {level['p50_ms']:.1f} | "
                f"{level['p95_ms']:.1f} | {level['p99_ms']:.1f} | {level['errors']}{' (ran out of fresh requests)' if level.get('exhausted') and level['errors'] else ''} | {level['ratio_to_floor']:.3f} |"
            )
    lines += _account_floor_shares(run["endpoints"])
    lines += ["", "Targets (from issue 16):", ""]
    for result in run["endpoints"]:
        for target in result["targets"]:
            lines.append(f"- {result['name']}: {target['target']}: {_yes(target['met'])}")
    per_student = run.get("dashboard_per_student") or []
    if per_student:
        lines += [
            "",
            f"Class dashboards, cost per student in the class (p50 at {RATIO_TARGET_AT} connections / students; the",
            "first section of 100 is drawn, every student's summary is computed). Flat: at most 20% above the",
            "next smaller class's.",
            "",
            "| dashboard | students | p50 ms | ms per student | flat |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for row in per_student:
            flat = _yes(row["flat"]) if "flat" in row else ""
            lines.append(
                f"| {row['name']} | {row['students']:,} | {row['p50_ms']:.1f} | {row['ms_per_student']:.2f} | {flat} |"
            )
    lines += [
        "",
        "EXPLAIN (ANALYZE), median of 5 runs:",
        "",
        "| query | table | required index | how the table is read | index used | median ms | target ms | met |",
        "| --- | --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    for check in run["explain"]:
        scans = "; ".join(f"{scan['node']} {scan['index']}".strip() for scan in check["scans"])
        lines.append(
            f"| {check['name']} | {check['table']} | {check['index']} | {scans} | {_yes(check['uses_index'])} | "
            f"{check['median_ms']:.3f} | {check['target_ms']:g} | {_yes(check['meets_target'])} |"
        )
    lines.append("")
    imports = run.get("lessonfile_import")
    if imports:
        lines += [
            "Lesson files (issue 13), in a transaction rolled back afterwards: a 10,000-card file imported, then",
            f"re-imported with 100 changes. Target: well inside gunicorn's {imports['timeout_s']} s timeout "
            f"(under a third of it), queries not growing with the cards: {_yes(imports['met'])}.",
            "",
            "| step | bytes | parse s | plan and write s | total s | queries | plan |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for name in ("import", "reimport"):
            r = imports[name]
            lines.append(
                f"| {name} | {r['bytes']:,} | {r['parse_s']:.2f} | {r['plan_and_write_s']:.2f} | {r['total_s']:.2f} | "
                f"{r['queries']} | {r['summary']} |"
            )
        lines.append("")
    not_indexed = [c for c in run["explain"] if not c["uses_index"]]
    for check in not_indexed:
        lines += [f'Plan of "{check["name"]}":', "", "```", check["plan"], "```", ""]
    return lines


ACCOUNT_FLOOR = "logged-in floor"


def _account_floor_shares(endpoints):
    """How each endpoint's throughput compares with the logged-in floor's, at RATIO_TARGET_AT connections."""
    rps = {
        result["name"]: level["rps"]
        for result in endpoints
        for level in result["levels"]
        if level["connections"] == RATIO_TARGET_AT
    }
    best = rps.get(ACCOUNT_FLOOR)
    if not best:
        return []
    shares = ", ".join(f"{name} {value / best:.2f}" for name, value in rps.items() if name != ACCOUNT_FLOOR)
    return [
        "",
        "The logged-in floor (the site's settings and middleware, the session and its user: two queries, and a",
        f"line of template) is what no logged-in page can beat here. Throughput as a share of it, at "
        f"{RATIO_TARGET_AT} connections: {shares}.",
    ]


def _render_flatness(runs):
    if "1" not in runs or "10" not in runs:
        return [
            "## Scale 1 against scale 10",
            "",
            "Run both scales (`make bench` and `make bench SCALE=10`) to compare per-request cost.",
            "",
        ]
    lines = [
        "## Scale 1 against scale 10",
        "",
        f"Ratio to the floor at {RATIO_TARGET_AT} connections; the target is within {FLAT_LIMIT:.0%}.",
        "",
        "| endpoint | scale 1 | scale 10 | change | flat |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    small = {e["name"]: e for e in runs["1"]["endpoints"]}
    for result in runs["10"]["endpoints"]:
        if result["name"] not in small:
            continue

        def ratio(r):
            level = next((lv for lv in r["levels"] if lv["connections"] == RATIO_TARGET_AT), r["levels"][0])
            return level["ratio_to_floor"]

        a, b = ratio(small[result["name"]]), ratio(result)
        change = b / a - 1 if a else 0
        lines.append(f"| {result['name']} | {a:.3f} | {b:.3f} | {change:+.0%} | {_yes(abs(change) <= FLAT_LIMIT)} |")
    return [*lines, ""]


def load(folder):
    path = Path(folder) / "performance.json"
    return json.loads(path.read_text()) if path.exists() else {"runs": {}}
