from django.urls import path

from .views import accounts, classes, health, ordering, pages, prediction, review, selfcheck, settings, stats

# Django's auth views that lessons wraps (rate limits, the lockout reset); quizsite/urls.py leaves them out.
ACCOUNT_OVERRIDES = {"login", "password_reset", "password_reset_confirm"}

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", accounts.account, name="account"),
    path("settings/theme/", settings.theme, name="theme"),
    path("settings/goal/", settings.daily_goal, name="daily_goal"),
    path("accounts/login/", accounts.log_in, name="login"),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("courses/<slug:slug>/", pages.course_detail, name="course_detail"),
    path("lessons/<slug:slug>/", pages.lesson_detail, name="lesson_detail"),
    path("questions/<int:question_id>/reveal/", selfcheck.reveal, name="selfcheck_reveal"),
    path("questions/<int:question_id>/judge/", selfcheck.judge, name="selfcheck_judge"),
    path("predictions/<int:exercise_id>/submit/", prediction.submit, name="prediction_submit"),
    path("predictions/<int:exercise_id>/draft/", prediction.draft, name="prediction_draft"),
    path("predictions/<int:exercise_id>/mark/", prediction.mark, name="prediction_mark"),
    path("lessons/<slug:slug>/flashcards/print/", pages.print_cards, name="flashcards_print"),
    path("lessons/<slug:slug>/flashcards/<str:mode>/", review.practice, name="card_practice"),
    path("flashcards/<int:card_id>/reveal/", review.reveal, name="flashcard_reveal"),
    path("flashcards/<int:card_id>/rate/", review.rate, name="flashcard_rate"),
    path("reviews/<int:log_id>/undo/", review.undo, name="review_undo"),
    path("review/", review.review, name="review"),
    path("settings/", settings.study_settings, name="study_settings"),
    path("progress/", stats.progress, name="progress"),
    path("progress/reviews.csv", stats.reviews_csv, name="reviews_csv"),
    path("classes/", classes.class_list, name="class_list"),
    path("classes/join/", classes.join, name="class_join"),
    path("classes/join/<str:code>/", classes.join_link, name="class_join_link"),
    path("classes/new/", classes.create, name="class_create"),
    path("classes/<int:class_id>/", classes.dashboard, name="class_dashboard"),
    path("classes/<int:class_id>/edit/", classes.edit, name="class_edit"),
    path("classes/<int:class_id>/code/reset/", classes.reset_code, name="class_code_reset"),
    path("classes/<int:class_id>/leave/", classes.leave, name="class_leave"),
    path("classes/<int:class_id>/lessons/<int:lesson_id>/", classes.lesson_items, name="class_lesson_items"),
    path("classes/<int:class_id>/students/<int:user_id>/", classes.student_detail, name="class_student"),
    path(
        "classes/<int:class_id>/students/<int:user_id>/remove/",
        classes.student_remove,
        name="class_student_remove",
    ),
    path("classes/<int:class_id>/remind-behind/", classes.remind_behind, name="class_remind_behind"),
    path("classes/<int:class_id>/export/wide.csv", classes.export_wide, name="class_export_wide"),
    path("classes/<int:class_id>/export/long.csv", classes.export_long, name="class_export_long"),
    path("ordering/<int:exercise_id>/check/", ordering.check, name="ordering_check"),
    path("ordering/<int:exercise_id>/reveal/", ordering.reveal, name="ordering_reveal"),
]
