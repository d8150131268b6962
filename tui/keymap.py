"""The registry of every user action: its id, default keys, description and context.

Screens build their Textual `BINDINGS` from here rather than declaring keys inline, so
one table drives the keys, the footer, the help screen, the command palette and the
user's `[keys]` table. Each `Binding` carries `id=action.id`, which is what
`App.set_keymap` matches, so user remapping needs no change to any screen.

Focus movement (tab / shift+tab) and the command palette (ctrl+p) are Textual built-ins
and are not repeated here.

Chords ("g g") are bindings too, under a key no terminal sends: Textual never fires them,
but the footer shows them and `App.set_keymap` remaps them like any key; tui/keys.py reads
them from the screen's active bindings. The machinery below also checks the user's
`[keys]` table: unknown actions, malformed keys and clashes are reported, never applied.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from textual.binding import Binding, BindingType
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, format_key


@dataclass(frozen=True)
class Action:
    id: str  # "<context>.<name>"; the binding runs `action_<name>` on the context's node
    keys: str  # Textual key string; a comma separates alternatives
    description: str
    context: str  # "app" (CohortApp) or a screen's name ("home")
    show: bool = True  # shown in the footer
    priority: bool = False  # checked before the focused widget's own bindings

    @property
    def name(self) -> str:
        return self.id.rpartition(".")[2]


ACTIONS: tuple[Action, ...] = (
    # Everywhere. A space in `keys` makes a chord ("g l": g, then l); chords and count
    # prefixes are read by tui/keys.py, single keys become Textual bindings.
    Action("app.help", "question_mark", "Help: every key", "app"),
    Action("app.search", "slash", "Search", "app"),
    # Not in the footer: it is shared by every screen and 80 columns are few; ? lists them.
    Action("app.latest", "g l", "Go to the latest topics", "app", show=False),
    Action("app.categories", "g c", "Go to the categories", "app", show=False),
    Action("app.inbox", "g i", "Feedback inbox: replies, mentions, reactions", "app", show=False),
    Action("app.library", "g r", "Resource library of the community", "app", show=False),
    Action("app.add_forum", "g f", "Add a forum (log in)", "app", show=False),
    # Home: categories beside the topic list.
    Action("home.quit", "q", "Quit", "home"),
    Action("home.refresh", "r", "Refresh", "home"),
    # Priority, so enter opens a category or topic rather than only moving the cursor.
    Action("home.open", "enter", "Open", "home", priority=True),
    Action("home.show_all", "escape", "All topics", "home"),
    Action("home.next_filter", "f", "Next list: latest, new, unread, top", "home"),
    Action("home.tag", "t", "Only topics with a tag", "home"),
    Action("home.guidelines", "i", "The category's guidelines", "home"),
    Action("home.new_topic", "c", "New topic", "home"),
    Action("home.share", "s", "Share a resource", "home"),
    Action("home.down", "j", "Down", "home", show=False),
    Action("home.up", "k", "Up", "home", show=False),
    Action("home.first", "g g", "First", "home", show=False),
    Action("home.last", "G", "Last", "home", show=False),
    # Thread: the reply tree and its two panes.
    Action("thread.back", "escape,q", "Back", "thread"),
    # Writing and liking first in the footer: 80 columns show only the first few.
    Action("thread.reply", "r", "Reply to the post", "thread"),
    Action("thread.like", "l", "Like or unlike the post", "thread"),
    Action("thread.down", "j,down", "Next post", "thread", show=False),
    Action("thread.up", "k,up", "Previous post", "thread", show=False),
    Action("thread.first", "g g,home", "First post", "thread", show=False),
    Action("thread.last", "G,end", "Last post (with a count: post N)", "thread", show=False),
    Action("thread.next_unread", "n", "Next unread", "thread"),
    Action("thread.prev_unread", "p", "Previous unread", "thread", show=False),
    Action("thread.parent", "u", "The post this replies to", "thread"),
    Action(
        "thread.next_sibling",
        "right_square_bracket",
        "Next reply to the same post",
        "thread",
        show=False,
    ),
    Action(
        "thread.prev_sibling",
        "left_square_bracket",
        "Previous reply to the same post",
        "thread",
        show=False,
    ),
    Action("thread.collapse", "space", "Collapse or expand the branch", "thread"),
    Action("thread.toggle_order", "t", "Tree or chronological order", "thread", show=False),
    Action("thread.solved", "g s", "Go to the accepted answer", "thread", show=False),
    Action("thread.open_link", "o", "Open a link of the post (a count picks it)", "thread"),
    Action(
        "thread.copy_link", "y", "Copy a link of the post (a count picks it)", "thread", show=False
    ),
    Action("thread.goto", "enter", "With a count: go to post N", "thread", show=False),
    Action("thread.toggle_resources", "R", "Resources pane", "thread"),
    Action("thread.toggle_feedback", "F", "Feedback pane", "thread"),
    Action("thread.refresh", "ctrl+r", "Refresh", "thread", show=False),
    # Thread: taking part.
    Action("thread.reply_topic", "c", "Reply to the topic", "thread", show=False),
    Action("thread.quote", "Q", "Quote the post in a reply", "thread", show=False),
    Action("thread.edit", "e", "Edit your post", "thread", show=False),
    Action("thread.delete", "D", "Delete your post", "thread", show=False),
    Action("thread.react", "plus", "React to the post", "thread", show=False),
    Action("thread.bookmark", "b", "Bookmark the post", "thread", show=False),
    Action("thread.accept", "a", "Accept the post as the answer", "thread", show=False),
    # Small questions the thread asks (tui/screens/confirm.py, tui/screens/react.py).
    Action("confirm.yes", "y", "Yes", "confirm"),
    Action("confirm.no", "n,escape", "No", "confirm"),
    Action("react.pick", "enter", "React with this", "react"),
    Action("react.close", "escape,q", "Close", "react"),
    # Search.
    Action("search.back", "escape", "Back", "search"),
    Action("search.open", "enter", "Open at the post", "search", show=False),
    # Composer (widgets/composer.py, tui/screens/compose.py).
    # -- compose block: owned by the composer work --
    # Priority: the editor's and the fields' own keys (ctrl+e: end of line) come second.
    Action("compose.send", "ctrl+s", "Send", "compose", priority=True),
    Action("compose.editor", "ctrl+e", "External editor", "compose", priority=True),
    Action("compose.preview", "ctrl+o", "Preview", "compose", priority=True),
    Action("compose.cancel", "escape", "Cancel", "compose"),
    Action("draft.keep", "k", "Keep the draft", "draft"),
    Action("draft.discard", "d", "Discard the draft", "draft"),
    Action("draft.back", "escape", "Back to writing", "draft"),
    # Feedback inbox (tui/screens/inbox.py).
    # -- inbox block: owned by the inbox work --
    # Priority, so enter opens the post rather than only moving the cursor.
    Action("inbox.open", "enter", "Open at the post (marks it read)", "inbox", priority=True),
    Action("inbox.mark_read", "m", "Mark read", "inbox"),
    Action("inbox.mark_all_read", "M", "Mark all read", "inbox"),
    Action("inbox.back", "escape,q", "Back", "inbox"),
    Action("inbox.refresh", "r", "Refresh", "inbox", show=False),
    Action("inbox.down", "j", "Down", "inbox", show=False),
    Action("inbox.up", "k", "Up", "inbox", show=False),
    Action("inbox.first", "g g", "First", "inbox", show=False),
    Action("inbox.last", "G", "Last (with a count: row N)", "inbox", show=False),
    # Resource library and sharing (tui/screens/library.py, tui/screens/share.py).
    # -- library block: owned by the library work --
    # Priority, so enter opens the discussion rather than only selecting the row; a count
    # before it picks which discussion, when the link was shared in several.
    Action("library.open", "enter", "Open the discussion", "library", priority=True),
    Action("library.open_link", "o", "Open the link", "library"),
    Action("library.copy_link", "y", "Copy the link", "library", show=False),
    Action("library.share", "s", "Share a resource", "library"),
    Action("library.next_category", "c", "Next category (a count picks one)", "library"),
    Action("library.tag", "t", "Only topics with a tag", "library"),
    Action("library.find", "f", "Only links matching words", "library"),
    Action("library.next_sort", "S", "Sort: newest, most shared, most liked", "library"),
    Action("library.back", "escape,q", "Back", "library"),
    Action("library.refresh", "r", "Refresh", "library", show=False),
    Action("library.down", "j", "Down", "library", show=False),
    Action("library.up", "k", "Up", "library", show=False),
    Action("library.first", "g g", "First", "library", show=False),
    Action("library.last", "G", "Last", "library", show=False),
    Action("share.submit", "ctrl+s", "Share it (a new topic)", "share", priority=True),
    Action("share.cancel", "escape", "Cancel (the draft is kept)", "share"),
    # Adding a forum (tui/screens/login.py).
    # -- login block: owned by the login work --
    Action("login.back", "escape", "Back, or stop", "login"),
    Action("login.next", "ctrl+s", "Continue, or save", "login"),
    Action("login.copy_address", "ctrl+o", "Copy the address", "login"),
    # Study groups, events, people and private messages (issue 6).
    # -- community block: owned by the community screens work --
    Action("app.groups", "g y", "Study groups", "app", show=False),
    Action("app.events", "g e", "Upcoming events and meetings", "app", show=False),
    Action("app.people", "g p", "People and mentors", "app", show=False),
    Action("app.messages", "g m", "Private messages", "app", show=False),
    # Study groups (tui/screens/groups.py); enter is priority so it opens the group.
    Action("groups.open", "enter", "Open the group", "groups", priority=True),
    Action("groups.join", "J", "Join (open groups)", "groups"),
    Action("groups.request", "A", "Ask to join", "groups"),
    Action("groups.leave", "L", "Leave", "groups"),
    Action("groups.find", "f", "Find by words", "groups"),
    Action("groups.every_group", "a", "Every group, or study groups only", "groups"),
    Action("groups.back", "escape,q", "Back", "groups"),
    Action("groups.refresh", "r", "Refresh", "groups", show=False),
    Action("groups.down", "j", "Down", "groups", show=False),
    Action("groups.up", "k", "Up", "groups", show=False),
    Action("groups.first", "g g", "First", "groups", show=False),
    Action("groups.last", "G", "Last", "groups", show=False),
    # One group's page (tui/screens/group.py): its threads, resources and requests.
    Action("group.open", "enter", "Open the thread", "group", priority=True),
    Action("group.join", "J", "Join (open groups)", "group"),
    Action("group.request", "A", "Ask to join", "group"),
    Action("group.leave", "L", "Leave", "group"),
    Action("group.approve", "a", "Approve the request (organisers)", "group"),
    Action("group.back", "escape,q", "Back", "group"),
    Action("group.refresh", "r", "Refresh", "group", show=False),
    Action("group.down", "j", "Down", "group", show=False),
    Action("group.up", "k", "Up", "group", show=False),
    # Upcoming events and meetings (tui/screens/events.py); the same answer again takes it back.
    Action("events.open", "enter", "Open the discussion", "events", priority=True),
    Action("events.going", "y", "Going", "events"),
    Action("events.interested", "i", "Interested", "events"),
    Action("events.not_going", "n", "Not going", "events"),
    Action("events.wider", "w", "This week or 30 days", "events"),
    Action("events.next_group", "f", "Only one group (a count picks)", "events"),
    Action("events.export", "e", "Export .ics of what you go to", "events"),
    Action("events.attendees", "a", "Who answered", "events"),
    Action("events.back", "escape,q", "Back", "events"),
    Action("events.refresh", "r", "Refresh", "events", show=False),
    Action("events.down", "j", "Down", "events", show=False),
    Action("events.up", "k", "Up", "events", show=False),
    Action("events.first", "g g", "First", "events", show=False),
    Action("events.last", "G", "Last", "events", show=False),
    # Who answered an event (tui/screens/events.py): enter shows a profile.
    Action("attendees.open", "enter", "Profile", "attendees", priority=True),
    Action("attendees.back", "escape,q", "Back", "attendees"),
    Action("attendees.down", "j", "Down", "attendees", show=False),
    Action("attendees.up", "k", "Up", "attendees", show=False),
    # People and mentors (tui/screens/people.py), and one profile.
    Action("people.open", "enter", "Profile", "people", priority=True),
    Action("people.find", "f", "Find by expertise or words", "people"),
    Action("people.mentors", "o", "Only open to mentoring", "people"),
    Action("people.message", "m", "Message privately", "people"),
    Action("people.back", "escape,q", "Back", "people"),
    Action("people.refresh", "r", "Refresh", "people", show=False),
    Action("people.down", "j", "Down", "people", show=False),
    Action("people.up", "k", "Up", "people", show=False),
    Action("people.first", "g g", "First", "people", show=False),
    Action("people.last", "G", "Last", "people", show=False),
    Action("profile.open", "enter", "Open the post", "profile", priority=True),
    Action("profile.message", "m", "Message privately", "profile"),
    Action("profile.back", "escape,q", "Back", "profile"),
    Action("profile.down", "j", "Down", "profile", show=False),
    Action("profile.up", "k", "Up", "profile", show=False),
    # Private conversations (tui/screens/messages.py); a new one is written in the composer.
    Action("messages.open", "enter", "Open the conversation", "messages", priority=True),
    Action("messages.new", "c", "New conversation", "messages"),
    Action("messages.back", "escape,q", "Back", "messages"),
    Action("messages.refresh", "r", "Refresh", "messages", show=False),
    Action("messages.down", "j", "Down", "messages", show=False),
    Action("messages.up", "k", "Up", "messages", show=False),
    Action("messages.first", "g g", "First", "messages", show=False),
    Action("messages.last", "G", "Last", "messages", show=False),
    # Help.
    Action("help.close", "escape,q,question_mark", "Close", "help"),
)


def actions(context: str) -> list[Action]:
    return [a for a in ACTIONS if a.context == context]


def action(action_id: str) -> Action | None:
    return _BY_ID.get(action_id)


def contexts() -> list[str]:
    """Every context, in the table's order ("app" first)."""
    return list(dict.fromkeys(a.context for a in ACTIONS))


