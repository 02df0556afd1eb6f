"""Staff see the outbox: what was sent, what failed and why, what is held for the morning."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from followup.models import MessageKind, OutboxMessage, OutboxStatus
from portal.messaging import HEALTH_KINDS


class KindFilter(admin.SimpleListFilter):
    """The kinds the admin shows (not ``HEALTH_KINDS``)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [(k.value, str(k.label)) for k in MessageKind if k not in HEALTH_KINDS]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboxMessage]
    ) -> QuerySet[OutboxMessage]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    """The outbox without the messages that reveal a patient's health (``HEALTH_KINDS``): the
    desk and the owner, the admin's users, read no health data; those messages are retried by
    the outbox itself, and the team acts on the alert they come with, on its dashboards."""

    list_display = (
        "kind",
        "recipient",
        "booking",
        "status",
        "due_at",
        "sent_at",
        "attempts",
        "last_error",
    )
    list_filter = ("status", KindFilter, "due_at", "sent_at")
    search_fields = ("recipient__email", "recipient__last_name", "subject", "last_error")
    date_hierarchy = "due_at"
    list_select_related = ("recipient", "booking__service")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ("send_again",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return super().get_queryset(request).exclude(kind__in=HEALTH_KINDS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    @admin.action(description="Try failed messages again now", permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        # Only failed rows: a sent one must never go twice, a pending one is on its way.
        count = queryset.filter(status=OutboxStatus.FAILED).update(
            status=OutboxStatus.PENDING,
            due_at=timezone.now(),
            attempts=0,
            enqueued_at=None,
        )
        messages.success(request, f"{count} failed message(s) will be sent within a minute.")
