"""Configuration: layers merge in order, bad files are named precisely, the app writes only
its own file."""

from __future__ import annotations

import re
import stat
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from tui.forum import config as config_module
from tui.forum.config import (
    Config,
    ConfigError,
    Profile,
    app_profiles_path,
    defaults_path,
    load_config,
    merged_toml,
    profile_for,
    remove_profile,
    save_profile,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def user(tmp_path: Path) -> Path:
    return tmp_path / "user" / "config.toml"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tmp_path / "etc" / "config.toml"


def test_no_files_gives_the_shipped_defaults(user: Path, site: Path) -> None:
    loaded = load_config(user_path=user, site_path=site)
    # The dataclass defaults and default.toml say the same thing.
    assert loaded == Config(sources=(defaults_path(),))
    assert loaded.profile() == Profile("embedded", "embedded", auth="peer")


def test_the_default_user_file_is_in_the_xdg_config_folder(isolated_xdg: Path) -> None:
    path = isolated_xdg / "xdg_config_home" / "cohort" / "config.toml"
    write(path, '[ui]\ntheme = "nord"\n')
    loaded = load_config(site_path=None)
    assert loaded.theme == "nord"
    assert loaded.sources[-1] == path


def test_the_shipped_defaults_document_every_key(user: Path) -> None:
    text = defaults_path().read_text(encoding="utf-8")
    assert tomllib.loads(text)  # it parses as shipped
    # Uncomment every example line: the result must load and use every key there is.
    example = re.sub(r'(?m)^# ((\[[\w."-]+\])|("?[\w.]+"? = .+))$', lambda m: m.group(1), text)
    loaded = load_config(user_path=write(user, example), site_path=None)
    document = tomllib.loads(example)
    assert set(document) == set(config_module._TOP)
    assert set(document["ui"]) == set(config_module._UI)
    assert set(document["secrets"]) == set(config_module._SECRETS)
    used = {key for table in document["profiles"].values() for key in table}
    assert used == set(config_module._PROFILE)
    assert {p.kind for p in loaded.profiles.values()} == {
        "embedded",
        "socket",
        "cohort",
        "discourse",
    }
    assert loaded.theme == "textual-dark"
    assert loaded.keys == {"app.quit": "q", "home.refresh": "r,f5"}


def test_layers_override_in_order_defaults_site_user(user: Path, site: Path) -> None:
    write(
        site,
        'default_profile = "work"\n'
        '[ui]\ncolor = "256"\nbell = true\ntheme = "site-theme"\n'
        '[profiles.work]\nkind = "cohort"\nurl = "https://forum.example.org/"\n'
        'username = "site-default"\nauth = "password"\n',
    )
    write(user, '[ui]\ncolor = "16"\n[profiles.work]\nusername = "ada"\n')
    loaded = load_config(user_path=user, site_path=site)
    assert loaded.color == "16"  # user over site over defaults
    assert loaded.bell is True  # site over defaults, user silent
    assert loaded.theme == "site-theme"
    assert loaded.default_profile == "work"
    assert loaded.profile() == Profile(
        "work", "cohort", url="https://forum.example.org", username="ada", auth="password"
    )
    assert loaded.sources == (defaults_path(), site, user)


def test_a_layer_giving_another_kind_replaces_the_profile(user: Path, site: Path) -> None:
    write(site, '[profiles.club]\nkind = "cohort"\nurl = "https://club.example.org"\n')
    write(user, '[profiles.club]\nkind = "socket"\nsocket = "/run/club.sock"\n')
    club = load_config(user_path=user, site_path=site).profiles["club"]
    assert club == Profile("club", "socket", socket="/run/club.sock", auth="peer")


def test_the_embedded_profile_always_exists(
    user: Path, site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(config_module, "defaults_path", lambda: tmp_path / "missing.toml")
    write(user, '[profiles.work]\nkind = "cohort"\nurl = "https://x.example"\n')
    loaded = load_config(user_path=user, site_path=site)
    assert loaded.default_profile == "embedded"
    assert loaded.profiles["embedded"].kind == "embedded"
    assert set(loaded.profiles) == {"embedded", "work"}


def test_keys_accept_dotted_ids_nested_tables_and_lists(user: Path) -> None:
    write(
        user,
        '[keys]\n"app.quit" = "ctrl+q"\n"home.open" = ["enter", "o"]\n'
        '[keys.home]\nrefresh = "f5"\n',
    )
    loaded = load_config(user_path=user, site_path=None)
    assert loaded.keys == {"app.quit": "ctrl+q", "home.open": "enter,o", "home.refresh": "f5"}


BAD = [
    ('colour = "auto"\n', "colour", "unknown key"),
    ('[ui]\ncolour = "auto"\n', "ui.colour", "did you mean color?"),
    ("[ui]\ncolor = 256\n", "ui.color", 'write it as a string: color = "256"'),
    ('[ui]\ncolor = "many"\n', "ui.color", '"many" is not one of: auto, 16, 256, truecolor'),
    ('[ui]\nbell = "yes"\n', "ui.bell", "must be true or false, not a string"),
    ("ui = 3\n", "ui", "must be a table, not an integer"),
    ('[secrets]\nstore = "vault"\n', "secrets.store", "is not one of: auto, file, keyring"),
    ('default_profile = "nowhere"\n', "default_profile", 'no profile named "nowhere"'),
    ('[keys]\n"app.quit" = 3\n', 'keys."app.quit"', "must be a string, not an integer"),
    ('[keys.home]\nrefresh = ""\n', "keys.home.refresh", "must not be empty"),
    (
        '[profiles.work]\nkind = "gopher"\n',
        "profiles.work.kind",
        '"gopher" is not one of: embedded, socket, cohort, discourse',
    ),
    ('[profiles.work]\nurl = "https://x.example"\n', "profiles.work.kind", "missing"),
    ('[profiles.work]\nkind = "cohort"\n', "profiles.work.url", "a cohort profile needs url"),
    (
        '[profiles.club]\nkind = "socket"\n',
        "profiles.club.socket",
        "a socket profile needs socket",
    ),
    (
        '[profiles.club]\nkind = "socket"\nsocket = "run/cohort.sock"\n',
        "profiles.club.socket",
        "must be an absolute path",
    ),
    (
        '[profiles.meta]\nkind = "discourse"\nurl = "ftp://meta.example"\n',
        "profiles.meta.url",
        "must start with https://",
    ),
    (
        '[profiles.meta]\nkind = "discourse"\nurl = "meta.discourse.org"\n',
        "profiles.meta.url",
        "must start with https://",
    ),
    (
        '[profiles.meta]\nkind = "discourse"\nurl = "https://ada:pw@meta.example"\n',
        "profiles.meta.url",
        "must not hold a user name or password",
    ),
    (
        '[profiles.meta]\nkind = "discourse"\nurl = "https://meta.example/?x=1"\n',
        "profiles.meta.url",
        "without ? or #",
    ),
    (
        '[profiles.meta]\nkind = "discourse"\nurl = "https://meta.example"\nrequest_budget = 0\n',
        "profiles.meta.request_budget",
        "must be 1 or more",
    ),
    (
        '[profiles.meta]\nkind = "discourse"\nurl = "https://meta.example"\nauth = "api_key"\n',
        "profiles.meta.username",
        'auth = "api_key" needs the user',
    ),
    (
        '[profiles.work]\nkind = "cohort"\nurl = "https://x.example"\nauth = "user_api_key"\n',
        "profiles.work.auth",
        '"user_api_key" is not for a cohort profile; use: none, token, password',
    ),
    (
        '[profiles.work]\nkind = "cohort"\nurl = "https://x.example"\nurll = "y"\n',
        "profiles.work.urll",
        "did you mean url?",
    ),
    (
        '[profiles.club]\nkind = "socket"\nsocket = "/run/c.sock"\nurl = "https://x.example"\n',
        "profiles.club.url",
        "not used by a socket profile, only by: cohort, discourse",
    ),
    (
        '[profiles.work]\nkind = "cohort"\nurl = "https://x.example"\npadding = "oaep"\n',
        "profiles.work.padding",
        "not used by a cohort profile, only by: discourse",
    ),
    (
        '[profiles."my forum"]\nkind = "embedded"\n',
        'profiles."my forum"',
        "is not a profile name",
    ),
    (
        '[profiles.embedded]\nkind = "cohort"\nurl = "https://x.example"\n',
        "profiles.embedded.kind",
        "the profile named embedded is the local forum",
    ),
    ("profiles = 3\n", "profiles", "must be a table, not an integer"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_a_bad_config_names_the_file_the_key_and_the_problem(
    user: Path, text: str, key: str, problem: str
) -> None:
    write(user, text)
    with pytest.raises(ConfigError) as caught:
        load_config(user_path=user, site_path=None)
    error = caught.value
    assert (error.file, error.key) == (user, key)
    assert problem in error.problem
    assert str(error).startswith(f"{user}: {key}: ")


def test_the_error_blames_the_file_that_set_the_key(user: Path, site: Path) -> None:
    write(site, 'default_profile = "gone"\n')
    write(user, "[ui]\nbell = true\n")
    with pytest.raises(ConfigError) as caught:
        load_config(user_path=user, site_path=site)
    assert (caught.value.file, caught.value.key) == (site, "default_profile")

    # The site declares a Discourse profile; the user asks for an admin key without a user.
    write(site, '[profiles.meta]\nkind = "discourse"\nurl = "https://meta.example"\n')
    write(user, '[profiles.meta]\nauth = "api_key"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(user_path=user, site_path=site)
    assert (caught.value.file, caught.value.key) == (user, "profiles.meta.username")


def test_a_toml_syntax_error_names_the_file_line_and_column(user: Path) -> None:
    write(user, '[ui]\nbell = true\ncolor = "auto\n')
    with pytest.raises(ConfigError) as caught:
        load_config(user_path=user, site_path=None)
    error = caught.value
    assert (error.file, error.line) == (user, 3)
    assert error.column is not None and error.column > 1
    assert str(error).startswith(f"{user}, line 3, column {error.column}: invalid TOML: ")


def test_a_syntax_error_at_the_end_still_has_a_line(user: Path) -> None:
    write(user, "[ui]\nbell =")
    with pytest.raises(ConfigError) as caught:
        load_config(user_path=user, site_path=None)
    assert (caught.value.line, caught.value.column) == (2, 7)


def test_a_file_that_is_not_utf8_is_named(site: Path) -> None:
    site.parent.mkdir(parents=True)
    site.write_bytes(b'[ui]\ntheme = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=re.escape(f"{site}: not UTF-8 text")):
        load_config(user_path=site.with_name("none.toml"), site_path=site)


def test_error_messages_carry_no_terminal_controls(user: Path) -> None:
    write(user, '"\\u001b]52;c;x\\u0007" = 1\n[ui]\ntheme = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(user_path=user, site_path=None)
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
    assert "unknown key" in str(caught.value)


def test_a_profile_name_or_a_url(user: Path) -> None:
    write(
        user,
        '[profiles.meta]\nkind = "discourse"\nurl = "https://meta.discourse.org"\n'
        'auth = "user_api_key"\n',
    )
    loaded = load_config(user_path=user, site_path=None)
    assert profile_for(loaded, "meta") is loaded.profiles["meta"]
    # The URL of a configured forum gives that profile, with its login.
    assert profile_for(loaded, "HTTPS://Meta.Discourse.org/") is loaded.profiles["meta"]

    bare = profile_for(loaded, "https://Forum.Example.org:8443/community/")
    assert bare == Profile(
        "forum.example.org-8443-community", "url", url="https://forum.example.org:8443/community"
    )
    assert bare.needs_probe
    probed = bare.probed("cohort")
    assert (probed.kind, probed.url, probed.auth) == ("cohort", bare.url, "none")
    with pytest.raises(ValueError):
        probed.probed("discourse")


def test_a_bad_forum_argument_says_what_is_possible(user: Path) -> None:
    loaded = load_config(user_path=user, site_path=None)
    with pytest.raises(ConfigError, match=r"--forum: no profile named \"work\"; defined: embedded"):
        profile_for(loaded, "work")
    with pytest.raises(ConfigError, match="a URL needs its https://"):
        profile_for(loaded, "meta.discourse.org")
    with pytest.raises(ConfigError, match=r"--forum: .*has no host name"):
        profile_for(loaded, "https:///latest")
    with pytest.raises(ConfigError, match="no profile named"):
        loaded.profile("work")


def test_merged_toml_round_trips(user: Path, site: Path) -> None:
    write(site, '[ui]\ntheme = "nord"\nbell = true\n[keys]\n"app.quit" = "ctrl+q"\n')
    write(
        user,
        'default_profile = "meta"\n[secrets]\nstore = "file"\n'
        '[keys.home]\nrefresh = ["r", "f5"]\n'
        '[profiles.meta]\nkind = "discourse"\nurl = "https://meta.example"\n'
        'username = "ada"\nauth = "api_key"\nrequest_budget = 30\npadding = "oaep"\n'
        '[profiles.club]\nkind = "socket"\nsocket = "/run/club.sock"\n'
        '[profiles.work]\nkind = "cohort"\nurl = "http://127.0.0.1:8080"\nauth = "token"\n',
    )
    loaded = load_config(user_path=user, site_path=site)
    text = merged_toml(loaded)
    assert str(site) in text and str(user) in text  # where it came from
    printed = write(user.with_name("printed") / "config.toml", text)
    again = load_config(user_path=printed, site_path=None)
    assert again == replace(loaded, sources=again.sources)
    assert tomllib.loads(text)["profiles"]["meta"]["request_budget"] == 30


def test_save_profile_writes_its_own_file_and_keeps_other_profiles(user: Path) -> None:
    mine = '# my forums\ndefault_profile = "work"  # the one I use\n\n[profiles.work]\n'
    mine += 'kind = "cohort"\nurl = "https://work.example"\nauth = "password"\n'
    write(user, mine)
    meta = Profile("meta", "discourse", url="https://meta.example", auth="user_api_key")
    saved = save_profile(meta, user_path=user)
    assert saved == app_profiles_path(user) == user.with_name("profiles.toml")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    club = Profile("club", "socket", socket="/run/club.sock")
    save_profile(club, user_path=user)
    save_profile(replace(meta, username="ada"), user_path=user)  # an update

    assert user.read_text(encoding="utf-8") == mine  # the user's file, comments and all
    loaded = load_config(user_path=user, site_path=None)
    assert loaded.profiles["meta"] == replace(meta, username="ada")
    assert loaded.profiles["club"] == club
    assert loaded.profile() == loaded.profiles["work"]
    assert loaded.sources[-2:] == (saved, user)

    # The user's own file wins over what the app saved.
    save_profile(replace(loaded.profiles["work"], auth="token", username="ada"), user_path=user)
    work = load_config(user_path=user, site_path=None).profiles["work"]
    assert (work.auth, work.username) == ("password", "ada")

    assert remove_profile("club", user_path=user)
    assert not remove_profile("club", user_path=user)
    assert set(load_config(user_path=user, site_path=None).profiles) == {
        "embedded",
        "meta",
        "work",
    }


def test_save_profile_refuses_what_would_not_load(user: Path) -> None:
    with pytest.raises(ValueError, match="probe"):
        save_profile(Profile("x.example", "url", url="https://x.example"), user_path=user)
    with pytest.raises(ConfigError) as caught:
        save_profile(Profile("my forum", "cohort", url="https://x.example"), user_path=user)
    assert (caught.value.file, caught.value.key) == (
        app_profiles_path(user),
        'profiles."my forum"',
    )
    with pytest.raises(ConfigError, match=r"profiles\.meta\.username"):
        save_profile(
            Profile("meta", "discourse", url="https://m.example", auth="api_key"), user_path=user
        )
    assert not app_profiles_path(user).exists()


def test_save_profile_never_overwrites_a_broken_file(user: Path) -> None:
    broken = write(app_profiles_path(user), "[profiles.meta\n")
    with pytest.raises(ConfigError, match=re.escape(f"{broken}, line 1")):
        save_profile(Profile("club", "socket", socket="/run/c.sock"), user_path=user)
    assert broken.read_text(encoding="utf-8") == "[profiles.meta\n"
