"""MkDocs hook: render the pages' Mermaid diagrams to inline SVG when the site is built.

A fenced block ```` ```mermaid ```` would otherwise reach the browser as text, and
Material for MkDocs would fetch the Mermaid library from a CDN to draw it: offline,
the reader sees the diagram's source. Here each block is drawn at build time by
mermaidx (a PyPI package that runs the Mermaid JavaScript library itself in an
embedded QuickJS engine: no Node.js, no browser), and the page gets the finished
SVG. The site then draws its diagrams with no script and no network.

The hook replaces the ``format`` of the ``mermaid`` custom fence that mkdocs.yml
declares for ``pymdownx.superfences`` (so diagrams inside admonitions and content
tabs are drawn too). Each SVG gets an id derived from its source, since Mermaid
names every diagram ``my-svg`` and its styles and arrowheads refer to that id. The
drawing sits on a white ground, so it reads the same in the light and dark palettes.
Rendered diagrams are kept for the life of the process (``mkdocs serve`` rebuilds
without drawing them again).
"""

from __future__ import annotations

import hashlib
from typing import Any

SVG_ID = "my-svg"  # the id Mermaid gives the <svg> it draws
_rendered: dict[str, str] = {}


def render_svg(source: str) -> str:
    """The SVG of one Mermaid diagram, with an id of its own; raises ValueError naming a bad diagram."""
    if source not in _rendered:
        import mermaidx

        try:
            svg = mermaidx.render(source).svg()
        except Exception as error:  # mermaidx reports Mermaid's parse errors as its own exceptions
            first = source.strip().splitlines()[0] if source.strip() else "(empty)"
            raise ValueError(f"mermaid_svg: cannot draw the diagram starting {first!r}: {error}") from error
        if f'id="{SVG_ID}"' not in svg:
            raise ValueError(f"mermaid_svg: mermaidx drew an SVG without id={SVG_ID!r}; update this hook")
        unique = "mermaid-" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
        _rendered[source] = svg.replace(SVG_ID, unique)
    return _rendered[source]


def fence_svg(source: str, language: str, css_class: str, options: dict, md: Any, **kwargs: Any) -> str:
    """``pymdownx.superfences`` custom-fence formatter: the diagram as an inline SVG in a ``div``.

    Mermaid's SVG carries its own accessibility attributes (``role``,
    ``aria-roledescription``).
    """
    return (
        '<div class="autotape-diagram" '
        'style="background: #fff; padding: 0.5em; border-radius: 0.2rem; overflow-x: auto">'
        f"{render_svg(source)}</div>"
    )


def on_config(config: Any) -> Any:
    """Point the ``mermaid`` custom fence of ``pymdownx.superfences`` at :func:`fence_svg`."""
    try:
        import mermaidx  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'mermaid_svg: the docs draw their diagrams with mermaidx; install the docs extra: pip install -e ".[docs]"'
        ) from error
    fences = config["mdx_configs"].get("pymdownx.superfences", {}).get("custom_fences", [])
    mermaid = [fence for fence in fences if fence.get("name") == "mermaid"]
    if not mermaid:
        raise ValueError("mermaid_svg: mkdocs.yml declares no 'mermaid' custom fence for pymdownx.superfences")
    for fence in mermaid:
        fence["format"] = fence_svg
        fence["class"] = "autotape-diagram"  # not 'mermaid': Material would load Mermaid from a CDN for those
    return config
