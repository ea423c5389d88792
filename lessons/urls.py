from django.urls import path

from .views import accounts, ordering, pages, selfcheck

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("courses/<slug:slug>/", pages.course_detail, name="course_detail"),
    path("lessons/<slug:slug>/", pages.lesson_detail, name="lesson_detail"),
    path("questions/<int:question_id>/reveal/", selfcheck.reveal, name="selfcheck_reveal"),
    path("questions/<int:question_id>/judge/", selfcheck.judge, name="selfcheck_judge"),
    path("ordering/<int:exercise_id>/check/", ordering.check, name="ordering_check"),
    path("ordering/<int:exercise_id>/reveal/", ordering.reveal, name="ordering_reveal"),
]
