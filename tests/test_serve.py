"""core.serve: one adapter over HTTP, its refusals, and concurrent callers batched together."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import load_tiny_model, save_test_adapter

from core.analysis.predict import Predictor
from core.errors import ConfigError
from core.methods import METHODS
from core.serve import PredictServer, make_server
from core.serve.cli import main


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, tiny_model_dir) -> Path:
    method = METHODS["head_only"]
    wrapped = method.wrap(load_tiny_model(tiny_model_dir), method.config_cls())
    return save_test_adapter(wrapped, "head_only", tiny_model_dir, tmp_path_factory.mktemp("a"))


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor(precision="fp32")


def running(server: PredictServer):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture()
def server(adapter, predictor):
    served = running(make_server(adapter, port=0, predictor=predictor, max_texts=3,
                                 max_chars=50, quiet=True))  # fmt: skip
    yield served
    served.shutdown()
    served.server_close()


def call(server: PredictServer, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict]:  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    sent = {"Content-Type": "application/json", **(headers or {})}
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    data = json.loads(response.read())
    connection.close()
    return response.status, data


def post(server: PredictServer, data, **kwargs) -> tuple[int, dict]:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return call(server, "POST", "/predict", body, **kwargs)


def test_predict_answers_each_text_as_the_predictor_does(server, adapter, predictor):
    texts = ["a good film", "terrible", "这家酒店很好"]
    status, data = post(server, {"texts": texts})
    assert status == 200
    expected = predictor.predict(texts, [adapter])[str(adapter)]
    assert [p["label"] for p in data["predictions"]] == [e["label"] for e in expected]
    for got, want in zip(data["predictions"], expected, strict=True):
        assert set(got) == {"label", "score", "probabilities"}
        assert got["score"] == pytest.approx(want["score"], abs=1e-5)
        assert got["probabilities"].keys() == {"neg", "pos"}


BAD_BODIES = [
    (b"{not json", "the body is not JSON (Expecting property name"),
    (b"\xff\xfe", "the body is not JSON ("),
    ({"text": ["a"]}, 'the body has no "texts"; send {"texts": ["first text", "second text"]}'),
    (["a", "b"], 'the body has no "texts"'),
    ({"texts": "a film"}, '"texts" must be a list of strings, not a string'),
    ({"texts": []}, '"texts" is empty; send at least one text'),
    ({"texts": ["a", 3]}, "texts[1] is a number, not a string"),
    ({"texts": ["a", None]}, "texts[1] is null, not a string"),
    ({"texts": ["a"] * 4}, "4 texts are more than the 3 one request may hold (--max-texts); "
                           "send them over several requests"),
    ({"texts": ["a", "x" * 51]}, "texts[1] has 51 characters, more than the 50 allowed "
                                 "(--max-chars); shorten it"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_a_bad_body_gets_400_saying_what_is_wrong(server, body, message):
    status, data = post(server, body)
    assert status == 400
    assert data["error"].startswith(message)
    assert post(server, {"texts": ["still up"]})[0] == 200


def test_other_paths_methods_and_content_types_are_refused(server):
    assert call(server, "POST", "/other", b"{}") == (
        404, {"error": "no such path /other; use POST /predict"})  # fmt: skip
    assert call(server, "GET", "/") == (
        404, {"error": "no such path /; use POST /predict or GET /health"})  # fmt: skip
    assert call(server, "GET", "/predict") == (
        405, {"error": '/predict takes POST with {"texts": [...]}'})  # fmt: skip
    status, data = post(server, {"texts": ["a"]}, headers={"Content-Type": "text/plain"})
    assert (status, data["error"]) == (
        415, "send the body as JSON with 'Content-Type: application/json'")  # fmt: skip
    status, data = post(server, b"x" * 3000)
    assert status == 413
    assert data["error"] == ("the body is 3,000 bytes, more than 1,972 (--max-texts x "
                             "--max-chars); send fewer or shorter texts")  # fmt: skip


def test_a_body_without_length_gets_411(server):
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=30) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"0\r\n\r\n")  # fmt: skip
        answer = b""
        while chunk := sock.recv(4096):  # the server closes after a refusal
            answer += chunk
        answer = answer.decode()
    assert answer.startswith("HTTP/1.1 411")
    assert "the request has no Content-Length; send the body in one piece" in answer


def test_health_tells_the_model_and_its_caps(server):
    status, data = call(server, "GET", "/health")
    assert status == 200
    assert data == {"status": "ok", "method": "head_only", "base_model": data["base_model"],
                    "labels": ["neg", "pos"], "max_texts": 3, "max_chars": 50}  # fmt: skip


def test_a_foreign_host_name_is_refused_on_loopback(server):
    status, data = post(server, {"texts": ["a"]}, headers={"Host": "evil.example:8000"})
    assert (status, data["error"]) == (
        403, "this server answers only requests to a loopback address")  # fmt: skip
    assert post(server, {"texts": ["a"]}, headers={"Host": "localhost:1"})[0] == 200
    assert post(server, {"texts": ["a"]}, headers={"Host": "[::1]:1"})[0] == 200


def test_a_token_is_required_when_given(adapter, predictor):
    server = running(make_server(adapter, port=0, token="s3cret", predictor=predictor,
                                 quiet=True))  # fmt: skip
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            status, data = post(server, {"texts": ["a"]}, headers=headers)
            assert (status, data["error"]) == (
                401, "send the server's token as 'Authorization: Bearer TOKEN'")  # fmt: skip
        good = {"Authorization": "Bearer s3cret"}
        assert post(server, {"texts": ["a"]}, headers=good)[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_network_address_without_a_token_is_refused(adapter, predictor):
    with pytest.raises(ConfigError, match=r"--host 0.0.0.0 lets other machines use this model; "
                       r"give --token SECRET \(or set PTUNE_SERVE_TOKEN\)"):  # fmt: skip
        make_server(adapter, host="0.0.0.0", port=0, predictor=predictor)


class GatedPredictor(Predictor):
    """A Predictor whose first forward pass waits until it is let go, recording each pass."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(precision="fp32", window=0.005)
        self.gate = threading.Event()
        self.passes: list[list[str]] = []
        self.fail_on = fail_on

    def _predict_one(self, key, texts):
        self.passes.append(list(texts))
        if len(self.passes) == 1:
            self.gate.wait(30)
        if self.fail_on in texts:
            raise RuntimeError("the device is gone")
        return super()._predict_one(key, texts)


