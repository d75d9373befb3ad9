"""One typed settings object, read once from ``MEIJI_*`` environment variables.

Every value has an embedded default: SQLite, local disk and an embedded search index under
``MEIJI_DATA_DIR``. An invalid value stops start-up with one line naming the variable.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class SettingsError(ValueError):
    """A ``MEIJI_*`` variable holds a value the service cannot use."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests per ``seconds`` in one bucket."""

    count: int
    seconds: int


# In the spirit of Mastodon's defaults: a few hundred requests per five minutes, far fewer
# sign-ups and logins, uploads and reports.
DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "ip": RateLimit(600, 300),
    "token": RateLimit(600, 300),
    "signup": RateLimit(10, 3600),
    "login": RateLimit(30, 300),
    "upload": RateLimit(60, 3600),
    "report": RateLimit(30, 3600),
    "notice": RateLimit(20, 3600),
    # Posts (diaries, entries, reviews, questions, answers, comments) per account and day.
    "post": RateLimit(200, 86400),
    "post_new": RateLimit(20, 86400),
    "media": RateLimit(6000, 300),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    storage_url: str = ""
    search_url: str = ""
    # Pages of search hits each process keeps in memory until the index next changes (0: none):
    # on an embedded index only the process that owns it, on PostgreSQL every process.
    search_results_kept: int = 512
    # Lines of document text whose index tokens the indexing process keeps (0: none): a diary
    # indexed again after a new entry re-analyses only the lines it no longer has.
    search_lines_kept: int = 10_000
    # Answers of list routes each process keeps until the database next changes (0: none; SQLite
    # only, ``kernel.web.kept``).
    lists_kept: int = 256
    public_url: str = "http://127.0.0.1:8000"
    # Hostnames of the app's share pages: a legal notice may name our content by a URL on these
    # hosts or on MEIJI_PUBLIC_URL's origin, never on any other.
    share_hosts: tuple[str, ...] = ()
    # Request bodies: small everywhere, larger on upload routes.
    max_body_bytes: int = 256 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_upload_pixels: int = 40_000_000
    upload_ttl_seconds: int = 24 * 3600
    uploads_per_day: int = 200
    upload_bytes_per_day: int = 500 * 1024 * 1024
    image_workers: int = 2
    # Perceptual hashes of photos removed on legal notices: an upload within this Hamming distance
    # (of 64 bits) of one is refused, or with ``review`` stored held for a moderator.
    fingerprint_distance: int = 6
    fingerprint_action: str = "refuse"
    presign_seconds: int = 3600
    cdn_url: str = ""
    # Where to POST the URLs of taken-down variants, so a CDN drops its copies (empty: no purge).
    cdn_purge_url: str = ""
    rate_limits: Mapping[str, RateLimit] | None = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    idempotency_seconds: int = 24 * 3600
    session_days: int = 90
    # A session unused this long ends, whatever its absolute lifetime.
    session_idle_days: int = 30
    # A deleted account's handle stays unavailable to others this long (impersonation of the departed).
    handle_hold_days: int = 30
    # Password hashes (argon2id, ~19 MiB each) run on their own threads: at most this many at once,
    # this many more waiting; beyond, sign-ins answer 503 instead of swelling memory.
    password_workers: int = field(default_factory=lambda: default_password_workers())
    password_queue: int = 32
    # /metrics answers a bearer token or these networks; everyone else gets 404.
    metrics_token: str = ""
    metrics_networks: tuple[Network, ...] = LOOPBACK
    autohide_reports: int = 3
    # Reports hide a post only from accounts at least this old that published or had a report upheld.
    reporter_min_age_days: int = 7
    appeal_due_seconds: int = 72 * 3600
    counter_notice_wait_seconds: int = 15 * 24 * 3600
    notice_due_seconds: int = 24 * 3600
    counter_due_seconds: int = 24 * 3600
    report_due_seconds: int = 72 * 3600
    claim_seconds: int = 15 * 60
    no_counter_close_seconds: int = 15 * 24 * 3600
    ad_words: tuple[str, ...] = ("加微信", "加V", "私信我", "代购", "返现", "优惠价", "vx", "薇信")
    scheduler_seconds: float = 60.0
    # The public transparency report shows a count from 1 to below this as "<N" (it could identify a case).
    transparency_min_count: int = 5
    # Legal waiting periods in whole days: "CN" counts them on China's statutory calendar (民法典 203),
    # "none" on the plain clock.
    legal_calendar: str = "CN"
    # Published content must be findable within 2 s; one round a second batches bursts of edits.
    indexer_seconds: float = 1.0
    background: bool = True
    log_level: str = "info"
    # Browser origins allowed to call the API cross-site (CORS); none: apps and servers need none.
    cors_origins: tuple[str, ...] = ()
    # Host headers the app answers; anything else is refused (400) before routing.
    trusted_hosts: tuple[str, ...] = ("*",)
    # Load balancers whose X-Forwarded-For is believed (none: the connection's address is the client's).
    trusted_proxies: tuple[Network, ...] = ()
    # Delivery: the push gateway's webhook and its signing secret (empty: no webhooks), and the SMTP
    # server (empty: each mail is written as an .eml file under MEIJI_DATA_DIR/mail).
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_timeout_seconds: float = 10.0
    smtp_url: str = ""
    mail_from: str = "美记 <no-reply@meiji.invalid>"
    # The first retry waits this long, each next one twice as long (at most an hour), for 24 hours.
    delivery_retry_seconds: int = 30
    delivery_window_seconds: int = 24 * 3600
    delivery_seconds: float = 2.0

    @property
    def rate_limits_on(self) -> bool:
        return self.rate_limits is not None

    def with_(self, **changes: object) -> Settings:
        """A copy with some values replaced (tests and tools)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _int(name: str, raw: str, lo: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < lo:
        raise SettingsError(f"{name}: must be at least {lo}, got {value}")
    return value


def _fingerprint_distance(name: str, raw: str) -> int:
    value = _int(name, raw, 0)
    # The index finds every hash within 7 bits exactly (8 bands of 8 bits, pigeonhole); beyond it
    # distinct photos start to match anyway.
    if value > 7:
        raise SettingsError(f"{name}: at most 7, got {value}")
    return value


def _fingerprint_action(name: str, raw: str) -> str:
    # refuse: 422 naming the case; review: stored, held from every reader, queued for a moderator.
    if raw not in ("refuse", "review"):
        raise SettingsError(f"{name}: refuse or review, got {raw!r}")
    return raw


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a number, got {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"{name}: must be positive, got {raw!r}")
    return value


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}: expected true or false, got {raw!r}")


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    scheme = urlsplit(raw).scheme
    if scheme not in schemes:
        raise SettingsError(f"{name}: scheme must be one of {', '.join(schemes)}, got {raw!r}")
    return raw


def _items(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",") if p.strip()]


def parse_origins(name: str, raw: str) -> tuple[str, ...]:
    """``none``, ``*``, or origins like ``https://app.example.cn`` separated by commas."""
    if raw.strip().lower() == "none":
        return ()
    origins = []
    for part in _items(raw):
        parts = urlsplit(part)
        if part != "*" and (parts.scheme not in ("http", "https") or not parts.netloc
                            or parts.path not in ("", "/") or parts.query or parts.fragment):
            raise SettingsError(f"{name}: expected none, * or origins like https://app.example.cn, got {part!r}")
        origins.append(part.rstrip("/"))
    return tuple(origins)


