"""The one sanitiser every string from a server or a file goes through before display.

Text from the forum is untrusted: a title could carry terminal escapes (OSC 52 writes
the clipboard, CSI 2J clears the screen), 8-bit C1 controls that some terminals honour,
or bidi overrides that make text read differently from what it says. Removing those
code points here, in one place, keeps every widget safe without each one re-checking.
Markup safety is a separate matter: widgets take this text only as `Text`/`Content`.
"""

from __future__ import annotations

_REMOVED = [
    *(c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)),  # C0 controls but tab, newline
    0x7F,  # DEL
    *range(0x80, 0xA0),  # C1 controls (0x9B is an 8-bit CSI)
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO: bidi embeddings and overrides
    *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI: bidi isolates
]

_TEXT_TABLE: dict[int, int | None] = dict.fromkeys(_REMOVED)
_LINE_TABLE: dict[int, int | None] = {
    **_TEXT_TABLE,
    **dict.fromkeys(map(ord, "\n\t\r"), ord(" ")),
}


def clean(text: str) -> str:
    """Text safe to display: control and bidi-override characters removed; \\n and \\t kept."""
    return text.translate(_TEXT_TABLE)


def clean_line(text: str) -> str:
    """Like `clean`, for one-line fields (titles, names): line breaks and tabs become spaces."""
    return text.translate(_LINE_TABLE)
