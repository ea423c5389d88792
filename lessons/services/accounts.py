"""Email verification (optional; issue 17): a signed link mailed to the account's address proves the student reads it.

The link carries a token signed with the site's secret (``django.core.signing``, its own salt), holding the
user's id and a digest of the address it was sent to (the address itself stays out of URLs and logs). It is
good for ``VERIFY_MAX_AGE`` and only while the account still has that address. Following it stores the
address in ``StudentSettings.verified_email``. Nothing else depends on it: log-in and password reset work
the same whether or not the address is verified.
"""

import hashlib
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction

from lessons.errors import ApplicationError
from lessons.models import StudentSettings

logger = logging.getLogger(__name__)
SALT = "lessons.email-verification"
VERIFY_MAX_AGE = timedelta(days=3)
INVALID = "This verification link is not valid. Open the newest link we sent, or send a new one from your account page."
EXPIRED = "This verification link has expired (links last three days). Send a new one from your account page."
CHANGED = (
    "This link was sent to an email address your account no longer has. "
    "Send a new link to your current address from your account page."
)


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:24]


def email_verification_token(*, user) -> str:
    """A token for ``user``'s current email address (signed, timestamped)."""
    return signing.dumps({"u": user.pk, "e": _digest(user.email)}, salt=SALT, compress=True)


def email_verification_user(*, token: str):
    """The account a token verifies, or ApplicationError with what went wrong (forged, expired, address changed)."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise ApplicationError(EXPIRED) from None
    except signing.BadSignature:
        raise ApplicationError(INVALID) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not isinstance(payload.get("e"), str):
        raise ApplicationError(INVALID)
    user = get_user_model().objects.filter(pk=payload["u"], is_active=True).first()
    if user is None:
        raise ApplicationError(INVALID)
    if not user.email or _digest(user.email) != payload["e"]:
        raise ApplicationError(CHANGED)
    return user


def email_verification_send(*, user, link: str) -> bool:
    """Mail ``user`` the verification ``link`` (built by the view from ``email_verification_token``).

    False when the mail server refused or could not be reached: logged, and sign-up or the account page go on
    (the link is optional; "Send a new confirmation link" tries again).
    """
    if not user.email:
        raise ApplicationError("Your account has no email address to verify. Add one first.")
    name = user.get_full_name() or user.username
    body = "\n".join(
        [
            f"Hello {name},",
            "",
            f"To confirm that {user.email} is your address on Quizsite, open this link within three days:",
            "",
            link,
            "",
            "If you did not make a Quizsite account, ignore this email; nothing changes.",
        ]
    )
    message = EmailMessage(
        subject="Confirm your email address", body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    try:
        return bool(message.send())
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("Verification mail to user %s not sent: %s", user.pk, error)
        return False


@transaction.atomic
def email_verify(*, token: str):
    """Mark the address a valid token was sent to as verified; returns the account. Refuses a bad token unchanged."""
    user = email_verification_user(token=token)
    StudentSettings.objects.update_or_create(user=user, defaults={"verified_email": user.email})
    return user