def test_concurrent_requests_share_one_pass_and_each_gets_its_own_answers(adapter, predictor):
    gated = GatedPredictor()
    server = running(make_server(adapter, port=0, predictor=gated, quiet=True))
    requests = [[f"text {i} number {j}" for j in range(i % 3 + 1)] for i in range(8)]
    try:
        with ThreadPoolExecutor(8) as pool:
            first = pool.submit(post, server, {"texts": requests[0]})
            while not gated.passes:  # the first request is inside its forward pass
                threading.Event().wait(0.01)
            others = [pool.submit(post, server, {"texts": texts}) for texts in requests[1:]]
            while gated.batcher._queue.qsize() < len(others):
                threading.Event().wait(0.01)
            gated.gate.set()
            answers = [first.result()] + [f.result() for f in others]
    finally:
        server.shutdown()
        server.server_close()
    assert len(gated.passes) == 2  # the seven waiting requests went through in one pass
    assert sorted(gated.passes[1]) == sorted(t for texts in requests[1:] for t in texts)
    for texts, (status, data) in zip(requests, answers, strict=True):
        expected = predictor.predict(texts, [adapter])[str(adapter)]
        assert status == 200
        assert [p["score"] for p in data["predictions"]] == pytest.approx(
            [e["score"] for e in expected], abs=1e-5
        )


