"""Headless Chromium for tests: print to PDF, screenshot, dump the DOM, collect console messages.

No new dependency: Chromium's own command-line switches do the work, and console output is read
from ``--enable-logging=stderr`` (every ``console.*`` call and every uncaught error is logged there
as a ``CONSOLE`` line). Tests that need a browser call ``require_browser()``: it skips when no
Chromium is installed, or fails when ``SVCQA_REQUIRE_BROWSER=1`` (CI), so a missing browser can
never pass silently in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
)
TIMEOUT = 90
_CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\]\s*(.*)")


def find_chromium() -> str | None:
    """The Chromium binary: $SVCQA_CHROMIUM, a Debian/Chrome path, or one on PATH; None if absent."""
    configured = os.environ.get("SVCQA_CHROMIUM")
    if configured and Path(configured).exists():
        return configured
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The Chromium path, else skip the test (or fail it when SVCQA_REQUIRE_BROWSER=1)."""
    path = find_chromium()
    if path is None:
        message = (
            "headless Chromium not found (install the 'chromium' package or set SVCQA_CHROMIUM)"
        )
        if os.environ.get("SVCQA_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass(frozen=True)
class BrowserRun:
    stdout: str
    stderr: str
    returncode: int

    @property
    def console(self) -> list[str]:
        """Every console message and uncaught error the page produced."""
        return [m.group(1) for m in map(_CONSOLE.search, self.stderr.splitlines()) if m]


def run_chromium(page: Path, *extra: str, chromium: str | None = None) -> BrowserRun:
    """Run headless Chromium once on the file ``page`` with console logging on and a throw-away
    profile beside the page (under the test's own folder, never the machine's temp folder)."""
    binary = chromium or require_browser()
    url = file_url(page)
    with tempfile.TemporaryDirectory(prefix=".chromium-", dir=Path(page).parent) as profile:
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            url,
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env={**os.environ, "HOME": profile},
        )
    return BrowserRun(done.stdout, done.stderr, done.returncode)


def file_url(path: Path) -> str:
    return Path(path).resolve().as_uri()


def dump_dom(page: Path) -> BrowserRun:
    """The DOM after parsing and running the page (``stdout``), with its console messages."""
    run = run_chromium(page, "--dump-dom", "--virtual-time-budget=2000")
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def print_pdf(page: Path, pdf: Path) -> BrowserRun:
    """Print ``page`` to ``pdf`` as the browser's print dialog would (the page's @page size)."""
    run = run_chromium(
        page,
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        "--virtual-time-budget=2000",
    )
    assert pdf.exists() and pdf.stat().st_size > 0, run.stderr[-2000:]
    return run


def screenshot(page: Path, png: Path, width: int = 1100, height: int = 1500) -> BrowserRun:
    """A PNG of the top ``width`` x ``height`` CSS pixels of ``page``."""
    run = run_chromium(
        page,
        f"--screenshot={png}",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
        "--virtual-time-budget=2000",
    )
    assert png.exists() and png.stat().st_size > 0, run.stderr[-2000:]
    return run


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page (A4 is 595 x 842), from each page object's /MediaBox.

    Chromium writes uncompressed object dictionaries; a page without its own /MediaBox inherits
    the one on its /Pages parent, taken here as the document's first /Pages box.
    """
    data = pdf.read_bytes()
    objects = re.split(rb"\bendobj\b", data)
    box = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")

    def size(match: re.Match[bytes]) -> tuple[float, float]:
        x0, y0, x1, y1 = (float(v) for v in match.groups())
        return round(x1 - x0, 1), round(y1 - y0, 1)

    inherited = next(
        (
            size(m)
            for obj in objects
            if re.search(rb"/Type\s*/Pages\b", obj)
            for m in [box.search(obj)]
            if m
        ),
        None,
    )
    sizes = []
    for obj in objects:
        if re.search(rb"/Type\s*/Page(?![a-zA-Z])", obj):
            found = box.search(obj)
            sizes.append(size(found) if found else inherited)
    return [s for s in sizes if s is not None]


def png_pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes): (width, height, rows of RGB(A) bytes).

    A small stdlib decoder so the tests need no imaging library: inflate the IDAT stream, then
    undo each scanline's filter (None, Sub, Up, Average, Paeth; PNG spec section 9).
    """
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, bytearray()
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (
                f"unsupported PNG: depth {depth}, colour {colour}"
            )
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if method == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif method == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif method == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif method == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [row if channels == 3 else _drop_alpha(row) for row in rows]


def _drop_alpha(row: bytes) -> bytes:
    out = bytearray(len(row) // 4 * 3)
    out[0::3], out[1::3], out[2::3] = row[0::4], row[1::4], row[2::4]
    return bytes(out)


def non_white_fraction(png: Path, threshold: int = 235) -> float:
    """Share of pixels with any channel below ``threshold`` (0.0 for a blank page)."""
    width, height, rows = png_pixels(png)
    dark = 0
    table = bytes(1 if v < threshold else 0 for v in range(256))
    for row in rows:
        marks = row.translate(table)
        # A pixel is non-white when any of its three channels is dark.
        dark += sum(1 for i in range(0, len(marks), 3) if marks[i] | marks[i + 1] | marks[i + 2])
    return dark / float(width * height)


def cjk_font_installed(family: str = "Noto Sans CJK SC") -> bool:
    """Whether fontconfig resolves ``family`` to itself (not a fallback)."""
    fc = shutil.which("fc-match")
    if fc is None:
        return False
    out = subprocess.run([fc, family], capture_output=True, text=True, check=False).stdout
    return family.lower() in out.lower()
