from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("book/<slug:slug>/checkout/", views.checkout, name="checkout"),
    path("bookings/<int:pk>/pay/", views.pay, name="pay"),
    path("bookings/<int:pk>/pay/status/", views.pay_status, name="pay_status"),
    path("bookings/<int:pk>/cancel-and-refund/", views.cancel, name="cancel"),
    path("payments/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("me/fee-reduction/", views.fee_reduction_mine, name="fee_reduction"),
    path("fee-reductions/", views.fee_reduction_list, name="fee_reductions"),
    path("fee-reductions/<int:pk>/", views.fee_reduction_decide, name="fee_reduction_decide"),
]
