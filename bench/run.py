"""``make bench``: time ``svcqa score`` and ``svcqa report --all`` against a baseline and a floor.

Every case runs as a whole process (start-up and imports count, as they do for the analyst),
timed with ``time.perf_counter`` and with its peak RSS taken from ``os.wait4``'s rusage. Each
case runs ``--runs`` times (5: single runs of the same work vary by up to 10 % on a shared
virtual machine) and the median is reported; the slow openpyxl baseline runs
``--baseline-runs`` times (1). Workbooks are generated once with ``svcqa sample`` (fixed seed)
into ``bench/cache/`` (git-ignored; a 1M month takes about a minute to write). ``score+history``
scores the month into a store already holding the two months before it, deriving reworks by IMEI.

    python bench/run.py                    # 200k and 1M, baseline at both sizes
    python bench/run.py --sizes 200k --baseline-sizes 200k

Writes ``bench/results.md`` and ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
BIN = Path(sys.executable).parent
SIZES = {"200k": 200_000, "1m": 1_000_000}
BRANCHES = 500
MONTH = "2026-10"
HISTORY_MONTHS = ("2026-08", "2026-09")
SEED = 7
PACKAGES = ("svcqa", "pandas", "numpy", "pyarrow", "fastexcel", "isal", "openpyxl", "xlsxwriter")


def workbook(size: str, month: str = MONTH, *, derived: bool = False) -> Path:
    """The cached sample ``month`` for ``size``, generated on first use (the same seed and sizes
    for every month, so later months rework devices of earlier ones). ``derived``: without the
    是否返修 column, so reworks are derived from the IMEI across the stored 90 days."""
    folder = CACHE / size / ("derived" if derived else "")
    path = folder / f"{month}.xlsx"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"generating {path} ({SIZES[size]:,} tickets, {BRANCHES} branches; a minute at 1M) ...",
            flush=True,
        )
        subprocess.run(
            [str(BIN / "svcqa"), "sample", "--month", month, "--branches", str(BRANCHES),
             "--tickets", str(SIZES[size]), "--seed", str(SEED), "--out", str(folder),
             "--no-rework-flag" if derived else "--rework-flag"],
            check=True,
        )  # fmt: skip
    return path


def history_store(size: str, work: Path) -> Path:
    """A store holding the two months before MONTH, scored once (not timed): scoring MONTH then
    reads their quarter-to-date counts, ranks and 90 days of tickets for rework detection (the
    months have no 是否返修 column, so every rework is found by IMEI)."""
    store = work / size / "history.db"
    for month in HISTORY_MONTHS:
        subprocess.run(
            [str(BIN / "svcqa"), "score", str(workbook(size, month, derived=True)), "--month", month, "--db", str(store),
             "--out", str(work / size / "history-out" / month), "--quiet"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return store


def measure(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one process.

    CPU seconds are reported beside wall time because the machine may be shared: other load
    stretches wall time but hardly changes the CPU a run needs. Raises when the process fails.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB


def run_case(name: str, argv_for_run, runs: int) -> dict:
    """Run one case ``runs`` times; ``argv_for_run(i)`` gives the command of run ``i``."""
    walls, cpus, rss = [], [], []
    for i in range(runs):
        argv = argv_for_run(i)
        # The previous run's files (a 100 MB store, the outputs) and the store copied for this
        # one go to disk first: the kernel writing them back would otherwise land in this run's
        # time (0.1-0.2 s at 1M tickets here), which a monthly cron run never sees.
        os.sync()
        wall, cpu, peak = measure(argv)
        walls.append(wall)
        cpus.append(cpu)
        rss.append(peak)
        print(
            f"  {name:<9} run {i + 1}/{runs}: {wall:7.2f} s wall  {cpu:7.2f} s CPU  {peak:7.0f} MiB",
            flush=True,
        )
    return {
        "runs": runs,
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
        "peak_rss_mib": round(statistics.median(rss), 1),
        "all_wall_s": [round(w, 3) for w in walls],
    }


def bench_size(size: str, runs: int, baseline_runs: int, work: Path) -> dict:
    path = workbook(size)
    svcqa = str(BIN / "svcqa")
    print(f"{size}: {path} ({path.stat().st_size / 2**20:.1f} MiB)", flush=True)
    cases: dict[str, dict] = {}

    def score_argv(i: int) -> list[str]:
        run_dir = work / size / f"score{i}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        return [svcqa, "score", str(path), "--month", MONTH, "--db", str(run_dir / "svcqa.db"),
                "--out", str(run_dir / "out"), "--quiet"]  # fmt: skip

    cases["score"] = run_case("score", score_argv, runs)
    db = work / size / f"score{runs - 1}" / "svcqa.db"
    stored = history_store(size, work)
    derived = workbook(size, derived=True)

    def history_argv(i: int) -> list[str]:
        run_dir = work / size / f"history{i}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        shutil.copyfile(stored, run_dir / "svcqa.db")
        os.sync()  # the copy's write-back is not the timed run's work
        return [svcqa, "score", str(derived), "--month", MONTH, "--db", str(run_dir / "svcqa.db"),
                "--out", str(run_dir / "out"), "--quiet"]  # fmt: skip

    cases["score+history"] = run_case("score+history", history_argv, runs)

    def report_argv(i: int) -> list[str]:
        out = work / size / f"reports{i}"
        shutil.rmtree(out, ignore_errors=True)
        return [svcqa, "report", "--all", "--month", MONTH, "--db", str(db), "--out", str(out)]

    cases["report"] = run_case("report", report_argv, runs)
    reports = len(list((work / size / f"reports{runs - 1}").glob("*.html"))) - 1  # minus index.html
    python = sys.executable
    if baseline_runs:
        cases["baseline"] = run_case(
            "baseline",
            lambda _i: [python, str(HERE / "baseline_openpyxl.py"), str(path)],
            baseline_runs,
        )
    cases["floor"] = run_case(
        "floor", lambda _i: [python, str(HERE / "floor_fastest.py"), str(path)], runs
    )
    result = {"tickets": SIZES[size], "branches": BRANCHES, "branch_reports": reports,
              "workbook_mib": round(path.stat().st_size / 2**20, 1), "cases": cases}  # fmt: skip
    for name, key in (("score", ""), ("score+history", "_with_history")):
        score = cases[name]["wall_s"]
        if "baseline" in cases:
            result["baseline_over_score" + key] = round(cases["baseline"]["wall_s"] / score, 2)
        result["score_over_floor" + key] = round(score / cases["floor"]["wall_s"], 2)
    return result


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(ram, 1), "os": platform.platform(),
            "python": platform.python_version(), "packages": versions}  # fmt: skip


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [
        "# svcqa benchmark results",
        "",
        f"Measured {doc['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, "
        f"Python {m['python']} ({m['os']}); load average before the run "
        + " / ".join(f"{x:.2f}" for x in doc["load_average_before"])
        + " (1/5/15 min).",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + ".",
        "",
        f"Month workbook from `svcqa sample --branches {BRANCHES} --seed {SEED}` (tickets as below, "
        "about 3 % complaints, attendance). Whole processes; wall seconds and peak RSS are the "
        "median of the runs shown. `score` writes every output into a fresh history store and "
        f"folder; `score+history` does the same into a copy of a store already holding "
        f"{' and '.join(HISTORY_MONTHS)} (same sizes and seed), with months written without the "
        "是否返修 column, so quarter-to-date figures and ranks are read and every rework is derived "
        "by IMEI across the stored 90 days; `report` is `svcqa report --all` (HTML and XLSX for every branch); `baseline` is "
        '`pandas.read_excel(sheet_name=None, engine="openpyxl")`; `floor` reads every sheet into '
        "pandas with fastexcel on a thread pool. CPU s is user + system time of the process (it "
        "exceeds wall time when two cores work at once); the load average before the run is "
        "recorded because other work on the machine stretches wall times.",
        "",
        "| tickets | case | runs | wall s (median) | CPU s (median) | peak RSS MiB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in doc["sizes"].values():
        for name, case in size["cases"].items():
            lines.append(
                f"| {size['tickets']:,} | {name} | {case['runs']} | {case['wall_s']:.2f} | {case['cpu_s']:.2f} "
                f"| {case['peak_rss_mib']:.0f} |"
            )
    lines += ["", "| tickets | case | baseline / score | score / floor |", "|---:|---|---:|---:|"]
    for size in doc["sizes"].values():
        for name, key in (("score", ""), ("score+history", "_with_history")):
            ratio = size.get("baseline_over_score" + key)
            lines.append(
                f"| {size['tickets']:,} | {name} | {f'{ratio:.1f}x' if ratio else 'not run'} "
                f"| {size['score_over_floor' + key]:.2f}x |"
            )
    if "scaling" in doc:
        s = doc["scaling"]
        lines += ["", f"1M / 200k: score {s['score']:.2f}x, score+history {s['score+history']:.2f}x, "
                  f"report {s['report']:.2f}x, floor {s['floor']:.2f}x "
                  "(5x the tickets; linear cost gives about 5x, less when fixed start-up costs count)."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200k,1m", help="comma-separated: 200k, 1m")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median reported)")
    parser.add_argument(
        "--baseline-runs", type=int, default=1, help="runs of the slow openpyxl baseline"
    )
    parser.add_argument(
        "--baseline-sizes", default=None, help="sizes to run the baseline at (default: all)"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder for results.md and results.json"
    )
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    baseline_sizes = set(sizes if args.baseline_sizes is None else args.baseline_sizes.split(","))
    doc: dict = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                 "load_average_before": [round(x, 2) for x in os.getloadavg()], "sizes": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="svcqa-bench-") as tmp:
        for size in sizes:
            doc["sizes"][size] = bench_size(
                size, args.runs, args.baseline_runs if size in baseline_sizes else 0, Path(tmp)
            )
    if {"200k", "1m"} <= doc["sizes"].keys():
        big, small = doc["sizes"]["1m"]["cases"], doc["sizes"]["200k"]["cases"]
        doc["scaling"] = {
            k: round(big[k]["wall_s"] / small[k]["wall_s"], 2)
            for k in ("score", "score+history", "report", "floor")
        }
    text = markdown(doc)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text, encoding="utf-8")
    (args.out / "results.json").write_text(
        json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print()
    print(text)


if __name__ == "__main__":
    main()
