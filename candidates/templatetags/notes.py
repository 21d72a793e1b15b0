"""Long text (notes, pitches) shown by its first lines, the rest behind a "more"."""

from __future__ import annotations

from django import template

register = template.Library()

PREVIEW_CHARS = 280
PREVIEW_LINES = 4


@register.filter
def preview(text: str) -> str:
    """The first lines of a long text, ending in "…"; "" when the text is short enough to
    show whole (then there is nothing behind a "more")."""
    if not text:
        return ""
    lines = text.strip().splitlines()
    if len(text) <= PREVIEW_CHARS and len(lines) <= PREVIEW_LINES:
        return ""
    start = "\n".join(lines[:PREVIEW_LINES])
    if len(start) > PREVIEW_CHARS:
        cut = start[:PREVIEW_CHARS]
        start = cut.rsplit(" ", 1)[0] if " " in cut[PREVIEW_CHARS // 2 :] else cut
    return start.rstrip(" ,;:.\n") + "…"
