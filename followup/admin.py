"""Staff see the outbox: what was sent, what failed and why, what is held for the morning."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from followup.models import OutboxMessage, OutboxStatus


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
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
    list_filter = ("status", "kind", "due_at", "sent_at")
    search_fields = ("recipient__email", "recipient__last_name", "subject", "last_error")
    date_hierarchy = "due_at"
    list_select_related = ("recipient", "booking__service")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ("send_again",)

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
