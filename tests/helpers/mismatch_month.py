"""A small call-centre month and rubric whose filters and aliases can be mistyped: shared by the
rubric-mismatch tests of scoring (``run_score``) and of the command line (``svcqa score``)."""

from __future__ import annotations

# Five tickets of October (the command-line tests use the first three).
# Cycle days: A: T1 1, T2 1; B: T3 2, T4 2, T5 2.
HEADER = [
    "工单号",
    "网点",
    "受理时间",
    "完成时间",
    "Priority",
    "Answered",
    "Speed of answer in seconds",
]
TICKETS = [
    ["T1", "A", "2026-10-01 09:00", "2026-10-02 09:00", "Low", "Y", 20],
    ["T2", "A", "2026-10-02 09:00", "2026-10-03 09:00", "High", "N", 40],
    ["T3", "B", "2026-10-03 09:00", "2026-10-05 09:00", "Low", "Y", 30],
    ["T4", "B", "2026-10-04 09:00", "2026-10-06 09:00", "Low", "N", 50],
    ["T5", "B", "2026-10-05 09:00", "2026-10-07 09:00", "Critical", "Y", 60],
]

RUBRIC = """
id = "cc"
name = "Call centre"
max = 20

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.tickets.priority]
type = "text"
aliases = ["Priority"]

[columns.tickets.answered]
type = "flag"
aliases = ["Answered"]

[columns.tickets.speed]
type = "number"
aliases = ["{speed_header}"]

[[kpis]]
id = "cycle"
label = "Cycle"
points = 10
metric = {{ kind = "mean_cycle_days", filter = {{ {filter} }} }}
curve = {{ kind = "linear", full = 1, zero = 3 }}

[[kpis]]
id = "speed"
label = "Speed"
points = 10
metric = {{ kind = "mean", table = "tickets", column = "speed" }}
curve = {{ kind = "linear", full = 20, zero = 60 }}
"""
GOOD_SPEED = "Speed of answer in seconds"
