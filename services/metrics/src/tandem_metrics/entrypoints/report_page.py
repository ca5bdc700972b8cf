"""The program report as one self-contained HTML page: headline KPIs and four charts drawn as
inline SVG (no script, no font or file from elsewhere), readable offline and printable."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from tandem_contracts.anonymity import Figure
from tandem_metrics.domain.kpis import ProgramKpis, Ratio

W, H, PAD = 560, 220, 36
BLUE, ORANGE, GREY = "#2f6db5", "#e08a2e", "#9aa5b1"

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2933;
background:#f7f9fb}h1{margin:0 0 .2rem}p.meta{color:#52606d;margin:0 0 1.5rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.8rem}
.tile{background:#fff;border-radius:8px;padding:.8rem 1rem;box-shadow:0 1px 2px #0002}
.tile b{display:block;font-size:1.6rem}.tile b.words{font-size:1rem;padding:.45rem 0}
.tile span{color:#52606d;font-size:.85rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(580px,1fr));gap:1rem;
margin-top:1.5rem}figure{background:#fff;border-radius:8px;margin:0;padding:1rem;
box-shadow:0 1px 2px #0002}figcaption{font-weight:600;margin-bottom:.5rem}
svg text{font-size:11px;fill:#52606d}.none{color:#7b8794;font-style:italic}
table{border-collapse:collapse;margin-top:1.5rem;background:#fff}td,th{padding:.3rem .8rem;
border-bottom:1px solid #e4e7eb;text-align:left}
"""


def _pct(value: float | None) -> str:
    return "\u2013" if value is None else f"{100 * value:.0f}%"


def _ratio(r: Ratio) -> str:
    return _pct(r.value)


def _fig(f: Figure, fmt: str = "{:.1f}") -> str:
    return "too few answers" if f.value is None else fmt.format(f.value)


def _tile(value: str, label: str) -> str:
    size = ' class="words"' if len(value) > 8 else ""
    return f'<div class="tile"><b{size}>{escape(value)}</b><span>{escape(label)}</span></div>'


