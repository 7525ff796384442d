"""A generated IT-helpdesk month (fixed seed) and the helpdesk rubric of issue 20.

Technicians are the branches; tickets carry Created/Resolved datetimes, Priority and Status as
the real export does; the roster (Technicians) carries each technician's Users; complaints are
counted per 10,000 users. Shared by the acceptance test; values are computed there with pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTH_START = pd.Timestamp("2026-10-01")
MONTH_END = pd.Timestamp("2026-11-01")  # open tickets are aged to here
TECHNICIANS = ["Ana", "Ben", "Chen", "Dee", "Eli", "Fay"]
USERS = {"Ana": 12000, "Ben": 8000, "Chen": 20000, "Dee": 5000, "Eli": 15000, "Fay": None}
SLA_HOURS = {"Critical": 4, "High": 24, "Medium": 48, "Low": 72}

HELPDESK_RUBRIC = """
id = "helpdesk"
name = "IT helpdesk"
max = 100

[[grades]]
name = "good"
min = 80
coefficient = 1.0

[[grades]]
name = "weak"
min = 0
coefficient = 0.9

[columns.tickets.priority]
type = "text"
aliases = ["Priority"]

[columns.tickets.status]
type = "text"
aliases = ["Status"]

[columns.branches.users]
type = "number"
aliases = ["Users"]

[aliases.tickets]
ticket_id = ["Ticket ID"]
branch = ["Technician"]
accepted_at = ["Created"]
completed_at = ["Resolved"]

[aliases.complaints]
complaint_id = ["Complaint ID"]
branch = ["Technician"]
received_at = ["Received"]

[aliases.branches]
branch = ["Technician"]

[sheet_aliases]
tickets = ["Tickets"]
complaints = ["Complaints"]
branches = ["Technicians"]

[[kpis]]
id = "sla"
label = "SLA breach share"
points = 40
metric = { kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at", unit = "hours" }, threshold_by = { column = "priority", values = { Critical = 4, High = 24, Medium = 48, Low = 72 } } }
curve = { kind = "linear", full = 0, zero = 0.5 }

[[kpis]]
id = "resolution"
label = "Mean resolution hours"
points = 30
metric = { kind = "mean", table = "tickets", span = { from = "accepted_at", to = "completed_at", unit = "hours" }, open = "age" }
curve = { kind = "linear", full = 24, zero = 240 }

[[kpis]]
id = "backlog"
label = "Backlog share"
points = 15
metric = { kind = "share_in", table = "tickets", column = "status", values = ["Open", "In Progress"] }
curve = { kind = "linear", full = 0, zero = 0.4 }

[[kpis]]
id = "complaints"
label = "Complaints per 10,000 users"
points = 15
metric = { kind = "count", table = "complaints", per = { table = "branches", column = "users", scale = 10000 } }
curve = { kind = "linear", full = 0, zero = 20 }
"""


def helpdesk_month(seed: int = 20, tickets: int = 400) -> dict[str, pd.DataFrame]:
    """The month's three sheets as frames, in the export's own headers."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 31 * 24 * 60, tickets)
    created = MONTH_START + pd.to_timedelta(minutes, unit="min")
    priority = rng.choice(list(SLA_HOURS), tickets, p=[0.1, 0.3, 0.4, 0.2])
    hours = np.round(rng.exponential(14.0, tickets) * 60) / 60  # whole minutes
    resolved = created + pd.to_timedelta(np.round(hours * 60), unit="min")
    status = rng.choice(
        ["Open", "In Progress", "Resolved", "Closed"], tickets, p=[0.08, 0.1, 0.5, 0.32]
    )
    open_ = np.isin(status, ["Open", "In Progress"]) | (
        resolved >= MONTH_END + pd.Timedelta(days=3)
    )
    status = np.where(open_ & ~np.isin(status, ["Open", "In Progress"]), "In Progress", status)
    tickets_frame = pd.DataFrame(
        {
            "Ticket ID": [f"HD{i:05d}" for i in range(tickets)],
            "Technician": rng.choice(TECHNICIANS, tickets),
            "Created": created,
            "Resolved": pd.Series(resolved).where(~open_),
            "Priority": priority,
            "Status": status,
        }
    )
    complaints = int(rng.integers(15, 40))
    complaints_frame = pd.DataFrame(
        {
            "Complaint ID": [f"C{i:03d}" for i in range(complaints)],
            "Technician": rng.choice(TECHNICIANS, complaints),
            "Received": MONTH_START
            + pd.to_timedelta(rng.integers(0, 30 * 24, complaints), unit="h"),
        }
    )
    roster = pd.DataFrame({"Technician": list(USERS), "Users": list(USERS.values())})
    return {"Tickets": tickets_frame, "Complaints": complaints_frame, "Technicians": roster}


def write_month(frames: dict[str, pd.DataFrame], path) -> None:
    """The frames as one workbook, a sheet each (datetimes as Excel datetimes, blanks blank)."""
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
