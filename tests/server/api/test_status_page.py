"""The status page (GET / and /ui): health, cameras, latest events with snapshots, links; behind a
real reverse proxy that does what Home Assistant's ingress does (path prefix + X-Ingress-Path), and
in headless Chromium when it is installed."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from inference_server.api import ApiContext
from tests.server.api.conftest import LiveApi, Seeder

TOKEN = "Xy_9-abcDEF012"
PREFIX = f"/api/hassio_ingress/{TOKEN}"
CHROMIUM = shutil.which("chromium")


class Links(HTMLParser):
    """Every href and img src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


class IngressProxy:
    """A reverse proxy shaped like the Supervisor's ingress: /api/hassio_ingress/<token>/<path> is
    forwarded to <upstream>/<path> with X-Ingress-Path, from 127.0.0.1, without any API key."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []  # (path asked of the proxy, upstream status)
        self._servers: list[TestServer] = []
        self._sessions: list[aiohttp.ClientSession] = []

    async def start(self, upstream: str) -> str:
        session = aiohttp.ClientSession()
        self._sessions.append(session)

        async def forward(request: web.Request) -> web.StreamResponse:
            rest = request.match_info["rest"]
            async with session.get(
                f"{upstream}/{rest}", params=request.query, headers={"X-Ingress-Path": PREFIX}
            ) as resp:
                body = await resp.read()
                self.seen.append((request.path, resp.status))
                keep = ("content-type", "x-frame-options")
                headers = {k: v for k, v in resp.headers.items() if k.lower() in keep}
                return web.Response(status=resp.status, body=body, headers=headers)

        app = web.Application()
        app.router.add_get(PREFIX + "/{rest:.*}", forward)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        self._servers.append(server)
        return str(server.make_url("")).rstrip("/")

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()
        for server in self._servers:
            await server.close()


@pytest.fixture
async def ingress_proxy() -> AsyncIterator[IngressProxy]:
    proxy = IngressProxy()
    yield proxy
    await proxy.close()


async def _seeded(seed: Seeder) -> list[dict[str, object]]:
    return [
        await seed.event(
            "front_door", minutes=1, score=82, summary="Someone tried the <door> handle & left."
        ),
        await seed.event("driveway", minutes=2, score=12, summary="A car parked."),
    ]


async def test_the_page_shows_health_cameras_and_the_latest_events_with_snapshots(
    api: LiveApi, seed: Seeder
) -> None:
    events = await _seeded(seed)
    for path in ("/", "/ui"):
        resp = await api.get(path)
        assert resp.status == 200 and resp.content_type == "text/html"
        assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"  # the ingress panel frames it
        html = await resp.text()
        assert 'data-ready="true"' in html and "database: ok" in html and "redis: ok" in html
        assert "Front Door" in html and "Driveway" in html  # cameras
        assert "Someone tried the &lt;door&gt; handle &amp; left." in html  # escaped, never raw
        assert "<door>" not in html
        assert html.index("A car parked.") < html.index("Someone tried")  # newest first
        assert "82 high" in html and "12 low" in html
        assert "<script" not in html
    page = links_of(html)
    snapshots = [m for e in events for m in e["media"]]  # type: ignore[attr-defined]
    assert sorted(page.images) == sorted(snapshots) and all(s.startswith("/api/media/") for s in page.images)
    for src in page.images:
        image = await api.get(src)
        assert image.status == 200 and image.content_type == "image/jpeg"
    assert "/api/openapi.json" in page.hrefs and any(h.endswith("docs/index.md") for h in page.hrefs)


async def test_behind_ingress_every_link_carries_the_prefix_and_works_without_a_key(
    start_api: Callable[..., Awaitable[LiveApi]],
    make_ctx: Callable[..., ApiContext],
    seed: Seeder,
    ingress_proxy: IngressProxy,
) -> None:
    ctx = make_ctx(keys_required=True)  # as in the add-on: the API listens beyond loopback
    ctx.settings = ctx.settings.replace(api_ingress_peer="127.0.0.1")
    live = await start_api(ctx)
    await _seeded(seed)
    proxy = await ingress_proxy.start(live.url)

    async with aiohttp.ClientSession() as browser:  # no API key: Home Assistant authenticated the user
        async with browser.get(f"{proxy}{PREFIX}/") as resp:
            assert resp.status == 200, await resp.text()
            html = await resp.text()
        page = links_of(html)
        local = [h for h in page.hrefs if h.startswith("/")]
        assert page.images and local
        for url in page.images + local:
            assert url.startswith(PREFIX + "/api/"), url
            async with browser.get(proxy + url) as resp:
                assert resp.status == 200, (url, await resp.text())
        # A write is still refused through the proxy's address without a key.
        async with browser.post(f"{live.url}/api/zones", json={}) as resp:
            assert resp.status == 401


async def test_reads_need_a_key_from_anywhere_but_the_ingress_peer_and_a_forged_prefix_is_ignored(
    start_api: Callable[..., Awaitable[LiveApi]], make_ctx: Callable[..., ApiContext], seed: Seeder
) -> None:
    ctx = make_ctx(keys_required=True)
    ctx.settings = ctx.settings.replace(api_ingress_peer="172.30.32.2")  # not this test's address
    live = await start_api(ctx)
    await _seeded(seed)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{live.url}/", headers={"X-Ingress-Path": PREFIX}) as resp:
            assert resp.status == 401  # the header alone earns nothing
        async with session.get(f"{live.url}/api/events") as resp:
            assert resp.status == 401
    ctx.settings = ctx.settings.replace(api_ingress_peer="127.0.0.1")
    async with aiohttp.ClientSession() as session:
        for forged in ('/x"><script>alert(1)</script>', "//evil.example", "/api/hassio_ingress/../../etc"):
            async with session.get(f"{live.url}/", headers={"X-Ingress-Path": forged}) as resp:
                html = await resp.text()
            assert resp.status == 200 and "evil.example" not in html and "<script>" not in html
            assert all(src.startswith("/api/media/") for src in links_of(html).images)


async def test_an_empty_server_says_so_and_a_down_check_shows(
    start_api: Callable[..., Awaitable[LiveApi]], make_ctx: Callable[..., ApiContext]
) -> None:
    async def detector_down() -> bool:
        return False

    live = await start_api(make_ctx(detector=detector_down))
    resp = await live.get("/")
    html = await resp.text()
    assert resp.status == 200 and 'data-ready="false"' in html and "detector: DOWN" in html
    assert "No camera has uploaded yet." in html and "No events yet." in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
async def test_headless_chromium_renders_the_page_and_its_snapshots_through_the_ingress_prefix(
    start_api: Callable[..., Awaitable[LiveApi]],
    make_ctx: Callable[..., ApiContext],
    seed: Seeder,
    ingress_proxy: IngressProxy,
    tmp_path: Path,
) -> None:
    ctx = make_ctx(keys_required=True)
    ctx.settings = ctx.settings.replace(api_ingress_peer="127.0.0.1")
    live = await start_api(ctx)
    await _seeded(seed)
    proxy = await ingress_proxy.start(live.url)
    assert CHROMIUM is not None
    # --dump-dom prints the DOM once the page has loaded (images included); the proxy's log says
    # that the browser fetched every snapshot through the prefix and got it.
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path}/chromium",
        "--virtual-time-budget=5000",
        "--dump-dom",
        f"{proxy}{PREFIX}/",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    except TimeoutError:
        proc.kill()
        pytest.fail("chromium did not finish within 120 s (a give-up bound)")
    dom = out.decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "Home Security Intelligence" in dom and "Someone tried the" in dom
    images = re.findall(r'<img src="([^"]+)"', dom)
    assert len(images) == 2 and all(src.startswith(PREFIX + "/api/media/") for src in images)
    fetched = {path: status for path, status in ingress_proxy.seen}
    assert fetched[PREFIX + "/"] == 200
    assert all(fetched.get(src) == 200 for src in images), ingress_proxy.seen
