"""A complete Django app, in one file, that receives LeanX and SuperPay
payout callbacks with payhook, and handles each one once.

    pip install django                    # and payhook
    set -a; . examples/callbacks/keys.env; set +a     # the demo keys
    python examples/django_app.py runserver 127.0.0.1:8000
    curl -i --data-binary @examples/callbacks/leanx-payout.json \\
        http://127.0.0.1:8000/callbacks/leanx

In a project the settings go to settings.py, the views to views.py and
urlpatterns to urls.py.  The replay guard keeps its claims in
payhook-guard.sqlite3 and the app its payouts in shop.sqlite3, in the
working directory (PAYHOOK_GUARD_DB and SHOP_DB name other files).
"""

import contextlib
import os
import secrets
import sqlite3
import sys

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY",
                                  secrets.token_urlsafe(32)),
        ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS",
                                     "127.0.0.1,localhost").split(","),
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
        DATABASES={},
    )

from django.urls import path  # noqa: E402  (after the settings)

import payhook  # noqa: E402
import payhook.django  # noqa: E402
from payhook.guard import ReplayGuard, SQLiteStore  # noqa: E402

SHOP_DB = os.environ.get("SHOP_DB", "shop.sqlite3")
guard = ReplayGuard(SQLiteStore(os.environ.get("PAYHOOK_GUARD_DB",
                                               "payhook-guard.sqlite3")))


def record_payout(gateway, reference, status, amount):
    """The shop's bookkeeping: one row per handled payout callback."""
    with contextlib.closing(sqlite3.connect(SHOP_DB)) as conn, conn:
        conn.execute("CREATE TABLE IF NOT EXISTS payouts (gateway TEXT, "
                     "reference TEXT, status TEXT, amount TEXT)")
        conn.execute("INSERT INTO payouts VALUES (?, ?, ?, ?)",
                     (gateway, reference, status, amount))


def not_a_payout():
    from django.http import HttpResponse

    return HttpResponse(b"not a payout callback\n", status=400,
                        content_type="text/plain")


# payhook.django.callback makes the view CSRF-exempt and POST-only.
@payhook.django.callback("leanx", os.environ["LEANX_HASH_KEY"], guard=guard)
def leanx_callback(request, result):
    out = result.payload.get("output")
    if not isinstance(out, dict) or "invoice_no" not in out:
        return not_a_payout()
    record_payout("leanx", out["invoice_no"], out.get("invoice_status"),
                  out.get("amount"))
    # Returning None answers what LeanX expects (result.reply).


@payhook.django.callback("superpay", os.environ["SUPERPAY_SYMMETRIC_KEY"],
                         guard=guard)
def superpay_callback(request, result):
    data = result.payload.get("data")
    txn = data.get("transaction") if isinstance(data, dict) else None
    if not isinstance(txn, dict) or "id" not in txn:
        return not_a_payout()
    # SuperPay encrypts but signs nothing: confirm with its query API
    # before any money moves.
    record_payout("superpay", str(txn["id"]), "to confirm",
                  str(txn.get("amountWithdraw")))


urlpatterns = [
    path("callbacks/leanx", leanx_callback),
    path("callbacks/superpay", superpay_callback),
]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
