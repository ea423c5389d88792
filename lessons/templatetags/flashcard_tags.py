from django import template
from django.utils import timezone

from lessons.models import StudentSettings
from lessons.selectors import review_queue as queue

register = template.Library()


@register.simple_tag
def review_summary(user):
    """How many cards the student can review now (due plus today's new ones); one query (``queue_for``)."""
    if not user.is_authenticated:
        return None
    return queue.queue_for(
        user, now=timezone.now(), study_settings=StudentSettings.objects.for_user(user), with_head=False
    )
