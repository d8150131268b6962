"""Messages the app sends to every screen on its stack: what the outbox delivered and
what the forum's change feed brought, so an open screen can follow without polling."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the home screen imports this module before its first frame
    from tui.forum.models import NotificationList
    from tui.forum.outbox import Outcome
    from tui.forum.sync import SyncResult


class OutboxUpdate(Message):
    """A delivery round ended: `outcomes` says what each attempted item became."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.outcomes = outcomes


class ForumChanged(Message):
    """The change feed moved: the topics in `result` changed in the cache."""

    def __init__(self, result: SyncResult) -> None:
        super().__init__()
        self.result = result


class InboxChanged(Message):
    """The notifications were read again; `fresh` are unread ones not seen before;
    `unread_messages` private conversations with unread posts (None: not known)."""

    def __init__(
        self, notifications: NotificationList, fresh: list[int], unread_messages: int | None
    ) -> None:
        super().__init__()
        self.notifications = notifications
        self.fresh = fresh
        self.unread_messages = unread_messages
