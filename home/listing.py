"""Search, sort, filter and pagination for the lists of people, done on the server.

Each list builds its rows with a fixed number of queries, then this module narrows,
orders and slices them, so the query count stays the same however many people there
are. Pages use the GOV.UK pagination component (``includes/pagination.html``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict

Row = TypeVar("Row")

PER_PAGE = 50
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Sort(Generic[Row]):
    """One way to order a list: its words for the menu and the key it sorts by."""

    label: str
    key: Callable[[Row], Any]
    reverse: bool = False


@dataclass
class Filter:
    """One drop-down filter: the address parameter, its label and its options."""

    name: str
    label: str
    options: list[tuple[str, str]]
    value: str = ""
    any_label: str = "All"

    @classmethod
    def from_request(
        cls,
        request: HttpRequest,
        name: str,
        label: str,
        options: Iterable[tuple[Any, str]],
        any_label: str = "All",
    ) -> Filter:
        """Read the chosen value, keeping it only if it is one of the options."""
        pairs = [(str(value), text) for value, text in options]
        value = request.GET.get(name, "")
        allowed = {value for value, _ in pairs}
        return cls(
            name=name,
            label=label,
            options=pairs,
            value=value if value in allowed else "",
            any_label=any_label,
        )


@dataclass
class PageLink:
    number: int | None  # None marks an ellipsis
    url: str = ""
    current: bool = False


@dataclass
class Listing(Generic[Row]):
    """One page of a list, with what the page needs to draw its controls."""

    page: Page[Row]
    total: int
    query: str
    sort: str
    sorts: list[tuple[str, str]]
    filters: list[Filter] = field(default_factory=list)
    links: list[PageLink] = field(default_factory=list)
    previous_url: str = ""
    next_url: str = ""

    @property
    def rows(self) -> Sequence[Row]:
        return list(self.page.object_list)

    @property
    def narrowed(self) -> bool:
        """True when a search or a filter leaves people out."""
        return bool(self.query) or any(f.value for f in self.filters)

    @property
    def first_shown(self) -> int:
        return self.page.start_index() if self.total else 0

    @property
    def last_shown(self) -> int:
        return self.page.end_index() if self.total else 0


def search_text(request: HttpRequest) -> str:
    """The search words from ``?q=``, trimmed to a sane length."""
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]


def matches(query: str, *texts: str | None) -> bool:
    """True when every word of the query appears in one of the texts (any case)."""
    haystack = " ".join(text for text in texts if text).casefold()
    return all(word in haystack for word in query.casefold().split())


def _url(params: QueryDict, page: int, name: str = "page") -> str:
    params = params.copy()
    if page == 1:
        params.pop(name, None)
    else:
        params[name] = str(page)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def _page_links(
    params: QueryDict, current: int, last: int, name: str = "page"
) -> list[PageLink]:
    """GOV.UK style: first, last, and the pages either side of the current one."""
    nearby = {1, last, current - 1, current, current + 1}
    shown = sorted(nearby & set(range(1, last + 1)))
    links: list[PageLink] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append(PageLink(number=None))
        links.append(
            PageLink(
                number=number, url=_url(params, number, name), current=number == current
            )
        )
        previous = number
    return links


def _with_links(
    listing: Listing[Row], params: QueryDict, name: str = "page"
) -> Listing[Row]:
    """Fill in the page links, previous and next, keeping the other parameters."""
    page = listing.page
    last = page.paginator.num_pages
    if last > 1:
        listing.links = _page_links(params, page.number, last, name)
        if page.has_previous():
            listing.previous_url = _url(params, page.previous_page_number(), name)
        if page.has_next():
            listing.next_url = _url(params, page.next_page_number(), name)
    return listing


def paginate(
    request: HttpRequest,
    rows: Iterable[Row],
    *,
    sorts: dict[str, Sort[Row]],
    default_sort: str,
    query: str = "",
    filters: list[Filter] | None = None,
    per_page: int = PER_PAGE,
) -> Listing[Row]:
    """Order the rows by ``?sort=`` and give back the page ``?page=`` asks for."""
    sort = request.GET.get("sort", "")
    if sort not in sorts:
        sort = default_sort
    chosen = sorts[sort]
    ordered = sorted(rows, key=chosen.key, reverse=chosen.reverse)
    paginator = Paginator(ordered, per_page)
    # get_page turns a missing, non-numeric or out-of-range page into a real one.
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    listing = Listing(
        page=page,
        total=paginator.count,
        query=query,
        sort=sort,
        sorts=[(key, option.label) for key, option in sorts.items()],
        filters=filters or [],
    )
    return _with_links(listing, params)


def by_name(person: Any) -> tuple[str, str, int]:
    """Sort key for a StaffProfile: family name, given name, then id for ties."""
    return (
        person.user.last_name.casefold(),
        person.user.first_name.casefold(),
        person.pk,
    )


def paginate_query(
    request: HttpRequest,
    rows: Any,
    *,
    name: str = "page",
    per_page: int = PER_PAGE,
) -> Listing[Any]:
    """Give back the page ``?<name>=`` asks for of an already ordered QuerySet (or
    list), so a page can hold a second list paginated on its own parameter."""
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(request.GET.get(name))
    params = request.GET.copy()
    listing: Listing[Any] = Listing(
        page=page, total=paginator.count, query="", sort="", sorts=[]
    )
    return _with_links(listing, params, name)
