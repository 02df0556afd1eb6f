"""Staff see payments, refunds, Stripe events and fee reductions, read-only; refunds by hand are
an action (the owner's)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from payments.models import FeeReduction, Payment, Refund, RefundReason, StripeEvent
from payments.services import PaymentError, refund_create
from portal.access import signed_in_user
from portal.team_security import require_recent_authentication


class RefundInline(admin.TabularInline[Refund, Payment]):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount_minor", "reason", "status", "stripe_refund_id", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = (
        "pk",
        "patient",
        "booking",
        "amount_minor",
        "currency",
        "status",
        "refunded_minor",
        "paid_at",
    )
    list_filter = ("status",)
    search_fields = ("patient__email", "patient__last_name", "stripe_payment_intent_id")
    date_hierarchy = "created_at"
    list_select_related = ("patient", "booking__service")
    inlines = (RefundInline,)
    actions = ("refund_remaining",)
    # Every field, read-only, but Stripe's client secret: it completes or reads the payment
    # from a browser and is for the paying patient's page alone.
    exclude = ("client_secret",)
    readonly_fields = [f.name for f in Payment._meta.fields if f.name != "client_secret"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Payments come from Stripe through the booking pages, never typed in.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_refund_permission(self, request: HttpRequest) -> bool:
        # Money back by hand is the owner's call (staff refund through the cancel page).
        return bool(request.user.is_superuser)

    @admin.action(
        description="Refund what is left of the selected payments", permissions=["refund"]
    )
    def refund_remaining(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        # Re-enter the password or a code first (the selection is replayed afterwards).
        require_recent_authentication(request)
        done = 0
        by = signed_in_user(request)
        for payment in queryset:
            left = payment.amount_minor - sum(
                r.amount_minor for r in payment.refunds.exclude(status="failed")
            )
            if left <= 0:
                messages.warning(request, f"Payment {payment.pk}: nothing is left to refund.")
                continue
            try:
                refund_create(payment=payment, amount_minor=left, reason=RefundReason.STAFF, by=by)
                done += 1
            except PaymentError as exc:
                messages.warning(request, f"Payment {payment.pk}: {exc.message}")
        if done:
            messages.success(
                request, f"{done} refund(s) are being sent; the patients will be emailed."
            )


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin[Refund]):
    list_display = ("pk", "payment", "amount_minor", "reason", "status", "created_by", "created_at")
    list_filter = ("status", "reason")
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # The accounts: a refund row is what was sent back (and what "Refund what is left" counts),
    # so nobody, the owner included, changes or deletes one here.
    def has_change_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Refund | None = None) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin[StripeEvent]):
    list_display = ("event_id", "type", "handled", "received_at")
    list_filter = ("type", "handled")
    search_fields = ("event_id",)
    readonly_fields = ("event_id", "type", "payload", "handled", "received_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # A stored event is what makes Stripe's retry (or a replay) of it a no-op.
    def has_change_permission(self, request: HttpRequest, obj: StripeEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StripeEvent | None = None) -> bool:
        return False


@admin.register(FeeReduction)
class FeeReductionAdmin(admin.ModelAdmin[FeeReduction]):
    list_display = ("patient", "status", "floor_minor", "ends_on", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("patient__email", "patient__last_name")

    # Read-only for everyone, the owner included: a decision or its change goes through the
    # fee pages (``payments.fee_reductions``), which check the floor, audit it and email the
    # patient; here a status, floor, the patient's own words or the patient themself could be
    # rewritten with none of that.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FeeReduction | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FeeReduction | None = None) -> bool:
        return False
