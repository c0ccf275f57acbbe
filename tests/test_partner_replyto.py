"""Posting the final Acknowledgement to ReplyTo: the attempts, the doubling pauses between
them, and what ends them (epix.partner.replyto), with a stand-in client and background."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import epix.partner.replyto as replyto
from epix.partner import PartnerConfig
from epix.pki import Pki
from epix.transport import PartnerUnreachable


@dataclass
class _Answer:
    status: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _Client:
    """Answers the posts in turn: a status, or ``None`` for no answer at all."""

    def __init__(self, answers: list[int | None]):
        self.answers = list(answers)
        self.posts = 0

    def __call__(self, *args, **kwargs) -> _Client:  # noqa: ANN002, ANN003 (as PartnerClient)
        return self

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def post_acknowledgement(self, body: bytes) -> _Answer:
        self.posts += 1
        status = self.answers.pop(0)
        if status is None:
            raise PartnerUnreachable("nothing listens there", url="https://127.0.0.1:9/epix/v1")
        return _Answer(status)


class _Background:
    def __init__(self, stop_at_pause: int | None = None):
        self.pauses: list[float] = []
        self.stop_at_pause = stop_at_pause

    def sleep(self, seconds: float) -> bool:
        self.pauses.append(seconds)
        return len(self.pauses) != self.stop_at_pause


@pytest.mark.parametrize(("answers", "attempts", "outcome", "pauses"), [
    ([200], 5, "delivered", []),
    ([None, 503, 200], 5, "delivered", [0.5, 1.0]),
    ([503, 404], 5, "refused", [0.5]),
    ([503, None, 500, 503, 502], 5, "failed", [0.5, 1.0, 2.0, 4.0]),
    ([None, None], 2, "failed", [0.5]),
    ([503], 1, "failed", []),
    ([], 0, "failed", []),
])
def test_reply_to_is_tried_with_doubling_pauses(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                answers: list, attempts: int, outcome: str, pauses: list) -> None:
    client, background = _Client(answers), _Background()
    monkeypatch.setattr(replyto, "PartnerClient", client)
    config = PartnerConfig("FR", pki.root, tmp_path / "fr.db", reply_attempts=attempts, reply_backoff=0.5)
    poster = replyto.ReplyPoster(config, None, pki, background)
    assert poster._attempts("https://127.0.0.1:9/epix/v1", b"<ack/>") == outcome
    assert background.pauses == pauses
    assert client.posts == len(answers)


def test_reply_to_stays_pending_when_the_partner_stops_during_a_pause(pki: Pki, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    client, background = _Client([503, 503, 503]), _Background(stop_at_pause=2)
    monkeypatch.setattr(replyto, "PartnerClient", client)
    poster = replyto.ReplyPoster(PartnerConfig("FR", pki.root, tmp_path / "fr.db"), None, pki, background)
    assert poster._attempts("https://127.0.0.1:9/epix/v1", b"<ack/>") == "pending"
    assert client.posts == 2 and background.pauses == [0.5, 1.0]


def test_reply_to_lets_an_unexpected_error_through(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(_Client):
        def post_acknowledgement(self, body: bytes) -> _Answer:
            self.posts += 1
            raise RuntimeError("a bug")

    client = Broken([])
    monkeypatch.setattr(replyto, "PartnerClient", client)
    poster = replyto.ReplyPoster(PartnerConfig("FR", pki.root, tmp_path / "fr.db"), None, pki, _Background())
    with pytest.raises(RuntimeError, match="a bug"):
        poster._attempts("https://127.0.0.1:9/epix/v1", b"<ack/>")
    assert client.posts == 1
