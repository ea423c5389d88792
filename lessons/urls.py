from django.urls import path

from .views import accounts, flashcards, pages, prediction, selfcheck

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("courses/<slug:slug>/", pages.course_detail, name="course_detail"),
    path("lessons/<slug:slug>/", pages.lesson_detail, name="lesson_detail"),
    path("questions/<int:question_id>/reveal/", selfcheck.reveal, name="selfcheck_reveal"),
    path("questions/<int:question_id>/judge/", selfcheck.judge, name="selfcheck_judge"),
    path("predictions/<int:exercise_id>/submit/", prediction.submit, name="prediction_submit"),
    path("predictions/<int:exercise_id>/draft/", prediction.draft, name="prediction_draft"),
    path("predictions/<int:exercise_id>/mark/", prediction.mark, name="prediction_mark"),
    path("lessons/<slug:slug>/flashcards/print/", flashcards.print_cards, name="flashcards_print"),
    path("flashcards/<int:card_id>/reveal/", flashcards.reveal, name="flashcard_reveal"),
    path("flashcards/<int:card_id>/rate/", flashcards.rate, name="flashcard_rate"),
    path("reviews/<int:log_id>/undo/", flashcards.undo, name="review_undo"),
    path("review/", flashcards.review, name="review"),
    path("settings/", flashcards.study_settings, name="study_settings"),
    path("progress/", flashcards.progress, name="progress"),
    path("progress/reviews.csv", flashcards.reviews_csv, name="reviews_csv"),
]
