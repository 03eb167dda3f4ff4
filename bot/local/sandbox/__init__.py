"""A local imitation of the diocesan CMS API v2.4, with a demo diocese.

`python -m bot sandbox` runs it on 127.0.0.1 for people; tests start a `CMSSandbox` on a free
port. See `server.CMSSandbox` for the fault hooks and `demo` for the fixed ids.
"""

from bot.local.sandbox.demo import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY
from bot.local.sandbox.faults import Fault
from bot.local.sandbox.server import CMSSandbox, run_sandbox

__all__ = [
    "SANDBOX_API_ID",
    "SANDBOX_DIOCESE_ID",
    "SANDBOX_SECRET_KEY",
    "CMSSandbox",
    "Fault",
    "run_sandbox",
]
