"""The surface every generated payhook.<gateway> module has (_gateway.py
makes the modules; each <gateway>.pyi names these)."""

from typing import Any, Callable, Mapping

from ._gateway import Body, Headers, Result
from ._gateway import Decoder as _Decoder

def decode(
    body: Body | Mapping[str, str],
    key: Any,
    *,
    headers: Headers = ...,
    now: float | None = ...,
    query: str | bytes | None = ...,
    tolerance: float | None = ...,
    max_bytes: int = ...,
    parse_float: Callable[[str], Any] | None = ...,
) -> dict[str, Any]: ...
def verify(
    body: Body | Mapping[str, str],
    key: Any,
    *,
    headers: Headers = ...,
    now: float | None = ...,
    expect: Mapping[str, Any] | None = ...,
    query: str | bytes | None = ...,
    tolerance: float | None = ...,
    max_bytes: int = ...,
    parse_float: Callable[[str], Any] | None = ...,
) -> Result: ...
def sign(
    payload: Any, key: Any, *, timestamp: int | None = ..., event_id: str | None = ...
) -> tuple[bytes, dict[str, str]]: ...

class Decoder(_Decoder):
    def __new__(
        cls,
        key: Any,
        *,
        tolerance: float | None = ...,
        leeway: float = ...,
        max_bytes: int = ...,
        parse_float: Callable[[str], Any] | None = ...,
    ) -> Decoder: ...

GATEWAY: str
