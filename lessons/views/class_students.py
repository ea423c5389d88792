"""The instructor's pages about the students of a class: one student's work, removing a student,
reminding the students who are behind."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lessons.selectors.class_student import student_report
from lessons.services.class_roster import behind_reminders_send, enrollment_remove
from lessons.views.classes import _taught, instructor_required


def _class_student(classroom, user_id):
    """A student enrolled in the class, or 404 (a student of another class does not exist here)."""
    return get_object_or_404(get_user_model(), pk=user_id, enrollments__classroom=classroom)


@instructor_required
@require_GET
def student_detail(request, class_id, user_id):
    classroom = _taught(request, class_id)
    student = _class_student(classroom, user_id)
    report = student_report(classroom, student, now=timezone.now())
    return render(request, "classes/student.html", {"classroom": classroom, "report": report})


@instructor_required
@require_POST
def student_remove(request, class_id, user_id):
    classroom = _taught(request, class_id)
    student = _class_student(classroom, user_id)
    enrollment_remove(classroom=classroom, student=student)
    name = student.get_full_name() or student.username
    messages.success(request, f"{name} is no longer in {classroom}. Their own work is kept.")
    return redirect("class_dashboard", class_id=classroom.pk)


@instructor_required
@require_POST
def remind_behind(request, class_id):
    classroom = _taught(request, class_id)
    class_url = request.build_absolute_uri(reverse("class_list"))
    result = behind_reminders_send(classroom=classroom, sender=request.user, now=timezone.now(), class_url=class_url)
    if result.already_sent_at:
        when = timezone.localtime(result.already_sent_at)
        messages.info(request, f"Reminders were already sent at {when:%H:%M}; wait ten minutes to send them again.")
    elif result.sent or result.without_email:
        text = f"Emailed {result.sent} student{'s' if result.sent != 1 else ''} who are behind."
        if result.without_email:
            text += f" {result.without_email} behind have no email address on their account."
        messages.success(request, text)
    else:
        messages.info(request, "Nobody is behind: no email was sent.")
    return redirect("class_dashboard", class_id=classroom.pk)