def parse_trusted_hosts(name: str, raw: str) -> tuple[str, ...]:
    """``*``, or host names separated by commas, each possibly starting with ``*.`` (any subdomain)."""
    hosts = _items(raw)
    for host in hosts:
        bare = host[2:] if host.startswith("*.") else host
        if host != "*" and (not bare or "*" in bare or "/" in bare or ":" in bare):
            raise SettingsError(f"{name}: expected * or host names like api.example.cn or *.example.cn, got {host!r}")
    return tuple(hosts) or ("*",)


_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


def parse_hosts(name: str, raw: str) -> tuple[str, ...]:
    """Hostnames separated by commas (``m.example.cn,share.example.cn``), lower-cased."""
    hosts = []
    for part in filter(None, (p.strip().lower() for p in raw.split(","))):
        if not _HOSTNAME.fullmatch(part):
            raise SettingsError(f"{name}: expected hostnames (no scheme, port or path) separated by commas, "
                                f"got {part!r}")
        hosts.append(part)
    return tuple(hosts)


def parse_rate_limits(name: str, raw: str) -> dict[str, RateLimit] | None:
    """``off``, or ``bucket=count/seconds`` pairs separated by commas, over the defaults."""
    if raw.strip().lower() == "off":
        return None
    limits = dict(DEFAULT_RATE_LIMITS)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        bucket, _, spec = part.partition("=")
        count, _, seconds = spec.partition("/")
        if bucket not in DEFAULT_RATE_LIMITS or not count or not seconds:
            raise SettingsError(f"{name}: expected off or bucket=count/seconds with a bucket of "
                                f"{', '.join(DEFAULT_RATE_LIMITS)}, got {part!r}")
        limits[bucket] = RateLimit(_int(name, count, 1), _int(name, seconds, 1))
    return limits


