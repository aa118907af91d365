"""The rules page: docs/rules.md, the one text that explains every rule id, rendered as HTML.

Served rather than rewritten: the findings of /validate link to a rule's explanation, and a second copy
of the explanations would drift from the first. Each table row whose first cell starts with a rule id
(`OBS-5`, `CSV-5 (warning)`, `SHACL`) gets that id as its HTML id, so `/rules#OBS-5` lands on the row.
The Markdown is the project's own, but it is rendered without raw HTML all the same (markdown-it-py's
`html` option off), so the template may mark it safe: the pages allow no script, and the page should
not depend on that alone.
"""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt

from registry.tables import asset_dir

RULE_ID = re.compile(r"([A-Z]+(?:-[0-9]+)?)\b")


@cache
def rules_page() -> str:
    """docs/rules.md as HTML, once per process (the file ships with the registry and does not change)."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse((asset_dir("docs") / "rules.md").read_text(encoding="utf-8"))
    for index, token in enumerate(tokens):
        if token.type == "tr_open" and tokens[index + 1].type == "td_open":
            found = RULE_ID.match(tokens[index + 2].content)
            if found:
                token.attrSet("id", found[1])
    return md.renderer.render(tokens, md.options, {})
