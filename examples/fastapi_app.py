"""A complete FastAPI app that receives LeanX and SuperPay payout
callbacks with payhook, and handles each one once.

    pip install fastapi uvicorn           # and payhook
    set -a; . examples/callbacks/keys.env; set +a     # the demo keys
    python examples/fastapi_app.py        # http://127.0.0.1:8000
    curl -i --data-binary @examples/callbacks/leanx-payout.json \\
        http://127.0.0.1:8000/callbacks/leanx

The replay guard keeps its claims in payhook-guard.sqlite3 and the app its
payouts in shop.sqlite3, in the working directory (PAYHOOK_GUARD_DB and
SHOP_DB name other files); PORT picks another port.  Several uvicorn
workers share both files.
"""

import contextlib
import logging
import os
import sqlite3

from fastapi import Depends, FastAPI, HTTPException

import payhook
import payhook.fastapi
from payhook.guard import ReplayGuard, SQLiteStore

SHOP_DB = os.environ.get("SHOP_DB", "shop.sqlite3")

app = FastAPI()
# Refusals as short plain text, duplicates with the gateway's own reply.
payhook.fastapi.install(app)
guard = ReplayGuard(SQLiteStore(os.environ.get("PAYHOOK_GUARD_DB",
                                               "payhook-guard.sqlite3")))
leanx = payhook.fastapi.callback("leanx", os.environ["LEANX_HASH_KEY"],
                                 guard=guard)
superpay = payhook.fastapi.callback(
    "superpay", os.environ["SUPERPAY_SYMMETRIC_KEY"], guard=guard)


def record_payout(gateway, reference, status, amount):
    """The shop's bookkeeping: one row per handled payout callback."""
    with contextlib.closing(sqlite3.connect(SHOP_DB)) as conn, conn:
        conn.execute("CREATE TABLE IF NOT EXISTS payouts (gateway TEXT, "
                     "reference TEXT, status TEXT, amount TEXT)")
        conn.execute("INSERT INTO payouts VALUES (?, ?, ?, ?)",
                     (gateway, reference, status, amount))


# Plain `def` endpoints run in FastAPI's thread pool, so the blocking
# SQLite calls do not stall the event loop.
@app.post("/callbacks/leanx")
def leanx_callback(result: payhook.Result = Depends(leanx)):
    out = result.payload.get("output")
    if not isinstance(out, dict) or "invoice_no" not in out:
        # An error answer (raised or returned) releases the guard's claim.
        raise HTTPException(400, "not a payout callback")
    record_payout("leanx", out["invoice_no"], out.get("invoice_status"),
                  out.get("amount"))
    return payhook.fastapi.reply(result)


@app.post("/callbacks/superpay")
def superpay_callback(result: payhook.Result = Depends(superpay)):
    data = result.payload.get("data")
    txn = data.get("transaction") if isinstance(data, dict) else None
    if not isinstance(txn, dict) or "id" not in txn:
        raise HTTPException(400, "not a payout callback")
    # SuperPay encrypts but signs nothing: confirm with its query API
    # before any money moves.
    record_payout("superpay", str(txn["id"]), "to confirm",
                  str(txn.get("amountWithdraw")))
    return payhook.fastapi.reply(result)


if __name__ == "__main__":
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT",
                                                               "8000")))
