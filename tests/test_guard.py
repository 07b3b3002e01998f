"""Other web sites cannot drive the served app: host names, cross-origin writes, CORS grants.

The app is launched in-process as launch.py does and driven with httpx (headers as a foreign
page or a rebound DNS name would send them) and with gradio_client.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import serving
from gradio_client import Client

from app import create_app
from app.server.guard import HostPolicy, SiteGuard, check_host_name, split_host

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base url, port, upload folder of gradio) of an app that also answers to
    studio.example.com."""
    demo = create_app(db=tmp_path_factory.mktemp("guard") / "studio.db")
    with serving(demo, host="127.0.0.1", allowed_hosts=["Studio.Example.com"]) as url:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        yield url.rstrip("/"), port, Path(demo.server_app.uploaded_file_dir)


@pytest.fixture()
def web(served):
    with httpx.Client(base_url=served[0], timeout=30) as client:
        yield client


# Gradio keeps uploads in one folder shared by every app on the machine (/tmp/gradio), so the
# files of this test session carry a tag of their own: earlier sessions' files are not counted.
SESSION = uuid.uuid4().hex[:12]


def upload(web: httpx.Client, name: str, headers: dict[str, str]) -> httpx.Response:
    name = f"{SESSION}-{name}"
    content = f"text,label\n{name},1\n".encode()
    return web.post("/gradio_api/upload", files={"files": (name, content)}, headers=headers)


def stored(folder: Path, name: str) -> list[Path]:
    return list(folder.rglob(f"{SESSION}-{name}")) if folder.is_dir() else []


# ----------------------------------------------------------------------------- host names
@pytest.mark.train
def test_a_rebound_host_name_is_refused_without_a_cors_grant(web):
    for method in ("GET", "POST", "OPTIONS"):
        answer = web.request(
            method, "/config",
            headers={"Host": "evil.example", "Origin": EVIL,
                     "Access-Control-Request-Method": "POST"},
        )  # fmt: skip
        assert answer.status_code == 400
        assert "does not answer to the host name 'evil.example'" in answer.text
        assert "start the app with --allowed-host evil.example" in answer.text
        assert "access-control-allow-origin" not in answer.headers


def test_loopback_names_and_allowed_hosts_are_answered(web, served):
    port = served[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "127.0.0.2",
                 "LOCALHOST", "studio.example.com", "studio.example.com:443"):  # fmt: skip
        assert web.get("/config", headers={"Host": host}).status_code == 200, host


def test_host_policy_follows_the_bound_address():
    loopback = HostPolicy.for_address("127.0.0.1")
    assert loopback.allows("localhost") and loopback.allows("::1")
    assert not loopback.allows("192.168.1.5") and not loopback.allows("evil.example")
    one = HostPolicy.for_address("192.168.1.5", ["proxy.example"])
    assert one.allows("192.168.1.5") and one.allows("localhost") and one.allows("proxy.example")
    assert not one.allows("192.168.1.6") and not one.allows("evil.example")
    every = HostPolicy.for_address("0.0.0.0")
    assert every.allows("10.1.2.3") and every.allows("fe80::1")
    assert every.allows(socket.gethostname().lower())
    assert not every.allows("evil.example") and not every.allows("")
    assert HostPolicy.for_address("::").allows("192.168.1.5")


def test_host_headers_are_read_as_browsers_send_them():
    assert split_host("Example.COM.:8080") == ("example.com", 8080)
    assert split_host("[::1]:7860") == ("::1", 7860)
    assert split_host("::1") == ("::1", None)
    for bad in ("", "a b", "evil.example/x", "[nope]:1", "host:port"):
        assert split_host(bad) == ("", None), bad


def test_an_allowed_host_must_be_a_bare_name():
    assert check_host_name("Studio.Example.com") == "studio.example.com"
    for bad in ("http://studio.example.com", "studio.example.com:8080", "a/b", ""):
        with pytest.raises(ValueError, match="give the name alone, as in --allowed-host"):
            check_host_name(bad)


# ----------------------------------------------------------------------------- writes
def test_a_cross_origin_upload_is_refused_and_nothing_is_stored(web, served):
    folder = served[2]
    answer = upload(web, "from-evil.csv", {"Origin": EVIL})
    assert answer.status_code == 403
    assert answer.text.startswith("Refused a request from http://evil.example: PTune Studio")
    assert "start the app with --allowed-host evil.example" in answer.text
    assert "access-control-allow-origin" not in answer.headers
    refused = upload(web, "cross-site.csv", {"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and "from another site" in refused.text
    null = upload(web, "null-origin.csv", {"Origin": "null"})
    assert null.status_code == 403
    for name in ("from-evil.csv", "cross-site.csv", "null-origin.csv"):
        assert stored(folder, name) == [], name


def test_the_apps_own_page_and_clients_without_origin_may_upload(web, served):
    url, port, folder = served
    own = upload(web, "own-page.csv", {"Origin": url, "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200, own.text
    assert own.headers["access-control-allow-origin"] == url  # gradio's grant, kept
    allowed = upload(web, "proxy.csv", {"Origin": "https://studio.example.com",
                                        "Host": "studio.example.com"})  # fmt: skip
    assert allowed.status_code == 200, allowed.text
    assert upload(web, "script.csv", {}).status_code == 200
    for name in ("own-page.csv", "proxy.csv", "script.csv"):
        assert len(stored(folder, name)) == 1, name


def test_a_foreign_page_gets_no_cors_grant_on_reads(web, served):
    port = served[1]
    for origin in (EVIL, f"http://localhost:{port + 1}", "null"):
        answer = web.get("/config", headers={"Origin": origin})
        assert answer.status_code == 200
        assert "access-control-allow-origin" not in answer.headers, origin
        preflight = web.options(
            "/gradio_api/upload",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers, origin


def test_gradio_client_still_works(served):
    client = Client(served[0] + "/", verbose=False)
    assert client.predict(api_name="/runs") == []


def test_a_websocket_from_another_site_is_closed():
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    async def echo(websocket):
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    web = Starlette(routes=[WebSocketRoute("/ws", echo)])
    guarded = SiteGuard(web, HostPolicy.for_address("127.0.0.1"))
    url = "ws://127.0.0.1:7860/ws"
    with TestClient(guarded) as client:
        with client.websocket_connect(url, headers={"Origin": "http://127.0.0.1:7860"}) as ws:
            assert ws.receive_text() == "hello"
        with (
            pytest.raises(WebSocketDisconnect) as caught,
            client.websocket_connect(url, headers={"Origin": EVIL}),
        ):
            pass
        assert caught.value.code == 1008
        assert caught.value.reason.startswith("Refused a request from http://evil.example")
