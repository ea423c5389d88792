from django.contrib import admin

from lessons import models

for model in (
    models.Course,
    models.Lesson,
    models.SelfCheckQuestion,
    models.OrderingExercise,
    models.OrderingItem,
    models.PredictionExercise,
    models.RubricPoint,
    models.Flashcard,
):
    admin.site.register(model)
