"""Any Discourse forum as a `ForumBackend`.

`client.DiscourseBackend` does the talking, `mapping` reads Discourse's JSON into the
models, `budget.RequestBudget` keeps to the forum's request limits, `credentials` says who
we are, and `auth` gets a User API key from a terminal.
"""

from tui.forum.discourse.budget import RequestBudget
from tui.forum.discourse.client import DiscourseBackend
from tui.forum.discourse.credentials import DiscourseCredentials

__all__ = ["DiscourseBackend", "DiscourseCredentials", "RequestBudget"]
