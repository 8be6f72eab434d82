"""A griffe extension for the API reference: autotape's docstrings read as Markdown.

The docstrings use Google-style sections (Args, Returns, Raises) with a few
reStructuredText habits that Markdown would show verbatim or misread. Before
mkdocstrings parses a docstring, this rewrites:

- roles such as :func:`grad` or :math:`v^T J` as inline code, and
  `links <https://...>`_ as Markdown links;
- a literal block introduced by ``::`` as a fenced code block (a lone
  ``Example::`` becomes an Examples section holding it);
- a simple table framed by ``====`` rules as a Markdown table;
- a Google section title (``Returns:``) or a bullet list directly under a line
  of text: griffe only starts a section, and Markdown a list, after a blank
  line, so one is inserted.

The source files are not changed. Loaded from mkdocs.yml
(``extensions: [docs/rst_docstrings.py]``); mkdocs.yml keeps this file out of the site.
"""

from __future__ import annotations

import re

import griffe

LINK = re.compile(r"`([^`<]+?) <([^>`]+)>`_")
ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc|math):`(~?)([^`]+)`")
SECTION = re.compile(r"(Args|Arguments|Returns|Raises|Yields|Attributes|Examples?|Notes?|Warnings?):")
RULE = re.compile(r"=+(?: +=+)+")


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def literal_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not (line.rstrip().endswith("::") and i + 1 < len(lines) and not lines[i + 1].strip()):
            out.append(line)
            i += 1
            continue
        base = indentation(line)
        if line.lstrip().startswith(("* ", "- ")):
            base += 2  # the block belongs to a list item: its text's indentation counts
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or indentation(lines[end]) > base):
            end += 1
        block = lines[i + 2 : end]
        while block and not block[-1].strip():
            block.pop()
        depth = min((indentation(b) for b in block if b.strip()), default=0)
        intro = line.rstrip()[:-1]  # "text::" -> "text:"
        lone_title = SECTION.fullmatch(intro.strip()) is not None
        fence_at = " " * (base + 4 if lone_title else base)
        language = "python" if any(re.match(r"\s*(import|from|def|@|check_grads|at\.)", b) for b in block) else "text"
        out.append(intro if intro.strip() != ":" else "")
        if not lone_title:  # a section's content must follow its title directly
            out.append("")
        out.append(f"{fence_at}```{language}")
        out += [fence_at + b[depth:] if b.strip() else "" for b in block]
        out += [f"{fence_at}```", ""]
        i = end
    return out


def tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not RULE.fullmatch(lines[i].strip()):
            out.append(lines[i])
            i += 1
            continue
        rules = [i]
        j = i + 1
        while j < len(lines) and len(rules) < 3 and lines[j].strip():
            if RULE.fullmatch(lines[j].strip()):
                rules.append(j)
            j += 1
        if len(rules) < 3:  # not a table with a header: leave it alone
            out.append(lines[i])
            i += 1
            continue
        top = lines[i]
        spans = [m.span() for m in re.finditer(r"=+", top)]

        def cells(row: str) -> list[str]:
            bounds = [start for start, _ in spans] + [None]
            return [row[bounds[k] : bounds[k + 1]].strip() for k in range(len(spans))]

        header = [cells(row) for row in lines[rules[0] + 1 : rules[1]]]
        body = [cells(row) for row in lines[rules[1] + 1 : rules[2]]]
        indent = " " * indentation(top)
        out.append("")
        for row in header[:1]:
            out.append(indent + "| " + " | ".join(row) + " |")
            out.append(indent + "|" + "---|" * len(row))
        out += [indent + "| " + " | ".join(row) + " |" for row in body]
        out.append("")
        i = rules[2] + 1
    return out


def section_spacing(lines: list[str]) -> list[str]:
    out: list[str] = []
    fenced = False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        bullet = ("* ", "- ")
        new_section = SECTION.fullmatch(line) is not None
        new_list = line.startswith(bullet) and bool(out) and not out[-1].startswith(bullet)
        if not fenced and (new_section or new_list) and out and out[-1].strip():
            out.append("")
        out.append(line)
    return out


def to_markdown(text: str) -> str:
    # A role's "~" shows only the last part of the dotted name, as in Sphinx.
    text = ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)
    text = LINK.sub(r"[\1](\2)", text)
    lines = section_spacing(tables(literal_blocks(text.splitlines())))
    return "\n".join(lines)


class RstDocstrings(griffe.Extension):
    """Rewrite each docstring as it is loaded; the parsed sections come from the rewritten text."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
