"""AES-GCM field encryption with key ids, blind index, masking."""

from __future__ import annotations

import pytest

from intake.crypto import (
    CryptoError,
    FieldCipher,
    blind_index,
    decode_key,
    generate_key,
    mask_tail,
)

NUMBER = "330102194605010010"


def cipher(active: str = "k1", **keys: str) -> FieldCipher:
    return FieldCipher({kid: decode_key(k) for kid, k in keys.items()}, active)


def test_round_trip_without_plaintext_in_token() -> None:
    c = cipher(k1=generate_key())
    sealed = c.encrypt(NUMBER, context="elder.id_number")
    assert sealed.key_id == "k1"
    assert sealed.token.startswith("v1.k1.")
    assert NUMBER not in sealed.token
    assert c.decrypt(sealed.token, context="elder.id_number") == NUMBER


def test_same_value_encrypts_differently_each_time() -> None:
    c = cipher(k1=generate_key())
    assert c.encrypt(NUMBER, context="x").token != c.encrypt(NUMBER, context="x").token


def test_wrong_context_or_tampering_fails() -> None:
    c = cipher(k1=generate_key())
    token = c.encrypt(NUMBER, context="elder.id_number").token
    with pytest.raises(CryptoError, match="wrong context"):
        c.decrypt(token, context="contact.phone")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(CryptoError):
        c.decrypt(flipped, context="elder.id_number")
    with pytest.raises(CryptoError, match="malformed"):
        c.decrypt("garbage", context="elder.id_number")


def test_rotation_keeps_old_tokens_readable() -> None:
    old, new = generate_key(), generate_key()
    before = cipher("k1", k1=old).encrypt(NUMBER, context="c").token
    rotated_cipher = cipher("k2", k1=old, k2=new)
    assert rotated_cipher.needs_rotation(before)
    rotated = rotated_cipher.rotate(before, context="c")
    assert rotated.key_id == "k2"
    assert not rotated_cipher.needs_rotation(rotated.token)
    assert cipher("k2", k2=new).decrypt(rotated.token, context="c") == NUMBER
    with pytest.raises(CryptoError, match="unknown token version or key id"):
        cipher("k2", k2=new).decrypt(before, context="c")


def test_bad_keyrings_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        decode_key("c2hvcnQ")
    with pytest.raises(ValueError, match="active key id"):
        FieldCipher({"k1": b"\0" * 32}, "k2")
    with pytest.raises(ValueError, match="no dots"):
        FieldCipher({"k.1": b"\0" * 32}, "k.1")


def test_repr_shows_no_key_material() -> None:
    key = generate_key()
    assert key not in repr(cipher(k1=key))


def test_blind_index_is_stable_normalised_and_keyed() -> None:
    key, other = decode_key(generate_key()), decode_key(generate_key())
    a = blind_index("11010519491231002x", key=key, context="elder.id_number")
    assert a == blind_index("110105 19491231 002X", key=key, context="elder.id_number")
    assert a != blind_index("11010519491231002X", key=other, context="elder.id_number")
    assert a != blind_index("11010519491231002X", key=key, context="contact.phone")
    assert len(a) == 64
    assert "110105" not in a


@pytest.mark.parametrize(
    ("value", "masked"),
    [(NUMBER, "**************0010"), ("13800138000", "*******8000"), ("123", "***")],
)
def test_mask_tail(value: str, masked: str) -> None:
    assert mask_tail(value) == masked
