"""Stubs of the native module payhook._payhook."""

from typing import Any, Callable, Final, Generic, Self, TypeVar

_T = TypeVar("_T")

__version__: str
HS256: int
HS384: int
HS512: int
CLAIM_EXP: int
CLAIM_NBF: int
CLAIM_IAT: int
CLAIM_AUD: int
CLAIM_ISS: int
CLAIM_SUB: int
CLAIM_JTI: int
DEFAULT_MAX_BYTES: int
MAX_DEPTH: int

def sign(header: bytes, payload: bytes, algorithm: int, key: bytes, /) -> str: ...
def jwt_header(
    token: str | bytes | bytearray | memoryview, max_bytes: int, /
) -> dict[str, Any]: ...
def parse_payload(data: str | bytes | bytearray | memoryview, /) -> dict[str, Any]: ...

class Verifier:
    def __new__(
        cls,
        keys: tuple[bytes, ...],
        algorithms: int,
        envelope: bool,
        max_bytes: int,
        leeway: float,
        verify: int,
        require: int,
        audience: tuple[bytes, ...] | None = ...,
        strict_aud: bool = ...,
        issuer: tuple[bytes, ...] | None = ...,
        subject: bytes | None = ...,
        parse_float: Callable[[str], Any] | None = ...,
        required: tuple[bytes, ...] | None = ...,
    ) -> Self: ...
    def decode(
        self, data: str | bytes | bytearray | memoryview, now: float | None = ...
    ) -> dict[str, Any]: ...
    def decode_complete(
        self, data: str | bytes | bytearray | memoryview, now: float | None = ...
    ) -> tuple[dict[str, Any], dict[str, Any], bytes]: ...
    def verify(
        self, data: str | bytes | bytearray | memoryview, /
    ) -> tuple[dict[str, Any], bytes, bytes]: ...
    def claims(
        self, payload: str | bytes | bytearray | memoryview, now: float | None = ...
    ) -> dict[str, Any]: ...

class SuperPayKey:
    def __new__(
        cls,
        key: bytes,
        max_bytes: int = ...,
        parse_float: Callable[[str], Any] | None = ...,
    ) -> Self: ...
    def decode(self, body: str | bytes | bytearray | memoryview, /) -> dict[str, Any]: ...
    def decrypt(
        self, data: str | bytes | bytearray | memoryview, iv: bytes | None = ..., /
    ) -> bytes: ...
    def encrypt(self, plaintext: bytes, /) -> str: ...

def gateways() -> tuple[dict[str, Any], ...]: ...
def parse_form(data: bytes, /) -> list[tuple[str, str]]: ...
def memo_digest(args: tuple[Any, ...], /) -> bytes | None: ...

class Memo(Generic[_T]):
    maxsize: Final[int]
    def __new__(
        cls,
        factory: Callable[..., _T],
        slow_key: Callable[[tuple[Any, ...]], tuple[Any, ...] | None],
        info_type: Callable[[int, int, int, int], Any],
        maxsize: int,
    ) -> Self: ...
    def __call__(self, *args: Any) -> _T: ...
    def get(self, args: tuple[Any, ...], make: Callable[[], _T], /) -> _T: ...
    def cache_clear(self) -> None: ...
    def cache_info(self) -> Any: ...
class OneCall:
    def __new__(
        cls,
        memo: Memo[Any],
        method: str,
        params: tuple[str, ...],
        npositional: int,
        defaults: tuple[Any, ...],
        key_args: tuple[int, ...],
        call_args: tuple[int, ...],
    ) -> Self: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
def gateway_sign(
    name: str, payload: bytes, key: bytes, timestamp: int, event_id: bytes | None, /
) -> tuple[bytes, tuple[tuple[str, str], ...]]: ...

class Gateway:
    def __new__(
        cls,
        gateway: str,
        keys: tuple[bytes, ...],
        max_bytes: int = ...,
        tolerance: float | None = ...,
        leeway: float = ...,
        parse_float: Callable[[str], Any] | None = ...,
    ) -> Self: ...
    @property
    def gateway(self) -> str: ...
    def decode(
        self,
        body: str | bytes | bytearray | memoryview,
        headers: Any = ...,
        now: float | None = ...,
        query: str | bytes | None = ...,
    ) -> dict[str, Any]: ...
    def decode_at(
        self, body: str | bytes | bytearray | memoryview, now: float | None = ...
    ) -> dict[str, Any]: ...
    def verify(
        self,
        body: str | bytes | bytearray | memoryview,
        headers: Any = ...,
        now: float | None = ...,
        expect: tuple[tuple[bytes, bytes], ...] | None = ...,
        query: str | bytes | None = ...,
    ) -> tuple[
        dict[str, Any],
        str | None,
        int | None,
        tuple[str, ...],
        tuple[int, bytes, str, bytes | None],
    ]: ...
