"""--theme, --color, --fps, NO_COLOR and `cohort open TOPIC`, settled before Textual starts.

The end-to-end tests run `cohort` in a child process with the App's `run` replaced by a
probe, so what is checked is what Textual itself made of the environment (it reads
TEXTUAL_COLOR_SYSTEM and TEXTUAL_FPS once, when first imported).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.fake_backend import FakeBackend
from tests.pilot import settle
from tui.__main__ import build_parser, main
from tui.app import CohortApp
from tui.forum.backend import ForumBackend
from tui.forum.config import Config
from tui.screens.thread import ThreadScreen
from tui.terminal import (
    StartupError,
    TerminalOptions,
    apply_environment,
    choose_theme,
    detect_depth,
    options_from,
)

ROOT = Path(__file__).resolve().parent.parent
THEMES = {"textual-dark", "nord", "ansi-dark", "ansi-light"}


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def options(environ: dict[str, str], *argv: str, config: Config | None = None) -> TerminalOptions:
    return options_from(args(*argv), config or Config(), environ)


# -- what the terminal shows -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "depth"),
    [
        ({"COLORTERM": "truecolor", "TERM": "xterm"}, "truecolor"),
        ({"COLORTERM": "24bit"}, "truecolor"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "xterm-kitty"}, "256"),
        ({"TERM": "xterm"}, "16"),
        ({"TERM": "linux"}, "16"),
        ({"TERM": "screen-16color"}, "16"),
        ({"TERM": "dumb"}, "16"),
        ({}, "16"),
        ({"TERM": "xterm-256color", "TEXTUAL_COLOR_SYSTEM": "standard"}, "16"),
    ],
)
def test_colour_depth_is_detected_as_rich_will_see_it(environ: dict[str, str], depth: str) -> None:
    assert detect_depth(environ) == depth


def test_flags_override_the_configs_ui_table() -> None:
    config = Config(theme="nord", color="256")
    env = {"TERM": "xterm"}
    assert options(env, config=config).theme == "nord"
    assert options(env, config=config).depth == "256"
    chosen = options(env, "--theme", "gruvbox", "--color", "truecolor", config=config)
    assert (chosen.theme, chosen.color, chosen.depth) == ("gruvbox", "truecolor", "truecolor")


def test_a_16_colour_terminal_gets_an_ansi_theme() -> None:
    env = {"TERM": "linux"}
    assert choose_theme(options(env), env, THEMES) == "ansi-dark"
    env = {"TERM": "xterm-256color"}
    assert choose_theme(options(env, "--color", "16"), env, THEMES) == "ansi-dark"
    light = {"TERM": "xterm", "COLORFGBG": "0;15"}
    assert choose_theme(options(light), light, THEMES) == "ansi-light"
    rich = {"TERM": "xterm-256color"}
    assert choose_theme(options(rich), rich, THEMES) is None  # Textual's default theme
    # A theme the user names is theirs, whatever the terminal.
    assert choose_theme(options(env, "--theme", "nord"), env, THEMES) == "nord"


def test_an_unknown_theme_is_an_error_naming_where_it_came_from() -> None:
    env = {"TERM": "xterm-256color"}
    with pytest.raises(StartupError, match=r"^--theme: no theme 'nope'; themes: "):
        choose_theme(options(env, "--theme", "nope"), env, THEMES)
    from_config = options(env, config=Config(theme="nope"))
    with pytest.raises(StartupError, match=r"^ui\.theme in the config: no theme 'nope'"):
        choose_theme(from_config, env, THEMES)


def test_color_and_fps_go_to_textuals_environment_variables() -> None:
    env = {"TERM": "xterm-256color"}
    apply_environment(options(env, "--color", "16", "--fps", "30"), env)
    assert env["TEXTUAL_COLOR_SYSTEM"] == "standard"
    assert env["TEXTUAL_FPS"] == "30"
    env = {"TEXTUAL_COLOR_SYSTEM": "256"}
    apply_environment(options(env), env)  # auto leaves the user's own setting alone
    assert env == {"TEXTUAL_COLOR_SYSTEM": "256"}
    for depth, system in (("256", "256"), ("truecolor", "truecolor")):
        env = {}
        apply_environment(options(env, "--color", depth), env)
        assert env["TEXTUAL_COLOR_SYSTEM"] == system


def test_no_color_is_honoured_when_set_and_not_empty() -> None:
    env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"}
    chosen = options(env)
    assert chosen.no_color
    assert choose_theme(chosen, env, THEMES) == "ansi-dark"  # the terminal's own colours
    apply_environment(chosen, env)
    assert env["NO_COLOR"] == "1"  # left for Textual, which strips colours on it
    empty = {"TERM": "xterm-256color", "NO_COLOR": ""}
    assert not options(empty).no_color
    apply_environment(options(empty), empty)
    assert "NO_COLOR" not in empty  # Textual would otherwise go monochrome on ""


def test_a_color_flag_outranks_no_color() -> None:
    env = {"TERM": "xterm-256color", "NO_COLOR": "1"}
    chosen = options(env, "--color", "256")
    assert not chosen.no_color
    apply_environment(chosen, env)
    assert "NO_COLOR" not in env
    assert options({"NO_COLOR": "1"}, "--color", "auto").no_color  # auto forces nothing


# -- bad values: one line, status 2 ------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `main` sets in os.environ is undone after the test."""
    for name in ("TEXTUAL_COLOR_SYSTEM", "TEXTUAL_FPS", "NO_COLOR"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--color", "8"], "cohort: --color: '8' is not one of: auto, 16, 256, truecolor"),
        (["--color", ""], "cohort: --color: '' is not one of: auto, 16, 256, truecolor"),
        (["--fps", "0"], "cohort: --fps: '0' is not a whole number from 1 to 240"),
        (["--fps", "abc"], "cohort: --fps: 'abc' is not a whole number from 1 to 240"),
        (["--fps", "\uff12"], "cohort: --fps: '\uff12' is not a whole number from 1 to 240"),
        (["--fps", "1000"], "cohort: --fps: '1000' is not a whole number from 1 to 240"),
        (["--theme", ""], "cohort: --theme: give a theme's name"),
        (["--theme", "nope"], "cohort: --theme: no theme 'nope'; themes: "),
        (["open", "12", "--theme", "nope"], "cohort: --theme: no theme 'nope'"),
        (["open", "not-a-topic"], "cohort: 'not-a-topic' is neither a topic id nor a topic URL"),
        (["open", "ftp://x.org/t/1"], "cohort: 'ftp://x.org/t/1' is neither a topic id"),
    ],
)
def test_bad_values_exit_2_with_one_line(
    clean_env: None, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(message), err


def test_a_bad_theme_in_the_config_exits_2(
    clean_env: None, isolated_xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_xdg / "xdg_config_home" / "cohort" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[ui]\ntheme = "nope"\n', encoding="utf-8")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cohort: ui.theme in the config: no theme 'nope'")
    assert err.count("\n") == 1


def test_open_takes_forum_and_terminal_flags_on_either_side() -> None:
    before = args("--forum", "embedded", "--fps", "20", "open", "12")
    after = args("open", "12", "--forum", "embedded", "--fps", "20")
    for parsed in (before, after):
        assert (parsed.command, parsed.topic, parsed.forum, parsed.fps) == (
            "open",
            "12",
            "embedded",
            "20",
        )


# -- end to end, in a child process --------------------------------------------------------------

PROBE = r"""
import json, sys
import tui.terminal as terminal

seen = {}
real_prepare = terminal.prepare

def prepare(args, environ=None):
    seen["textual_imported_first"] = any(m.split(".")[0] == "textual" for m in sys.modules)
    startup = real_prepare(args, environ)
    import tui.app

    def run(self, *a, **k):
        import textual.constants
        import textual.screen
        seen.update(
            theme=self.theme,
            ansi_color=self.ansi_color,
            no_color=self.no_color,
            filters=sorted(type(f).__name__ for f in self._filters),
            fps=textual.constants.MAX_FPS,
            update_period=textual.screen.UPDATE_PERIOD,
            color_system=self.console.color_system,
            keys=self.keymap_check.applied,
            problems=self.keymap_check.problems,
            open_topic=self.open_topic,
            source=self.source,
        )

    tui.app.CohortApp.run = run
    return startup

terminal.prepare = prepare
from tui.__main__ import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, **seen}))
"""


def run_cohort_probe(*argv: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "COLORTERM", "TERM", "COLORFGBG") and not k.startswith("TEXTUAL")
    }
    environ |= {"TERM": "xterm-256color", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["code"] == 0, found
    assert found["textual_imported_first"] is False  # the environment was set in time
    return found


def test_color_and_fps_reach_textual_and_16_colours_get_the_ansi_theme() -> None:
    seen = run_cohort_probe("--color", "16", "--fps", "30")
    assert seen["color_system"] == "standard"
    assert seen["fps"] == 30
    assert seen["update_period"] == pytest.approx(1 / 30)
    assert seen["theme"] == "ansi-dark"
    assert seen["ansi_color"] is True
    assert seen["no_color"] is False


def test_a_rich_terminal_keeps_textuals_theme_and_colours() -> None:
    seen = run_cohort_probe(env={"COLORTERM": "truecolor"})
    assert seen["color_system"] == "truecolor"
    assert seen["theme"] == "textual-dark"
    assert seen["fps"] == 60  # Textual's default, untouched


def test_no_color_strips_colours_in_the_app() -> None:
    seen = run_cohort_probe(env={"COLORTERM": "truecolor", "NO_COLOR": "1"})
    assert seen["no_color"] is True
    assert "NoColor" in seen["filters"]  # the terminal's default colours, not greys
    assert seen["theme"] == "ansi-dark"
    overridden = run_cohort_probe("--color", "truecolor", env={"NO_COLOR": "1"})
    assert overridden["no_color"] is False
    assert overridden["color_system"] == "truecolor"


def test_the_configs_ui_and_keys_are_applied(isolated_xdg: Path) -> None:
    config = isolated_xdg / "xdg_config_home" / "cohort" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[ui]\ntheme = "nord"\ncolor = "256"\n\n[keys]\n"home.refresh" = "f5"\n'
        '"thread.back" = "j"\n',
        encoding="utf-8",
    )
    seen = run_cohort_probe(env={"COLORTERM": "truecolor"})
    assert (seen["theme"], seen["color_system"]) == ("nord", "256")
    assert seen["keys"] == {"home.refresh": "f5"}
    assert len(seen["problems"]) == 1 and "thread.back" in seen["problems"][0]
    flagged = run_cohort_probe("--theme", "gruvbox", "--color", "truecolor")
    assert (flagged["theme"], flagged["color_system"]) == ("gruvbox", "truecolor")


def test_open_topic_by_id_and_by_url() -> None:
    by_id = run_cohort_probe("open", "77")
    assert by_id["open_topic"] == [77, None]
    assert by_id["source"] == "embedded forum"
    by_url = run_cohort_probe("open", "https://forum.example.org/t/some-slug/123/4")
    assert by_url["open_topic"] == [123, 4]
    assert by_url["source"] == "forum.example.org"  # the URL's forum, as `cohort read` does


# -- `cohort open TOPIC` in the app ----------------------------------------------------------------


def opener(forum: FakeBackend | None) -> Any:
    @asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        if forum is None:
            raise OSError("no route to the forum")
        yield forum

    return open_forum


async def test_open_topic_starts_on_that_thread_over_home(tmp_path: Path) -> None:
    forum = FakeBackend()
    topic = forum.add_topic("Opened straight away", category=forum.add_category("general"))
    forum.add_posts(topic.id, 4)
    app = CohortApp(opener(forum), cache_file=tmp_path / "cache.db", open_topic=(topic.id, 3))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ThreadScreen)
        assert screen.topic_id == topic.id
        assert app.screen_stack[-2] is app.home  # back goes home
        for _ in range(200):
            selected = screen.view.selected
            if selected is not None:
                break
            await pilot.pause(0.02)
        assert selected is not None and selected.post_number == 3


async def test_open_topic_falls_back_home_when_the_forum_cannot_be_opened(
    tmp_path: Path,
) -> None:
    app = CohortApp(opener(None), cache_file=tmp_path / "cache.db", open_topic=(5, None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the thread's worker is cancelled with its screen
        assert app.screen is app.home
        status = app.home.query_one("#status", Static).render()
        assert "no route to the forum" in str(status)
