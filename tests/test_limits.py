"""What one person may send the served app: uploads, texts, batch files and login attempts."""

from __future__ import annotations

import argparse
import json

import httpx
import pytest
from conftest import free_port
from gradio_client import Client

from app import create_app, launch_options
from app.server.limits import Limits
from app.server.login_guard import LoginThrottle
from app.shared.explain import explain_runs
from app.shared.state import save_upload
from app.tabs.tryit.predict import count_rows, predict_file, predict_text

SMALL = Limits(max_upload_mb=1, max_text_chars=40, max_batch_rows=3, login_attempts=3)
MB = 1024 * 1024


def serve(folder, auth=None):
    demo = create_app(db=folder / "studio.db", limits=SMALL)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        auth=auth, **launch_options("en", limits=SMALL),
    )  # fmt: skip
    return demo, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    demo, url = serve(tmp_path_factory.mktemp("limits"))
    try:
        yield url, demo.ptune_state
    finally:
        demo.close()


@pytest.fixture()
def small(state):
    state.limits = SMALL
    return state


# ----------------------------------------------------------------------------- the flags
def launch_args(*argv: str) -> argparse.Namespace:
    from launch import build_parser

    return build_parser().parse_args(list(argv))


def test_each_limit_is_a_launch_flag_with_its_default():
    from launch import limits_of

    assert limits_of(launch_args()) == Limits()
    assert Limits().max_upload_bytes == 100 * MB
    args = launch_args("--max-upload-mb", "5", "--max-text-chars", "200", "--max-batch-rows",
                       "50", "--login-attempts", "2", "--login-window", "30")  # fmt: skip
    assert limits_of(args) == Limits(5, 200, 50, 2, 30)
    hosts = launch_args("--allowed-host", "A.example", "--allowed-host", "b.example")
    assert hosts.allowed_host == ["a.example", "b.example"]


def test_a_limit_below_one_stops_the_launch_with_its_flag(capsys):
    from launch import main

    for flag in ("--max-upload-mb", "--max-batch-rows", "--login-window"):
        with pytest.raises(SystemExit) as caught:
            main([flag, "0"])
        assert caught.value.code == 2
        assert f"{flag} must be a whole number of 1 or more (got 0)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--allowed-host", "http://studio.example.com"])
    assert "give the name alone" in capsys.readouterr().err


# ----------------------------------------------------------------------------- uploads
def test_an_upload_over_the_cap_is_refused_and_nothing_is_stored(served):
    url, state = served
    with httpx.Client(base_url=url, timeout=60) as web:
        answer = web.post("/gradio_api/upload", files={"files": ("big.csv", b"x" * (MB + 1024))})
        fits = web.post("/gradio_api/upload", files={"files": ("fits.csv", b"x" * 1024)})
    assert answer.status_code == 413
    assert answer.text.startswith("The file is larger than this app's upload limit of 1 MB")
    assert "--max-upload-mb" in answer.text
    assert fits.status_code == 200
    assert not state.upload_dir.exists() or list(state.upload_dir.iterdir()) == []


