"""The process roles' broker users, as their URLs name them, made by setup with their role's rights."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from kombu.utils.url import parse_url

from app.bus.admin import BrokerAdminError, broker_admin
from app.bus.broker import first_node
from app.bus.permissions import grant_of
from app.bus.topology import Topology

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleUser:
    """A process role's broker user, as its URL names it."""

    role: str
    name: str
    password: str
    vhost: str


def role_users(role_urls: Mapping[str, str], admin_url: str) -> list[RoleUser]:
    """The user, password and vhost of every role whose broker URL is set. A role URL naming the user of
    `admin_url` (PAYFLOW_BROKER_URL) is left out: a role's grant would strip that administrator's rights."""
    admin, users = parse_url(first_node(admin_url))["userid"], []
    for role, url in role_urls.items():
        parts = parse_url(first_node(url)) if url else {}  # every node names the same user and vhost
        if parts.get("userid") == admin:
            log.warning(
                "the %s broker URL logs in as %s, the administrator: no user made for it", role, admin
            )
        elif parts:
            users.append(
                RoleUser(role, parts["userid"], parts["password"] or "", parts["virtual_host"] or "/")
            )
    return users


def make_role_users(topology: Topology, role_urls: Mapping[str, str], owner_url: str, admin_url: str) -> None:
    """Create the user of every role whose broker URL is set (or reset its password), with exactly the
    permissions of its role, when this process has the means: the management API at `admin_url`, or
    rabbitmqctl. Without them, or refused, it says so and leaves the users to the operator."""
    users = role_users(role_urls, owner_url)
    admin = broker_admin(admin_url) if users else None
    if users and admin is None:
        log.warning("broker users not made: no rabbitmqctl here and PAYFLOW_BROKER_ADMIN_URL is empty")
    if not users or admin is None:
        return
    try:
        for user in users:
            admin.ensure_user(user.name, user.password)
            admin.grant(user.vhost, user.name, grant_of(user.role, topology))
            log.info("broker user %s granted the %s role on vhost %s", user.name, user.role, user.vhost)
    except BrokerAdminError as exc:
        log.warning("broker users not made: %s", exc)
