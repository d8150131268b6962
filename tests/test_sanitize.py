"""The one sanitiser: terminal escapes, C1 controls and bidi overrides never reach a widget."""

from __future__ import annotations

import pytest

from tui.forum.sanitize import clean, clean_line

HOSTILE = [
    pytest.param("a\x1b]0;pwned\x07b", "a]0;pwnedb", id="osc0-title"),
    pytest.param("\x1b]52;c;SGVsbG8=\x07", "]52;c;SGVsbG8=", id="osc52-clipboard"),
    pytest.param("x\x1b[2Jy", "x[2Jy", id="csi-2j"),
    pytest.param("\x1b[?1049hz", "[?1049hz", id="alt-screen"),
    pytest.param("\x9b2J", "2J", id="c1-csi"),
    pytest.param("a\x9db\x90c\x9cd\x80e\x9f", "abcde", id="c1-osc-dcs-st-edges"),
    pytest.param("a\x7fb", "ab", id="del"),
    pytest.param("a\x00b\x08c\x0bd\x0ce\x1ff", "abcdef", id="c0"),
    pytest.param("a\u202ab\u202bc\u202cd\u202de\u202ef", "abcdef", id="bidi-overrides"),
    pytest.param("a\u2066b\u2067c\u2068d\u2069e", "abcde", id="bidi-isolates"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_clean_removes_controls_and_bidi(text: str, expected: str) -> None:
    assert clean(text) == expected
    assert clean_line(text) == expected


def test_no_escape_survives_in_any_code_point() -> None:
    everything = "".join(map(chr, range(0x0, 0x3000)))
    for cleaned in (clean(everything), clean_line(everything)):
        assert "\x1b" not in cleaned
        assert not any(0x80 <= ord(c) <= 0x9F for c in cleaned)
        assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in cleaned)
        assert not any(ord(c) < 0x20 and c not in "\n\t" for c in cleaned)


def test_clean_keeps_newline_and_tab_clean_line_turns_them_into_spaces() -> None:
    assert clean("one\ntwo\tthree") == "one\ntwo\tthree"
    assert clean("a\r\nb") == "a\nb"
    assert clean_line("one\ntwo\tthree\rfour") == "one two three four"


@pytest.mark.parametrize(
    "text",
    [
        "naïve café 🎉👩‍💻 ✓📌",
        "日本語のテキスト 中文 한국어",
        "שלום עולם مرحبا بالعالم",  # right-to-left letters, no overrides
        "e\u0301 a\u0308 n\u0303",  # combining marks
        "zero\u200bwidth\u200djoiner",
    ],
)
def test_ordinary_unicode_is_untouched(text: str) -> None:
    assert clean(text) == text
    assert clean_line(text) == text


@pytest.mark.parametrize("text", ["[@click=app.quit]x[/]", "[/bar]", "[b]", "\\[b]", "[red]x"])
def test_markup_looking_text_is_left_alone(text: str) -> None:
    # Markup safety is the widgets' job (Text/Content, never markup strings).
    assert clean(text) == text
    assert clean_line(text) == text
