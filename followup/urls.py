from django.urls import path

from followup import views

app_name = "followup"

urlpatterns = [
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("me/follow-up/", views.my_followup, name="mine"),
]
