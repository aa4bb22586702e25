"""The Chapa sandbox's hosted checkout page (HTML), where the payer pays, fails or cancels.

Its forms post back to the same URL; :mod:`.server` hands them to the gateway (:mod:`.api`),
which judges them against Chapa's test instruments. Every merchant-given text is escaped. The
page names an empty icon (``data:,``): a browser then asks the sandbox for no /favicon.ico, which
it would answer 404, an error in the payer's console.
"""

from __future__ import annotations

import html
import json
import sqlite3
from decimal import Decimal

NOT_FOUND = "<h1>Unknown or expired checkout link</h1>"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chapa sandbox checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;background:#f4f6f4;margin:0;padding:2em}}
main{{max-width:30em;margin:auto;background:#fff;border-radius:12px;padding:1.5em 2em;
box-shadow:0 2px 12px #0002}}
h1{{font-size:1.2em;margin:0}} .amount{{font-size:2em;font-weight:700;margin:.4em 0;color:#7dc400}}
.badge{{background:#ffe8a3;border-radius:6px;padding:.1em .5em;font-size:.8em}}
fieldset{{border:1px solid #ddd;border-radius:8px;margin:1em 0}}
label{{display:block;margin:.4em 0}}
input{{width:100%;padding:.4em;box-sizing:border-box}} button{{padding:.6em 1.2em;margin-top:.6em}}
.pay{{background:#7dc400;color:#fff;border:0;border-radius:6px}} small{{color:#666}}
</style></head><body><main>
<p><span class="badge">TEST MODE</span> Chapa sandbox · Nexus Workbook</p>
{logo}<h1 id="title">{title}</h1><p id="description">{description}</p>
<div class="amount" id="amount">{amount} {currency}</div>
{body}
</main></body></html>
"""

FORMS = """
<form method="post" id="card-form"><fieldset><legend>Pay with card</legend>
<input type="hidden" name="method" value="card">
<label>Card number <input name="card_number" id="card_number" autocomplete="off"></label>
<label>Expiry (MM/YY) <input name="expiry" id="expiry"></label>
<label>CVV <input name="cvv" id="cvv"></label>
<button class="pay" type="submit" id="pay-card">Pay {amount} {currency}</button>
<small>Test cards: Visa 4200 0000 0000 0000 (CVV 123), Amex 3700 0000 0000 0000 (CVV 1234),
Mastercard 5400 0000 0000 0000; expiry 12/34.</small></fieldset></form>
<form method="post" id="mobile-form"><fieldset><legend>Pay with mobile money</legend>
<input type="hidden" name="method" value="mobile">
<label>Phone number <input name="phone" id="phone"></label>
<label>OTP <input name="otp" id="otp"></label>
<button class="pay" type="submit" id="pay-mobile">Pay {amount} {currency}</button>
<small>Test numbers: 0900123456, 0900112233, 0900881111; OTP 12345.</small></fieldset></form>
<form method="post" id="cancel-form"><input type="hidden" name="action" value="cancel">
<button type="submit" id="cancel">Cancel payment</button></form>
"""


def checkout_page(row: sqlite3.Row) -> str:
    """The hosted checkout page: its forms while the transaction is pending, else its outcome."""
    customization = json.loads(row["customization"])
    escape = html.escape
    amount = f"{Decimal(row['amount']):,.2f}"
    logo = (f'<img src="{escape(customization["logo"])}" alt="" height="48">'
            if customization.get("logo") else "")
    if row["status"] == "pending":
        body = FORMS.format(amount=amount, currency=escape(row["currency"]))
    else:
        status = row["status"]
        message = {"success": "Payment successful", "failed": "Payment failed",
                   "cancelled": "Payment cancelled"}[status]
        back = (f'<p><a id="return" href="{escape(row["return_url"])}">Return to the merchant</a>'
                "</p>" if row["return_url"] else "")
        body = f'<p id="result" data-status="{status}"><strong>{message}</strong></p>{back}'
    return PAGE.format(
        logo=logo, title=escape(customization.get("title") or "Payment"),
        description=escape(customization.get("description") or ""), amount=amount,
        currency=escape(row["currency"]), body=body,
    )