def test_save_upload_refuses_a_file_over_the_cap(small, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(300 * MB)  # sparse: nothing is written to disk
    message = r"'big.csv' is 314,572,800 bytes; uploads may be at most 1 MB \(1,048,576 bytes\)"
    with pytest.raises(ValueError, match=message + ".*--max-upload-mb"):
        save_upload(small, big)
    assert not small.upload_dir.exists() or list(small.upload_dir.iterdir()) == []
    fits = tmp_path / "fits.csv"
    fits.write_text("text,label\nfine,1\n", encoding="utf-8")
    assert save_upload(small, fits).endswith("fits.csv")


# ----------------------------------------------------------------------------- texts
LONG = "word " * 9 + "words"  # 50 characters, over the cap of 40
TOO_LONG = "The text is 50 characters long; at most 40 are accepted.*--max-text-chars"


def test_predict_refuses_a_text_over_the_cap(served):
    from gradio_client.exceptions import AppError

    client = Client(served[0] + "/", verbose=False)
    with pytest.raises(AppError, match=TOO_LONG):
        client.predict(LONG, [1], api_name="/predict")


def test_the_try_it_box_refuses_a_text_over_the_cap(small):
    with pytest.raises(ValueError, match=TOO_LONG):
        predict_text(small, LONG, [1])
    with pytest.raises(ValueError, match=TOO_LONG):
        explain_runs(small, LONG, [1])
    small.lang = "zh"
    with pytest.raises(ValueError, match="文本长 50 个字符，最多接受 40 个"):
        predict_text(small, LONG, [1])


# ----------------------------------------------------------------------------- batch files
def test_a_batch_file_over_the_row_cap_is_refused(small, tmp_path):
    files = {
        "four.txt": "a\nb\n\nc\nd\n",
        "four.csv": "text\na\nb\nc\nd\n",
        "four.tsv": "id\ttext\n1\ta\n2\tb\n3\tc\n4\td\n",
        "four.json": json.dumps([{"text": t} for t in "abcd"]),
    }
    for name, content in files.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        message = f"{name} has more than 3 rows; a batch file may have at most 3.*--max-batch-rows"
        with pytest.raises(ValueError, match=message):
            predict_file(small, str(path), [1])


def test_rows_are_counted_without_reading_past_the_cap(tmp_path):
    path = tmp_path / "huge.csv"
    rows = "".join(f'"text {i}, with a comma",{i}\n' for i in range(5000))  # 150 kB
    path.write_bytes(b"text,label\n" + rows.encode() + b"\xff\xfe not text")
    assert count_rows(path, 4) == 4  # the bytes that are no UTF-8 come far later
    assert count_rows(path, 10_000) is None  # reading to the end meets them
    multi = tmp_path / "multi.csv"
    multi.write_text('text\n"two\nlines"\none\n', encoding="utf-8")
    assert count_rows(multi, 10) == 2
    assert count_rows(tmp_path / "x.json", 10) is None


# ----------------------------------------------------------------------------- logins
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, client: str = "10.0.0.1", status: int = 400) -> None:
    throttle.settle(client, throttle.attempt(client), status)


def test_failed_logins_make_an_address_wait_longer_each_time():
    clock = Clock()
    throttle = LoginThrottle(attempts=3, window_s=900, clock=clock)
    for _ in range(3):
        fail(throttle)
    assert throttle.wait("10.0.0.1") == 60 and throttle.wait("10.0.0.2") == 0
    for expected in (120, 240, 480, 900, 900):  # doubling, at most the window
        clock.now += throttle.wait("10.0.0.1")
        fail(throttle)
        assert throttle.wait("10.0.0.1") == expected
    throttle.settle("10.0.0.1", throttle.attempt("10.0.0.1"), 200)
    assert throttle.wait("10.0.0.1") == 0


def test_failures_are_forgotten_after_a_quiet_window_and_only_guesses_count():
    clock = Clock()
    throttle = LoginThrottle(attempts=3, window_s=900, clock=clock)
    fail(throttle)
    fail(throttle)
    clock.now += 900
    fail(throttle)  # the first two are forgotten
    for status in (302, 422):  # no guess: gradio without --auth, or a malformed form
        fail(throttle, status=status)
    assert throttle.wait("10.0.0.1") == 0
    for _ in range(3):  # guesses sent at once count before any answer comes back
        throttle.attempt("10.0.0.3")
    assert throttle.wait("10.0.0.3") == 60


@pytest.mark.train
def test_login_slows_down_after_failures_and_a_success_resets(tmp_path):
    demo, url = serve(tmp_path, auth=("me", "secret"))
    try:
        with httpx.Client(base_url=url, timeout=30) as web:

            def login(password: str) -> httpx.Response:
                return web.post("/login", data={"username": "me", "password": password})

            assert [login("wrong").status_code for _ in range(2)] == [400, 400]
            assert login("secret").status_code == 200  # forgets both failures
            assert [login("wrong").status_code for _ in range(3)] == [400, 400, 400]
            refused = login("secret")
    finally:
        demo.close()
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.text.startswith("Too many failed logins from this address. Wait 60 seconds")
