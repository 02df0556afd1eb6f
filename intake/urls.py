from django.urls import path

from intake import breakglass_views, diary_views, practice_views, views

app_name = "intake"

urlpatterns = [
    path("me/intake/", views.intake_home, name="home"),
    path("me/intake/start/", views.intake_start, name="start"),
    path("me/intake/<int:pk>/", views.intake_response, name="response"),
    path("me/intake/<int:pk>/review/", views.intake_review, name="review"),
    path("me/intake/<int:pk>/sent/", views.intake_sent, name="sent"),
    path("me/intake/<int:pk>/<slug:slug>/", views.intake_step, name="step"),
    path("me/intake/<int:pk>/<slug:slug>/autosave/", views.intake_autosave, name="autosave"),
    path("me/diary/", diary_views.diary, name="diary"),
    path("me/diary/<int:pk>/edit/", diary_views.diary_edit, name="diary_edit"),
    path("me/diary/<int:pk>/delete/", diary_views.diary_delete, name="diary_delete"),
    path("me/diary/<int:pk>/advice/", diary_views.diary_advice, name="diary_advice"),
    path("me/privacy/", views.privacy, name="privacy"),
    path(
        "practice/patients/<int:patient_id>/intake/",
        practice_views.patient_intake,
        name="practice_intake",
    ),
    path(
        "practice/patients/<int:patient_id>/diary/",
        practice_views.patient_diary,
        name="practice_diary",
    ),
    path(
        "practice/patients/<int:patient_id>/see-anyway/",
        breakglass_views.see_anyway,
        name="see_anyway",
    ),
    path("practice/record-access/", breakglass_views.record_access, name="record_access"),
    path(
        "practice/alerts/<int:pk>/acknowledge/",
        practice_views.acknowledge_alert,
        name="acknowledge_alert",
    ),
    path("practice/alerts/<int:pk>/claim/", practice_views.claim_alert, name="claim_alert"),
    path("practice/flags/<int:pk>/clear/", practice_views.clear_flag, name="clear_flag"),
]
