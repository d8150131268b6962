"""The fixed vocabulary the generator writes with, so a seed always gives the same forum.

Words are in rough frequency order: the generator draws them with Zipf weights by rank,
so search sees a realistic spread from words in most posts to words in a handful.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = _words(
    """
the to and a i it of is in that you for this with on but have be not was my are if so
can do at as what or just there an from they we all about would when your get like one
some out more how also then than any no up now which them only much very by still too
"""
)

CONTENT_WORDS = _words(
    """
code think work error time make way know problem use need try file thing function first
really good help new question data project learn test version because example want find
something run using see look people same going well other right change help value line
maybe type point week answer different better thanks start working idea sure getting
course read understand write build issue output case class book list simple day used
next last set part step return long start result reason part practice exercise method
fix lot hard module chapter small check video useful loop variable string number object
package library server install command terminal tutorial feature program review quite
solution exactly trying tried easy pretty already actually probably bit fine around
group module path logic memory map input print call message instead kind ask post mean
update process free idea great helpful learned simple wrong sense far least enough
happen place name create clear check team open move progress plan share session notes
slow fast depends pattern test tests unit debug debugger stack trace compile compiler
syntax format struct array index key dictionary tuple query table schema column row
branch commit merge rebase remote repository pull request deploy container image
config environment dependency dependencies import export async await thread lock
request response header status cache cookie token session browser page style layout
component state render event handler callback promise closure scope recursion
algorithm complexity sorting search tree graph node edge queue heap hash pointer
reference borrow lifetime trait interface generic template macro lambda iterator
generator decorator context manager exception assertion fixture mock coverage lint
formatter editor shortcut plugin extension notebook dataset model training accuracy
"""
)

TECH_WORDS = _words(
    """
python javascript rust sql git linux bash docker css html react django flask sqlite
postgres typescript golang java kotlin haskell numpy pandas pytest vim emacs vscode
regex json yaml toml markdown unicode http tcp ssh cron systemd kubernetes
"""
)

# Each appears in only a few dozen posts of a 100k-post forum: a needle for search.
RARE_WORDS = _words(
    """
quokka marzipan zeppelin kerfuffle obsidian xylophone bumblebee lighthouse
gooseberry tamarind platypus snorkel wombat origami cinnamon tortoise
"""
)

COMMON_WORD = "code"

OPENERS = [
    "I think",
    "Has anyone tried",
    "Thanks,",
    "In my experience",
    "The problem is that",
    "You could try",
    "I ran into",
    "What worked for me was",
    "Not sure, but",
    "Good question:",
    "For what it is worth,",
    "Honestly",
    "My guess is",
    "As far as I know",
    "One more thing:",
    "I would start with",
    "Here is what I did:",
    "It turns out",
    "Same here:",
    "Quick update:",
    "If I remember right,",
    "Careful:",
    "Another option is",
]

TITLE_PATTERNS = [
    "How do I {w} {w} in {t}?",
    "{T} {w} keeps failing with a {w} error",
    "Best way to learn {t} {w}?",
    "Help: {w} {w} not working",
    "Show and tell: my {t} {w} project",
    "Study group for {t} {w}",
    "Why does {t} {w} {w} like this?",
    "Question about {w} and {w}",
    "Struggling with {t} {w}",
    "Tips for {w} {w} in {t}",
    "Week {n} check-in: {w} {w}",
    "Is {t} worth it for {w} {w}?",
    "Code review: {w} {w} in {t}",
    "{T} vs {t2} for {w}?",
    "Resource: a good {t} {w} guide",
]

FIRST_NAMES = _words(
    """
ada alan grace linus margaret ken dennis barbara guido bjarne john james anita radia
frances katherine donald edsger tim vint hedy mary lynn ruth ida carol sophie noah
liam emma olivia ava mia lucas leo maya zoe amir priya ravi arjun mei chen wei yuki
hana kenji sara omar fatima ali nadia ivan olga dmitri anna lena jonas felix nina
elena marco giulia pablo lucia diego sofia tomas ines kwame amara chidi zara tariq
"""
)

LAST_NAMES = _words(
    """
lovelace turing hopper torvalds hamilton thompson ritchie liskov rossum stroustrup
mccarthy gosling borg perlman allen johnson knuth dijkstra berners cerf lamarr
shaw kay wexler park kim lee ng patel singh garcia silva rossi muller novak
"""
)

TAGS_BY_CATEGORY = {
    "general": ["introductions", "check-in", "career", "motivation", "meta", "off-topic"],
    "help": [
        "python",
        "javascript",
        "rust",
        "sql",
        "git",
        "linux",
        "debugging",
        "testing",
        "beginner",
        "homework",
        "css",
        "docker",
    ],
    "projects": ["python", "web", "cli", "game", "data-science", "open-source", "feedback"],
    "resources": ["book", "video", "course", "article", "cheatsheet", "python", "sql"],
    "study-groups": ["book-club", "algorithms", "interview", "pair-programming", "weekly"],
    "mentors": ["planning", "curriculum", "onboarding", "moderation"],
}

# Shared again and again (and titled): the heads of the Resources list.
POPULAR_LINKS = [
    ("https://docs.python.org/3/tutorial/", "The Python Tutorial"),
    ("https://developer.mozilla.org/en-US/docs/Web/JavaScript", "MDN JavaScript"),
    ("https://git-scm.com/book/en/v2", "Pro Git"),
    ("https://www.sqlite.org/lang.html", "SQL As Understood By SQLite"),
    ("https://doc.rust-lang.org/book/", "The Rust Book"),
    ("https://missing.csail.mit.edu/", "The Missing Semester"),
    ("https://regex101.com/", "regex101"),
    ("https://exercism.org/", "Exercism"),
    ("https://cs50.harvard.edu/x/", "CS50x"),
    ("https://www.theodinproject.com/", "The Odin Project"),
    ("https://realpython.com/", "Real Python"),
    ("https://docs.pytest.org/en/stable/", "pytest documentation"),
    ("https://learnxinyminutes.com/", "Learn X in Y minutes"),
    ("https://www.postgresql.org/docs/current/tutorial.html", "PostgreSQL Tutorial"),
    ("https://htdp.org/", "How to Design Programs"),
]

LINK_SITES = [
    "blog.example.org",
    "notes.example.net",
    "learn.example.com",
    "wiki.example.org",
    "videos.example.com",
    "gist.example.net",
]

CODE_SNIPPETS = [
    ("python", "def mean(values):\n    return sum(values) / len(values)\n\nprint(mean([1, 2, 3]))"),
    ("python", "for i, line in enumerate(open('data.txt')):\n    print(i, line.strip())"),
    ("python", "Traceback (most recent call last):\n  File \"main.py\", line 3\nKeyError: 'name'"),
    (
        "javascript",
        "const total = items.reduce((sum, x) => sum + x.price, 0);\nconsole.log(total);",
    ),
    ("sql", "SELECT name, COUNT(*) FROM members\nGROUP BY name\nHAVING COUNT(*) > 1;"),
    ("bash", "git rebase -i HEAD~3\ngit push --force-with-lease"),
    ("rust", 'fn main() {\n    let v: Vec<i32> = (1..=10).collect();\n    println!("{:?}", v);\n}'),
    ("", "$ python -m venv .venv\n$ . .venv/bin/activate\n$ pip install -e ."),
]
