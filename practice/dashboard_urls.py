"""The dashboards' addresses, outside the ``practice:`` namespace: every app links to them
by their plain names (``patient_dashboard``, ``practitioner_dashboard``, ``staff_dashboard``)."""

from django.urls import path

from practice.views import dashboards

urlpatterns = [
    path("me/", dashboards.patient_dashboard, name="patient_dashboard"),
    path("practice/", dashboards.practitioner_dashboard, name="practitioner_dashboard"),
    path("desk/", dashboards.staff_dashboard, name="staff_dashboard"),
]
