"""Charts drawn on the server as SVG: no JavaScript, no CDN, printable.

Every text placed in the SVG is escaped; numbers are formatted here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = {
    "high": "#b91c1c",
    "medium": "#d97706",
    "low": "#6b7280",
    "bar": "#1d4ed8",
    "node": "#0f766e",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown


def bar_chart_svg(bars: Sequence[Bar], *, title: str, width: int = 640) -> SafeString:
    """Horizontal bars, one per row, scaled to the largest value."""
    row_height, label_width, top = 22, 200, 28
    height = top + row_height * max(len(bars), 1) + 10
    largest = max((bar.value for bar in bars), default=0) or 1
    bar_space = width - label_width - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for index, bar in enumerate(bars):
        y = top + index * row_height
        length = max(bar.value, 0) / largest * bar_space
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}" '
            f'fill="{PALETTE["bar"]}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 15}" font-size="12">'
            f"{escape(bar.text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class GraphNode:
    key: str
    label: str
    title: str


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    weight: int
    colour_key: str
    title: str


def circle_graph_svg(
    nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], *, title: str, size: int = 560
) -> SafeString:
    """Nodes on a circle, edges as straight lines whose width grows with their weight."""
    centre, radius = size / 2, size / 2 - 40
    position = {}
    for index, node in enumerate(nodes):
        angle = 2 * math.pi * index / max(len(nodes), 1) - math.pi / 2
        position[node.key] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    heaviest = max((edge.weight for edge in edges), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{size}" height="{size}" viewBox="0 0 {size} {size}">',
        f"<title>{escape(title)}</title>",
    ]
    for edge in sorted(edges, key=lambda edge: edge.weight):
        (x1, y1), (x2, y2) = position[edge.source], position[edge.target]
        stroke = 1 + 7 * edge.weight / heaviest
        colour = PALETTE.get(edge.colour_key, PALETTE["low"])
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="{stroke:.1f}" stroke-opacity="0.75">'
            f"<title>{escape(edge.title)}</title></line>"
        )
    for node in nodes:
        x, y = position[node.key]
        parts.append(
            f"<g><title>{escape(node.title)}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="14" fill="{PALETTE["node"]}"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" fill="#fff" text-anchor="middle">'
            f"{escape(node.label)}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
