"""Request signing for the CMS API v2.4 (see `shared/cms-api.md`, "Signing a request").

The signature covers the *values* of every request parameter that is sent, except `sig`,
ordered by parameter name and concatenated with no separator; the path and the method are
not signed. It is the lowercase hex HMAC-SHA256 of that string keyed with the secret, which
is what PHP's `hash_hmac('sha256', $message, $secret_key)` returns.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

#: The name of the parameter that carries the signature; never part of what is signed.
SIG = "sig"


def signing_string(params: Mapping[str, str]) -> str:
    """The message that is signed: values ordered by parameter name, concatenated."""
    return "".join(params[name] for name in sorted(params) if name != SIG)


def sign(params: Mapping[str, str], secret_key: str) -> str:
    """The `sig` for `params` (values exactly as sent, before URL encoding)."""
    message = signing_string(params).encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed(params: Mapping[str, str], secret_key: str) -> dict[str, str]:
    """`params` with their `sig` added, ready to send."""
    out = {name: value for name, value in params.items() if name != SIG}
    out[SIG] = sign(out, secret_key)
    return out


def verify(params: Mapping[str, str], secret_key: str) -> bool:
    """True when `params["sig"]` is the signature of the other parameters (constant time)."""
    given = params.get(SIG)
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), sign(params, secret_key).encode("utf-8"))
