"""Building the engine's parts from plain values: what the composition root calls.

`EngineOptions` holds the values the engine works with (never the whole `Settings`; the root
makes them with `bot.wiring.engine_options`). `assemble` builds every collaborator once and
hands them to the `Engine`, each with only the part of the store it uses.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.accounts import Accounts
from bot.core.admission import Admission
from bot.core.albums import Albums
from bot.core.allowances import Allowances
from bot.core.budget import SendBudget
from bot.core.chat_rules import ChatRules
from bot.core.commands import Handlers
from bot.core.context import Timing
from bot.core.conversation import Conversation
from bot.core.coordination import Coordination, coordination_for
from bot.core.engine import Engine, EngineParts
from bot.core.export import Exporter
from bot.core.gallery import Gallery
from bot.core.housekeeping import Housekeeping
from bot.core.inline import InlineQueries
from bot.core.items import ItemWork
from bot.core.lines import Lines, Outcome
from bot.core.observe import NoObserver, Observer
from bot.core.platforms import Platforms
from bot.core.reception import Reception
from bot.core.registry import Registry
from bot.core.root_router import build_registry
from bot.core.scratch import Scratch
from bot.core.serving import Service
from bot.core.stars import Pack, Stars
from bot.core.storyboard import Storyboard
from bot.core.uploads import Uploads
from bot.nemo import NemoClient
from storage import Claim, Quota, Store

__all__ = ["EngineOptions", "Keeping", "assemble"]


@dataclass(frozen=True, slots=True)
class Keeping:
    """How long answered messages and finished renders are kept."""

    text_hours: float = 24.0
    keep_days: float = 30.0
    render_keep_days: float = 30.0


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """The values the engine works with."""

    timing: Timing = field(default_factory=Timing)
    worker_id: str = ""  # "" for a fresh one
    role: str = "all"  # all | ingress (store only) | worker (answer only)
    web_base: str = "https://nemovideo.com"
    shared_token: str | None = None  # NEMO_TOKEN: one account for everyone
    allowed_users: frozenset[str] = frozenset()
    admins: frozenset[str] = frozenset()
    messages_per_minute: int = 20
    queue_limit: int = 5
    renders_per_user: int = 1
    user_daily: Quota = field(default_factory=Quota)  # on the shared account, per UTC day
    account_daily: Quota = field(default_factory=Quota)  # everyone together, per UTC day
    stars_packs: tuple[Pack, ...] = ()  # for Telegram Stars; none: nothing is sold
    keeping: Keeping = field(default_factory=Keeping)


def assemble(
    store: Store,
    nemo: NemoClient,
    options: EngineOptions,
    *,
    observer: Observer | None = None,
    render_ids: Callable[[], str] | None = None,
    coordination: Coordination | None = None,
    budget: SendBudget | None = None,
    registry: Registry | None = None,
    clock: Callable[[], float] = time.time,
) -> Engine:
    """The engine with all its parts, built once (the registry: the bot's own routers;
    `clock`: what tells the day for allowances, a test's own)."""
    lease = options.timing.lease_seconds
    parts = _Builder(store, nemo, options, observer or NoObserver(), clock)
    parts.coordination = coordination or coordination_for(store, lease)
    selling = bool(options.stars_packs)
    parts.registry = build_registry(selling=selling) if registry is None else registry
    return parts.engine(render_ids, budget)


class _Builder:
    """Builds the collaborators in the order they need one another."""

    coordination: Coordination
    registry: Registry

    def __init__(
        self,
        store: Store,
        nemo: NemoClient,
        options: EngineOptions,
        observer: Observer,
        clock: Callable[[], float],
    ) -> None:
        self.store, self.nemo, self.options, self.observer = store, nemo, options, observer
        self.worker = options.worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self.scratch = Scratch()
        self.accounts = Accounts(store, nemo, options.shared_token)
        self.allowances = Allowances(store, options.user_daily, options.account_daily, clock)
        self.stars = Stars(options.stars_packs, store, clock)
        self.rules = ChatRules(store)
        self._items: ItemWork | None = None

    def engine(self, render_ids: Callable[[], str] | None, budget: SendBudget | None) -> Engine:
        store, options, timing = self.store, self.options, self.options.timing
        admission = Admission(
            options.allowed_users,
            options.admins,
            options.messages_per_minute,
            count_rate=not self.coordination.rate_in_store,
        )
        platforms = Platforms(self.observer, budget)
        gallery = Gallery(self.nemo, store, self.scratch)
        conversation = Conversation(self.nemo, timing, gallery, observer=self.observer)
        exporter = self._exporter(platforms, render_ids)
        lines = Lines(store, self.worker, timing.lease_seconds, self._line)
        service = self._service(admission, conversation, exporter, lines, platforms)
        albums = Albums(store, timing.album_seconds)
        self._items = ItemWork(
            store, platforms, service, self.registry, albums, self.worker, timing.lease_seconds
        )
        return Engine(
            EngineParts(
                *(store, self.worker, options.role, timing, self.observer, platforms),
                *(self.scratch, self.accounts, conversation, exporter, admission),
                *(self._reception(admission, store), lines, self._items, self.coordination),
                _housekeeping(store, options.keeping),
                self.registry,
                InlineQueries(
                    store,
                    admission,
                    self.allowances,
                    shared_account=options.shared_token is not None,
                ),
                self.stars,
                lambda twin: self._reception(admission, twin),
            )
        )

    async def _line(self, claim: Claim) -> Outcome:
        # The lines exist before the items they hand their claims to (the items need the
        # service, which needs the lines for /cancel).
        assert self._items is not None
        return await self._items.line(claim)

    def _exporter(self, platforms: Platforms, render_ids: Callable[[], str] | None) -> Exporter:
        options = self.options
        return Exporter(
            *(self.store, self.nemo, self.accounts, platforms, options.timing, self.worker),
            *(options.web_base, self.scratch, render_ids),
            per_user=options.renders_per_user,
            observer=self.observer,
            allowances=self.allowances,
        )

    def _service(
        self,
        admission: Admission,
        conversation: Conversation,
        exporter: Exporter,
        lines: Lines,
        platforms: Platforms,
    ) -> Service:
        store, nemo, web = self.store, self.nemo, self.options.web_base
        handlers = Handlers(
            *(store, nemo, self.accounts, conversation, exporter),
            *(Uploads(nemo, self.scratch), lines.cancel, web, admission, self.registry),
            Storyboard(nemo, self.scratch),
            *(self.allowances, self.stars, self.rules, platforms),
        )
        return Service(store, self.accounts, conversation, handlers, web, admission, self.rules)

    def _reception(self, admission: Admission, store: Store) -> Reception:
        """The reception on `store`: the engine's, or its twin on the accepting thread."""
        stars = self.stars if store is self.store else self.stars.on(store)
        return Reception(
            store,
            admission,
            self.registry,
            stars,
            queue_limit=self.options.queue_limit,
            renders_per_user=self.options.renders_per_user,
            rate_in_store=self.coordination.rate_in_store,
            lease_seconds=self.options.timing.lease_seconds,
        )


def _housekeeping(store: Store, keeping: Keeping) -> Housekeeping:
    return Housekeeping(
        store,
        text_hours=keeping.text_hours,
        keep_days=keeping.keep_days,
        render_keep_days=keeping.render_keep_days,
    )
