"""The HTML report: one self-contained page, plots as embedded PNG with alt text.

Plots are drawn with matplotlib's Agg canvas directly (no pyplot, so no global
backend state). Every plot has alt text that states its numbers, and the
same numbers are in tables with header cells, for screen-reader users.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from datetime import datetime, timezone
from html import escape

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sicourse.grading.report_data import ItemStats, ReportData

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1a1a1a; line-height: 1.5; }
table { border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
th, td { border: 1px solid #999; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #eee; }
img { max-width: 100%; height: auto; }
.note { color: #444; }
"""


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{round(value, digits):g}"


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def histogram(data: ReportData) -> tuple[str, str]:
    """(base64 PNG, alt text) of the distribution of total scores."""
    totals = [r.score for r in data.rows]
    top = max([data.max_score, *totals, 1.0])
    if top <= 40:
        edges = np.arange(-0.5, np.floor(top) + 1.5, 1.0)
    else:
        edges = np.linspace(0, top, 21)
    fig = Figure(figsize=(7, 3.5), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.hist(totals, bins=edges, color="#3b6ea5", edgecolor="white")
    ax.set_xlabel(f"Total score (out of {data.max_score:g})")
    ax.set_ylabel("Submissions")
    ax.set_title(f"Distribution of total scores, {data.assignment}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    counts = Counter(round(t, 2) for t in totals)
    listed = ", ".join(f"{n} with {s:g}" for s, n in sorted(counts.items()))
    alt = (
        f"Histogram of total scores for {data.assignment}, out of {data.max_score:g} points, "
        f"over {len(totals)} submissions: lowest {min(totals):g}, median "
        f"{statistics.median(totals):g}, mean {statistics.fmean(totals):.2f}, highest "
        f"{max(totals):g}. Submissions by score: {listed}."
    )
    return _png(fig), alt


def item_chart(data: ReportData, stats: list[ItemStats]) -> tuple[str, str]:
    """(base64 PNG, alt text) of each item's mean as a share of its points, hardest first."""
    shown = [s for s in stats if s.fraction is not None]
    fig = Figure(figsize=(7, 0.45 * len(shown) + 1.4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    labels = [f"{s.item.label} ({s.item.points:g} pt)" for s in shown]
    values = [100 * (s.fraction or 0) for s in shown]
    ax.barh(labels, values, color=["#a5503b" if v < 50 else "#3b6ea5" for v in values])
    ax.invert_yaxis()  # hardest at the top
    ax.set_xlim(0, 100)
    ax.set_xlabel("Mean score, % of the item's points")
    ax.set_title(f"Mean score per item, hardest first, {data.assignment}")
    for y, v in enumerate(values):
        ax.text(min(v + 1, 92), y, f"{v:.0f}%", va="center")
    listed = "; ".join(f"{s.item.label}: {100 * (s.fraction or 0):.0f}%" for s in shown)
    alt = (
        f"Horizontal bar chart of the mean score on each item of {data.assignment} as a "
        f"percentage of the item's points, hardest item first: {listed}."
    )
    return _png(fig), alt


def _table(caption: str, head: list[str], rows: list[list[tuple[str, bool]]],
           row_headers: bool = True) -> str:
    """A table; each cell is (html, numeric). The first cell of a row heads it."""
    out = [f"<table>\n<caption>{escape(caption)}</caption>\n<thead><tr>"]
    out += [f'<th scope="col">{escape(h)}</th>' for h in head]
    out.append("</tr></thead>\n<tbody>\n")
    for row in rows:
        out.append("<tr>")
        for index, (cell, numeric) in enumerate(row):
            cls = ' class="num"' if numeric else ""
            if index == 0 and row_headers:
                out.append(f'<th scope="row"{cls}>{cell}</th>')
            else:
                out.append(f"<td{cls}>{cell}</td>")
        out.append("</tr>\n")
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def render(data: ReportData) -> str:
    """The whole report as one HTML document."""
    a = escape(data.assignment)
    stats = data.item_stats()
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>Grading report: {a}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>Grading report: {a}</h1>\n"
    ]
    totals = [r.score for r in data.rows]
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(
        f'<p class="note">{len(data.rows)} submission(s), {len(data.flags)} flagged; '
        f"out of {data.max_score:g} points. Generated {generated}.</p>\n"
    )
    waiting = sum(1 for r in data.rows if r.needs_manual_grade)
    if waiting:
        parts.append(f"<p>{waiting} submission(s) still need manual grading: their totals "
                     "may rise, and ungraded items (—) are left out of the item means.</p>\n")
    if data.no_submission:
        parts.append(f"<p>{len(data.no_submission)} student(s) in the gradebook have no "
                     f"submission: {escape(', '.join(data.no_submission))}.</p>\n")

    parts.append('<section aria-labelledby="totals">\n<h2 id="totals">Total scores</h2>\n')
    if totals:
        png, alt = histogram(data)
        parts.append(f'<img src="data:image/png;base64,{png}" alt="{escape(alt)}">\n')
        parts.append(_table("Summary of total scores", ["Statistic", "Points"], [
            [(name, False), (_num(value), True)] for name, value in [
                ("Submissions", len(totals)), ("Lowest", min(totals)),
                ("Median", statistics.median(totals)), ("Mean", statistics.fmean(totals)),
                ("Highest", max(totals)), ("Out of", data.max_score),
            ]
        ]))
    else:
        parts.append("<p>No graded submissions yet.</p>\n")
    parts.append("</section>\n")

    parts.append('<section aria-labelledby="items">\n<h2 id="items">Items, hardest first</h2>\n')
    if any(s.fraction is not None for s in stats):
        png, alt = item_chart(data, stats)
        parts.append(f'<img src="data:image/png;base64,{png}" alt="{escape(alt)}">\n')
    parts.append(_table(
        "Mean score per item, as points and as a share of the item's points",
        ["Item", "Kind", "Points", "Mean score", "Mean, % of points", "Graded", "Awaiting"],
        [[(escape(s.item.label), False),
          ("autograded" if s.item.autograded else "manual", False),
          (_num(s.item.points), True), (_num(s.mean), True),
          ("—" if s.fraction is None else f"{100 * s.fraction:.0f}%", True),
          (str(s.graded), True), (str(s.waiting), True)] for s in stats],
    ))
    parts.append("</section>\n")

    parts.append('<section aria-labelledby="flagged">\n<h2 id="flagged">Flagged submissions</h2>\n')
    if data.flags:
        by_student = {r.student: r for r in data.rows}
        rows = []
        for student, reasons in sorted(data.flags.items()):
            row = by_student.get(student)
            total = _num(row.score) if row else "no grade"
            items = "".join(f"<li>{escape(r)}</li>" for r in reasons) or "<li>(no reason)</li>"
            rows.append([(escape(student), False), (total, True), (f"<ul>{items}</ul>", False)])
        parts.append(_table("Submissions flagged by the grader, with the reasons",
                            ["Student", "Total", "Reasons"], rows))
    else:
        parts.append("<p>No submission was flagged.</p>\n")
    parts.append("</section>\n")

    parts.append('<section aria-labelledby="all">\n<h2 id="all">All submissions</h2>\n')
    labels = [i.label for i in data.items]
    parts.append(_table(
        f"Scores of every submission (— : awaiting manual grading); "
        f"the full data is in {data.assignment}-grades.csv",
        ["Student", "Total", *labels, "Late penalty", "Flagged"],
        [[(escape(r.student), False), (_num(r.score), True),
          *((_num(r.items.get(label)), True) for label in labels),
          (_num(r.penalty), True), ("yes" if r.student in data.flags else "no", False)]
         for r in data.rows],
    ))
    parts.append("</section>\n</main>\n</body>\n</html>\n")
    return "".join(parts)
