"""The mastery map's drawing: topics as boxes in layers (a topic sits one layer below its
deepest prerequisite), arrows from prerequisite to topic, each box a row of concept cells
coloured by P(mastered). Computed here, drawn as SVG by the template: the map needs no
script and reads the same on every browser.

Within a layer, boxes are ordered by the mean position of their prerequisites in the layers
above (two sweeps of the barycentre heuristic), ties by syllabus order, which keeps the
arrows mostly short and uncrossed on a graph this size (a grade has ~15 topics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

BOX_WIDTH = 184
CELL = 16
CELL_GAP = 3
CELLS_PER_ROW = 9
BOX_PAD = 10
# The unit's small caps line, then the topic's name on one or two lines.
TITLE_BASE = 22
LINE_HEIGHT = 13
COLUMN_GAP = 22
LAYER_GAP = 46
MARGIN = 12
# Characters of a unit's name (small caps) and of a title line that fit a box's width.
UNIT_CHARS = 27


@dataclass(frozen=True, slots=True)
class Cell:
    """One concept inside a topic's box."""

    code: str
    name: str
    colour: str
    status: str
    title: str  # the tooltip: name, P(mastered), status
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True, slots=True)
class TopicBox:
    code: str
    name: str
    # Lines of the title, wrapped to the box.
    lines: tuple[str, ...]
    unit: str
    # The unit's name as the box's small caps line: cut to what the box holds.
    unit_label: str
    # A prerequisite outside the student's grade: drawn faded, without concepts.
    outside: bool
    cells: tuple[Cell, ...]
    x: float
    y: float
    width: float
    height: float
    mean_mastery: float | None
    href: str


@dataclass(frozen=True, slots=True)
class Arrow:
    source: str
    target: str
    path: str  # an SVG path: a vertical S-curve from the bottom of one box to the top of another


@dataclass(slots=True)
class TopicSpec:
    """What the page knows of a topic before it is placed."""

    code: str
    name: str
    unit: str
    order: int
    prerequisites: tuple[str, ...]
    cells: list[Cell] = field(default_factory=list)
    outside: bool = False
    mean_mastery: float | None = None


@dataclass(frozen=True, slots=True)
class MapDrawing:
    width: float
    height: float
    boxes: tuple[TopicBox, ...]
    arrows: tuple[Arrow, ...]


def _layers(specs: dict[str, TopicSpec]) -> dict[str, int]:
    """Longest path from a topic without (shown) prerequisites; cycles cannot occur (the
    database refuses them) but a visited set keeps a bad row from recursing forever."""
    depth: dict[str, int] = {}

    def visit(code: str, seen: frozenset[str]) -> int:
        if code in depth:
            return depth[code]
        before = [p for p in specs[code].prerequisites if p in specs and p not in seen]
        value = 1 + max((visit(p, seen | {code}) for p in before), default=-1)
        depth[code] = value
        return value

    for code in specs:
        visit(code, frozenset())
    return depth


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def _wrap(text: str, width: int = 24, lines: int = 2) -> tuple[str, ...]:
    words, out, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = [*out[: lines - 1], _clip(out[lines - 1] + "\N{HORIZONTAL ELLIPSIS}", width)]
    return tuple(out)


def _barycentre(
    code: str, specs: dict[str, TopicSpec], position: dict[str, int]
) -> tuple[float, int]:
    above = [position[p] for p in specs[code].prerequisites if p in position]
    centre = sum(above) / len(above) if above else float(position[code])
    return (centre, specs[code].order)


def _order(layers: list[list[str]], specs: dict[str, TopicSpec]) -> None:
    """Barycentre ordering in place: each layer sorted by where its prerequisites sit."""
    for _ in range(2):
        position = {code: i for layer in layers for i, code in enumerate(layer)}
        for layer in layers[1:]:
            layer.sort(key=partial(_barycentre, specs=specs, position=dict(position)))
            position.update({code: i for i, code in enumerate(layer)})


def _title_height(lines: int) -> float:
    return TITLE_BASE + lines * LINE_HEIGHT


def _box_height(lines: int, cells: int) -> float:
    if not cells:
        return _title_height(lines) + BOX_PAD
    rows = -(-cells // CELLS_PER_ROW)
    return _title_height(lines) + rows * (CELL + CELL_GAP) + BOX_PAD


def draw(specs: Sequence[TopicSpec], href: str = "#topic-") -> MapDrawing:
    """Place `specs` (a grade's topics, plus the prerequisites from other grades marked
    `outside`) in layers and compute every box, cell and arrow."""
    by_code = {spec.code: spec for spec in specs}
    depth = _layers(by_code)
    count = max(depth.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    for spec in sorted(specs, key=lambda s: s.order):
        layers[depth[spec.code]].append(spec.code)
    _order(layers, by_code)

    widest = max((len(layer) for layer in layers), default=0)
    width = 2 * MARGIN + widest * BOX_WIDTH + max(0, widest - 1) * COLUMN_GAP
    boxes: dict[str, TopicBox] = {}
    y = float(MARGIN)
    for layer in layers:
        span = len(layer) * BOX_WIDTH + max(0, len(layer) - 1) * COLUMN_GAP
        x = (width - span) / 2
        tallest = 0.0
        for code in layer:
            spec = by_code[code]
            lines = _wrap(spec.name)
            top = y + _title_height(len(lines))
            height = _box_height(len(lines), len(spec.cells))
            cells = tuple(
                Cell(
                    cell.code,
                    cell.name,
                    cell.colour,
                    cell.status,
                    cell.title,
                    x + BOX_PAD + (i % CELLS_PER_ROW) * (CELL + CELL_GAP),
                    top + (i // CELLS_PER_ROW) * (CELL + CELL_GAP),
                )
                for i, cell in enumerate(spec.cells)
            )
            boxes[code] = TopicBox(
                code=code, name=spec.name, lines=lines, unit=spec.unit,
                unit_label=_clip(spec.unit, UNIT_CHARS), outside=spec.outside, cells=cells,
                x=x, y=y, width=BOX_WIDTH, height=height,
                mean_mastery=spec.mean_mastery, href=f"{href}{code}",
            )  # fmt: skip
            tallest = max(tallest, height)
            x += BOX_WIDTH + COLUMN_GAP
        y += tallest + LAYER_GAP
    arrows = []
    for spec in specs:
        target = boxes[spec.code]
        for code in spec.prerequisites:
            source = boxes.get(code)
            if source is None:
                continue
            x1, y1 = source.x + source.width / 2, source.y + source.height
            x2, y2 = target.x + target.width / 2, target.y - 3
            bend = (y2 - y1) / 2
            arrows.append(
                Arrow(
                    code,
                    spec.code,
                    f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f}"
                    f" {x2:.1f},{y2:.1f}",
                )
            )
    height = y - LAYER_GAP + MARGIN if layers else 2 * MARGIN
    return MapDrawing(width, height, tuple(boxes.values()), tuple(arrows))


__all__ = ["Arrow", "Cell", "MapDrawing", "TopicBox", "TopicSpec", "draw"]