def single_keys(action: Action) -> str:
    """The alternatives of `action` that are one key (chords are handled by tui/keys.py)."""
    return ",".join(k.strip() for k in action.keys.split(",") if " " not in k.strip())


def chords(action: Action) -> list[tuple[str, ...]]:
    """The alternatives of `action` that are key sequences, e.g. ("g", "l")."""
    return [tuple(k.split()) for k in action.keys.split(",") if " " in k.strip()]


# The footer's words for actions whose description is too long for it: 80 columns hold
# about eight short labels. The help screen and the palette keep the full description.
FOOTER_LABELS: dict[str, str] = {
    "home.next_filter": "List",
    "home.tag": "Tag",
    "home.guidelines": "Guidelines",
    "home.new_topic": "New topic",
    "home.share": "Share",
    "home.show_all": "All",
    "thread.next_unread": "Unread",
    "thread.parent": "Parent",
    "thread.collapse": "Fold",
    "thread.toggle_order": "Order",
    "thread.solved": "Answer",
    "thread.open_link": "Open link",
    "thread.toggle_resources": "Resources",
    "thread.toggle_feedback": "Feedback",
    "thread.reply": "Reply",
    "thread.like": "Like",
}


def bindings(context: str) -> list[BindingType]:
    """The Textual bindings of one context, each with its action's id for remapping.

    A chord is a binding under its spaced name ("g g"): never fired by Textual (tui/keys.py
    runs it), but shown by the footer and remapped by `App.set_keymap` like any key.
    """
    return [
        Binding(
            a.keys,
            a.name,
            FOOTER_LABELS.get(a.id, a.description),
            show=a.show,
            priority=a.priority,
            id=a.id,
            tooltip=a.description,
        )
        for a in actions(context)
    ]


