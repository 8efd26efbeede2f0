"""Charts as inline SVG for the public site.

A chart is drawn by kaleido (`render.to_bytes`), then rebuilt from an allow-list: only drawing
elements and presentation attributes survive; scripts, links, event handlers, classes, cursors
and any reference outside the SVG itself are dropped (workbook text reaches the SVG through
plotly, whose labels understand a little HTML, `<a href>` included). Plotly names its clip paths
and patterns with a random id per drawing; ids are renamed in document order with a prefix, so
the same figure gives the same bytes and two charts on one page cannot share an id.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .site_html import Html, esc

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "clipPath",
        "pattern",
        "mask",
        "linearGradient",
        "radialGradient",
        "stop",
        "rect",
        "path",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
    }
)
UNWRAP = frozenset({"a"})  # a label plotly made a link: its text stays, the link goes
ATTRIBUTES = frozenset(
    {
        "x",
        "y",
        "x1",
        "x2",
        "y1",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "dx",
        "dy",
        "d",
        "points",
        "width",
        "height",
        "viewBox",
        "transform",
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-dasharray",
        "stroke-linecap",
        "stroke-linejoin",
        "opacity",
        "clip-path",
        "mask",
        "text-anchor",
        "dominant-baseline",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "shape-rendering",
        "patternUnits",
        "patternContentUnits",
        "patternTransform",
        "gradientUnits",
        "gradientTransform",
        "offset",
        "stop-color",
        "stop-opacity",
        "style",
        "id",
        "href",
    }
)
DROPPED_STYLES = frozenset({"cursor", "pointer-events", "user-select", "-webkit-user-select"})
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)
_LOCAL = re.compile(r"^#[A-Za-z0-9_.:-]+$")


class _Ids:
    """Ids renamed in document order: `prefix1`, `prefix2`, ..."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.names: dict[str, str] = {}

    def add(self, old: str) -> str:
        if old not in self.names:
            self.names[old] = f"{self.prefix}{len(self.names) + 1}"
        return self.names[old]


def _local(tag: str) -> str | None:
    """An element's name in the SVG namespace; None for any other namespace."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return name if ns == SVG_NS else None
    return tag


def _references_ok(value: str, ids: _Ids) -> str | None:
    """`value` with its `url(#id)` references renamed; None if it names anything outside the
    drawing (another file, a scheme) or an id that is not there, or holds CSS escapes."""
    out = value
    for match in _URL.finditer(value):
        target = match.group(2)
        if not _LOCAL.match(target) or target[1:] not in ids.names:
            return None
        out = out.replace(match.group(0), f"url(#{ids.names[target[1:]]})")
    if "\\" in out or "javascript" in out.lower() or "expression(" in out.lower():
        return None
    return out


def _style(value: str, ids: _Ids) -> str:
    """A style attribute without interactive or unsafe declarations."""
    kept = []
    for declaration in value.split(";"):
        prop, sep, val = declaration.partition(":")
        prop = prop.strip().lower()
        if not sep or prop in DROPPED_STYLES:
            continue
        checked = _references_ok(val.strip(), ids)
        if checked is not None:
            kept.append(f"{prop}: {checked}")
    return "; ".join(kept) + (";" if kept else "")


def _collect_ids(element: ET.Element, ids: _Ids) -> None:
    name = _local(element.tag)
    if name is None or (name not in ELEMENTS and name not in UNWRAP):
        return
    if name in ELEMENTS and element.get("id"):
        ids.add(element.get("id", ""))
    for child in element:
        _collect_ids(child, ids)


def _attributes(element: ET.Element, ids: _Ids) -> list[tuple[str, str]]:
    out = []
    for key, value in element.attrib.items():
        name = "href" if key == f"{{{XLINK_NS}}}href" else key
        if name not in ATTRIBUTES:
            continue
        if name == "id":
            value = ids.names[value]
        elif name == "href":
            if not _LOCAL.match(value) or value[1:] not in ids.names:
                continue
            value = "#" + ids.names[value[1:]]
        elif name == "style":
            value = _style(value, ids)
            if not value:
                continue
        else:
            checked = _references_ok(value, ids)
            if checked is None:
                continue
            value = checked
        out.append((name, value))
    # In name order: the browser that draws the charts may set a reused element's attributes
    # in another order from one drawing to the next, and the same chart must give the same bytes.
    return sorted(out)


def _write(element: ET.Element, ids: _Ids, out: list[str]) -> None:
    name = _local(element.tag)
    if name in UNWRAP:
        out.append(esc(element.text or ""))
        for child in element:
            _write(child, ids, out)
    elif name in ELEMENTS:
        attrs = "".join(f' {k}="{esc(v)}"' for k, v in _attributes(element, ids))
        if len(element) == 0 and not element.text:
            out.append(f"<{name}{attrs}/>")
        else:
            out.append(f"<{name}{attrs}>{esc(element.text or '')}")
            for child in element:
                _write(child, ids, out)
            out.append(f"</{name}>")
    out.append(esc(element.tail or ""))  # the text after an element belongs to its parent


def clean_svg(svg: bytes, *, prefix: str, label: str) -> Html:
    """An SVG drawing as markup to place in a page: allow-listed, ids renamed with `prefix`,
    named by `label` (an accessible name: the drawing is one image; its data is in a table)."""
    root = ET.fromstring(svg)
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG drawing")
    ids = _Ids(prefix)
    _collect_ids(root, ids)
    title_id = ids.add(f"{prefix}title")  # the next number: unique within the drawing
    attrs = "".join(
        f' {k}="{esc(v)}"'
        for k, v in _attributes(root, ids)
        if k in ("width", "height", "viewBox", "style")
    )
    out = [
        f'<svg xmlns="{SVG_NS}"{attrs} role="img" aria-labelledby="{title_id}" focusable="false">',
        f'<title id="{title_id}">{esc(label)}</title>',
        esc(root.text or ""),
    ]
    for child in root:
        _write(child, ids, out)
    out.append("</svg>")
    return Html("".join(out))
