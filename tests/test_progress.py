"""The build's progress display (llmkg.build.progress) and the build calling it."""

from __future__ import annotations

import io

from llmkg.build.progress import StepPrinter, render


def test_render_line():
    assert render("mapping", 50_000, 100_000, 40.0) == \
        "  mapping [############------------] 50,000/100,000 (50%), 40 s left"
    assert render("mapping", 0, 10, 0.0) == "  mapping [------------------------] 0/10 (0%)"
    assert render("validating", 101, 101, 75.0) == \
        "  validating [########################] 101/101 (100%)"
    assert render("mapping", 1, 4, 130.0) == "  mapping [######------------------] 1/4 (25%), 6 min 30 s left"
    assert render("mapping", 5, 3, 1.0) == "  mapping [########################] 3/3 (100%)"  # clamped


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_terminal_redraws_one_line_throttled_and_clears_it():
    out, clock = io.StringIO(), FakeClock()
    step = StepPrinter(out, tty=True, interval=0.1, clock=clock)
    step("mapping")
    clock.now = 0.2
    step.progress(1, 4)
    clock.now = 0.25
    step.progress(2, 4)   # within the interval: not drawn
    clock.now = 0.4
    step.progress(3, 4)
    step.progress(4, 4)   # the last one is always drawn
    step("validating")
    step.close()
    lines = [
        "  mapping...\n",
        "\r  mapping [######------------------] 1/4 (25%)",
        "\r  mapping [##################------] 3/4 (75%)",
        "\r  mapping [########################] 4/4 (100%)",
    ]
    width = len(lines[-1]) - 1
    assert out.getvalue() == "".join(lines) + "\r" + " " * width + "\r" + "  validating...\n"


def test_off_a_terminal_only_the_steps():
    out = io.StringIO()
    step = StepPrinter(out, tty=False)
    step("reading records")
    step.progress(5, 10)
    step("mapping")
    step.close()
    assert out.getvalue() == "  reading records...\n  mapping...\n"


def test_build_reports_records_and_units(tmp_path):
    """A build calls progress for the records it maps and the shape units it runs, ending
    at the totals."""
    from pathlib import Path

    from llmkg.build.pipeline import build
    from llmkg.config import Paths

    root = Path(__file__).resolve().parent.parent
    calls: list = []

    class Recorder:
        def __call__(self, message):
            calls.append(message)

        def progress(self, done, total):
            calls.append((done, total))

    paths = Paths.resolve(data=root / "data", store=tmp_path / "store")
    build(paths, step=Recorder(), incremental=False)
    steps = [c for c in calls if isinstance(c, str)]
    assert steps == ["reading records", "mapping", "validating", "writing the store"]
    mapping = calls[calls.index("mapping") + 1:calls.index("validating")]
    n_files = sum(1 for d in ("models", "papers", "organizations", "reading-lists", "sources")
                  for _f in (root / "data" / d).glob("*.yaml"))
    assert n_files == 364
    assert mapping == [(n_files, n_files)]  # fewer than 512 files: the end only
    units = calls[calls.index("validating") + 1:calls.index("writing the store")]
    assert units and units == [(i, units[-1][1]) for i in range(1, units[-1][1] + 1)]
    assert units[-1][1] >= 90  # one per compiled unit of the shapes