# -- keys as text --------------------------------------------------------------------------

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
DIGITS = frozenset("0123456789")  # a count prefix: never bound
# Textual's own keys, bound by the App itself: a user's key here would never arrive.
RESERVED = {
    "ctrl+q": "quit (Textual)",
    "ctrl+p": "the command palette (Textual)",
    "ctrl+c": "copy (Textual)",
    "tab": "the next pane (Textual)",
    "shift+tab": "the previous pane (Textual)",
}
_NAMED_KEYS = frozenset(k.value for k in Keys) | frozenset(KEY_NAME_REPLACEMENTS.values())


class BadKey(ValueError):
    """A key string that names no key."""


def _key_name(char: str) -> str:
    """A character as Textual names its key: "?" -> "question_mark", "G" -> "G"."""
    if char.isalnum():
        return char
    try:
        name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        raise BadKey(f"{char!r} is not a key") from None
    return KEY_NAME_REPLACEMENTS.get(name, name)


def _is_character_name(name: str) -> bool:
    """Whether `name` is a printable character's name, such as "left_square_bracket"."""
    try:
        return unicodedata.lookup(name.replace("_", " ").upper()).isprintable()
    except KeyError:
        return False


def normalize_key(key: str) -> str:
    """One key in Textual's long form ("?" -> "question_mark", "ctrl+x"); BadKey if it
    names no key."""
    key = key.strip()
    if not key:
        raise BadKey("an empty key")
    if key.endswith("++"):  # "ctrl++": the plus key, with modifiers
        mods, base = key[:-2].split("+"), "+"
    else:
        *mods, base = key.split("+") if len(key) > 1 else [key]
    if not base:
        raise BadKey(f"{key!r} names no key")
    for mod in mods:
        if mod not in MODIFIERS:
            raise BadKey(f"{key!r}: {mod!r} is not a modifier ({', '.join(sorted(MODIFIERS))})")
    if len(base) == 1:
        base = _key_name(base)
    elif base not in _NAMED_KEYS and not _is_character_name(base):
        raise BadKey(f"{key!r} names no key")
    return "+".join([*mods, base])


