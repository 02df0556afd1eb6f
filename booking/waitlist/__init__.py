"""The waiting list: joining and leaving, offering freed places, and confirming an offer.

When capacity frees (a cancellation, a move, a lapsed hold, new hours or a shift),
``offers.offer_free_places`` finds the open starts that match waiting people's wishes and holds
each as a ``WaitlistPlace`` for ``Clinic.waitlist_hold_minutes``, offered to the first
``Clinic.waitlist_offers_per_place`` matching entries in order of joining. A held place takes
its capacity from everyone else (``availability.with_bookings`` counts it). The first to
confirm claims it (``claims.offer_claim``: the place's row lock decides, the others are told it
has gone); the booking itself is made by ``booking.services.booking_create``, which releases
the patient's claimed place under its usual locks, so every rule (gates, eligibility,
capacity, the amount and payment) still applies. A place nobody confirmed in time lapses and
the scan offers it to the next people. The scan is idempotent: run it on demand and from beat.

Offer emails are outbox rows (``portal.messaging.outbox_put``) written in the transaction
that holds the place.

The modules, each imported by what it is for:

- ``errors``: ``WaitlistError`` and ``PlaceGone``, the refusals fit to show a person.
- ``wishes``: parts of the day, whether a start matches an entry, the wishes as words.
- ``entries``: ``waitlist_join`` and ``waitlist_leave``.
- ``places``: holding a freed start and letting lapsed holds go.
- ``offers``: the scan (``queue_offer_check``, ``offer_free_places``) and ``offer_by_hand``.
- ``links``: the signed link in an offer email.
- ``claims``: ``offer_claim``, and the hooks ``booking_create`` calls to book a claimed place.
- ``board``: the team's page, entries grouped per service with the places in flight.
"""
