from django.urls import path

from .views import accounts, classes, pages, selfcheck

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("courses/<slug:slug>/", pages.course_detail, name="course_detail"),
    path("lessons/<slug:slug>/", pages.lesson_detail, name="lesson_detail"),
    path("questions/<int:question_id>/reveal/", selfcheck.reveal, name="selfcheck_reveal"),
    path("questions/<int:question_id>/judge/", selfcheck.judge, name="selfcheck_judge"),
    path("classes/", classes.class_list, name="class_list"),
    path("classes/join/", classes.join, name="class_join"),
    path("classes/join/<str:code>/", classes.join_link, name="class_join_link"),
    path("classes/new/", classes.create, name="class_create"),
    path("classes/<int:class_id>/", classes.dashboard, name="class_dashboard"),
    path("classes/<int:class_id>/edit/", classes.edit, name="class_edit"),
    path("classes/<int:class_id>/code/reset/", classes.reset_code, name="class_code_reset"),
    path("classes/<int:class_id>/leave/", classes.leave, name="class_leave"),
    path("classes/<int:class_id>/lessons/<int:lesson_id>/", classes.lesson_items, name="class_lesson_items"),
    path("classes/<int:class_id>/export/wide.csv", classes.export_wide, name="class_export_wide"),
    path("classes/<int:class_id>/export/long.csv", classes.export_long, name="class_export_long"),
]