def parse_keys(text: str) -> list[tuple[str, ...]]:
    """A key string's alternatives, each a sequence of normalized keys: "g g, home" ->
    [("g", "g"), ("home",)]. Raises BadKey when one names no key."""
    alternatives = [part.split() for part in text.split(",")]
    if not text.strip() or any(not keys for keys in alternatives):
        raise BadKey(f"{text!r} has an empty alternative")
    return [tuple(normalize_key(k) for k in keys) for keys in alternatives]


def key_string(sequences: Iterable[tuple[str, ...]]) -> str:
    """The inverse of `parse_keys`: Textual's key string."""
    return ",".join(" ".join(keys) for keys in sequences)


def display_key(key: str) -> str:
    """How a key string reads for people: "question_mark" -> "?", "g g" -> "g g", and
    alternatives joined with " / "."""
    shown = []
    for alternative in key.split(","):
        parts = []
        for one in alternative.split():
            *mods, base = one.split("+") if len(one) > 1 else [one]
            base = format_key(base)
            if "ctrl" in mods:
                mods.remove("ctrl")
                base = f"^{base}"
            parts.append("+".join([*mods, base]))
        shown.append(" ".join(parts))
    return " / ".join(shown)


# -- the user's keymap ---------------------------------------------------------------------


@dataclass(frozen=True)
class KeymapCheck:
    """The user's `[keys]` table, checked: what is applied and what is reported instead."""

    applied: dict[str, str] = field(default_factory=dict)  # action id -> normalized keys
    problems: list[str] = field(default_factory=list)  # one line each, for people


