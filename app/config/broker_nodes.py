"""The broker settings' node lists: one or more `;`-separated URLs of the nodes of one RabbitMQ broker."""

from urllib.parse import SplitResult, unquote, urlsplit

SEPARATOR = ";"  # kombu's own separator of failover URLs
NODE_SCHEMES = ("amqp", "amqps", "pyamqp")
ALONE_SCHEMES = ("memory",)  # kombu's in-memory transport (unit tests): there is no other node
MUST_BE_URLS = (
    "must be amqp://user:password@host:port/vhost URLs, several separated by ';' "
    "(percent-encode a ';' inside a password)"
)


def broker_nodes(raw: str) -> str:
    """`raw`'s node URLs, checked and joined by ';' without spaces: the form kombu fails over along."""
    nodes = [node.strip() for node in raw.split(SEPARATOR)]
    if not any(nodes):
        raise ValueError("must not be empty")
    if not all(nodes):
        raise ValueError("must not hold an empty entry between its ';' separators")
    parts = [_node(node) for node in nodes]
    if len(parts) > 1:
        _check_one_broker(parts)
    return SEPARATOR.join(nodes)


def optional_broker_nodes(raw: str) -> str:
    """As `broker_nodes`, or "" when unset (the setting then defers to another one)."""
    return broker_nodes(raw) if raw.strip() else ""


def _node(node: str) -> SplitResult:
    parts = urlsplit(node)
    if parts.scheme in ALONE_SCHEMES:
        return parts
    if parts.scheme not in NODE_SCHEMES or not parts.hostname:
        raise ValueError(MUST_BE_URLS)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise ValueError("must give each node a port between 1 and 65535 (or none: 5672)") from None
    return parts


def _check_one_broker(parts: list[SplitResult]) -> None:
    if any(part.scheme in ALONE_SCHEMES for part in parts):
        raise ValueError("must list several nodes only as amqp:// or amqps:// URLs")
    # A failover must not log in as someone else or land in another vhost: nodes of one broker share both.
    if len({(part.username, part.password, _vhost(part)) for part in parts}) > 1:
        raise ValueError("must name the same user, password and vhost on every node (they are one broker)")
    # kombu gives a node listed without its port the port of the node it last tried: no guessing here.
    if any(part.port is None for part in parts):
        raise ValueError("must give every node its port when it lists several (amqp://host:5672/...)")
    if len({(part.hostname, part.port) for part in parts}) < len(parts):
        raise ValueError("must not list a node twice")


def _vhost(part: SplitResult) -> str:
    """The vhost as kombu reads it: the path without its leading '/', or '/' when that is empty."""
    return unquote(part.path[1:]) or "/"
