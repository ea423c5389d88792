"""LTI 1.3: what binds the LMS's objects to ours, and the outbox of scores for its gradebook.

The platform side (registrations, deployments, keys, platform users, contexts,
resource links, memberships) is django-lti's ``lti_tool`` app; these models
only join its rows to our classes, lessons and accounts:

- ``PlatformFrame``: the origins of the LMS pages that may frame the site (CSP ``frame-ancestors``).
- ``ClassContext``: one class per LMS course (context).
- ``LessonLink``: one lesson per LMS link (resource link), with the gradebook column (AGS line item).
- ``ScoreOutbox``: the score each student should have in that column, until the LMS has accepted it.

A platform user is linked to one of our accounts by ``lti_tool.LtiUser.auth_user``
(found by issuer, client id and the user's ``sub``; never by username).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .classes import Classroom
from .content import Lesson


def origin_of(url: str) -> str:
    """``https://lms.example.edu/mod/lti/auth.php`` -> ``https://lms.example.edu``; "" if not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


class PlatformFrame(models.Model):
    """Where a platform's pages live, so that its course pages may show the site in an iframe."""

    registration = models.OneToOneField("lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="frame")
    origins = models.TextField(
        blank=True,
        help_text=(
            "One origin a line (https://school.instructure.com). Empty: the origin of the platform's auth URL, "
            "which is right for Moodle; Canvas needs the school's own Canvas address here."
        ),
    )

    class Meta:
        ordering = ["registration"]

    def __str__(self):
        return f"Frame origins of {self.registration}"

    def origin_list(self) -> list[str]:
        return [origin for origin in (origin_of(line) for line in self.origins.splitlines()) if origin]


class ClassContextQuerySet(models.QuerySet):
    def for_context(self, context):
        """The binding of an LMS context, with its class."""
        return self.filter(context=context).select_related("classroom")


class ClassContext(models.Model):
    """A class that mirrors an LMS course: launches from the course put people in it."""

    classroom = models.OneToOneField(Classroom, on_delete=models.CASCADE, related_name="lti_binding")
    context = models.OneToOneField("lti_tool.LtiContext", on_delete=models.CASCADE, related_name="class_binding")
    roster_synced_at = models.DateTimeField(null=True, blank=True)

    objects = ClassContextQuerySet.as_manager()

    class Meta:
        ordering = ["classroom"]

    def __str__(self):
        return f"{self.classroom} = {self.context}"


class LessonLinkQuerySet(models.QuerySet):
    def graded(self):
        """Links with a gradebook column, with their LMS context and registration."""
        return self.exclude(line_item_url="").select_related(
            "lesson", "resource_link__context__deployment__registration"
        )


class LessonLink(models.Model):
    """An LMS link to one of our lessons; its gradebook column gets each student's progress."""

    resource_link = models.OneToOneField(
        "lti_tool.LtiResourceLink", on_delete=models.CASCADE, related_name="lesson_link"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="lti_links")
    line_item_url = models.URLField(max_length=500, blank=True)
    # When the progress of the whole context was last compared with the outbox (after a lesson edit).
    scores_checked_at = models.DateTimeField(null=True, blank=True)

    objects = LessonLinkQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "pk"]

    def __str__(self):
        return f"{self.lesson} from {self.resource_link}"


class ScoreOutboxQuerySet(models.QuerySet):
    def due(self, now=None):
        """Scores waiting to be sent whose next try has come, oldest change first."""
        now = now or timezone.now()
        return self.filter(pending=True, next_attempt_at__lte=now).order_by("changed_at", "pk")


class ScoreOutbox(models.Model):
    """The latest score of one student in one gradebook column, and whether the LMS has it.

    A change overwrites the row (the LMS keeps only the latest score anyway) and
    marks it pending; the ``lti_send_scores`` command sends pending rows, retries
    failures with a growing delay and marks a row sent only when the LMS accepted
    exactly the value it holds, so an outage delays scores and loses none, and a
    score is never sent twice for one change.
    """

    link = models.ForeignKey(LessonLink, on_delete=models.CASCADE, related_name="scores")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_scores")
    platform_user = models.ForeignKey("lti_tool.LtiUser", on_delete=models.CASCADE, related_name="+")
    progress = models.FloatField()  # 0-1
    completed = models.BooleanField(default=False)
    changed_at = models.DateTimeField()  # the score's timestamp for the LMS
    pending = models.BooleanField(default=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScoreOutboxQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["link", "student"], name="scoreoutbox_one_per_link_student"),
            models.CheckConstraint(condition=Q(progress__gte=0) & Q(progress__lte=1), name="scoreoutbox_progress_0_1"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(pending=True), name="scoreoutbox_pending"),
        ]

    def __str__(self):
        state = "pending" if self.pending else "sent"
        return f"{self.student} {self.progress:.0%} on {self.link.lesson} ({state})"


class LaunchNonce(models.Model):
    """A launch's nonce, kept a day so that a replayed id_token is refused (its JWT expires well before)."""

    issuer = models.CharField(max_length=255)
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["used_at"]
        constraints = [models.UniqueConstraint(fields=["issuer", "nonce"], name="launchnonce_once")]
        indexes = [models.Index(fields=["used_at"], name="launchnonce_used_at")]

    def __str__(self):
        return f"{self.nonce} from {self.issuer}"
