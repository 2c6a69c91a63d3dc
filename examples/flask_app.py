"""A complete Flask app that receives LeanX and SuperPay payout callbacks
with payhook, and handles each one once.

    pip install flask                     # and payhook
    set -a; . examples/callbacks/keys.env; set +a     # the demo keys
    python examples/flask_app.py          # http://127.0.0.1:8000
    curl -i --data-binary @examples/callbacks/leanx-payout.json \\
        http://127.0.0.1:8000/callbacks/leanx

The replay guard keeps its claims in payhook-guard.sqlite3 and the app its
payouts in shop.sqlite3, in the working directory (PAYHOOK_GUARD_DB and
SHOP_DB name other files); PORT picks another port.  Under gunicorn
(`gunicorn -w 4 flask_app:app`) every worker shares both files.
"""

import contextlib
import logging
import os
import sqlite3

from flask import Flask

import payhook
import payhook.flask
from payhook.guard import ReplayGuard, SQLiteStore

SHOP_DB = os.environ.get("SHOP_DB", "shop.sqlite3")

app = Flask(__name__)
# One guard for every callback route: a duplicate is answered with the
# gateway's reply and never reaches the view.
guard = ReplayGuard(SQLiteStore(os.environ.get("PAYHOOK_GUARD_DB",
                                               "payhook-guard.sqlite3")))


def record_payout(gateway, reference, status, amount):
    """The shop's bookkeeping: one row per handled payout callback."""
    with contextlib.closing(sqlite3.connect(SHOP_DB)) as conn, conn:
        conn.execute("CREATE TABLE IF NOT EXISTS payouts (gateway TEXT, "
                     "reference TEXT, status TEXT, amount TEXT)")
        conn.execute("INSERT INTO payouts VALUES (?, ?, ?, ?)",
                     (gateway, reference, status, amount))


@app.post("/callbacks/leanx")
@payhook.flask.callback("leanx", os.environ["LEANX_HASH_KEY"], guard=guard)
def leanx_callback(result):
    out = result.payload.get("output")
    if not isinstance(out, dict) or "invoice_no" not in out:
        return "not a payout callback\n", 400   # signed, but not for us
    record_payout("leanx", out["invoice_no"], out.get("invoice_status"),
                  out.get("amount"))
    # Returning None answers what LeanX expects (result.reply).


@app.post("/callbacks/superpay")
@payhook.flask.callback("superpay", os.environ["SUPERPAY_SYMMETRIC_KEY"],
                        guard=guard)
def superpay_callback(result):
    data = result.payload.get("data")
    txn = data.get("transaction") if isinstance(data, dict) else None
    if not isinstance(txn, dict) or "id" not in txn:
        return "not a payout callback\n", 400
    # SuperPay encrypts but signs nothing: record the payout as one to
    # confirm with SuperPay's query API before any money moves.
    record_payout("superpay", str(txn["id"]), "to confirm",
                  str(txn.get("amountWithdraw")))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
