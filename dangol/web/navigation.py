"""The main navigation. Each app adds its own entries in its AppConfig.ready."""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    permission: str
    order: int


_items: dict[str, NavItem] = {}


def add(item: NavItem) -> None:
    _items[item.key] = item


def items_for(user: object) -> list[NavItem]:
    has_perm = getattr(user, "has_perm", None)
    if has_perm is None:
        return []
    return sorted((i for i in _items.values() if has_perm(i.permission)), key=lambda i: i.order)
