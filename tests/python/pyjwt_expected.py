"""PyJWT's own tests that payhook.jwt is expected not to pass, and why.

Read by tests/python/test_pyjwt_compat.py, which runs PyJWT's test files
against payhook.jwt.  Every test of those files that fails must be listed
here (in STRICTER or NOT_APPLICABLE), every test that PyJWT's own markers
skip must be in SKIPPED, and every listed test must fail (or skip) as
listed: a test that starts to pass has to leave the list.
"""

from __future__ import annotations

# The PyJWT release whose sdist is downloaded (pip download --no-binary
# :all: --no-deps pyjwt==PYJWT_VERSION) and whose tests are run.
PYJWT_VERSION = "2.15.1"

# The files run.  The others test PyJWT's internals or features payhook
# does not have, and are not run at all:
NOT_RUN = {
    "tests/test_algorithms.py": "PyJWT's algorithm classes themselves "
    "(RSA, EC, OKP, none, JWK import and export); payhook's HMAC is in "
    "its C core",
    "tests/test_api_jwk.py": "JWKs (PyJWK, PyJWKSet)",
    "tests/test_jwks_client.py": "PyJWKClient, which fetches JWK sets "
    "over HTTP",
    "tests/test_utils.py": "PyJWT's private helpers in jwt.utils",
}
TEST_FILES = (
    "tests/test_api_jws.py",
    "tests/test_api_jwt.py",
    "tests/test_jwt.py",
    "tests/test_exceptions.py",
    "tests/test_compressed_jwt.py",
    "tests/test_advisory.py",
)

# -- why ----------------------------------------------------------------------

# Stricter on purpose (README, "Where payhook.jwt is stricter").
UNVERIFIED = ("options={'verify_signature': False}: payhook never returns "
              "an unverified payload (ValueError says so)")
PADDING = ("'=' padding on a segment: payhook's base64url takes none, as "
           "RFC 7515 writes it (DecodeError says so)")
DETACHED = ("b64 false, a detached payload: payhook refuses b64 in a "
            "header, and its encode makes no such token")
CRIT = ("crit in the header: payhook refuses it (it implements no "
        "extension), and its encode makes no such header")
TIME_STRING = ("iat as a numeric string: payhook takes exp, nbf and iat as "
               "JSON numbers only, where PyJWT applies int()")
NOT_JSON = ("Infinity as a claim: not JSON; payhook's encode refuses what "
            "its decode refuses")

# Not applicable: what payhook.jwt does not have.
NONE_ALG = ("the unsigned 'none' algorithm: payhook.jwt has HS256, HS384 "
            "and HS512 only")
JWK = "JWKs (PyJWK): payhook.jwt takes an HMAC secret as str or bytes"
CUSTOM_ALG = ("a custom Algorithm object: payhook's registry takes only its "
              "own HMACAlgorithm")
PRIVATE = ("a private helper of PyJWT's (PyJWS._decode_base64url_segment, "
           "PyJWT._validate_iss), not part of its API")
ASYMMETRIC = ("RSA, EC or EdDSA: skipped by PyJWT's own crypto_required "
              "marker, since payhook.jwt has no asymmetric algorithm "
              "(jwt.algorithms.has_crypto is False under the shim)")

JWS = "tests/test_api_jws.py::TestJWS::"
JWT = "tests/test_api_jwt.py::TestJWT::"

