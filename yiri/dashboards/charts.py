"""Bar charts drawn by the server as SVG, with classes only.

Why not a charting library: pygal (the one PyPI package that draws SVG on the server
without a browser) writes ``style=`` attributes, a ``<style>`` element and inline
``<script>`` into its SVG, all of which the Content-Security-Policy (``web/security.py``:
no inline script, no style without the page's nonce) blocks; matplotlib is a large
dependency for horizontal bars and also writes inline styles. These charts are a few
rectangles: geometry in attributes (``x``, ``width``…), colours and fonts in the static
stylesheet (``.chart`` rules in ``web/static/web/yiri.css``), so they follow the CSP,
print in black and white and scale with the page (``viewBox``).

Every chart has a ``<title>`` and ``<desc>``, and the page puts the same numbers in a
table beside it: the chart is ``aria-hidden`` to nobody, but the table is the accessible
form of the figures.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320
LABEL_W = 130
BAR_H = 18
GAP = 6


def _bar_len(value: int, biggest: int, room: int) -> float:
    return 0 if biggest <= 0 else max(room * value / biggest, 1 if value else 0)


def value_room(texts: list[str]) -> int:
    """Room kept right of the longest bar for its number (about 6.5 units a character at
    the chart font): "557 180" beside a full-width bar was cut at 1,000,000 cases."""
    return 8 + round(6.5 * max((len(t) for t in texts), default=1))


def hbar(chart_id: str, title: str, items: list[tuple[str, int]]) -> SafeString:
    """A horizontal bar chart of ``(label, value)``, numbers grouped as the language
    writes them ("557 180" in French)."""
    shown = [number_format(v, force_grouping=True) for _l, v in items]
    room = WIDTH - LABEL_W - value_room(shown)
    biggest = max((v for _l, v in items), default=0)
    height = max(len(items), 1) * (BAR_H + GAP) + GAP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape("; ".join(f"{lbl} : {v}" for lbl, v in items))}</desc>']
    for i, ((label, value), text) in enumerate(zip(items, shown, strict=True)):
        y = GAP + i * (BAR_H + GAP)
        w = _bar_len(value, biggest, room)
        short = label if len(label) <= 17 else label[:16] + "…"  # fits LABEL_W at the chart font
        parts.append(f'<text class="chart-label" x="{LABEL_W - 4}" y="{y + BAR_H - 5}" '
                     f'text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect class="chart-bar chart-bar-{i % 6}" x="{LABEL_W}" y="{y}" '
                     f'width="{w:.1f}" height="{BAR_H}"><title>{escape(label)} : {escape(text)}</title></rect>')
        parts.append(f'<text class="chart-value" x="{LABEL_W + w + 4:.1f}" y="{y + BAR_H - 5}">'
                     f'{escape(text)}</text>')
    if not items:
        parts.append(f'<text class="chart-label" x="{WIDTH / 2}" y="{BAR_H}" text-anchor="middle">—</text>')
    parts.append("</svg>")
    # Every text in it went through escape(); ids come from the code, numbers are ints.
    return mark_safe("".join(parts))  # nosec B308 B703


def columns(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> SafeString:
    """Vertical bars per period, side by side for each series (new and closed cases)."""
    n = max(len(labels), 1)
    k = max(len(series), 1)
    plot_h, top, bottom = 120, 8, 28
    slot = (WIDTH - 10) / n
    bar_w = max((slot - 4) / k, 1)
    biggest = max((v for _name, vals in series for v in vals), default=0)
    height = top + plot_h + bottom
    desc = "; ".join(f"{lab} : " + ", ".join(f"{name} {vals[i]}" for name, vals in series)
                     for i, lab in enumerate(labels))
    parts = [f'<svg class="chart chart-columns" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>', f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
             f'<line class="chart-axis" x1="5" x2="{WIDTH - 5}" y1="{top + plot_h}" y2="{top + plot_h}"/>']
    for i, lab in enumerate(labels):
        x0 = 5 + i * slot + 2
        for j, (name, vals) in enumerate(series):
            h = _bar_len(vals[i], biggest, plot_h)
            parts.append(f'<rect class="chart-bar chart-bar-{j}" x="{x0 + j * bar_w:.1f}" '
                         f'y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                         f'<title>{escape(lab)} — {escape(name)} : {vals[i]}</title></rect>')
        if n <= 12 or i % 2 == 0:
            parts.append(f'<text class="chart-label chart-small" x="{x0 + (slot - 4) / 2:.1f}" '
                         f'y="{top + plot_h + 14}" text-anchor="middle">{escape(lab)}</text>')
    for j, (name, _vals) in enumerate(series):
        x = 5 + j * 110
        parts.append(f'<rect class="chart-bar chart-bar-{j}" x="{x}" y="{height - 10}" width="10" height="8"/>')
        parts.append(f'<text class="chart-label chart-small" x="{x + 14}" y="{height - 2}">{escape(name)}</text>')
    parts.append("</svg>")
    # Every text in it went through escape(); ids come from the code, numbers are ints.
    return mark_safe("".join(parts))  # nosec B308 B703
