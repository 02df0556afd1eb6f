from django.urls import path

from booking import closure_views, views, waitlist_views

app_name = "booking"

urlpatterns = [
    path("book/", views.service_list, name="services"),
    path("book/for-a-patient/", views.book_for_patient, name="book_for_patient"),
    path("book/<slug:slug>/", views.choose_practitioner, name="practitioners"),
    path("book/<slug:slug>/times/", views.week, name="week"),
    path("book/<slug:slug>/confirm/", views.confirm, name="confirm"),
    path("bookings/", views.my_bookings, name="mine"),
    path("bookings/<int:pk>/", views.detail, name="detail"),
    path("bookings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("book/<slug:slug>/waiting-list/", waitlist_views.join, name="waitlist_join"),
    path("waiting-list/<int:pk>/leave/", waitlist_views.leave, name="waitlist_leave"),
    path("desk/closures/", closure_views.closures, name="closures"),
    path("desk/closures/<int:pk>/", closure_views.closure, name="closure"),
    path("desk/closures/<int:pk>/reopen/", closure_views.closure_reopen, name="closure_reopen"),
    path("waiting-list/offer/<str:token>/", waitlist_views.offer, name="waitlist_offer"),
]
