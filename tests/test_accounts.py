"""Password change and reset with Django's own views and the console/locmem mail backend."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from lessons.models import StudentSettings
from tests.test_practice_page import page_text

pytestmark = pytest.mark.django_db


def test_password_change(student):
    client = Client()
    client.force_login(student)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "a-Long-passw0rd", "new_password1": "Another-l0ng-one", "new_password2": "Another-l0ng-one"},
        follow=True,
    )
    assert "Password changed" in page_text(response)
    student.refresh_from_db()
    assert student.check_password("Another-l0ng-one")


def test_password_reset_sends_a_working_link(student):
    client = Client()
    response = client.post("/accounts/password_reset/", {"email": student.email}, follow=True)
    assert "Check your email" in page_text(response)
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in page_text(form_page)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Reset-passw0rd-ok", "new_password2": "Reset-passw0rd-ok"},
        follow=True,
    )
    assert "Password set" in page_text(response)
    student.refresh_from_db()
    assert student.check_password("Reset-passw0rd-ok")


def test_password_reset_is_public_and_does_not_reveal_accounts():
    response = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"}, follow=True)
    assert "Check your email" in page_text(response)
    assert mail.outbox == []


# ---------------------------------------------------------------- sign-up with a name and an email (issue 17)

SIGNUP = {
    "display_name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "username": "ada",
    "password1": "diffusion-Steps-42",
    "password2": "diffusion-Steps-42",
}


def test_signup_stores_the_name_and_email_and_welcomes_once():
    client = Client()
    response = client.post("/accounts/signup/", SIGNUP, follow=True)
    text = page_text(response)
    assert text.count("Welcome") == 1 and "Welcome, Ada Lovelace" in text
    user = User.objects.get(username="ada")
    assert (user.first_name, user.email) == ("Ada Lovelace", "Ada@example.com")


@pytest.mark.parametrize("missing", ["display_name", "email"])
def test_signup_needs_a_name_and_an_email(missing):
    response = Client().post("/accounts/signup/", {**SIGNUP, missing: ""})
    assert response.status_code == 200 and "This field is required." in page_text(response)
    assert not User.objects.exists()


def test_signup_refuses_an_email_already_used_whatever_its_case(student):
    response = Client().post("/accounts/signup/", {**SIGNUP, "email": student.email.upper()})
    assert "An account with this email address already exists" in page_text(response)
    assert not User.objects.filter(username="ada").exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_second_account_with_the_same_email(student):
    with pytest.raises(IntegrityError):
        User.objects.create_user("twin", email=student.email.upper())


def test_a_new_account_resets_its_password_through_the_mail_it_signed_up_with():
    client = Client()
    client.post("/accounts/signup/", SIGNUP)
    client.post("/accounts/logout/")
    mail.outbox.clear()  # the (optional) verification link sent at sign-up
    client.post("/accounts/password_reset/", {"email": "ada@example.com"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Ada@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": "New-passw0rd-9", "new_password2": "New-passw0rd-9"})
    assert User.objects.get(username="ada").check_password("New-passw0rd-9")


def test_account_page_edits_the_name_and_email(student, other_student):
    client = Client()
    client.force_login(student)
    assert "Your name" in page_text(client.get("/accounts/"))
    response = client.post("/accounts/", {"first_name": "Sam Student", "email": other_student.email}, follow=True)
    assert "already exists" in page_text(response)
    student.refresh_from_db()
    assert student.email == "student@example.com"
    response = client.post("/accounts/", {"first_name": "Sam Student", "email": "sam@example.com"}, follow=True)
    assert "Your name and email are saved." in page_text(response)
    student.refresh_from_db()
    assert (student.first_name, student.email) == ("Sam Student", "sam@example.com")


def test_the_colour_theme_is_saved_in_the_settings_and_worn_by_every_page(student):
    client = Client()
    client.force_login(student)
    assert "data-theme" not in client.get("/progress/").content.decode()
    client.post("/settings/theme/", {"theme": "dark"})
    assert StudentSettings.objects.get(user=student).theme == "dark"
    assert '<html lang="en" data-theme="dark">' in client.get("/progress/").content.decode()
    # A new log-in (another device) reads it from the settings.
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "student", "password": "a-Long-passw0rd"})
    assert 'data-theme="dark"' in fresh.get("/").content.decode()
    response = client.post("/settings/theme/", {"theme": "purple"})
    assert response.status_code == 400
    assert StudentSettings.objects.get(user=student).theme == "dark"


def test_sign_up_takes_the_time_zone_from_the_browser(client):
    """site.js fills the hidden field from ``Intl``; the server keeps a real zone name and ignores anything else."""
    from lessons.models import StudentSettings

    page = client.get(reverse("signup")).content.decode()
    assert 'type="hidden" name="time_zone"' in page and "data-browser-zone-input" in page
    data = {
        "display_name": "Kiri",
        "email": "kiri@example.com",
        "username": "kiri",
        "password1": "a-Long-passw0rd",
        "password2": "a-Long-passw0rd",
    }
    assert client.post(reverse("signup"), data | {"time_zone": "Pacific/Auckland"}).status_code == 302
    assert StudentSettings.objects.get(user__username="kiri").time_zone == "Pacific/Auckland"
    client.post(reverse("logout"))
    bo = data | {"username": "bo", "email": "bo@example.com", "time_zone": "Mars/Olympus"}
    assert client.post(reverse("signup"), bo).status_code == 302
    assert not StudentSettings.objects.filter(user__username="bo").exists()  # the site's zone, until they choose


# ---------------------------------------------------------------- the optional email verification link (issue 17)

VERIFY_LINK = re.compile(r"http://testserver(/accounts/verify/[^/\s]+/)")


def verify_link(message):
    return VERIFY_LINK.search(message.body).group(1)


def test_signup_mails_a_link_that_verifies_the_address_after_a_confirm_click():
    client = Client()
    response = client.post("/accounts/signup/", SIGNUP, follow=True)
    assert "We sent a link to Ada@example.com" in page_text(response)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Ada@example.com"]
    assert "Ada@example.com" not in verify_link(mail.outbox[0])  # the address stays out of URLs and logs
    assert "Not verified" in page_text(client.get("/accounts/"))
    link = verify_link(mail.outbox[0])
    # Opening the link (as a mail scanner would) only asks to confirm.
    assert "Confirm Ada@example.com" in page_text(client.get(link))
    assert not StudentSettings.objects.filter(user__username="ada").exists()
    response = client.post(link, follow=True)
    assert "Ada@example.com is confirmed" in page_text(response)
    text = page_text(client.get("/accounts/"))
    assert "Verified" in text and "Not verified" not in text
    assert StudentSettings.objects.get(user__username="ada").verified_email == "Ada@example.com"


def test_the_link_works_logged_out_and_never_blocks_log_in(student):
    client = Client()
    client.force_login(student)
    client.post("/accounts/verify/")
    link = verify_link(mail.outbox[0])
    anonymous = Client()
    response = anonymous.post(link, follow=True)
    assert "student@example.com is confirmed" in page_text(response)
    # Unverified accounts log in as ever.
    assert Client().post("/accounts/login/", {"username": "student", "password": "a-Long-passw0rd"}).status_code == 302


def test_changing_the_email_unverifies_it_and_mails_the_new_address(student):
    client = Client()
    client.force_login(student)
    client.post("/accounts/verify/")
    old_link = verify_link(mail.outbox[0])
    client.post(old_link)
    assert "Verified" in page_text(client.get("/accounts/"))
    response = client.post("/accounts/", {"first_name": "Sam", "email": "sam@example.com"}, follow=True)
    assert "We sent a link to sam@example.com" in page_text(response)
    assert mail.outbox[-1].to == ["sam@example.com"]
    assert "Not verified" in page_text(response)
    # The old address's link no longer verifies anything.
    response = client.post(old_link)
    assert response.status_code == 400 and "no longer has" in page_text(response)
    assert StudentSettings.objects.get(user=student).verified_email == "student@example.com"
    client.post(verify_link(mail.outbox[-1]))
    assert StudentSettings.objects.get(user=student).verified_email == "sam@example.com"
    # Saving the name alone sends nothing.
    sent = len(mail.outbox)
    client.post("/accounts/", {"first_name": "Samuel", "email": "SAM@example.com"})
    assert len(mail.outbox) == sent


def test_a_mail_server_that_is_down_does_not_stop_sign_up(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens there
    client = Client()
    response = client.post("/accounts/signup/", SIGNUP, follow=True)
    text = page_text(response)
    assert "Your account is ready." in text and "We could not send the confirmation link just now" in text
    assert User.objects.filter(username="ada").exists()
    response = client.post("/accounts/verify/", follow=True)
    assert response.status_code == 200 and "We could not send the link just now" in page_text(response)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_tampered_link_says_so_and_changes_nothing(student, method):
    from django.core import signing

    client = Client()
    client.force_login(student)
    client.post("/accounts/verify/")
    link = verify_link(mail.outbox[0])
    forged = signing.dumps({"u": student.pk, "e": "x"}, salt="not-ours")
    for bad in (link[:-3] + "xx/", f"/accounts/verify/{forged}/", "/accounts/verify/nonsense/"):
        response = getattr(client, method)(bad)
        assert response.status_code == 400 and "not valid" in page_text(response)
    assert not StudentSettings.objects.filter(user=student).exists()


def test_an_expired_link_says_so_and_changes_nothing(student, monkeypatch):
    import time

    from lessons.services.accounts import email_verification_token

    now = time.time()
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: now - 4 * 24 * 3600)  # a link mailed four days ago
        token = email_verification_token(user=student)
    client = Client()
    client.force_login(student)
    response = client.post(f"/accounts/verify/{token}/")
    assert response.status_code == 400 and "expired" in page_text(response)
    assert not StudentSettings.objects.filter(user=student).exists()


# ---------------------------------------------------------------- look-alike usernames


def sign_up(username):
    return Client().post(
        "/accounts/signup/",
        {
            "display_name": "Someone",
            "email": f"{User.objects.count()}-new@example.com",  # sign-up also needs a name and a unique email
            "username": username,
            "password1": "A-l0ng-passphrase",
            "password2": "A-l0ng-passphrase",
        },
    )


@pytest.mark.parametrize(
    "lookalike",
    [
        "stu_\u0430",  # Cyrillic а
        "stu_\u0251",  # Latin alpha ɑ
        "STU_A",  # another case
        "stu_\uff41",  # fullwidth ａ (folded by Django's NFKC, then taken)
    ],
)
def test_a_username_that_looks_like_an_existing_one_is_refused(make_user, lookalike):
    from django.contrib.auth.models import User

    make_user("stu_a")
    response = sign_up(lookalike)
    assert response.status_code == 200
    text = page_text(response)
    assert "looks too much like an existing username" in text or "mixes scripts" in text or "already exists" in text
    assert list(User.objects.values_list("username", flat=True)) == ["stu_a"]


def test_mixed_scripts_are_refused_even_without_a_lookalike(db):
    from django.contrib.auth.models import User

    response = sign_up("p\u0430ul")  # Latin p, u, l around a Cyrillic а
    assert "mixes scripts" in page_text(response)
    assert not User.objects.exists()


@pytest.mark.parametrize("name", ["José", "Дмитрий", "student_2", "ada.lovelace"])
def test_names_in_one_script_are_welcome(make_user, name):
    from django.contrib.auth.models import User

    make_user("stu_a")
    assert sign_up(name).status_code == 302
    assert User.objects.filter(username=name).exists()


def test_digits_and_letters_that_look_alike_are_one_name(make_user):
    from lessons.usernames import skeleton

    assert skeleton("a1ice") == skeleton("alice") == skeleton("aIice")
    assert skeleton("B0B") == skeleton("BOB")
    assert skeleton("stu_a") != skeleton("stu_b")
    make_user("alice")
    assert "looks too much like an existing username" in page_text(sign_up("a1ice"))