def test_a_failed_prediction_gets_500_and_the_server_stays_up(adapter, predictor):
    gated = GatedPredictor(fail_on="boom")
    gated.gate.set()
    server = running(make_server(adapter, port=0, predictor=gated, quiet=True))
    try:
        assert post(server, {"texts": ["boom"]}) == (
            500, {"error": "prediction failed: the device is gone"})  # fmt: skip
        assert post(server, {"texts": ["fine"]})[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_command_line_refusals(tmp_path, adapter, capsys):
    assert main([str(adapter), "--host", "0.0.0.0"]) == 1
    assert capsys.readouterr().err.startswith("error: --host 0.0.0.0 lets other machines use")
    assert main([str(tmp_path), "--port", "0"]) == 1
    assert "is not a PTune Studio adapter folder" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([str(adapter), "--port", str(port)]) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot listen on 127.0.0.1:{port} (")


def fetch(server: PredictServer, method: str, path: str, headers: dict[str, str] | None = None,
          body: bytes | None = None):  # fmt: skip
    """(status, headers, body) of a request whose answer need not be JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_the_openapi_schema_lists_both_routes_with_their_models(server):
    status, data = call(server, "GET", "/openapi.json")
    assert status == 200
    post_predict = data["paths"]["/predict"]["post"]
    request = post_predict["requestBody"]["content"]["application/json"]["schema"]
    assert request["title"] == "PredictRequest"
    assert request["required"] == ["texts"]
    texts = request["properties"]["texts"]
    assert (texts["type"], texts["items"]["type"]) == ("array", "string")
    assert (texts["minItems"], texts["maxItems"], texts["items"]["maxLength"]) == (1, 3, 50)
    answer = post_predict["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/PredictResponse"}
    refused = post_predict["responses"]["413"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/Refusal"}
    health = data["paths"]["/health"]["get"]["responses"]["200"]["content"]["application/json"]
    assert health["schema"] == {"$ref": "#/components/schemas/Health"}
    schemas = data["components"]["schemas"]
    assert set(schemas["Prediction"]["properties"]) == {"label", "score", "probabilities"}
    assert set(schemas["Health"]["properties"]) == {
        "status", "method", "base_model", "labels", "max_texts", "max_chars"}  # fmt: skip
    assert set(data["paths"]) == {"/predict", "/health"}


def test_the_docs_are_served_behind_the_host_check(server):
    status, headers, body = fetch(server, "GET", "/docs")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"/openapi.json" in body
    status, _, body = fetch(server, "GET", "/docs", {"Host": "evil.example"})
    assert (status, json.loads(body)) == (
        403, {"error": "this server answers only requests to a loopback address"})  # fmt: skip
    status, _, body = fetch(server, "GET", "/openapi.json", {"Host": "evil.example"})
    assert status == 403


def test_the_docs_and_the_schema_need_the_token_when_given(adapter, predictor):
    server = running(make_server(adapter, port=0, token="s3cret", predictor=predictor,
                                 quiet=True))  # fmt: skip
    try:
        for path in ("/docs", "/openapi.json", "/health", "/nowhere"):
            status, headers, body = fetch(server, "GET", path)
            assert (status, json.loads(body)) == (
                401, {"error": "send the server's token as 'Authorization: Bearer TOKEN'"}
            )  # fmt: skip
            assert headers["www-authenticate"] == "Bearer"
        good = {"Authorization": "Bearer s3cret"}
        assert fetch(server, "GET", "/docs", good)[0] == 200
        assert fetch(server, "GET", "/openapi.json", good)[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_cross_site_preflight_is_never_granted(server):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    status, headers, body = fetch(server, "OPTIONS", "/predict", preflight)
    assert (status, headers["allow"]) == (405, "POST")
    assert json.loads(body) == {"error": '/predict takes POST with {"texts": [...]}'}
    assert not any(name.startswith("access-control-") for name in headers)
    sent = {"Origin": "https://evil.example", "Content-Type": "application/json"}
    status, headers, _ = fetch(server, "POST", "/predict", sent, b'{"texts": ["a"]}')
    assert status == 200
    assert not any(name.startswith("access-control-") for name in headers)


def test_a_wrong_method_on_health_is_no_such_path(server):
    assert call(server, "POST", "/health", b"{}") == (
        404, {"error": "no such path /health; use POST /predict"})  # fmt: skip


def test_the_command_line_runs_as_a_module_and_the_library_never_imports_it():
    import subprocess
    import sys

    helped = subprocess.run([sys.executable, "-m", "core.serve", "--help"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert helped.returncode == 0, helped.stderr
    for flag in ("--port", "--host", "--token", "--max-texts", "--max-chars", "--quiet"):
        assert flag in helped.stdout
    check = "import sys, core.serve.server, core.serve; print('core.serve.cli' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    assert imported.stdout.strip() == "False", imported.stderr
