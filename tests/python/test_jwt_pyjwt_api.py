"""payhook.jwt's PyJWT API, beyond what PyJWT's own tests cover.

The keys PyJWT refuses as HMAC secrets, the key length warning, PyJWT's
warnings for legacy and unknown keywords, required claims of any name,
the PyJWS and PyJWT classes (bytes payloads, options, the registry, a
subclass that compresses its payload), the unverified header, and what
payhook refuses where PyJWT would not.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import pickle
import warnings
import zlib
from typing import Any

import pytest

import payhook
from conftest import b64url, make_token

jwt = payhook.jwt
KEY = b"a-key-of-thirty-two-bytes-000001"
LONG = b"k" * 64

pyjwt = pytest.importorskip("jwt")


# ---------------------------------------------------------------------------
# Keys PyJWT refuses as HMAC secrets (the algorithm-confusion guard)


def _asymmetric_keys() -> dict[str, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.x509.oid import NameOID

    ed = ed25519.Ed25519PrivateKey.generate()
    p256 = ec.generate_private_key(ec.SECP256R1())
    pub = p256.public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "payhook")])
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(pub).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(p256, hashes.SHA256()))
    raw = serialization.Encoding
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return {
        "PEM public key": pub.public_bytes(raw.PEM, spki),
        "PEM private key": p256.private_bytes(
            raw.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()),
        "PEM certificate": cert.public_bytes(raw.PEM),
        "PEM after other text": b"note\n" + pub.public_bytes(raw.PEM, spki),
        "OpenSSH ed25519 line": ed.public_key().public_bytes(
            raw.OpenSSH, serialization.PublicFormat.OpenSSH),
        "OpenSSH ECDSA line": pub.public_bytes(
            raw.OpenSSH, serialization.PublicFormat.OpenSSH),
        "DER public key": pub.public_bytes(raw.DER, spki),
        "DER certificate": cert.public_bytes(raw.DER),
    }


JWK_KEYS = {
    "oct JWK": b'{"kty":"oct","k":"c2VjcmV0"}',
    "EC public JWK": b'{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}',
    "JWK set": b'{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}',
    "JWK in an array": b'[{"kty":"oct","k":"AA"}]',
    "escaped kty": b'{"\\u006bty":"oct","k":"AA"}',
    "deeply nested JWK": b'[' * 3000 + b'{"kty":"oct"}' + b']' * 3000,
}
# Secrets that only look like those: accepted, as PyJWT accepts them.
FINE_KEYS = {
    "JSON without kty": b'{"k":"c2VjcmV0","use":"sig"}',
    "kty as a value": b'["kty"]',
    "a BEGIN marker alone": b"-----BEGIN PUBLIC KEY----- and nothing more",
    "random bytes": bytes(range(256)),
    "text about ssh-rsa": b"my ssh-rsa key is elsewhere",
    "a LeanX hash key": b"5e" * 64,
}


@pytest.fixture(scope="module")
def asymmetric_keys() -> dict[str, bytes]:
    pytest.importorskip("cryptography")
    return _asymmetric_keys()


def test_asymmetric_keys_and_jwks_are_refused_as_pyjwt_refuses_them(
        asymmetric_keys):
    token = make_token({"a": 1}, KEY)
    refused = {**{n: (k, "asymmetric key or x509 certificate")
                  for n, k in asymmetric_keys.items()},
               **{n: (k, "looks like a JWK") for n, k in JWK_KEYS.items()}}
    for name, (key, says) in refused.items():
        # Text keys as str too (a DER key as str would be other bytes).
        for as_given in (key, *([key.decode()] if key.isascii() else [])):
            calls = [
                lambda: jwt.decode(token, as_given, ["HS256"]),
                lambda: jwt.decode(token, [LONG, as_given], ["HS256"]),
                lambda: jwt.encode({"a": 1}, as_given),
                lambda: jwt.Decoder(as_given, ["HS256"]),
                lambda: jwt.PyJWS().encode(b"x", as_given),
                lambda: jwt.HMACAlgorithm("HS256").prepare_key(as_given),
            ]
            for call in calls:
                with pytest.raises(payhook.InvalidKeyError, match=says):
                    call()
        # PyJWT refuses the same key (the deeply nested one it refuses
        # by its own shape test).
        with pytest.raises(pyjwt.InvalidKeyError):
            pyjwt.encode({"a": 1}, key, algorithm="HS256")


def test_secrets_that_only_look_like_keys_are_accepted():
    for name, key in FINE_KEYS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            token = jwt.encode({"a": 1}, key)
            assert jwt.decode(token, key, ["HS256"]) == {"a": 1}, name
            assert pyjwt.decode(token, key, algorithms=["HS256"]) == {"a": 1}


def test_empty_key_is_pyjwts_error():
    token = make_token({"a": 1}, KEY)
    for call in (lambda: jwt.decode(token, "", ["HS256"]),
                 lambda: jwt.decode(token, algorithms=["HS256"]),
                 lambda: jwt.encode({"a": 1}, b""),
                 lambda: jwt.Decoder("", ["HS256"])):
        with pytest.raises(payhook.InvalidKeyError,
                           match="^HMAC key must not be empty.$"):
            call()


# ---------------------------------------------------------------------------
# InsecureKeyLengthWarning


def _one_warning(call: Any) -> warnings.WarningMessage:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    found = [w for w in seen if w.category is jwt.InsecureKeyLengthWarning]
    assert len(found) == 1, [str(w.message) for w in seen]
    return found[0]


def test_short_keys_warn_with_pyjwts_message_at_the_callers_line():
    short = b"x" * 20
    token = jwt.PyJWS().encode(b"payload", LONG)
    hs512 = jwt.encode({"a": 1}, LONG, "HS512")
    for call, length, hash_name in (
            (lambda: jwt.encode({"a": 1}, short), 20, "SHA256"),
            (lambda: jwt.encode({"a": 1}, b"y" * 40, "HS384"), 40, "SHA384"),
            (lambda: jwt.PyJWS().decode(token, short, ["HS256"]), 20,
             "SHA256"),
            (lambda: jwt.decode(hs512, b"z" * 40, ["HS256", "HS512"]), 40,
             "SHA512")):
        w = _one_warning(lambda: _ignore_errors(call))
        size = {"SHA256": 32, "SHA384": 48, "SHA512": 64}[hash_name]
        assert str(w.message) == (
            f"The HMAC key is {length} bytes long, which is below the "
            f"minimum recommended length of {size} bytes for {hash_name}. "
            "See RFC 7518 Section 3.2.")
        assert w.filename == __file__, w.filename
    # A 40-byte key is long enough for the HS256 token it verifies, though
    # HS512 is allowed too: no warning, as in PyJWT.
    hs256 = jwt.encode({"a": 1}, LONG)
    with warnings.catch_warnings():
        warnings.simplefilter("error", jwt.InsecureKeyLengthWarning)
        _ignore_errors(lambda: jwt.decode(hs256, b"z" * 40,
                                          ["HS256", "HS512"]))
        assert jwt.decode(jwt.encode({"a": 1}, b"z" * 32), b"z" * 32,
                          ["HS256"]) == {"a": 1}


def _ignore_errors(call: Any) -> None:
    try:
        call()
    except payhook.PayhookError:
        pass


def test_enforce_minimum_key_length_makes_the_warning_an_error():
    token = jwt.encode({"a": 1}, LONG)
    opts = {"enforce_minimum_key_length": True}
    for call in (
            lambda: jwt.decode(token, b"x" * 31, ["HS256"], options=opts),
            lambda: jwt.PyJWT(options=opts).decode(token, b"x" * 31,
                                                   ["HS256"]),
            lambda: jwt.PyJWT(options=opts).encode({"a": 1}, b"x" * 31),
            lambda: jwt.PyJWS(options=opts).encode(b"x", b"x" * 31),
            lambda: jwt.Decoder(b"x" * 31, ["HS256"], opts)):
        with pytest.raises(payhook.InvalidKeyError,
                           match="^The HMAC key is 31 bytes long"):
            call()
    assert jwt.decode(token, LONG, ["HS256"], options=opts) == {"a": 1}


def test_decoder_warns_once_when_it_is_made():
    w = _one_warning(lambda: jwt.Decoder(b"x" * 10, ["HS256"]))
    assert w.filename == __file__
    d = jwt.Decoder(LONG, ["HS256"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert d.decode(jwt.encode({"a": 1}, LONG)) == {"a": 1}


# ---------------------------------------------------------------------------
# Keywords PyJWT warns about


def test_unknown_keywords_warn_as_pyjwt_warns():
    token = jwt.encode({"a": 1}, KEY)
    for function, call in (
            ("decode", lambda: jwt.decode(token, KEY, ["HS256"], foo=1)),
            ("decode_complete",
             lambda: jwt.decode_complete(token, KEY, ["HS256"], foo=1)),
            ("decode", lambda: jwt.PyJWS().decode(
                jwt.PyJWS().encode(b"x", KEY), KEY, ["HS256"], foo=1))):
        with pytest.warns(jwt.RemovedInPyjwt3Warning) as record:
            call()
        assert len(record) == 1
        assert str(record[0].message) == (
            f"passing additional kwargs to {function}() is deprecated and "
            "will be removed in pyjwt version 3. Unsupported kwargs: "
            "('foo',)")
        assert record[0].filename == __file__
    assert issubclass(jwt.RemovedInPyjwt3Warning, DeprecationWarning)


def test_legacy_verify_keyword_warns_and_does_nothing():
    token = jwt.encode({"a": 1}, KEY)
    with pytest.warns(DeprecationWarning, match="The `verify` argument"):
        assert jwt.decode(token, KEY, ["HS256"], verify=False) == {"a": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jwt.decode(token, KEY, ["HS256"], verify=True) == {"a": 1}
    with pytest.warns(DeprecationWarning), pytest.raises(
            payhook.InvalidSignatureError):
        jwt.decode(token, b"another key of thirty-two bytes!", ["HS256"],
                   verify=False)


# ---------------------------------------------------------------------------
# Claims


def test_missing_required_claim_error_is_pyjwts():
    e = jwt.MissingRequiredClaimError("abc")
    assert e.claim == "abc" and str(e) == 'Token is missing the "abc" claim'
    again = pickle.loads(pickle.dumps(e))
    assert again.claim == "abc" and str(again) == str(e)
    assert isinstance(e, jwt.InvalidTokenError) and isinstance(e, ValueError)


def test_any_claim_can_be_required_in_the_callers_order():
    token = jwt.encode({"role": "admin", "tenant": None, "exp": 1}, KEY)
    opts = {"verify_exp": False}
    for require, missing in ((["role"], None), (["tenant"], "tenant"),
                             (["role", "org", "tenant"], "org"),
                             (["tenant", "org"], "tenant"),
                             (["exp", "sub"], "sub"),
                             (["ünï", "role"], "ünï"),
                             (['a "quoted" name'], 'a "quoted" name')):
        options = {**opts, "require": require}
        if missing is None:
            assert jwt.decode(token, KEY, ["HS256"], options=options)
            continue
        with pytest.raises(payhook.MissingRequiredClaimError) as info:
            jwt.decode(token, KEY, ["HS256"], options=options)
        assert info.value.claim == missing
        # The same decision, name and text as PyJWT's.
        with pytest.raises(pyjwt.MissingRequiredClaimError) as theirs:
            pyjwt.decode(token, KEY, algorithms=["HS256"], options=options)
        assert theirs.value.claim == missing
        assert str(info.value) == str(theirs.value)
    # A missing required claim is reported before an expired one, as PyJWT.
    with pytest.raises(payhook.MissingRequiredClaimError):
        jwt.decode(token, KEY, ["HS256"], options={"require": ["org"]})
    for bad in ("role", ["x" * 97], ["a\0b"], [1], ["c"] * 33):
        with pytest.raises((TypeError, ValueError)):
            jwt.decode(token, KEY, ["HS256"], options={"require": bad})


def test_datetime_claims_on_encode():
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    payload = {"exp": when, "iat": when - dt.timedelta(hours=1),
               "nbf": when - dt.timedelta(hours=1), "other": "x"}
    token = jwt.encode(payload, KEY)
    claims = jwt.decode(token, KEY, ["HS256"], now=when.timestamp() - 10)
    assert claims == {"exp": int(when.timestamp()),
                      "iat": int(when.timestamp()) - 3600,
                      "nbf": int(when.timestamp()) - 3600, "other": "x"}
    assert isinstance(payload["exp"], dt.datetime)     # not changed
    assert token == pyjwt.encode(payload, KEY, algorithm="HS256")


# ---------------------------------------------------------------------------
# PyJWS, PyJWT, the registry, the unverified header


def test_pyjws_signs_and_verifies_bytes():
    jws = jwt.PyJWS()
    for payload in (b"", b"hello world", bytes(range(256)), b"{}"):
        token = jws.encode(payload, KEY, algorithm="HS384")
        assert jws.decode(token, KEY, ["HS384"]) == payload
        whole = jws.decode_complete(token, KEY, algorithms="HS384")
        assert whole["payload"] == payload
        assert whole["header"] == {"alg": "HS384", "typ": "JWT"}
        assert len(whole["signature"]) == 48
        assert token == pyjwt.PyJWS().encode(payload, KEY,
                                              algorithm="HS384")
    with pytest.raises(TypeError):
        jws.encode("text", KEY)  # type: ignore[arg-type]
    # A payload that is not JSON is fine for PyJWS, not for PyJWT.
    token = jws.encode(b"not json", KEY)
    with pytest.raises(payhook.DecodeError,
                       match="^Invalid payload string: "):
        jwt.decode(token, KEY, ["HS256"])


def test_decode_complete_and_the_unverified_header():
    token = jwt.encode({"sub": "s"}, KEY, headers={"kid": "2024-07",
                                                    "x5t": [1, {"a": None}]})
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "kid": "2024-07", "typ": "JWT",
                      "x5t": [1, {"a": None}]}
    assert header == pyjwt.get_unverified_header(token)
    whole = jwt.decode_complete(token, KEY, ["HS256"])
    assert whole == pyjwt.decode_complete(token, KEY, algorithms=["HS256"])
    d = jwt.Decoder(KEY, ["HS256"])
    assert d.decode_complete(token) == whole
    # The header is read without the key; the rules still apply.
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BA")
    assert jwt.get_unverified_header(forged)["kid"] == "2024-07"
    for bad, says in (
            (make_token({}, KEY, header={"alg": "HS256", "kid": 7}),
             "^Key ID header parameter must be a string$"),
            (make_token({}, KEY, header={"alg": "HS256", "crit": ["x"]}),
             'Unsupported header parameter "crit"'),
            (token + "=", "^Invalid crypto padding: '=' padding is"),
            ("a.b", "^Not enough segments$"),
            (" " + token, "^Invalid header padding$")):
        with pytest.raises(payhook.DecodeError, match=says):
            jwt.get_unverified_header(bad)
    with pytest.raises(payhook.DecodeError, match="^Invalid token type"):
        jwt.get_unverified_header(None)  # type: ignore[arg-type]


def test_options_of_the_classes():
    expired = jwt.encode({"exp": 1}, KEY)
    lenient = jwt.PyJWT(options={"verify_exp": False})
    assert lenient.options["verify_exp"] is False
    assert lenient.options["verify_signature"] is True
    assert lenient.decode(expired, KEY, ["HS256"]) == {"exp": 1}
    with pytest.raises(payhook.ExpiredSignatureError):
        lenient.decode(expired, KEY, ["HS256"],
                       options={"verify_exp": True})
    with pytest.raises(payhook.ExpiredSignatureError):
        jwt.decode(expired, KEY, ["HS256"])
    # Options changed in place take effect.
    lenient.options["verify_exp"] = True
    with pytest.raises(payhook.ExpiredSignatureError):
        lenient.decode(expired, KEY, ["HS256"])
    lenient.options["require"] = ["sub"]
    with pytest.raises(payhook.MissingRequiredClaimError):
        lenient.decode(expired, KEY, ["HS256"],
                       options={"verify_exp": False})
    # Never unverified, from any of them.
    off = {"verify_signature": False}
    for call in (lambda: jwt.decode(expired, KEY, ["HS256"], options=off),
                 lambda: jwt.PyJWT(options=off).decode(expired, KEY,
                                                       ["HS256"]),
                 lambda: jwt.PyJWS(options=off).decode(expired, KEY,
                                                       ["HS256"]),
                 lambda: jwt.decode(expired, options=off)):
        with pytest.raises(ValueError, match="payhook never skips "
                                             "signature verification"):
            call()
    for bad in ({"verify_expiration": False}, {"leeway": 3}):
        with pytest.raises(ValueError, match="unknown option"):
            jwt.decode(expired, KEY, ["HS256"], options=bad)
    with pytest.raises(TypeError):
        jwt.PyJWT(options=object())  # type: ignore[arg-type]


def test_the_registry():
    token = jwt.encode({"a": 1}, KEY)
    jws = jwt.PyJWS()
    assert sorted(jws.get_algorithms()) == ["HS256", "HS384", "HS512"]
    assert jws.get_algorithm_by_name("HS384").digest_size == 48
    jws.unregister_algorithm("HS256")
    assert "HS256" not in jws.get_algorithms()
    with pytest.raises(payhook.InvalidAlgorithmError,
                       match="^Algorithm not supported$"):
        jws.decode(token, KEY, ["HS256"])
    with pytest.raises(NotImplementedError, match="^Algorithm not supported$"):
        jws.encode(b"x", KEY)
    with pytest.raises(KeyError):
        jws.unregister_algorithm("HS256")
    with pytest.raises(ValueError, match="cannot be registered as"):
        jws.register_algorithm("HS256", jwt.HMACAlgorithm("HS512"))
    jws.register_algorithm("HS256", jwt.HMACAlgorithm("HS256"))
    assert jws.decode(token, KEY, ["HS256"]) == b'{"a":1}'
    with pytest.raises(ValueError, match="already has a handler"):
        jws.register_algorithm("HS256", jwt.HMACAlgorithm("HS256"))
    for other in (pyjwt.algorithms.HMACAlgorithm(
            pyjwt.algorithms.HMACAlgorithm.SHA256), object()):
        with pytest.raises(TypeError, match="only its own HMACAlgorithm"):
            jws.register_algorithm("HS999", other)
    with pytest.raises(NotImplementedError):
        jwt.HMACAlgorithm("RS256")
    only = jwt.PyJWS(algorithms=["HS512"])
    assert only.get_algorithms() == ["HS512"]
    with pytest.raises(payhook.InvalidAlgorithmError,
                       match="^Algorithm not supported$"):
        only.decode(token, KEY, ["HS256", "HS512"])
    # The module's registry is the global PyJWS's, as in PyJWT.
    assert jwt.get_algorithm_by_name("HS256").name == "HS256"


class CompressedJWT(jwt.PyJWT):
    """A subclass that deflates its payload, as PyJWT documents."""

    def _encode_payload(self, payload: dict[str, Any], headers: Any = None,
                        json_encoder: Any = None) -> bytes:
        text = json.dumps(payload, separators=(",", ":")).encode()
        c = zlib.compressobj(wbits=-15)
        return c.compress(text) + c.flush()

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            zlib.decompress(decoded["payload"], wbits=-15))
        return out


def test_a_subclass_decodes_its_own_way_and_claims_are_still_checked():
    c = CompressedJWT()
    token = c.encode({"sub": "s", "aud": "svc"}, KEY)
    with pytest.raises(payhook.DecodeError):
        jwt.decode(token, KEY, ["HS256"])       # not JSON as it stands
    assert c.decode(token, KEY, ["HS256"], audience="svc") == {
        "sub": "s", "aud": "svc"}
    whole = c.decode_complete(token, KEY, ["HS256"], audience="svc")
    assert whole["payload"] == {"sub": "s", "aud": "svc"}
    assert whole["header"]["alg"] == "HS256"
    with pytest.raises(payhook.InvalidAudienceError):
        c.decode(token, KEY, ["HS256"])
    with pytest.raises(payhook.ExpiredSignatureError):
        c.decode(c.encode({"exp": 10}, KEY), KEY, ["HS256"], now=11)
    with pytest.raises(payhook.InvalidSignatureError):
        c.decode(token, b"another key of thirty-two bytes!", ["HS256"],
                 audience="svc")
    # The parent's parser, for a subclass that calls it.
    assert jwt.PyJWT()._decode_payload({"payload": b'{"a":1}'}) == {"a": 1}


# ---------------------------------------------------------------------------
# Stricter than PyJWT, on purpose


def test_whitespace_around_a_token_is_refused_but_not_around_a_body():
    token = jwt.encode({"a": 1}, KEY)
    for padded in (" " + token, token + "\n", "\r\n" + token + "\t"):
        with pytest.raises(payhook.DecodeError):
            jwt.decode(padded, KEY, ["HS256"])
        with pytest.raises(pyjwt.DecodeError):
            pyjwt.decode(padded, KEY, algorithms=["HS256"])
        # A LeanX body may still have whitespace around it.
        assert payhook.leanx.decode(padded, KEY) == {"a": 1}


def test_stricter_refusals_say_why():
    token = jwt.encode({"a": 1}, KEY)
    head, body, sig = token.split(".")
    for bad, cls, says in (
            (f"{head}.{body}.{sig}=", payhook.DecodeError,
             "^Invalid crypto padding: '=' padding is refused, a JWS "
             "segment is base64url without it"),
            (make_token({"a": 1}, KEY, raw_header=b'{"alg":"HS256",'
                        b'"alg":"HS256"}'), payhook.DecodeError,
             "duplicate header names are refused"),
            (make_token({"a": 1}, KEY, header={"alg": "HS256",
                                              "b64": False}),
             payhook.DecodeError, 'Unsupported header parameter "b64": '
             "crit, b64 and enc are refused"),
            (make_token({"iat": "1"}, KEY), payhook.InvalidIssuedAtError,
             r"^Issued At claim \(iat\) must be an integer: a JSON number, "
             "not a string or a boolean$"),
            (make_token({"exp": True}, KEY), payhook.DecodeError,
             r"^Expiration Time claim \(exp\) must be an integer: a JSON")):
        with pytest.raises(cls, match=says):
            jwt.decode(bad, KEY, ["HS256"])
    with pytest.raises(payhook.DecodeError, match="detached_payload.*b64"):
        jwt.decode(token, KEY, ["HS256"], detached_payload=b"x")
    assert base64.urlsafe_b64decode(head + "==")   # (the header was fine)
    assert b64url(b"x") == "eA"
