from django.contrib import admin
from django.urls import include, path

from portal import audit_views, desk_views, export_views, profile_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("session/still-here/", views.still_here, name="still_here"),
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", include("practice.dashboard_urls")),
    path("desk/audit/", audit_views.audit_trail, name="audit_trail"),
    path("desk/audit.csv", audit_views.audit_trail_csv, name="audit_trail_csv"),
    path("me/details/", profile_views.my_details, name="my_details"),
    path("me/privacy/my-data/", export_views.export_request, name="export_request"),
    path("me/privacy/my-data/<str:token>/", export_views.export_download, name="export_download"),
    path("desk/callers/new/", desk_views.add_caller, name="desk_add_caller"),
    path("desk/data-requests/", export_views.desk_export, name="desk_export"),
    path(
        "desk/data-requests/<int:pk>/download/",
        export_views.desk_export_handover,
        name="desk_export_handover",
    ),
    path("", include("booking.urls")),
    path("", include("intake.urls")),
    path("", include("payments.urls")),
    path("", include("followup.urls")),
    path("", include("practice.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