def _bars(
    chart_id: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    floor: float = 0.0,
) -> str:
    """Grouped bars; a None value is left out (a suppressed figure is not a zero)."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    top = max([*values, floor + 1e-9, 0.0])
    low = min([*values, floor])
    span = (top - low) or 1.0
    group = (W - 2 * PAD) / max(len(labels), 1)
    width = group * 0.8 / max(len(series), 1)
    zero = H - PAD - (0 - low) / span * (H - 2 * PAD)
    parts = [f'<line x1="{PAD}" y1="{zero:.1f}" x2="{W - PAD}" y2="{zero:.1f}" stroke="{GREY}"/>']
    for i, label in enumerate(labels):
        x0 = PAD + i * group + group * 0.1
        for j, (name, colour, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            y = H - PAD - (v - low) / span * (H - 2 * PAD)
            top_y, height = min(y, zero), abs(zero - y)
            parts.append(
                f'<rect x="{x0 + j * width:.1f}" y="{top_y:.1f}" width="{width * 0.9:.1f}" '
                f'height="{max(height, 1):.1f}" fill="{colour}"><title>{escape(name)} '
                f"{escape(label)}: {v:g}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{H - PAD + 14}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append(f'<text x="4" y="{PAD - 8}">{top:g}</text>')
    legend = " ".join(
        f'<tspan fill="{c}">■</tspan> {escape(n)}' for n, c, _ in series if len(series) > 1
    )
    if legend:
        parts.append(f'<text x="{W - PAD}" y="14" text-anchor="end">{legend}</text>')
    return _svg(chart_id, parts)


def _line(chart_id: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    points = [
        (PAD + i * (W - 2 * PAD) / max(len(labels) - 1, 1), H - PAD - v * (H - 2 * PAD))
        for i, v in enumerate(values)
        if v is not None
    ]
    parts = [
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="{GREY}"/>',
        f'<text x="4" y="{PAD}">100%</text><text x="4" y="{H - PAD}">0%</text>',
    ]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BLUE}"/>' for x, y in points]
    step = max(len(labels) // 8, 1)
    parts += [
        f'<text x="{PAD + i * (W - 2 * PAD) / max(len(labels) - 1, 1):.1f}" y="{H - PAD + 14}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % step == 0
    ]
    return _svg(chart_id, parts)


def _svg(chart_id: str, parts: list[str]) -> str:
    body = "".join(parts)
    return (
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _figure(title: str, chart: str, empty: bool, note: str) -> str:
    content = f'<p class="none">{escape(note)}</p>' if empty else chart
    return f"<figure><figcaption>{escape(title)}</figcaption>{content}</figure>"


def render(kpis: ProgramKpis) -> str:
    weeks = [w.week_starts_on.strftime("%d %b") for w in kpis.weeks]
    held = _bars(
        "chart-sessions-per-week",
        weeks,
        [("held", BLUE, [float(w.sessions_held) for w in kpis.weeks])],
    )
    cadence = _line("chart-cadence", weeks, [w.cadence_adherence for w in kpis.weeks])
    topics = [t.topic_name for t in kpis.competence]
    competence = _bars(
        "chart-competence",
        topics,
        [
            ("self view", BLUE, [t.self_delta.value for t in kpis.competence]),
            ("partner view", ORANGE, [t.partner_delta.value for t in kpis.competence]),
        ],
    )
    sides = kpis.feedback
    distribution = _bars(
        "chart-feedback",
        [str(n) for n in range(1, 6)],
        [
            (
                f"{side}s",
                BLUE if side == "mentee" else ORANGE,
                [
                    None if f.rating_distribution is None else float(f.rating_distribution[n])
                    for n in range(1, 6)
                ],
            )
            for side, f in sides.items()
        ],
    )
    hours = kpis.mentoring_seconds / 3600
    tiles = "".join(
        [
            _tile(_ratio(kpis.participation), "participation"),
            _tile(_ratio(kpis.match_rate), "mentees matched"),
            _tile(str(kpis.active_pairs), "active pairs"),
            _tile(_ratio(kpis.session_completion), "sessions held of due"),
            _tile(_ratio(kpis.cadence_adherence), "cadence adherence"),
            _tile(f"{hours:.1f} h", "mentoring time"),
            _tile(_fig(kpis.mqs), "mentoring quality (1-5)"),
            _tile(_fig(kpis.nps, "{:+.0f}"), "net promoter score"),
            _tile(_pct(kpis.goal_completion.value), "goals achieved"),
            _tile(_ratio(kpis.early_closure_rate), "pairs ended early"),
        ]
    )
    rows = "".join(
        f"<tr><td>{escape(status)}</td><td>{count}</td></tr>"
        for status, count in kpis.sessions.items()
    ) + "".join(
        f"<tr><td>pairs ended: {escape(reason)}</td><td>{count}</td></tr>"
        for reason, count in kpis.ended_pairs_by_reason.items()
    )
    hidden = f"fewer than {kpis.anonymity_threshold} people answered"
    charts = "".join(
        [
            _figure("Sessions held per week", held, not kpis.weeks, "the program has not begun"),
            _figure("Cadence adherence over time", cadence, not kpis.weeks, "no week yet"),
            _figure(
                "Competence gained per topic (final \u2212 baseline)",
                competence,
                not any(
                    t.self_delta.value is not None or t.partner_delta.value is not None
                    for t in kpis.competence
                ),
                hidden,
            ),
            _figure(
                "Feedback ratings",
                distribution,
                all(f.rating_distribution is None for f in sides.values()),
                hidden,
            ),
        ]
    )
    program = escape(kpis.program_id)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Tandem · {program}</title><style>{STYLE}</style></head><body>"
        f"<h1>Program {program}</h1>"
        f'<p class="meta">As of {kpis.computed_at:%Y-%m-%d %H:%M} UTC · figures from fewer than '
        f"{kpis.anonymity_threshold} people's answers are not shown</p>"
        f'<div class="tiles">{tiles}</div><div class="charts">{charts}</div>'
        f"<table><tr><th>sessions and pairs</th><th>count</th></tr>{rows}</table>"
        "</body></html>"
    )
