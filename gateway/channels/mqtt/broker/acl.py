"""Mosquitto ACL files, parsed and applied without Mosquitto (the embedded broker's topic rules).

The syntax is Mosquitto's ``acl_file``:

    # comment
    topic [read|write|readwrite|deny] TOPIC      before any ``user`` line: anonymous clients
    user NAME                                    the ``topic`` lines after it are NAME's
    pattern [read|write|readwrite|deny] TOPIC    every user; %u is the user name, %c the client id

Access defaults to ``readwrite``. As in Mosquitto, a matching ``deny`` wins over every grant, and
what no line grants is refused. A subscription is allowed when every topic its filter can match is
readable (``#`` is refused unless a rule grants ``#``); a publication when its topic is writable.
%u and %c never stand for a name containing ``/``, ``+`` or ``#``, so a crafted name cannot widen a
pattern. Pure functions: the broker asks ``Acl.allows_*`` on each SUBSCRIBE, PUBLISH and delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

_UNSAFE_ID = frozenset("/+#")


class Access(StrEnum):
    READ = "read"
    WRITE = "write"
    READWRITE = "readwrite"
    DENY = "deny"

    def grants(self, wanted: Access) -> bool:
        return self is not Access.DENY and (self is Access.READWRITE or self is wanted)


class AclError(ValueError):
    """A line of ACL text that cannot be read; the message names the line."""


@dataclass(frozen=True, slots=True)
class Rule:
    access: Access
    topic: str
    pattern: bool  # True: a ``pattern`` line (%u, %c substituted)

    def topic_for(self, user: str | None, client_id: str | None) -> str | None:
        """The rule's topic for this client; None when a substitution is impossible or unsafe."""
        if not self.pattern:
            return self.topic
        topic = self.topic
        for token, value in (("%u", user), ("%c", client_id)):
            if token in topic:
                if not value or _UNSAFE_ID & set(value):
                    return None
                topic = topic.replace(token, value)
        return topic


@dataclass(frozen=True, slots=True)
class Acl:
    """Parsed rules: ``anonymous`` (topic lines before any user), ``users`` (per user), ``patterns``."""

    anonymous: tuple[Rule, ...] = ()
    users: tuple[tuple[str, tuple[Rule, ...]], ...] = ()
    patterns: tuple[Rule, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Acl:
        anonymous: list[Rule] = []
        users: dict[str, list[Rule]] = {}
        patterns: list[Rule] = []
        current: list[Rule] = anonymous
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            rest = rest.strip()
            if keyword == "user":
                if not rest:
                    raise AclError(f"line {number}: 'user' needs a name")
                current = users.setdefault(rest, [])
                continue
            if keyword not in ("topic", "pattern"):
                raise AclError(f"line {number}: unknown keyword {keyword!r} (user, topic or pattern)")
            first, _, topic = rest.partition(" ")
            try:
                access = Access(first)
                topic = topic.strip()
            except ValueError:
                access, topic = Access.READWRITE, rest
            if not topic or " " in topic:
                raise AclError(f"line {number}: expected '{keyword} [read|write|readwrite|deny] TOPIC'")
            _check_filter(topic, number)
            rule = Rule(access, topic, pattern=keyword == "pattern")
            (patterns if rule.pattern else current).append(rule)
        return cls(
            anonymous=tuple(anonymous),
            users=tuple((name, tuple(rules)) for name, rules in users.items()),
            patterns=tuple(patterns),
        )

    def _topics(self, user: str | None, client_id: str | None) -> tuple[list[str], list[tuple[Access, str]]]:
        """(denied topics, granted (access, topic)) for this client."""
        denies: list[str] = []
        grants: list[tuple[Access, str]] = []
        rules = list(self.anonymous) if user is None else [*dict(self.users).get(user, ()), *self.patterns]
        for rule in rules:
            topic = rule.topic_for(user, client_id)
            if topic is None:
                continue
            if rule.access is Access.DENY:
                denies.append(topic)
            else:
                grants.append((rule.access, topic))
        return denies, grants

    def allows_publish(self, user: str | None, client_id: str | None, topic: str) -> bool:
        return self._allows_topic(user, client_id, topic, Access.WRITE)

    def allows_receive(self, user: str | None, client_id: str | None, topic: str) -> bool:
        """May this client be sent a message published on ``topic``?"""
        return self._allows_topic(user, client_id, topic, Access.READ)

    def _allows_topic(self, user: str | None, client_id: str | None, topic: str, wanted: Access) -> bool:
        denies, grants = self._topics(user, client_id)
        if any(matches(d, topic) for d in denies):
            return False
        return any(access.grants(wanted) and matches(t, topic) for access, t in grants)

    def allows_subscribe(self, user: str | None, client_id: str | None, topic_filter: str) -> bool:
        """Every topic ``topic_filter`` can match must be readable, and no deny rule may overlap it."""
        denies, grants = self._topics(user, client_id)
        if any(overlaps(d, topic_filter) for d in denies):
            return False
        return any(access.grants(Access.READ) and covers(t, topic_filter) for access, t in grants)


def _check_filter(topic: str, number: int) -> None:
    levels = topic.split("/")
    for i, level in enumerate(levels):
        if ("#" in level and (level != "#" or i != len(levels) - 1)) or ("+" in level and level != "+"):
            raise AclError(
                f"line {number}: {topic!r}: '+' and '#' must fill a whole level, '#' only the last"
            )


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching of a concrete ``topic`` against ``topic_filter`` (``+`` one level, ``#`` the rest)."""
    f = topic_filter.split("/")
    t = topic.split("/")
    if topic.startswith("$") and f[0] in ("+", "#"):
        return False
    for i, level in enumerate(f):
        if level == "#":
            return True  # 'a/#' also matches 'a'
        if i >= len(t) or (level != "+" and level != t[i]):
            return False
    return len(f) == len(t)


def covers(acl_filter: str, sub_filter: str) -> bool:
    """True when every topic matched by ``sub_filter`` is matched by ``acl_filter``."""
    a = acl_filter.split("/")
    s = sub_filter.split("/")
    for i, level in enumerate(s):
        if i >= len(a):
            return False
        if a[i] == "#":
            return True
        if level == "#":
            return False
        if level == "+":
            if a[i] != "+":
                return False
        elif a[i] not in ("+", level):
            return False
    return len(a) == len(s) or (len(a) == len(s) + 1 and a[-1] == "#")


def overlaps(a_filter: str, b_filter: str) -> bool:
    """True when some topic is matched by both filters."""
    a = a_filter.split("/")
    b = b_filter.split("/")
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x == "#" or y == "#":
            return True
        if x is None or y is None:
            return False
        if x != "+" and y != "+" and x != y:
            return False
    return True