def keys_of(action: Action, overrides: Mapping[str, str] | None = None) -> str:
    """The keys `action` answers to: the user's, where they remapped it, else its own."""
    return (overrides or {}).get(action.id, action.keys)


def _scopes(context: str) -> list[str]:
    """The contexts whose keys are live together with `context`'s."""
    if context == "app":
        return contexts()
    return [context, "app"]


def _clashes(
    action_: Action, sequences: list[tuple[str, ...]], table: Mapping[str, str]
) -> list[str]:
    """Why `sequences` cannot be `action_`'s keys, given every action's keys in `table`.

    Two keys clash when one equals the other or is a chord's first keys (the chord could
    never be typed), on screens where both are live. Overlaps the registry itself
    declares (help's ? closing the help opened by the app's ?) are not the user's doing.
    """
    found: list[str] = []
    own = parse_keys(action_.keys)
    for index, keys in enumerate(sequences):
        shown = display_key(" ".join(keys))
        if keys[0] in DIGITS:
            found.append(f"{shown}: digits give a count, they cannot be bound")
        elif keys[0] in RESERVED:
            found.append(f"{shown}: taken by {RESERVED[keys[0]]}")
        elif "escape" in keys[1:]:
            found.append(f"{shown}: escape cancels a chord, it cannot end one")
        elif any(_overlap(keys, mine) for mine in sequences[:index]):
            found.append(f"{shown}: overlaps another of its own keys")
        else:
            clashing = [
                f"{display_key(' '.join(theirs))} ({other.id})"
                for scope in _scopes(action_.context)
                for other in actions(scope)
                if other.id != action_.id
                for theirs in parse_keys(table[other.id])
                if _overlap(keys, theirs) and not (keys in own and theirs in parse_keys(other.keys))
            ]
            if clashing:
                found.append(f"{shown}: clashes with {', '.join(clashing)}")
    return found


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def check_user_keys(user: Mapping[str, str]) -> KeymapCheck:
    """Validate the user's keymap (action id -> key string) against the registry.

    Unknown ids, keys that name no key, and keys that clash (the same key or a chord
    prefix of another action live on the same screen, the app's keys being live on every
    screen; digits; Textual's own keys) are reported and left out; the rest is applied.
    Entries are checked against each other too, until no accepted entry clashes.
    """
    problems: list[str] = []
    wanted: dict[str, list[tuple[str, ...]]] = {}
    for action_id, text in user.items():
        label = f'keys."{action_id}"'
        if action_id not in _BY_ID:
            problems.append(f"{label}: no such action (see ? for the actions)")
            continue
        try:
            wanted[action_id] = parse_keys(text)
        except BadKey as bad:
            problems.append(f"{label}: {bad}")
    rejected: dict[str, list[str]] = {}
    while True:
        table = {a.id: a.keys for a in ACTIONS} | {
            i: key_string(s) for i, s in wanted.items() if i not in rejected
        }
        newly = {
            i: found
            for i, seqs in wanted.items()
            if i not in rejected and (found := _clashes(_BY_ID[i], seqs, table))
        }
        if not newly:
            break
        rejected |= newly
    for action_id, found in rejected.items():
        problems.extend(f'keys."{action_id}": {why}; not applied' for why in found)
    applied = {i: key_string(s) for i, s in wanted.items() if i not in rejected}
    return KeymapCheck(applied, problems)


