"""``GeneratedPassword``: made from :mod:`secrets`, kept across updates, replaced on a change."""

from __future__ import annotations

import pytest

from components.dynamic.password import ALPHABET, PasswordProvider, generate


def test_a_password_has_the_length_and_every_class_of_character() -> None:
    for length in (8, 24, 64):
        password = generate(length)
        assert len(password) == length
        assert set(password) <= set(ALPHABET)
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)


def test_passwords_differ() -> None:
    assert len({generate(24) for _ in range(50)}) == 50


def test_too_short_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        generate(4)


def test_create_returns_the_password_and_same_inputs_keep_it() -> None:
    provider = PasswordProvider()
    created = provider.create({"length": 20, "keepers": {"user": "class-g01"}})
    assert len(created.outs["result"]) == 20
    same = provider.diff(created.id, created.outs, {"length": 20, "keepers": {"user": "class-g01"}})
    assert not same.changes


@pytest.mark.parametrize(
    ("news", "replaced"),
    [
        ({"length": 30, "keepers": {"user": "class-g01"}}, ["length"]),
        ({"length": 20, "keepers": {"user": "class-g02"}}, ["keepers"]),
    ],
)
def test_a_new_length_or_keeper_replaces_it(news: dict, replaced: list[str]) -> None:
    provider = PasswordProvider()
    olds = {"length": 20, "keepers": {"user": "class-g01"}, "result": "x"}
    diff = provider.diff("id", olds, news)
    assert diff.changes and diff.replaces == replaced
