"""The private calendar feed: its settings page and the unguessable .ics address."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import practitioner_required
from practice import services
from practice.access import practitioner_for_request
from practice.feeds import live_feed, practitioner_feed
from practice.models import CalendarFeed


@practitioner_required
@never_cache
# The password (or a code) before the page shows, as for "download my data": its address is a
# key to the diary (initials, services, times and room, 120 days ahead) that works without
# signing in and outlives the session, so an unlocked workspace must not hand it over.
@reauthentication_required
@require_http_methods(["GET", "POST"])
def feed_settings(request: HttpRequest) -> HttpResponse:
    practitioner = practitioner_for_request(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "enable":
            services.feed_enable(practitioner=practitioner)
            messages.success(request, "Your calendar feed is on. Copy the address below.")
        elif action in ("revoke", "renew"):
            services.feed_revoke(practitioner=practitioner)
            if action == "renew":
                services.feed_enable(practitioner=practitioner)
                messages.success(request, "New address made. The old one no longer works.")
            else:
                messages.success(
                    request, "Your calendar feed is off. The old address no longer works."
                )
        return redirect("practice:feed")
    feed = services.own_feed(practitioner)
    url = (
        request.build_absolute_uri(reverse("practice:ics", args=[feed.token]))
        if feed is not None
        else ""
    )
    return render(request, "practice/feed.html", {"feed": feed, "feed_url": url})


@never_cache
@require_safe
def ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself; calendar apps fetch it without signing in, so the token is the key."""
    feed = live_feed(token)
    if feed is None:
        raise Http404("No such calendar feed")
    now = timezone.now()
    # One write per fetch at most: apps poll often, the timestamp only needs to be rough.
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    response = HttpResponse(
        practitioner_feed(feed.practitioner, now=now), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="clinic-bookings.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
