"""Run localstripe for the test suite: on loopback only, in memory, with one gap filled.

Started by the ``localstripe`` fixture as ``python -m tests.payments.localstripe_server PORT``.
Three workarounds, none of them in the portal's code:

* localstripe binds every interface (``::``); here it listens on 127.0.0.1 only.
* It pickles its whole store to /tmp/localstripe.pickle after every write (shared by
  every run on the machine, and slow); here the store stays in memory.
* Its Stripe.js stand-in implements ``confirmCardPayment`` only as the 3-D Secure step of
  an intent the server already confirmed; real Stripe.js confirms the intent with the card
  from the page (``POST /v1/payment_intents/:id/confirm`` with the publishable key, the
  client secret and ``payment_method_data``). That request is accepted here, the way
  localstripe already accepts it for SetupIntents, and the served script is extended to
  send it.
"""

from __future__ import annotations

import re
import sys

from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None

CONFIRM = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")

CONFIRM_CARD_PAYMENT = """
;(function () {
  const fake = Stripe;
  Stripe = (apiKey) => {
    const stripe = fake(apiKey);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const element = data && data.payment_method && data.payment_method.card;
      if (!element || !element.value) { return authenticate(clientSecret, data); }
      const pi = clientSecret.match(/^(pi_\\w+)_secret_/)[1];
      const response = await fetch(`${LOCALSTRIPE_BASE_API}/v1/payment_intents/${pi}/confirm`, {
        method: 'POST',
        body: JSON.stringify({key: apiKey, client_secret: clientSecret,
                              payment_method_data: {type: 'card', card: element.value.card}}),
      });
      const body = await response.json().catch(() => ({}));
      if (response.status !== 200 || body.error) { return {error: body.error}; }
      if (body.status === 'requires_action') { return authenticate(clientSecret, data); }
      return {paymentIntent: body};
    };
    return stripe;
  };
})();
"""


@web.middleware
async def card_confirmation(request: web.Request, handler: object) -> web.StreamResponse:
    """Confirm an intent with card details from the browser, as Stripe.js does."""
    match = CONFIRM.match(request.path)
    if request.method == "POST" and match:
        data = await server.get_post_data(request)  # drops the publishable key
        card_data = data.get("payment_method_data") if isinstance(data, dict) else None
        if card_data is not None:
            intent = resources.PaymentIntent._api_retrieve(match.group(1))
            if data.get("client_secret") != intent.client_secret:
                raise resources.UserError(401, "Unauthorized")
            if intent.status != "requires_payment_method":
                raise resources.UserError(400, "Bad request")
            method = resources.PaymentMethod(**card_data)
            intent.payment_method = method.id
            intent._confirm(on_failure_now=intent._report_failure)
            return server.json_response(intent._export())
    if request.path == "/js.stripe.com/v3/":
        response = server.localstripe_js(request)
        return web.Response(
            text=response.text + CONFIRM_CARD_PAYMENT, content_type="application/javascript"
        )
    return await handler(request)  # type: ignore[operator]


def main(port: int) -> None:
    app = server.app
    # After the error middleware (so UserError becomes a JSON error), before authentication.
    app.middlewares.insert(1, card_confirmation)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
