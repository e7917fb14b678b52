"""A tiny document model rendered both as Markdown and as a self-contained HTML page.

A report is a list of blocks (headings, paragraphs, tables, figures, preformatted text); the
same list renders to ``report.md`` (readable on GitHub or in any editor) and ``report.html``
(opens in a browser, figures linked relatively).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Document"]

_CSS = (
    "body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222;"
    "text-align:left;line-height:1.4}"
    ".table-wrap{overflow-x:auto;margin:1em 0}"
    "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .6em;"
    "text-align:left;vertical-align:top}th{background:#eee}"
    "figure{margin:1.5em 0}img{max-width:100%}figcaption{color:#555;font-size:.95em}"
    "pre{background:#f6f6f6;padding:.8em;overflow-x:auto}"
)

#: ``[text](target)``: a link, in Markdown as written and in HTML as an ``<a>`` element.
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _inline_html(text: str) -> str:
    """Escape text for HTML and turn its ``[text](target)`` links into ``<a>`` elements."""
    return _LINK.sub(r'<a href="\2">\1</a>', html.escape(text))


def _cell(text: str) -> str:
    """Escape a Markdown table cell (a bare ``|`` would start a new column)."""
    return text.replace("|", "\\|")


@dataclass
class Document:
    """Blocks of a report, rendered with :meth:`to_markdown` and :meth:`to_html`.

    Parameters
    ----------
    title : str
        Page title (the level-1 heading).
    blocks : list of (str, object), optional
        The blocks so far, as ``(kind, content)``; empty by default, filled by the methods.

    Examples
    --------
    >>> from skrb.report import Document
    >>> doc = Document("Demo")
    >>> _ = doc.heading("Numbers").table(["model", "accuracy"], [["DIA", "0.96"]])
    >>> print(doc.to_markdown())
    # Demo
    <BLANKLINE>
    ## Numbers
    <BLANKLINE>
    | model | accuracy |
    | --- | --- |
    | DIA | 0.96 |
    <BLANKLINE>
    """

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list, repr=False)

    def heading(self, text: str) -> Document:
        """Append a section heading (level 2)."""
        self.blocks.append(("heading", text))
        return self

    def paragraph(self, text: str) -> Document:
        """Append a paragraph of plain text; ``[text](target)`` is a link in both renderings."""
        self.blocks.append(("paragraph", text))
        return self

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Document:
        """Append a table; cells are converted with ``str``."""
        self.blocks.append(
            ("table", ([str(h) for h in headers], [[str(c) for c in r] for r in rows]))
        )
        return self

    def figure(self, path: str, caption: str) -> Document:
        """Append a figure by its path relative to the report, with a caption."""
        self.blocks.append(("figure", (path, caption)))
        return self

    def preformatted(self, text: str) -> Document:
        """Append preformatted (monospace) text."""
        self.blocks.append(("pre", text))
        return self

    def to_markdown(self) -> str:
        """Render as Markdown.

        Returns
        -------
        text : str
        """
        out = [f"# {self.title}", ""]
        for kind, content in self.blocks:
            if kind == "heading":
                out += [f"## {content}", ""]
            elif kind == "paragraph":
                out += [content, ""]
            elif kind == "table":
                headers, rows = content
                out.append("| " + " | ".join(map(_cell, headers)) + " |")
                out.append("| " + " | ".join("---" for _ in headers) + " |")
                out += ["| " + " | ".join(map(_cell, r)) + " |" for r in rows]
                out.append("")
            elif kind == "figure":
                path, caption = content
                out += [f"![{caption}]({path})", "", f"*{caption}*", ""]
            else:
                out += ["```", content, "```", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """Render as a standalone HTML page.

        Returns
        -------
        text : str
        """
        esc = html.escape
        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{esc(self.title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{esc(self.title)}</h1>",
        ]
        for kind, content in self.blocks:
            if kind == "heading":
                out.append(f"<h2>{esc(content)}</h2>")
            elif kind == "paragraph":
                out.append(f"<p>{_inline_html(content)}</p>")
            elif kind == "table":
                headers, rows = content
                out.append(
                    '<div class="table-wrap"><table><tr>'
                    + "".join(f"<th>{esc(h)}</th>" for h in headers)
                    + "</tr>"
                )
                out += [
                    "<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in r) + "</tr>"
                    for r in rows
                ]
                out.append("</table></div>")
            elif kind == "figure":
                path, caption = content
                alt = _LINK.sub(r"\1", caption)
                out.append(
                    f'<figure><a href="{esc(path)}"><img src="{esc(path)}" alt="{esc(alt)}"></a>'
                    f'<figcaption>{_inline_html(caption)} (<a href="{esc(path)}">'
                    f"{esc(path)}</a>)</figcaption></figure>"
                )
            else:
                out.append(f"<pre>{esc(content)}</pre>")
        out.append("</body></html>")
        return "\n".join(out)
