"""Terminal options, settled before Textual starts: --theme, --color, --fps and NO_COLOR.

Textual reads TEXTUAL_COLOR_SYSTEM and TEXTUAL_FPS once, when its modules are imported
(`textual.constants`; `textual.screen` derives its frame period from the fps), so they
are set here, in a module that never imports Textual, before `tui.app` is imported.
The theme is checked later against the themes Textual ships (see `choose_theme`).

Defaults come from the config's `[ui]` table; flags override them. NO_COLOR is honoured
as no-color.org asks: only when set and not empty, and a `--color` flag overrides it.
Where the terminal shows only 16 colours (or none), an ANSI theme is chosen unless the
user named one: hex colours squeezed into 16 look wrong, ANSI ones use the terminal's.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Collection, MutableMapping
from dataclasses import dataclass
from typing import Literal

from tui.forum.config import ColorMode, Config, ConfigError, load_config
from tui.forum.sanitize import clean_line

Depth = Literal["16", "256", "truecolor"]
COLOR_MODES: tuple[ColorMode, ...] = ("auto", "16", "256", "truecolor")
# Textual hands TEXTUAL_COLOR_SYSTEM to Rich, whose names these are.
COLOR_SYSTEMS: dict[Depth, str] = {"16": "standard", "256": "256", "truecolor": "truecolor"}
ANSI_THEMES = ("ansi-dark", "ansi-light")  # Textual's themes in the terminal's own colours
MAX_FPS = 240


class StartupError(Exception):
    """A bad option or setting, said in one line; the command exits with status 2."""


@dataclass(frozen=True)
class TerminalOptions:
    theme: str | None  # the theme asked for (flag, else config); None: Cohort chooses
    theme_from: str  # where `theme` was asked for, to name it in an error
    color: ColorMode  # the colours asked for (flag, else config)
    depth: Depth  # the colours the terminal shows: `color`, or detected when "auto"
    fps: int | None  # None: Textual's default
    no_color: bool  # NO_COLOR is in force


def detect_depth(environ: MutableMapping[str, str]) -> Depth:
    """The colours the terminal shows, judged from the environment as Rich (Textual's
    output) judges them: COLORTERM, then TERM's suffix; anything else counts as 16."""
    asked = environ.get("TEXTUAL_COLOR_SYSTEM", "").strip().lower()
    for depth, system in COLOR_SYSTEMS.items():
        if asked == system:
            return depth
    if environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    colors = environ.get("TERM", "").strip().lower().rpartition("-")[2]
    return "256" if colors in ("256color", "kitty") else "16"


def light_background(environ: MutableMapping[str, str]) -> bool:
    """Whether the terminal says its background is light (COLORFGBG="0;15")."""
    background = environ.get("COLORFGBG", "").rpartition(";")[2]
    return background.isdigit() and (background == "7" or 9 <= int(background) <= 15)


def _fps(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_FPS):
        shown = clean_line(value)
        raise StartupError(f"--fps: {shown!r} is not a whole number from 1 to {MAX_FPS}")
    return int(text)


def _color(value: str) -> ColorMode:
    for mode in COLOR_MODES:
        if value == mode:
            return mode
    shown = clean_line(value)
    raise StartupError(f"--color: {shown!r} is not one of: {', '.join(COLOR_MODES)}")


def options_from(
    args: argparse.Namespace, config: Config, environ: MutableMapping[str, str]
) -> TerminalOptions:
    """The options in force: flags over the config's `[ui]`; StartupError if one is bad."""
    flag_color: str | None = getattr(args, "color", None)
    flag_fps: str | None = getattr(args, "fps", None)
    flag_theme: str | None = getattr(args, "theme", None)
    color = config.color if flag_color is None else _color(flag_color)
    fps = None if flag_fps is None else _fps(flag_fps)
    if flag_theme is not None and not flag_theme.strip():
        raise StartupError("--theme: give a theme's name")
    theme = flag_theme or config.theme
    # no-color.org: an empty NO_COLOR means nothing; a per-run flag outranks it.
    no_color = bool(environ.get("NO_COLOR")) and (flag_color is None or color == "auto")
    return TerminalOptions(
        theme=theme,
        theme_from="--theme" if flag_theme else "ui.theme in the config",
        color=color,
        depth=detect_depth(environ) if color == "auto" else color,
        fps=fps,
        no_color=no_color,
    )


def apply_environment(options: TerminalOptions, environ: MutableMapping[str, str]) -> None:
    """Tell Textual: the environment variables it reads when imported."""
    if options.color != "auto":
        environ["TEXTUAL_COLOR_SYSTEM"] = COLOR_SYSTEMS[options.color]
    if options.fps is not None:
        environ["TEXTUAL_FPS"] = str(options.fps)
    if not options.no_color:
        # Textual goes monochrome on any NO_COLOR, even an empty one or one a flag outranks.
        environ.pop("NO_COLOR", None)


def choose_theme(
    options: TerminalOptions, environ: MutableMapping[str, str], available: Collection[str]
) -> str | None:
    """The theme to start with: the one asked for (it must exist), an ANSI theme where the
    terminal shows 16 colours or NO_COLOR holds, else None (Textual's default)."""
    if options.theme is not None:
        if options.theme not in available:
            raise StartupError(
                f"{options.theme_from}: no theme {clean_line(options.theme)!r}; "
                f"themes: {', '.join(sorted(available))}"
            )
        return options.theme
    if options.depth == "16" or options.no_color:
        return ANSI_THEMES[1] if light_background(environ) else ANSI_THEMES[0]
    return None


@dataclass(frozen=True)
class Startup:
    config: Config
    options: TerminalOptions


def prepare(args: argparse.Namespace, environ: MutableMapping[str, str] | None = None) -> Startup:
    """Read the config and the flags, and set Textual's environment: call before Textual
    is imported for --color and --fps to take effect. StartupError if anything is bad."""
    env = os.environ if environ is None else environ
    try:
        config = load_config()
    except ConfigError as exc:
        raise StartupError(clean_line(str(exc))) from exc
    options = options_from(args, config, env)
    apply_environment(options, env)
    return Startup(config, options)


def add_flags(parser: argparse.ArgumentParser, *, default: object = None) -> None:
    """--theme, --color and --fps (checked by `options_from`, for one-line errors)."""
    parser.add_argument("--theme", metavar="NAME", default=default, help="a Textual theme")
    parser.add_argument(
        "--color",
        metavar="auto|16|256|truecolor",
        default=default,
        help="the colours the terminal shows (default: detect)",
    )
    parser.add_argument(
        "--fps", metavar="N", default=default, help="at most N screen updates a second"
    )
