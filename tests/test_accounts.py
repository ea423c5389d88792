"""Password change and reset with Django's own views and the console/locmem mail backend."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

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


def test_sign_up_takes_the_time_zone_from_the_browser(client):
    """site.js fills the hidden field from ``Intl``; the server keeps a real zone name and ignores anything else."""
    from lessons.models import StudentSettings

    page = client.get(reverse("signup")).content.decode()
    assert 'type="hidden" name="time_zone"' in page and "data-browser-zone-input" in page
    data = {"username": "kiri", "password1": "a-Long-passw0rd", "password2": "a-Long-passw0rd"}
    assert client.post(reverse("signup"), data | {"time_zone": "Pacific/Auckland"}).status_code == 302
    assert StudentSettings.objects.get(user__username="kiri").time_zone == "Pacific/Auckland"
    client.post(reverse("logout"))
    assert client.post(reverse("signup"), data | {"username": "bo", "time_zone": "Mars/Olympus"}).status_code == 302
    assert not StudentSettings.objects.filter(user__username="bo").exists()  # the site's zone, until they choose


# ---------------------------------------------------------------- look-alike usernames


def sign_up(username):
    return Client().post(
        "/accounts/signup/", {"username": username, "password1": "A-l0ng-passphrase", "password2": "A-l0ng-passphrase"}
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
