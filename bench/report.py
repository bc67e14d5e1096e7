"""Writing the results: each script's section of bench/RESULTS.md, Markdown tables, and the
scaling plot as a hand-written SVG.

RESULTS.md is shared by the bench scripts: each one's section sits between two marker comments
named after it, and only that section is replaced; everything else in the file is kept.
"""

import math
from html import escape
from pathlib import Path

TITLE = "# Benchmark results"


def replace_section(path, name, body):
    """Put ``body`` between the markers named ``name`` (a script and its options) in the file
    ``path``: in place of the previous section, else at the end. Creates the file when missing."""
    begin, end = f"<!-- begin: {name} (replaced on every run) -->", f"<!-- end: {name} -->"
    path = Path(path)
    text = path.read_text() if path.exists() else f"{TITLE}\n"
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text.rstrip() + "\n")


def table(header, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def span(timing, unit=1e3, digits=1):
    """'median [min-max]' of a timing.Timing, in ms by default."""
    return f"{timing.median * unit:.{digits}f} [{timing.min * unit:.{digits}f}-{timing.max * unit:.{digits}f}]"


def _ticks(low, high):
    """1-2-5 ticks covering [low, high] on a log scale."""
    found = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10 ** exponent
            if low <= value <= high:
                found.append(value)
    return found


def scaling_svg(panels, width=900, height=380):
    """An SVG of log-log panels; ``panels`` is a list of (title, x label, xs, series), each
    series (name, colour, ys, lows or None, highs or None, dashed)."""
    margin_left, margin_right, margin_top, margin_bottom = 64, 16, 40, 70
    panel_width = (width - 20) / len(panels)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for index, (title, x_label, xs, series) in enumerate(panels):
        left = 10 + index * panel_width + margin_left
        right = 10 + (index + 1) * panel_width - margin_right
        top, bottom = margin_top, height - margin_bottom
        values = [v for _, _, ys, lows, highs, _ in series for v in (*ys, *(lows or ()), *(highs or ())) if v > 0]
        y_low, y_high = min(values) / 1.5, max(values) * 1.5
        x_low, x_high = min(xs) / 1.5, max(xs) * 1.5

        def x_at(x, x_low=x_low, x_high=x_high, left=left, right=right):
            return left + (math.log(x) - math.log(x_low)) / (math.log(x_high) - math.log(x_low)) * (right - left)

        def y_at(y, y_low=y_low, y_high=y_high, top=top, bottom=bottom):
            return bottom - (math.log(y) - math.log(y_low)) / (math.log(y_high) - math.log(y_low)) * (bottom - top)

        parts.append(f'<text x="{(left + right) / 2:.1f}" y="22" text-anchor="middle" font-weight="bold">'
                     f'{escape(title)}</text>')
        parts.append(f'<rect x="{left:.1f}" y="{top}" width="{right - left:.1f}" height="{bottom - top}" '
                     'fill="none" stroke="#999"/>')
        for tick in _ticks(y_low, y_high):
            y = y_at(tick)
            parts.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
            parts.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
        for x in xs:
            parts.append(f'<text x="{x_at(x):.1f}" y="{bottom + 16}" text-anchor="middle">{x:g}</text>')
        parts.append(f'<text x="{(left + right) / 2:.1f}" y="{bottom + 34}" text-anchor="middle">'
                     f'{escape(x_label)}</text>')
        parts.append(f'<text transform="translate({left - 46:.1f},{(top + bottom) / 2:.1f}) rotate(-90)" '
                     'text-anchor="middle">ms per epoch (log)</text>')
        for position, (name, colour, ys, lows, highs, dashed) in enumerate(series):
            points = " ".join(f"{x_at(x):.1f},{y_at(y):.1f}" for x, y in zip(xs, ys, strict=True))
            dash = ' stroke-dasharray="6 4"' if dashed else ""
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
                parts.append(f'<circle cx="{x_at(x):.1f}" cy="{y_at(y):.1f}" r="3" fill="{colour}"/>')
                if lows and highs:
                    parts.append(f'<line x1="{x_at(x):.1f}" x2="{x_at(x):.1f}" y1="{y_at(lows[i]):.1f}" '
                                 f'y2="{y_at(highs[i]):.1f}" stroke="{colour}"/>')
            legend_y = height - 18
            legend_x = left + position * (right - left) / len(series)
            parts.append(f'<line x1="{legend_x:.1f}" x2="{legend_x + 20:.1f}" y1="{legend_y - 4}" '
                         f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
            parts.append(f'<text x="{legend_x + 24:.1f}" y="{legend_y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
