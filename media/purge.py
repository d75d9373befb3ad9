"""The CDN purge hook: tells the CDN in front of the variants which URLs are dead.

``MEIJI_CDN_PURGE_URL`` receives ``POST {"urls": [...]}`` (JSON) with the URLs of public copies
that a takedown deleted; any 2xx answer means done. CDNs each have their own purge API, so the
hook is usually a small function of the operator's that calls it. A failure is logged and retried
by the sweeper; it never holds up a takedown, whose copies are already gone from the origin.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import anyio.to_thread

log = logging.getLogger("meiji.media")

TIMEOUT_SECONDS = 10


class Purger:
    """POSTs dead URLs to the hook, when one is configured."""

    def __init__(self, hook_url: str) -> None:
        self.hook_url = hook_url

    @property
    def enabled(self) -> bool:
        return bool(self.hook_url)

    async def purge(self, urls: list[str]) -> bool:
        """Whether the hook accepted the URLs; False (logged) on any failure."""
        body = json.dumps({"urls": urls}).encode()
        # The hook's scheme is http or https: the setting refuses anything else at start-up.
        request = urllib.request.Request(self.hook_url, data=body, method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/json"})

        def send() -> int:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                status: int = answer.status
                return status

        try:
            status = await anyio.to_thread.run_sync(send)
        except urllib.error.HTTPError as refused:
            refused.close()
            log.warning("the CDN purge hook refused %d URLs: HTTP %d", len(urls), refused.code)
            return False
        except (OSError, ValueError) as exc:
            log.warning("the CDN purge hook could not be reached for %d URLs: %s", len(urls), type(exc).__name__)
            return False
        return 200 <= status < 300