STRICTER = {
    JWS + "test_allow_skip_verification": UNVERIFIED,
    JWS + "test_decode_no_algorithms_verify_signature_false": UNVERIFIED,
    JWS + "test_load_no_verification": UNVERIFIED,
    JWS + "test_non_object_options_dont_persist": UNVERIFIED,
    JWS + "test_skip_check_signature": UNVERIFIED,
    JWT + "test_decode_complete_preserves_mutable_mapping_input": UNVERIFIED,
    JWT + "test_decode_does_not_mutate_options_when_signature_verification"
          "_is_disabled": UNVERIFIED,
    JWT + "test_decode_legacy_verify_warning": UNVERIFIED,
    JWT + "test_decode_no_algorithms_verify_signature_false": UNVERIFIED,
    JWT + "test_decode_payload_recursion_error_throws_decode_error":
        UNVERIFIED,
    JWT + "test_decode_with_verify_exp_option_and_signature_off": UNVERIFIED,
    JWT + "test_reused_options_do_not_disable_claim_verification":
        UNVERIFIED,
    JWT + "test_skip_check_signature": UNVERIFIED,
    JWS + "test_decode_accepts_padded_crypto_segment": PADDING,
    JWS + "test_decode_accepts_supported_crit_extension": DETACHED,
    JWS + "test_decode_b64_false_rejects_non_empty_payload_segment":
        DETACHED,
    JWS + "test_decode_b64_false_without_crit_b64_is_rejected": DETACHED,
    JWS + "test_decode_complete_warns_on_unuspported_kwarg": DETACHED,
    JWS + "test_decode_detached_content_without_proper_argument": DETACHED,
    JWS + "test_decode_warns_on_unsupported_kwarg": DETACHED,
    JWS + "test_encode_b64_false_auto_adds_b64_to_crit": DETACHED,
    JWS + "test_encode_b64_false_preserves_existing_crit_entries": DETACHED,
    JWS + "test_encode_decode_with_detached_content": DETACHED,
    JWS + "test_encode_detached_content_with_b64_header": DETACHED,
    JWS + "test_decode_rejects_crit_extension_missing_from_header": CRIT,
    JWS + "test_decode_rejects_crit_with_non_string_values": CRIT,
    JWS + "test_decode_rejects_empty_crit": CRIT,
    JWS + "test_decode_rejects_non_list_crit": CRIT,
    JWS + "test_decode_rejects_unknown_crit_extension": CRIT,
    JWS + "test_get_unverified_header_rejects_unknown_crit": CRIT,
    JWT + "test_decode_rejects_token_with_unknown_crit_extension": CRIT,
    JWT + "test_decode_works_if_iat_is_str_of_a_number": TIME_STRING,
    **{JWT + f"test_decode_raises_clean_error_if_claim_is_non_numeric_type"
             f"[inf-{claim}]": NOT_JSON for claim in ("exp", "nbf", "iat")},
}

NOT_APPLICABLE = {
    JWS + "test_algo_parameter_removes_alg_from_algorithms_list": NONE_ALG,
    JWS + "test_decode_with_algo_none_and_verify_false_should_pass":
        NONE_ALG,
    JWS + "test_decode_with_algo_none_should_fail": NONE_ALG,
    JWS + "test_encode_with_headers_alg_none": NONE_ALG,
    JWS + "test_unregister_algo_removes_algorithm": NONE_ALG,
    JWS + "test_register_algo_does_not_allow_duplicate_registration":
        CUSTOM_ALG,
    JWS + "test_decodes_with_jwk": JWK,
    JWS + "test_decodes_with_jwk_and_mismatched_algorithm": JWK,
    JWS + "test_decodes_with_jwk_and_no_algorithm": JWK,
    JWS + "test_decodes_with_jwk_rejects_header_alg_outside_jwk_alg": JWK,
    JWS + "test_encode_with_jwk": JWK,
    JWS + "test_encode_with_jwk_uses_key_algorithm": JWK,
    JWS + "test_pyjwk_rejects_empty_hmac_key": JWK,
    JWT + "test_encode_with_jwk_uses_key_algorithm": JWK,
    **{JWS + f"test_decode_accepts_canonical_base64url_padding[{p}]": PRIVATE
       for p in ("Zg-f", "Zg==-f", "Zm8=-fo")},
    **{JWS + f"test_decode_rejects_invalid_base64url_padding[{p}]": PRIVATE
       for p in ("Zg===", "Zg=", "a", "Z?==", "Zh", "Zh==")},
    JWT + "test_validate_iss_with_container_of_str": PRIVATE,
    JWT + "test_validate_iss_with_non_str": PRIVATE,
    JWT + "test_validate_iss_with_non_str_issuer": PRIVATE,
}

SKIPPED = {
    "tests/test_advisory.py::TestAdvisory::test_ghsa_ffqj_6fqr_9h24":
        ASYMMETRIC,
    JWS + "test_decodes_valid_es384_jws": ASYMMETRIC,
    JWS + "test_decodes_valid_rs384_jws": ASYMMETRIC,
    JWS + "test_encode_with_alg_hs256_and_headers_alg_es256": ASYMMETRIC,
    JWS + "test_encode_with_headers_alg_es256": ASYMMETRIC,
    **{JWS + f"test_encode_decode_rsa_related_algorithms[{alg}]": ASYMMETRIC
       for alg in ("RS256", "RS384", "RS512")},
    **{JWS + f"test_encode_decode_ecdsa_related_algorithms[{alg}-jwk_ec_key_"
             f"{curve}.json-jwk_ec_pub_{curve}.json]": ASYMMETRIC
       for alg, curve in (("ES256", "P-256"), ("ES256K", "secp256k1"),
                          ("ES384", "P-384"), ("ES512", "P-521"))},
    JWT + "test_decodes_valid_es256_jwt[compact]": ASYMMETRIC,
    JWT + "test_decodes_valid_es256_jwt[alb-padded]": ASYMMETRIC,
    JWT + "test_decodes_valid_rs384_jwt": ASYMMETRIC,
}