_BY_ID = {a.id: a for a in ACTIONS}


def example_toml() -> str:
    """config/keymap.example.toml: every action with its default keys, as a user would
    write them in their config's `[keys]` table (a test keeps the file equal to this)."""
    titles = {"app": "Everywhere", "home": "Home", "thread": "A thread", "search": "Search"}
    lines = [
        "# Cohort's keys: every action, with its default keys.",
        "#",
        "# To change one, copy its line into the [keys] table of your",
        "# ~/.config/cohort/config.toml, drop the '#', and write your keys. `cohort config",
        "# --print` shows what Cohort read; ? in the app shows the keys in force.",
        "#",
        '# Keys are Textual key names: "j", "G", "enter", "escape", "space", "f5", "ctrl+r",',
        '# "question_mark" (or simply "?"). A comma separates alternatives ("r, f5", or a',
        '# list: ["r", "f5"]). A space makes a chord: "g g" is g, then g.',
        "#",
        "# Checked when Cohort starts; a line with a problem is reported (a notification,",
        "# and at the top of the help screen) and left out, the others are applied:",
        "# - an id that names no action;",
        "# - a key that names no key;",
        "# - a clash: the key is already another action's on the same screen, or one",
        "#   of the keys that work everywhere, or the first key of a chord (g, of g g);",
        "# - the digits 0-9 (they type a count: 12 G goes to post 12), escape inside a",
        "#   chord (it cancels the chord), and Textual's own keys:",
        f"#   {', '.join(RESERVED)}.",
        "",
        "[keys]",
    ]
    for context in contexts():
        lines += ["", f"# {titles.get(context, context.capitalize())}"]
        for a in actions(context):
            lines.append(f'# "{a.id}" = "{a.keys}"  # {a.description}')
    return "\n".join(lines) + "\n"