def default_password_workers() -> int:
    """Half the CPUs this process may use (at least one): the other half keeps answering reads."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus // 2))


def _token(name: str, raw: str) -> str:
    token = raw.strip()
    if len(token) < 16:
        raise SettingsError(f"{name}: use at least 16 random characters, got {len(token)}")
    return token


def parse_networks(name: str, raw: str) -> tuple[Network, ...]:
    """``none``, or CIDRs separated by commas (a bare address is a network of one)."""
    if raw.strip().lower() == "none":
        return ()
    networks = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"{name}: expected none or CIDRs like 10.0.0.0/8, got {part!r}") from None
    return tuple(networks)


def _legal_calendar(name: str, raw: str) -> str:
    if raw in ("CN", "none"):
        return raw
    raise SettingsError(f"{name}: expected CN or none, got {raw!r}")


def _default_limits() -> dict[str, RateLimit] | None:
    return dict(DEFAULT_RATE_LIMITS)


def follow_server(host: str, port: int, environ: MutableMapping[str, str] | None = None) -> str:
    """Default ``MEIJI_PUBLIC_URL`` to the address ``meiji serve`` listens on; returns the URL in effect.

    Set before the server starts, so its worker processes (which read the settings themselves)
    hand out URLs on the port actually served. An operator's own value is left alone. A wildcard
    host (0.0.0.0, ::) is reached locally as 127.0.0.1.
    """
    env = os.environ if environ is None else environ
    current = env.get("MEIJI_PUBLIC_URL")
    if current:
        return current.rstrip("/")
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - compared, not bound
    if ":" in reachable:
        reachable = f"[{reachable}]"
    env["MEIJI_PUBLIC_URL"] = url = f"http://{reachable}:{port}"
    return url


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment (``os.environ`` by default)."""
    env = os.environ if environ is None else environ

    def get(name: str, parse: Callable[[str, str], T], default: T) -> T:
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        return parse(name, raw)

    base = Settings()
    data_dir = Path(env.get("MEIJI_DATA_DIR") or "data")
    database_url = get("MEIJI_DATABASE_URL", lambda n, r: _url(n, r, ("sqlite", "postgres", "asyncpg")),
                       f"sqlite://{(data_dir / 'meiji.sqlite3').resolve()}")
    storage_url = get("MEIJI_STORAGE_URL", lambda n, r: _url(n, r, ("file", "s3", "memory")),
                      (data_dir / "media").resolve().as_uri())
    search_url = get("MEIJI_SEARCH_URL",
                     lambda n, r: r if r == "postgres" else _url(n, r, ("tantivy", "whoosh", "postgres", "memory")),
                     f"tantivy://{(data_dir / 'search').resolve()}")
    ad_words = get("MEIJI_AD_WORDS", lambda n, r: tuple(w.strip() for w in r.split(",") if w.strip()),
                   base.ad_words)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        storage_url=storage_url,
        search_url=search_url,
        search_results_kept=get("MEIJI_SEARCH_RESULTS_KEPT", lambda n, r: _int(n, r, 0), base.search_results_kept),
        search_lines_kept=get("MEIJI_SEARCH_LINES_KEPT", lambda n, r: _int(n, r, 0), base.search_lines_kept),
        lists_kept=get("MEIJI_LISTS_KEPT", lambda n, r: _int(n, r, 0), base.lists_kept),
        public_url=get("MEIJI_PUBLIC_URL", lambda n, r: _url(n, r, ("http", "https")), base.public_url).rstrip("/"),
        share_hosts=get("MEIJI_SHARE_HOSTS", parse_hosts, base.share_hosts),
        max_body_bytes=get("MEIJI_MAX_BODY_BYTES", lambda n, r: _int(n, r, 1024), base.max_body_bytes),
        max_upload_bytes=get("MEIJI_MAX_UPLOAD_BYTES", lambda n, r: _int(n, r, 1024), base.max_upload_bytes),
        max_upload_pixels=get("MEIJI_MAX_UPLOAD_PIXELS", lambda n, r: _int(n, r, 1), base.max_upload_pixels),
        upload_ttl_seconds=get("MEIJI_UPLOAD_TTL", lambda n, r: _int(n, r, 1), base.upload_ttl_seconds),
        uploads_per_day=get("MEIJI_UPLOADS_PER_DAY", lambda n, r: _int(n, r, 1), base.uploads_per_day),
        upload_bytes_per_day=get("MEIJI_UPLOAD_BYTES_PER_DAY", lambda n, r: _int(n, r, 1),
                                 base.upload_bytes_per_day),
        image_workers=get("MEIJI_IMAGE_WORKERS", lambda n, r: _int(n, r, 1), base.image_workers),
        fingerprint_distance=get("MEIJI_FINGERPRINT_DISTANCE", lambda n, r: _fingerprint_distance(n, r),
                                 base.fingerprint_distance),
        fingerprint_action=get("MEIJI_FINGERPRINT_ACTION", lambda n, r: _fingerprint_action(n, r),
                               base.fingerprint_action),
        presign_seconds=get("MEIJI_PRESIGN_SECONDS", lambda n, r: _int(n, r, 1), base.presign_seconds),
        cdn_url=get("MEIJI_CDN_URL", lambda n, r: _url(n, r, ("http", "https")), "").rstrip("/"),
        cdn_purge_url=get("MEIJI_CDN_PURGE_URL", lambda n, r: _url(n, r, ("http", "https")), ""),
        rate_limits=get("MEIJI_RATE_LIMITS", parse_rate_limits, _default_limits()),
        idempotency_seconds=get("MEIJI_IDEMPOTENCY_SECONDS", lambda n, r: _int(n, r, 1),
                                base.idempotency_seconds),
        session_days=get("MEIJI_SESSION_DAYS", lambda n, r: _int(n, r, 1), base.session_days),
        session_idle_days=get("MEIJI_SESSION_IDLE_DAYS", lambda n, r: _int(n, r, 1), base.session_idle_days),
        handle_hold_days=get("MEIJI_HANDLE_HOLD_DAYS", lambda n, r: _int(n, r, 0), base.handle_hold_days),
        password_workers=get("MEIJI_PASSWORD_WORKERS", lambda n, r: _int(n, r, 1), base.password_workers),
        password_queue=get("MEIJI_PASSWORD_QUEUE", lambda n, r: _int(n, r, 0), base.password_queue),
        metrics_token=get("MEIJI_METRICS_TOKEN", _token, ""),
        metrics_networks=get("MEIJI_METRICS_NETWORKS", parse_networks, base.metrics_networks),
        autohide_reports=get("MEIJI_AUTOHIDE_REPORTS", lambda n, r: _int(n, r, 1), base.autohide_reports),
        reporter_min_age_days=get("MEIJI_REPORTER_MIN_AGE_DAYS", lambda n, r: _int(n, r, 0),
                                  base.reporter_min_age_days),
        appeal_due_seconds=get("MEIJI_APPEAL_DUE_SECONDS", lambda n, r: _int(n, r, 1), base.appeal_due_seconds),
        counter_notice_wait_seconds=get("MEIJI_COUNTER_NOTICE_WAIT_SECONDS", lambda n, r: _int(n, r, 0),
                                        base.counter_notice_wait_seconds),
        notice_due_seconds=get("MEIJI_NOTICE_DUE_SECONDS", lambda n, r: _int(n, r, 1), base.notice_due_seconds),
        counter_due_seconds=get("MEIJI_COUNTER_DUE_SECONDS", lambda n, r: _int(n, r, 1),
                                base.counter_due_seconds),
        report_due_seconds=get("MEIJI_REPORT_DUE_SECONDS", lambda n, r: _int(n, r, 1), base.report_due_seconds),
        claim_seconds=get("MEIJI_CLAIM_SECONDS", lambda n, r: _int(n, r, 1), base.claim_seconds),
        no_counter_close_seconds=get("MEIJI_NO_COUNTER_CLOSE_SECONDS", lambda n, r: _int(n, r, 0),
                                     base.no_counter_close_seconds),
        ad_words=ad_words,
        scheduler_seconds=get("MEIJI_SCHEDULER_SECONDS", _float, base.scheduler_seconds),
        transparency_min_count=get("MEIJI_TRANSPARENCY_MIN_COUNT", lambda n, r: _int(n, r, 1),
                                   base.transparency_min_count),
        legal_calendar=get("MEIJI_LEGAL_CALENDAR", _legal_calendar, base.legal_calendar),
        indexer_seconds=get("MEIJI_INDEXER_SECONDS", _float, base.indexer_seconds),
        background=get("MEIJI_BACKGROUND", _bool, base.background),
        log_level=get("MEIJI_LOG_LEVEL", lambda n, r: r.lower(), base.log_level),
        cors_origins=get("MEIJI_CORS_ORIGINS", parse_origins, base.cors_origins),
        trusted_hosts=get("MEIJI_TRUSTED_HOSTS", parse_trusted_hosts, base.trusted_hosts),
        trusted_proxies=get("MEIJI_TRUSTED_PROXIES", parse_networks, base.trusted_proxies),
        webhook_url=get("MEIJI_WEBHOOK_URL", lambda n, r: _url(n, r, ("http", "https")), ""),
        webhook_secret=get("MEIJI_WEBHOOK_SECRET", _token, ""),
        webhook_timeout_seconds=get("MEIJI_WEBHOOK_TIMEOUT_SECONDS", _float, base.webhook_timeout_seconds),
        smtp_url=get("MEIJI_SMTP_URL", lambda n, r: _url(n, r, ("smtp", "smtps")), ""),
        mail_from=get("MEIJI_MAIL_FROM", lambda n, r: r.strip(), base.mail_from),
        delivery_retry_seconds=get("MEIJI_DELIVERY_RETRY_SECONDS", lambda n, r: _int(n, r, 1),
                                   base.delivery_retry_seconds),
        delivery_window_seconds=get("MEIJI_DELIVERY_WINDOW_SECONDS", lambda n, r: _int(n, r, 1),
                                    base.delivery_window_seconds),
        delivery_seconds=get("MEIJI_DELIVERY_SECONDS", _float, base.delivery_seconds),
    )
