# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One-click unsubscription from customer notifications (RFC 8058).

Group sends carry ``List-Unsubscribe: <.../crm_notifications/unsubscribe?...>``
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``: the mailbox
provider POSTs ``List-Unsubscribe=One-Click`` to that URL, without cookies nor
CSRF token (hence ``csrf=False``). The footer link opens the same URL with a
GET: a page asking to confirm, whose button POSTs. A GET never unsubscribes:
link scanners and previews open every link of a message.

The URL carries the partner, the address and a token: Odoo's ``tools.hmac``
of both on the database secret (``crm.customer.notification.
_crm_unsubscribe_token``). A valid POST puts the address in Odoo's
``mail.blacklist``, which later sends skip; repeating it changes nothing.

Anything invalid (a forged or altered token, another partner's token, an
unknown partner, a missing parameter) gets the same 403 page and changes
nothing. The token is checked from the URL alone, before any read of the
database, so the answer says nothing about which partners or addresses exist;
a 403 rather than a fake success, because the only people who meet it are
holders of a damaged link, who must learn that they are still subscribed.
"""

from odoo import http
from odoo.http import request
from odoo.tools import consteq, email_normalize


class CrmNotificationsUnsubscribe(http.Controller):

    @http.route("/crm_notifications/unsubscribe", type="http", auth="public", methods=["GET", "POST"],
                csrf=False, sitemap=False)
    def crm_unsubscribe(self, partner_id=None, email=None, token=None, **post):
        email = self._crm_check_token(partner_id, email, token)
        if email is None:
            return request.render("crm_notifications.unsubscribe_invalid", {}, status=403)
        values = {"email": email, "partner_id": partner_id, "token": token}
        if request.httprequest.method != "POST":
            return request.render("crm_notifications.unsubscribe_confirm", values)
        request.env["mail.blacklist"].sudo()._crm_unsubscribe(email, int(partner_id))
        return request.render("crm_notifications.unsubscribe_done", values)

    def _crm_check_token(self, partner_id, email, token):
        """The normalized address when ``token`` signs (partner, address),
        else None; compared in constant time."""
        if not (partner_id and email and token) or not str(partner_id).isdigit() or len(partner_id) > 10:
            return None
        normalized = email_normalize(email)
        if not normalized:
            return None
        expected = request.env["crm.customer.notification"]._crm_unsubscribe_token(int(partner_id), normalized)
        return normalized if consteq(expected, str(token)) else None

